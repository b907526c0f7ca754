"""The backend contract, written once: the `Backend` and `Trainer` protocols.

A backend module (``kernels.reference``, ``kernels.cpu``, ``kernels.cuda``; see
`kernels.get_backend`) answers `Backend`: ``name`` and the ops of `OPS`, each with the
protocol's signature. Shapes are in the course's notation: A of shape (n_l, m), W of shape
(n_l, n_{l-1}), b of shape (n_l,), theta and the optimizer states of shape (n_params,),
laid out by ``kernels.spec``. The NumPy reference's docstrings add each op's formula;
`document` gives them to another backend's ops that have none, so that ``help`` shows the
same contract on every backend. `make_trainer` returns a `Trainer`: the estimators talk to
a fit's trainer through its members (`TRAINER`) alone.

`violations` lists how a module departs from the contract; ``tests/test_structure.py`` runs it
on every backend.
"""
import inspect
from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Backend(Protocol):
    """What a backend module exports (as module functions, without ``self``)."""

    #: "numpy", "numba" or "cuda"
    name: str

    def linear_forward(self, W, b, A_prev, activation, slope=0.01):
        """(Z, A): Z = W A_prev + b and A = g(Z), each (n_l, m)."""

    def activation_forward(self, Z, activation, slope=0.01):
        """A = g(Z), of Z's shape; softmax normalizes each column."""

    def activation_backward(self, dA, Z, activation, slope=0.01):
        """dZ = dA * g'(Z) for a hidden activation, of Z's shape."""

    def linear_backward(self, dZ, A_prev, W, l2=0.0, need_dA_prev=True):
        """(dW, db, dA_prev) of the linear step, with the L2 term in dW; dA_prev is None
        unless asked for."""

    def output_delta(self, AL, Y, sample_weight=None):
        """dZ_L = w (A_L - Y) for the output activation's matched cost, (n_L, m)."""

    def binary_cross_entropy(self, ZL, Y, weights=(), l2=0.0, sample_weight=None):
        """J of a sigmoid output from its logits ZL (1, m), plus the L2 term of
        `weights`."""

    def categorical_cross_entropy(self, ZL, Y, weights=(), l2=0.0, sample_weight=None):
        """J of a softmax output from its logits ZL (n_L, m), plus the L2 term."""

    def mean_squared_error(self, ZL, Y, weights=(), l2=0.0, sample_weight=None):
        """Half mean squared error of an identity output ZL (n_L, m), plus the L2 term."""

    def l2_penalty(self, weights, l2, m):
        """lambda / (2 m) times the sum of ||W_l||^2 over `weights`."""

    def dropout_mask(self, seed, step, layer, shape, keep_prob, dtype=np.float64):
        """Keep mask D of `shape`, the same on every backend for (seed, step, layer)."""

    def dropout_forward(self, A, D, keep_prob):
        """Inverted dropout A * D / keep_prob."""

    def dropout_backward(self, dA, D, keep_prob):
        """dA * D / keep_prob."""

    def gd_update(self, theta, grad, lr):
        """One gradient-descent step, in place."""

    def momentum_update(self, theta, grad, v, lr, beta):
        """One momentum step, in place."""

    def rmsprop_update(self, theta, grad, s, lr, beta2, epsilon):
        """One RMSprop step, in place."""

    def adam_update(self, theta, grad, v, s, lr, step, beta1, beta2, epsilon):
        """Adam's step `step` (1-based), in place."""

    def optimizer_update(self, theta, grad, states, lr, step, opt):
        """One step of the optimizer `opt` (an OptSpec), in place; states as many as
        ``opt.n_states``."""

    def standardize_fit(self, X):
        """(mean, std) of each feature of X (n_x, m); a zero std becomes 1."""

    def standardize(self, X, mean, std):
        """(X - mean) / std per feature."""

    def network_output(self, theta, X, spec):
        """A_L (n_L, m) of the network `spec` for X (n_0, m), without dropout."""

    def network_cost(self, theta, X, Y, spec, sample_weight=None):
        """J on (X, Y), with the L2 term and without dropout."""

    def cost_and_gradients(self, theta, X, Y, spec, seed=None, step=0, grad=None,
                           sample_weight=None):
        """(J, dJ/dtheta) on one batch; dropout with seed's streams at `step` when seed is
        given."""

    def train_epochs(self, theta, states, X, Y, perms, lrs, spec, opt, batch_size, seed, step,
                     sample_weight=None):
        """Epochs of mini-batch training in place, X (m, n_0) and Y (m, n_L) sample-major;
        returns each epoch's mean cost."""

    def make_trainer(self, theta, states, X, Y, spec, opt, batch_size, seed, step=0,
                     sample_weight=None):
        """A `Trainer` for one fit."""

    def num_threads(self, n):
        """A context in which the backend's kernels use n host threads."""

    def warmup(self, dtype="float64"):
        """Compile what a fit, a predict and a cost in `dtype` use."""

    def check_name(self, name, valid, what):
        """Raise a ValueError naming `what` and listing the valid names."""


def _members(protocol):
    return tuple(n for n, f in vars(protocol).items()
                 if inspect.isfunction(f) and not n.startswith("_"))


#: The ops of every backend, by family.
OPS = _members(Backend)


@runtime_checkable
class Trainer(Protocol):
    """What a trainer from ``make_trainer`` answers; shapes in course notation, with
    theta of shape (n_params,)."""

    #: Mini-batches per epoch, ceil(m / batch_size).
    steps_per_epoch: int

    def check_finite(self) -> bool:
        """Whether every element of the training data X is finite; the estimators ask
        once, before training, and refuse the fit (changing nothing) when it is not."""

    def run(self, perms, lrs):
        """Train len(lrs) epochs, epoch e over the examples in the order perms[e] (an
        (n_epochs, m) array) at learning rate lrs[e]; return each epoch's mean cost, NaN
        from the first step whose cost or gradient was not finite on (that step and the
        ones after it change nothing)."""

    def get_theta(self):
        """The parameters, a host array of shape (n_params,)."""

    def get_states(self):
        """The optimizer's state vectors (`OptSpec.n_states` of them), as host arrays."""


#: The trainer's members, by name.
TRAINER = tuple(Trainer.__annotations__) + _members(Trainer)


def _reference():
    from . import reference
    return reference


def document(namespace):
    """Give the ops in `namespace` (a backend module's globals) that have no docstring the
    reference's."""
    reference = _reference()
    for op in OPS:
        function = namespace.get(op)
        if function is not None and not function.__doc__:
            function.__doc__ = getattr(reference, op).__doc__


def gather(namespace, *modules):
    """Put into `namespace` (a backend package's globals) each op of `OPS` from the first of
    `modules` that defines it, then `document` them: a backend's ``__init__.py`` gathers its
    contract this way from the modules that hold the work."""
    for op in OPS:
        for module in modules:
            if hasattr(module, op):
                namespace[op] = getattr(module, op)
                break
    document(namespace)


def violations(module):
    """How `module` departs from the contract: a list of sentences, empty when it keeps it.

    Checked: every op is there, with `Backend`'s signature (names, kinds and defaults of
    its parameters) and a docstring; no other public function comes from the package;
    ``name`` is a string.
    """
    found = []
    for op in OPS:
        function = getattr(module, op, None)
        if not callable(function):
            found.append(f"{op} is missing")
            continue
        want = inspect.signature(getattr(Backend, op))
        want = want.replace(parameters=list(want.parameters.values())[1:])  # no self
        if inspect.signature(function) != want:
            found.append(f"{op}{inspect.signature(function)} differs from {op}{want}")
        if not (function.__doc__ or "").strip():
            found.append(f"{op} has no docstring")
    extra = sorted(n for n, o in vars(module).items()
                   if inspect.isfunction(o) and not n.startswith("_") and n not in OPS
                   and o.__module__.startswith("kernels"))
    found += [f"{n} is public but not in the contract" for n in extra]
    if not isinstance(getattr(module, "name", None), str):
        found.append("name is not a string")
    return found

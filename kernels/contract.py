"""The backend contract, written once: what every backend module exports and what its
trainers answer.

A backend module (``kernels.reference``, ``kernels.cpu``, ``kernels.cuda``; see
`kernels.get_backend`) exports `OPS`, each a function with the reference's signature, plus
``name`` (the backend's name). The NumPy reference's docstrings state each op's shapes
in the course's notation and its formula; `document` gives them to another backend's ops
that have none, so that ``help`` shows the same contract on every backend.
`make_trainer` returns a `Trainer`: the estimators talk to a fit's trainer through its
methods (`TRAINER`) alone.

`violations` lists how a module departs from the contract; ``tests/test_structure.py`` runs it
on every backend.
"""
import inspect
from typing import Protocol, runtime_checkable

#: The ops of every backend, by family.
OPS = (
    "linear_forward", "activation_forward", "activation_backward", "linear_backward",
    "output_delta",
    "binary_cross_entropy", "categorical_cross_entropy", "mean_squared_error", "l2_penalty",
    "dropout_mask", "dropout_forward", "dropout_backward",
    "gd_update", "momentum_update", "rmsprop_update", "adam_update", "optimizer_update",
    "standardize_fit", "standardize",
    "network_output", "network_cost", "cost_and_gradients", "train_epochs", "make_trainer",
    "num_threads", "warmup", "check_name",
)


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
TRAINER = tuple(Trainer.__annotations__) + tuple(
    n for n, f in vars(Trainer).items() if inspect.isfunction(f) and not n.startswith("_"))


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

    Checked: every op is there, with the reference's signature (names, kinds and defaults
    of its parameters) and a docstring; no other public function comes from the package;
    ``name`` is a string.
    """
    reference = _reference()
    found = []
    for op in OPS:
        function = getattr(module, op, None)
        if not callable(function):
            found.append(f"{op} is missing")
            continue
        want = inspect.signature(getattr(reference, op))
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

"""The backend contract, written once: what every backend module exports and what its
trainers answer.

A backend module (``kernels.reference``, ``kernels.cpu``, ``kernels.cuda``; see
`kernels.get_backend`) exports `OPS`, each a function with the reference's signature, plus
``name`` (the backend's name). The NumPy reference's docstrings state each op's shapes
in the course's notation and its formula; `document` gives them to another backend's ops
that have none, so that ``help`` shows the same contract on every backend.
`make_trainer` returns an object with `TRAINER`: ``check_finite()`` (whether the training
data X is finite, asked once before training), ``run(perms, lrs)`` (epochs of training),
``steps_per_epoch``, ``get_theta()`` and ``get_states()``.

`violations` lists how a module departs from the contract; ``tests/test_structure.py`` runs it
on every backend.
"""
import inspect

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
#: What a trainer from ``make_trainer`` answers.
TRAINER = ("check_finite", "run", "steps_per_epoch", "get_theta", "get_states")


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

"""The one way the kernels compile a second copy of a function body: `clone`.

The Numba CPU backend compiles each loop body twice (serial and parallel,
``cpu/_jit.serial_and_parallel``) and its fused network code once per output activation
(``cpu/small.FUSED``); `kernels.scalar.compiled` compiles the shared element helpers once
per backend. Each compiles clones of the Python function.
"""
from types import FunctionType


def clone(body, suffix="", namespace=None, **names):
    """A copy of the Python function `body`, named with `suffix`, to be compiled on its own.

    The copy reads its globals from `namespace` (by default `body`'s module's), with
    `names` in place of those globals: constants there decide branches before Numba types
    them, so the copy compiles only the branches its constants take, and functions there
    are the ones the copy calls. The suffix keeps the copy's cache entries apart from
    those of other copies.
    """
    if namespace is None:
        namespace = body.__globals__
    if names:
        namespace = dict(namespace, **names)
    copy = FunctionType(body.__code__, namespace, body.__name__ + suffix, body.__defaults__,
                        body.__closure__)
    copy.__qualname__ = body.__qualname__ + suffix
    copy.__doc__ = body.__doc__
    return copy

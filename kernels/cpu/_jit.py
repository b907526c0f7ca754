"""How Numba CPU kernels are compiled: cached, fast-math from config, serial and parallel."""
from types import FunctionType

from numba import njit

from .. import config


def jit(fn=None, inner=False, **options):
    """``njit`` with caching and the project's fast-math flags and error model; compiles on
    first call.

    inner: the function is called from compiled code only, so Numba builds neither its
    Python nor its C wrapper, which would cost compile time on a machine's first run.
    """
    if inner:
        options.update(no_cpython_wrapper=True, no_cfunc_wrapper=True)

    def wrap(f):
        return njit(cache=True, fastmath=set(config.FASTMATH), error_model=config.ERROR_MODEL,
                    **options)(f)
    return wrap if fn is None else wrap(fn)


def clone(body, suffix, **names):
    """A copy of the Python function `body`, named with `suffix`, in which the globals
    `names` stand for the module's own: constants there decide branches before Numba types
    them, so the copy compiles only the branches its constants take.

    The suffix keeps the copy's cache entries apart from those of other copies.
    """
    namespace = dict(body.__globals__, **names) if names else body.__globals__
    copy = FunctionType(body.__code__, namespace, body.__name__ + suffix, body.__defaults__,
                        body.__closure__)
    copy.__qualname__ = body.__qualname__ + suffix
    copy.__doc__ = body.__doc__
    return copy


def serial_and_parallel(body):
    """Compile one kernel body twice: with ``prange`` as ``range``, and in parallel."""
    return jit(clone(body, "_serial")), jit(body, parallel=True)

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


def serial_and_parallel(body):
    """Compile one kernel body twice: with ``prange`` as ``range``, and in parallel.

    The serial copy gets its own qualified name so that the two compilations
    keep separate cache entries.
    """
    serial = FunctionType(body.__code__, body.__globals__, body.__name__ + "_serial",
                          body.__defaults__, body.__closure__)
    serial.__qualname__ = body.__qualname__ + "_serial"
    serial.__doc__ = body.__doc__
    return jit(serial), jit(body, parallel=True)

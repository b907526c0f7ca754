"""How Numba CPU kernels are compiled: cached, fast-math from config, serial and parallel."""
from numba import njit

from .. import config
from ..clone import clone


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
    """Compile one kernel body twice: with ``prange`` as ``range``, and in parallel."""
    return jit(clone(body, "_serial")), jit(body, parallel=True)

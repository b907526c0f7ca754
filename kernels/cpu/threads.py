"""Numba's thread pool as the CPU kernels use it: which threading layer, how many threads, and
one caller at a time.

The layer is ``workqueue`` unless the user chose one (``NUMBA_THREADING_LAYER``, or
``numba.config.THREADING_LAYER`` set before the first parallel call). The ``omp`` layer
shares the process with every other OpenMP runtime loaded into it: with PyTorch's bundled
runtime loaded first, the two runtimes' workers competed for the cores and W3 trained
several times slower (figures in the README). ``workqueue`` is Numba's own pool of plain
threads, unaffected by what else is loaded, and its workers sleep when idle instead of
spinning.

``workqueue`` is not thread-safe: two Python threads launching parallel kernels at once
abort the process. The kernels hold the GIL, so no two launches overlap today, but a fit's
calls do interleave with another thread's between them, sharing the thread count that
`num_threads` sets. Every entry point into the CPU kernels therefore holds `LOCK`, so
concurrent callers (threads of a joblib or Dask worker, say) take turns, one whole fit at a
time, and a kernel that one day releases the GIL cannot abort the process.
"""
import contextlib
import functools
import os
import threading

import numba

#: The threading layer chosen when the user chose none.
LAYER = "workqueue"
#: Held by every call into the compiled kernels; re-entrant, since ops call ops.
LOCK = threading.RLock()


def choose_layer():
    """Select `LAYER` for Numba's pool, unless the user chose a layer; call before the pool
    starts (it starts at the first parallel call or thread-count query).

    Under an OpenMP layer, the user's choice, Numba's workers are asked to sleep when idle
    (``OMP_WAIT_POLICY=PASSIVE``, unless set): spinning workers starve BLAS's threads and
    the next launch on a machine with few cores.
    """
    chosen = "NUMBA_THREADING_LAYER" in os.environ or numba.config.THREADING_LAYER != "default"
    if not chosen:
        numba.config.THREADING_LAYER = LAYER
    if str(numba.config.THREADING_LAYER).lower() != "workqueue":
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def serialized(fn):
    """`fn` holding `LOCK` for the whole call."""
    @functools.wraps(fn)
    def locked(*args, **kwargs):
        with LOCK:
            return fn(*args, **kwargs)
    return locked


@contextlib.contextmanager
def num_threads(n):
    """Hold `LOCK` and run the enclosed code with Numba's thread count set to n (None:
    unchanged), then restore the count."""
    with LOCK:
        if n is None:
            yield
            return
        pool = numba.config.NUMBA_NUM_THREADS
        if int(n) > pool:
            raise ValueError(f"n_threads={n} is more than the {pool} threads of Numba's pool "
                             "(NUMBA_NUM_THREADS, fixed when Numba starts)")
        before = numba.get_num_threads()
        numba.set_num_threads(int(n))
        try:
            yield
        finally:
            numba.set_num_threads(before)

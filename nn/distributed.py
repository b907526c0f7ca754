"""Fits on a Dask cluster: the set-up its workers need for searches and streaming.

The package schedules nothing itself. Searches run through scikit-learn's searches and
joblib's Dask backend, and out-of-core training through ``dask_ml.wrappers.Incremental``
and `partial_fit`; this module only prepares the workers (pip install "nnkernels[dask]"):

>>> from dask.distributed import Client, LocalCluster
>>> cluster = LocalCluster(n_workers=2, threads_per_worker=1, env=nn.distributed.worker_env(1))
>>> client = Client(cluster)
>>> nn.distributed.prepare(client)         # threads, Numba cache, compiled kernels
>>> with joblib.parallel_config(backend="dask"):
...     GridSearchCV(nn.DeepNeuralNetwork(backend="numba", n_threads=1), grid).fit(X, y)

Three facts decide the set-up:

- Numba starts a pool of ``NUMBA_NUM_THREADS`` threads (all cores by default) when it is
  first imported, and dask.distributed does not set that variable: each worker process
  needs it in its environment before it starts (`worker_env`, passed as a LocalCluster's
  ``env`` or as the ``distributed.nanny.pre-spawn-environ`` setting).
  ``numba.set_num_threads`` is thread-local, so the estimators' ``n_threads`` (which each
  fit applies in the thread that runs it) is what a worker's tasks honour.
- Compiled kernels are cached on disk per node; `prepare` points each worker at a cache
  folder and compiles (or loads) the kernels once, before the first task.
- Two fits in threads of one worker process never run Numba's parallel kernels at once:
  the numba backend serializes its compiled calls on a process-wide lock (the workqueue
  threading layer aborts on concurrent use), so more threads per worker buy no speed.
"""
import os
import socket
import time

#: Thread-count variables of Numba and of the BLAS and OpenMP runtimes a worker may load.
THREAD_VARIABLES = ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                    "MKL_NUM_THREADS")


def worker_env(threads=1):
    """Environment for worker processes: every thread pool of a fit sized `threads`.

    Pass it to ``LocalCluster(env=...)``, or set it with
    ``dask.config.set({"distributed.nanny.pre-spawn-environ": worker_env(1)})`` before the
    workers start: the pools are sized when Numba and BLAS are first imported.
    """
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    return {name: str(threads) for name in THREAD_VARIABLES}


def prepare(client, backend="numba", dtypes=("float64",), cache_dir=None):
    """Ready every worker of a ``dask.distributed.Client`` for fits on `backend`.

    On each worker: point Numba's cache at `cache_dir` (a folder per node; ``{host}`` in it
    becomes the worker's host name; None keeps ``NUMBA_CACHE_DIR`` or Numba's default) and
    compile, or load from that cache, the kernels of a fit, a predict and a cost in each
    of `dtypes`.

    Returns
    -------
    dict
        Per worker address: its host, Numba's thread pool size, the cache folder, and the
        seconds the kernels took to be ready.
    """
    from .base import DTYPES
    from .validation import check_choice
    check_choice("backend", backend, ("numpy", "numba", "cuda"))
    for dtype in dtypes:
        check_choice("dtype", dtype, DTYPES)
    return client.run(_prepare_worker, backend, tuple(dtypes), cache_dir)


def _prepare_worker(backend, dtypes, cache_dir):
    host = socket.gethostname()
    if cache_dir is not None:
        folder = os.path.abspath(str(cache_dir).format(host=host))
        os.makedirs(folder, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = folder  # read when Numba is first imported
    import numba

    import kernels
    if cache_dir is not None:
        numba.config.CACHE_DIR = folder  # where Numba was imported already
    started = time.perf_counter()
    for dtype in dtypes:  # what nn.warmup does, the names checked by `prepare`
        kernels.get_backend(backend).warmup(dtype)
    return {"host": host, "numba_threads": int(numba.config.NUMBA_NUM_THREADS),
            "cache_dir": numba.config.CACHE_DIR or None,
            "warmup_seconds": time.perf_counter() - started}

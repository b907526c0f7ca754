"""asv benchmarks of nnkernels. Thread counts are pinned here, before NumPy or Numba load,
so that results from different runs compare: NN_BENCH_THREADS (default 2) threads for
Numba, OpenMP and the BLAS libraries, and the passive OpenMP wait policy."""
import os

_THREADS = os.environ.get("NN_BENCH_THREADS", "2")
for _var in ("NUMBA_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, _THREADS)
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

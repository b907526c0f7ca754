"""Seeded, cached inputs of the benchmarks; the workloads W1 to W3 live in nn.workloads.

Append new inputs; don't change existing ones, or older results stop being comparable.
"""
import functools
import os
import statistics
import timeit

import numpy as np

import kernels
import nn
from nn import workloads

#: Workload sizes: "full" as specified in the README, "quick" runs in seconds (CI smoke run).
SIZE = os.environ.get("NN_BENCH_SIZE", "full")


def workload(name, size=None):
    """(X, y, estimator keyword arguments) of workload `name` at `size` ("full" or "quick")."""
    return workloads.workload(name, quick=(size or SIZE) == "quick")


def estimator(name, backend, size=None):
    X, y, params = workload(name, size)
    return nn.DeepNeuralNetwork(backend=backend, **params), X, y


def fit_warm(model, X, y):
    """Fit `model` until its fits are warm: once, and on the numba backend once more after
    the processes that compile a first fit's training loop in the background (on a cold
    cache) have exited, so that the fit has loaded the compiled loop."""
    model.fit(X, y)
    if model.backend == "numba":
        import kernels.cpu
        if kernels.cpu.engine._wait_for_compiles():
            model.fit(X, y)
    return model


def cuda_available():
    """Whether a real GPU (not the simulator) is there for backend="cuda"."""
    return "cuda" in workloads.available_backends()


#: Backends every benchmark is parametrized over; "cuda" raises NotImplementedError in setup
#: where there is no GPU, which asv reports as skipped.
BACKENDS = ["numpy", "numba", "cuda"]

#: Layer shapes (n_l, n_{l-1}, m) of the per-op benchmarks.
LAYER_SIZES = {"small": (16, 8, 64), "large": (512, 784, 256)}
if SIZE == "quick":
    LAYER_SIZES = {"small": LAYER_SIZES["small"]}


def backend_or_skip(name):
    """The kernel module of `name`; NotImplementedError (asv: skipped) for cuda without a GPU."""
    if name == "cuda" and not cuda_available():
        raise NotImplementedError("no CUDA GPU here")
    return kernels.get_backend(name)


@functools.lru_cache(maxsize=None)
def layer_inputs(size, dtype, seed=0):
    """W (n, k), b (n,), A_prev (k, m), dZ (n, m), Y (1, m) and a keep mask D (n, m)."""
    n, k, m = LAYER_SIZES[size]
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    return dict(W=(rng.normal(size=(n, k)) / np.sqrt(k)).astype(dt),
                b=rng.normal(size=n).astype(dt), A_prev=rng.normal(size=(k, m)).astype(dt),
                dZ=rng.normal(size=(n, m)).astype(dt), Y=(rng.random((1, m)) > 0.5).astype(dt),
                D=(rng.random((n, m)) < 0.8).astype(dt))


def median_time(fn, repeat=5):
    """Median seconds of one call of fn, each sample averaged over enough calls for 0.05 s.

    At quick size (the test suite's smoke run, which checks that benchmarks run, not their
    figures) one call is one sample.
    """
    timer = timeit.Timer(fn)
    if SIZE == "quick":
        return timer.timeit(1)
    number, _ = timer.autorange()
    number = max(1, number // 4)
    return statistics.median(t / number for t in timer.repeat(repeat, number))


def blas_epoch(sizes, batch, m, dtype):
    """A function that runs one epoch's matrix products through NumPy's matmul alone: per
    mini-batch of `batch` columns, Z_l = W_l A_{l-1} and dW_l = dZ_l A_{l-1}^T for every
    layer, and dA_{l-1} = W_l^T dZ_l above the first, into preallocated outputs. A network
    (layer widths `sizes`) cannot train an epoch of m examples faster than this."""
    rng = np.random.default_rng(0)
    dt = np.dtype(dtype)

    def rand(*shape):
        return rng.random(shape, dtype=np.float64).astype(dt)

    def step_products(mb):
        calls = []
        for l in range(1, len(sizes)):
            n, k = sizes[l], sizes[l - 1]
            W, A, dZ = rand(n, k), rand(k, mb), rand(n, mb)
            calls.append((W, A, np.empty((n, mb), dt)))
            calls.append((dZ, A.T, np.empty((n, k), dt)))
            if l > 1:
                calls.append((W.T, dZ, np.empty((k, mb), dt)))
        return calls

    full, last = divmod(m, batch)
    steps = [(step_products(batch), full)] + ([(step_products(last), 1)] if last else [])

    def epoch():
        for calls, count in steps:
            for _ in range(count):
                for a, b, out in calls:
                    np.matmul(a, b, out=out)
    return epoch


def blas_floor(sizes, batch, m, dtype, repeat=5):
    """Median seconds of `blas_epoch`."""
    return median_time(blas_epoch(sizes, batch, m, dtype), repeat)


def speedup(fn, baseline, repeat=5):
    """How many times faster fn runs than baseline, medians measured side by side."""
    return median_time(baseline, repeat) / median_time(fn, repeat)

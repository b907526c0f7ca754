"""End-to-end benchmarks: one fit of the standard workloads W1 to W3 (see common.WORKLOADS).

`setup` fits until the fits are warm (`common.fit_warm`), so compilation (and the cache
load) stays out of the timings.
``track_speedup`` times the numpy backend and this backend side by side and returns the
ratio; ``peakmem_fit`` is the process's peak memory over a fit. W3's
``track_fraction_of_blas_floor`` divides the time of the fit's matrix products alone,
through NumPy's matmul in the same run, by the fit's time.
"""
import time

import nn
from benchmarks.common import (BACKENDS, backend_or_skip, blas_floor, estimator, fit_warm,
                               median_time)
from kernels import config
from nn.workloads import classification_data


class _Workload:
    params = [BACKENDS]
    param_names = ["backend"]
    timeout = 1200

    def setup(self, backend):
        backend_or_skip(backend)
        self.model, self.X, self.y = estimator(self.name, backend)
        fit_warm(self.model, self.X, self.y)

    def time_fit(self, backend):
        self.model.fit(self.X, self.y)

    def peakmem_fit(self, backend):
        self.model.fit(self.X, self.y)

    def track_speedup(self, backend):
        baseline, X, y = estimator(self.name, "numpy")
        baseline.fit(X, y)
        fit = lambda: self.model.fit(self.X, self.y)  # noqa: E731
        return median_time(lambda: baseline.fit(X, y), 3) / median_time(fit, 3)

    track_speedup.unit = "x"


class W1TinyNetwork(_Workload):
    """2-5-2-1, 300 samples, batch 64, adam, float64."""
    name = "W1"


class W2CatNetwork(_Workload):
    """12288-20-7-5-1, 209 samples, full-batch gradient descent, float64."""
    name = "W2"


class W3WideNetwork(_Workload):
    """784-512-256-1, 60,000 samples, batch 256, adam, float32."""
    name = "W3"

    def track_fraction_of_blas_floor(self, backend):
        model, X = self.model, self.X
        sizes = (X.shape[1],) + tuple(model.hidden_layer_sizes) + (1,)
        batch = model.batch_size or X.shape[0]
        floor = blas_floor(sizes, batch, X.shape[0], model.dtype, 3) * model.epochs
        time.sleep(0.3)  # NumPy's BLAS workers stop spinning before the fit's own start
        return floor / median_time(lambda: model.fit(self.X, self.y), 3)

    track_fraction_of_blas_floor.unit = "fraction"


class NumbaTrainingLoops:
    """The numba backend's two training loops, the fused loop of small networks and the
    layer loop, side by side on networks around the threshold between them
    (``config.FUSED_MAX_WORK``, 2**18): W1, whose largest kernel has 640 multiply-adds, and
    2048 examples in batches of 64 through 50-64-1 (204,800) and 100-64-32-1 (409,600)."""
    params = [["W1", "50-64-1", "100-64-32-1"], ["fused", "layers"]]
    param_names = ["network", "loop"]

    def setup(self, network, loop):
        self.saved = config.FUSED_MAX_WORK
        config.FUSED_MAX_WORK = 1 << 62 if loop == "fused" else 0
        if network == "W1":
            self.model, self.X, self.y = estimator("W1", "numba")
        else:
            sizes = [int(n) for n in network.split("-")]
            self.X, self.y = classification_data(2048, sizes[0])
            self.model = nn.DeepNeuralNetwork(hidden_layer_sizes=tuple(sizes[1:-1]),
                                              batch_size=64, epochs=5, optimizer="adam",
                                              backend="numba", random_state=0)
        fit_warm(self.model, self.X, self.y)

    def teardown(self, network, loop):
        config.FUSED_MAX_WORK = self.saved

    def time_fit(self, network, loop):
        self.model.fit(self.X, self.y)

"""The standard training workloads W1 to W3, shared by `nnkernels bench` and the asv suite."""
import functools

import numpy as np

#: name -> (m, n_features, hidden layers, estimator parameters, epochs)
WORKLOADS = {
    "W1": (300, 2, (5, 2), dict(batch_size=64, optimizer="adam", learning_rate=0.01,
                                dtype="float64"), 200),
    "W2": (209, 12288, (20, 7, 5), dict(batch_size=None, optimizer="gd", learning_rate=0.0075,
                                        initialization="xavier", dtype="float64"), 100),
    "W3": (60000, 784, (512, 256), dict(batch_size=256, optimizer="adam", learning_rate=1e-3,
                                        dtype="float32"), 1),
}
#: Quick sizes (m, epochs), for smoke runs: seconds instead of minutes.
QUICK = {"W1": (300, 20), "W2": (209, 10), "W3": (4096, 1)}
DESCRIPTIONS = {"W1": "2-5-2-1, 300 samples, batch 64, adam, float64",
                "W2": "12288-20-7-5-1, 209 samples, full-batch gd, float64",
                "W3": "784-512-256-1, 60,000 samples, batch 256, adam, float32"}


@functools.lru_cache(maxsize=None)
def classification_data(m, n_features, dtype="float64", seed=0):
    """X (m, n_features) uniform in [0, 1) and binary y from a random linear boundary."""
    rng = np.random.default_rng(seed)
    X = rng.random((m, n_features), dtype=np.dtype(dtype))
    score = X @ rng.normal(size=n_features)
    return X, (score > np.median(score)).astype(np.int64)


def workload(name, quick=False):
    """(X, y, estimator keyword arguments) of workload `name`."""
    m, n_features, hidden, params, epochs = WORKLOADS[name]
    if quick:
        m, epochs = QUICK[name]
    X, y = classification_data(m, n_features, params["dtype"])
    return X, y, dict(hidden_layer_sizes=hidden, epochs=epochs, random_state=0, **params)


def available_backends():
    """Backends that can train here: numpy, numba, and cuda when a real GPU is present."""
    import os
    names = ["numpy", "numba"]
    if os.environ.get("NUMBA_ENABLE_CUDASIM") != "1":
        try:
            from numba import cuda
            if cuda.is_available():
                names.append("cuda")
        except Exception:  # numba-cuda missing or no driver
            pass
    return names

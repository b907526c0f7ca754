"""Seeded, cached inputs and the standard training workloads W1 to W3.

Append new inputs; don't change existing ones, or older results stop being comparable.
"""
import functools
import os

import numpy as np

import nn

#: Workload sizes: "full" is what the issue tracker specifies, "quick" runs in seconds (CI).
SIZE = os.environ.get("NN_BENCH_SIZE", "full")


@functools.lru_cache(maxsize=None)
def classification_data(m, n_features, dtype="float64", seed=0):
    """X (m, n_features) in [0, 1) and binary y with a learnable boundary."""
    rng = np.random.default_rng(seed)
    X = rng.random((m, n_features), dtype=np.dtype(dtype))
    w = rng.normal(size=n_features)
    y = (X @ w > np.median(X @ w)).astype(np.int64)
    return X, y


#: name -> (m, hidden layers, estimator parameters, epochs); see the README's table.
WORKLOADS = {
    "W1": (300, 2, (5, 2), dict(batch_size=64, optimizer="adam", learning_rate=0.01,
                                dtype="float64"), 200),
    "W2": (209, 12288, (20, 7, 5), dict(batch_size=None, optimizer="gd", learning_rate=0.0075,
                                        initialization="xavier", dtype="float64"), 100),
    "W3": (60000, 784, (512, 256), dict(batch_size=256, optimizer="adam", learning_rate=1e-3,
                                        dtype="float32"), 1),
}
QUICK = {"W1": (300, 20), "W2": (209, 10), "W3": (4096, 1)}


def workload(name, size=None):
    """(X, y, estimator keyword arguments) of workload `name` at `size` ("full" or "quick")."""
    m, n_features, hidden, params, epochs = WORKLOADS[name]
    if (size or SIZE) == "quick":
        m, epochs = QUICK[name]
    X, y = classification_data(m, n_features, params["dtype"])
    return X, y, dict(hidden_layer_sizes=hidden, epochs=epochs, random_state=0, **params)


def estimator(name, backend, size=None):
    X, y, params = workload(name, size)
    return nn.DeepNeuralNetwork(backend=backend, **params), X, y


def cuda_available():
    """Whether a real GPU (not the simulator) is there for backend="cuda"."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return False
    try:
        from numba import cuda
    except ImportError:
        return False
    return cuda.is_available()

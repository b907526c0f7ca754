"""Train the course's flower network on generated data, on every backend that runs here.

    python examples/quickstart.py
"""
import time

import numpy as np

import nn


def flower(m=400, seed=1):
    """The course's planar "flower": two classes of petals, shape (m, 2) and (m,)."""
    rng = np.random.default_rng(seed)
    per_class = m // 2
    X, y = np.zeros((m, 2)), np.zeros(m, dtype=int)
    for j in range(2):
        ix = range(per_class * j, per_class * (j + 1))
        t = np.linspace(j * 3.12, (j + 1) * 3.12, per_class) + rng.normal(size=per_class) * 0.2
        r = 4 * np.sin(4 * t) + rng.normal(size=per_class) * 0.2
        X[ix] = np.column_stack([r * np.sin(t), r * np.cos(t)])
        y[ix] = j
    return X, y


X, y = flower()
X_train, X_dev, _, y_train, y_dev, _ = nn.train_dev_test_split(X, y, (0.8, 0.2, 0.0), random_state=0)
for backend in ["numpy", "numba", "cuda"]:
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(8,), activation="tanh", optimizer="adam",
                               learning_rate=0.01, batch_size=64, epochs=300, random_state=0,
                               backend=backend)
    start = time.perf_counter()
    try:
        net.fit(X_train, y_train)
    except (ImportError, RuntimeError, ValueError) as exc:
        print(f"{backend:>6}: not available here ({exc})")
        continue
    print(f"{backend:>6}: train accuracy {net.score(X_train, y_train):.1%}, "
          f"dev accuracy {net.score(X_dev, y_dev):.1%}, fit {time.perf_counter() - start:.2f} s")

"""Train the course's flower network on generated data, on every backend that runs here.

    python examples/quickstart.py
"""
import time

import nn

X, y = nn.datasets.make_planar(400, random_state=1)
X_train, X_dev, _, y_train, y_dev, _ = nn.train_dev_test_split(X, y, (0.8, 0.2, 0.0), random_state=0)
for backend in nn.workloads.available_backends():
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(8,), activation="tanh", optimizer="adam",
                               learning_rate=0.01, batch_size=64, epochs=300, random_state=0,
                               backend=backend)
    start = time.perf_counter()
    net.fit(X_train, y_train)
    print(f"{backend:>6}: train accuracy {net.score(X_train, y_train):.1%}, "
          f"dev accuracy {net.score(X_dev, y_dev):.1%}, fit {time.perf_counter() - start:.2f} s")

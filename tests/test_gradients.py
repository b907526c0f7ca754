"""Backpropagation against two-sided numerical gradients, threshold 1e-7 (float64)."""
import itertools

import numpy as np
import pytest

import kernels
import nn
from kernels.spec import NetSpec
from tests.conftest import BACKENDS, toy_classification

CASES = list(itertools.product(["sigmoid", "tanh", "relu", "leaky_relu"],
                               ["sigmoid", "softmax", "identity"], [0.0, 0.5], [False, True]))


def _problem(output, rng):
    n_out = {"sigmoid": 1, "softmax": 3, "identity": 2}[output]
    X = rng.normal(size=(4, 7))
    if output == "sigmoid":
        Y = (rng.random((1, 7)) > 0.5).astype(float)
    elif output == "softmax":
        Y = np.eye(3)[:, rng.integers(0, 3, 7)]
    else:
        Y = rng.normal(size=(2, 7))
    return X, Y, n_out


def relative_difference(a, b):
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("activation,output,l2,dropout", CASES)
def test_backprop_matches_numerical_gradient(backend, activation, output, l2, dropout):
    rng = np.random.default_rng(CASES.index((activation, output, l2, dropout)))
    X, Y, n_out = _problem(output, rng)
    keep = (1.0, 0.7, 0.8, 1.0) if dropout else None
    spec = NetSpec((4, 5, 3, n_out), activation, output, slope=0.05, l2=l2, keep_probs=keep)
    ops = kernels.get_backend(backend)
    theta = rng.normal(size=spec.n_params)
    seed, step = (99, 4) if dropout else (None, 0)
    _, grad = ops.cost_and_gradients(theta, X, Y, spec, seed, step)
    grad = np.asarray(grad)
    eps = 1e-7
    approx = np.empty_like(theta)
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[i] += eps
        minus[i] -= eps
        approx[i] = (ops.cost_and_gradients(plus, X, Y, spec, seed, step)[0]
                     - ops.cost_and_gradients(minus, X, Y, spec, seed, step)[0]) / (2 * eps)
    assert relative_difference(approx, grad) < 1e-7
    dW1 = spec.unpack(grad)[0][0]
    assert np.count_nonzero(dW1) > 0  # the error reached the first layer
    if dropout:  # the mask really removed units, so the check covered dropout
        no_drop = np.asarray(ops.cost_and_gradients(theta, X, Y, spec)[1])
        assert relative_difference(no_drop, grad) > 1e-3


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("model", [
    nn.LogisticRegression(epochs=5, l2=0.1, random_state=0),
    nn.DeepNeuralNetwork(hidden_layer_sizes=(6, 4), activation="tanh", l2=0.3, epochs=3,
                         random_state=0),
    nn.DeepNeuralNetworkRegressor(hidden_layer_sizes=(5,), activation="sigmoid", epochs=3,
                                  random_state=0),
])
def test_gradient_check_on_fitted_models(backend, model):
    X, y = toy_classification(n=30, n_classes=3)
    model.set_params(backend=backend).fit(X, y)
    assert nn.gradient_check(model, X, y) < 1e-7


def test_gradient_check_catches_a_wrong_gradient(monkeypatch):
    X, y = toy_classification(n=20)
    model = nn.DeepNeuralNetwork(hidden_layer_sizes=(4,), epochs=2, random_state=0).fit(X, y)
    good = model.gradients(X, y)
    monkeypatch.setattr(type(model), "gradients",
                        lambda self, X, y, sample_weight=None: [(dW * 1.01, db)
                                                                for dW, db in good])
    assert nn.gradient_check(model, X, y) > 1e-4

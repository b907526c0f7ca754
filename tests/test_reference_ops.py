"""Every NumPy reference op against the naive per-example formulas (float64, rtol 1e-12)."""
import numpy as np
import pytest

from kernels import reference as ref
from tests import naive

TOL = dict(rtol=1e-12, atol=1e-13)
HIDDEN = ["sigmoid", "tanh", "relu", "leaky_relu", "identity"]


@pytest.mark.parametrize("activation", HIDDEN + ["softmax"])
@pytest.mark.parametrize("shape", [(1, 1), (3, 1), (1, 7), (5, 4, 9)])
def test_linear_forward(rng, activation, shape):
    n, m = shape[0], shape[-1]
    n_prev = shape[1] if len(shape) == 3 else 2
    W, b, A_prev = rng.normal(size=(n, n_prev)), rng.normal(size=n), rng.normal(size=(n_prev, m)) * 3
    Z, A = ref.linear_forward(W, b, A_prev, activation, slope=0.07)
    Zn, An = naive.linear_forward(W, b, A_prev, activation, slope=0.07)
    np.testing.assert_allclose(Z, Zn, **TOL)
    np.testing.assert_allclose(A, An, **TOL)


@pytest.mark.parametrize("activation", HIDDEN)
def test_activation_backward(rng, activation):
    Z, dA = rng.normal(size=(4, 6)) * 3, rng.normal(size=(4, 6))
    np.testing.assert_allclose(ref.activation_backward(dA, Z, activation, 0.2),
                               naive.activation_backward(dA, Z, activation, 0.2), **TOL)


def test_sigmoid_and_softmax_never_overflow():
    Z = np.array([[-1000.0, -30.0, 0.0, 30.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise"):
        S = ref.activation_forward(Z, "sigmoid")
        P = ref.activation_forward(np.vstack([Z, -Z]), "softmax")
    assert np.all(np.isfinite(S)) and S[0, 0] == 0.0 and S[0, -1] == 1.0
    np.testing.assert_allclose(P.sum(axis=0), 1.0)


@pytest.mark.parametrize("l2", [0.0, 0.7])
def test_linear_backward(rng, l2):
    dZ, A_prev, W = rng.normal(size=(3, 5)), rng.normal(size=(4, 5)), rng.normal(size=(3, 4))
    dW, db, dA_prev = ref.linear_backward(dZ, A_prev, W, l2)
    dWn, dbn, dAn = naive.linear_backward(dZ, A_prev, W, l2)
    np.testing.assert_allclose(dW, dWn, **TOL)
    np.testing.assert_allclose(db, dbn, **TOL)
    np.testing.assert_allclose(dA_prev, dAn, **TOL)
    assert ref.linear_backward(dZ, A_prev, W, l2, need_dA_prev=False)[2] is None


@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_costs(rng, l2):
    weights = [rng.normal(size=(3, 2)), rng.normal(size=(1, 3))]
    Z1, y1 = rng.normal(size=(1, 8)) * 4, (rng.random((1, 8)) > 0.5).astype(float)
    assert ref.binary_cross_entropy(Z1, y1, weights, l2) == pytest.approx(
        naive.binary_cross_entropy(Z1, y1, weights, l2), rel=1e-12)
    Zc = rng.normal(size=(4, 8)) * 4
    Yc = np.eye(4)[:, rng.integers(0, 4, 8)]
    assert ref.categorical_cross_entropy(Zc, Yc, weights, l2) == pytest.approx(
        naive.categorical_cross_entropy(Zc, Yc, weights, l2), rel=1e-12)
    Yr = rng.normal(size=(4, 8))
    assert ref.mean_squared_error(Zc, Yr, weights, l2) == pytest.approx(
        naive.mean_squared_error(Zc, Yr, weights, l2), rel=1e-12)


def test_cross_entropy_from_logits_stays_finite():
    Z = np.array([[800.0, -800.0]])
    Y = np.array([[0.0, 1.0]])
    assert ref.binary_cross_entropy(Z, Y) == pytest.approx(800.0)
    Zc = np.array([[800.0], [-800.0]])
    assert ref.categorical_cross_entropy(Zc, np.array([[0.0], [1.0]])) == pytest.approx(1600.0)


def test_output_delta(rng):
    AL, Y = rng.random((3, 4)), rng.random((3, 4))
    np.testing.assert_array_equal(ref.output_delta(AL, Y), AL - Y)


def test_dropout_forward_backward(rng):
    A, dA = rng.normal(size=(5, 7)), rng.normal(size=(5, 7))
    D = ref.dropout_mask(3, 4, 1, A.shape, 0.6)
    Dn = naive.dropout_mask(3, 4, 1, A.shape, 0.6)
    np.testing.assert_array_equal(D, Dn)
    for i in range(5):
        for j in range(7):
            assert ref.dropout_forward(A, D, 0.6)[i, j] == pytest.approx(A[i, j] * Dn[i, j] / 0.6)
            assert ref.dropout_backward(dA, D, 0.6)[i, j] == pytest.approx(dA[i, j] * Dn[i, j] / 0.6)


def test_standardize(rng):
    X = rng.normal(size=(3, 50)) * [[1.0], [5.0], [0.0]] + 2
    mean, std = ref.standardize_fit(X)
    for i in range(3):
        row = list(X[i])
        mu = sum(row) / len(row)
        sd = (sum((v - mu) ** 2 for v in row) / len(row)) ** 0.5
        assert mean[i] == pytest.approx(mu, rel=1e-12)
        assert std[i] == pytest.approx(sd if sd > 0 else 1.0, rel=1e-12)
    Xs = ref.standardize(X, mean, std)
    np.testing.assert_allclose(Xs[:2].mean(axis=1), 0, atol=1e-12)
    np.testing.assert_allclose(Xs[:2].std(axis=1), 1, rtol=1e-12)
    np.testing.assert_allclose(Xs[2], 0, atol=1e-12)


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
def test_network_cost_matches_naive(rng, output):
    from kernels.spec import NetSpec
    n_out = 3 if output != "sigmoid" else 1
    spec = NetSpec((4, 5, 3, n_out), "tanh", output, l2=0.2)
    theta = rng.normal(size=spec.n_params)
    X = rng.normal(size=(4, 6))
    Y = np.eye(3)[:, rng.integers(0, 3, 6)] if output == "softmax" else (
        rng.normal(size=(3, 6)) if output == "identity" else (rng.random((1, 6)) > .5) * 1.0)
    layers = [(W.copy(), b.copy()) for W, b in spec.unpack(theta)]
    assert ref.network_cost(theta, X, Y, spec) == pytest.approx(
        naive.network_cost(layers, X, Y, "tanh", output, l2=0.2), rel=1e-12)
    cost, _ = ref.cost_and_gradients(theta, X, Y, spec)
    assert cost == pytest.approx(ref.network_cost(theta, X, Y, spec), rel=1e-12)

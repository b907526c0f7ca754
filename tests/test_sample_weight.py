"""sample_weight in fit, partial_fit, score, cost, gradients and gradient_check.

The weighted cost of a data set is J = (sum_i s_i L_i + lambda/2 sum_l ||W_l||^2) / sum_i s_i.
Tolerances: weights against repeated or removed rows 1e-10 (float64, full batch); backends
against the reference 1e-8 after training, as without weights; weights of ones give the
parameters of no weights bit for bit (and the reference's cost to 1e-14).
"""
import numpy as np
import pytest

import nn
from tests.conftest import BACKENDS, HAS_NUMBA_CUDA, toy_classification

ALL_BACKENDS = BACKENDS + (["cuda"] if HAS_NUMBA_CUDA else [])
KINDS = {  # estimator, its keyword arguments, and its targets from (X, labels)
    "logistic": (nn.LogisticRegression, dict(learning_rate=0.1, l2=0.3),
                 lambda X, y: (y > 0) * 1),
    "softmax": (nn.DeepNeuralNetwork, dict(hidden_layer_sizes=(5, 3), activation="tanh",
                                           l2=0.3, learning_rate=0.01), lambda X, y: y),
    "regressor": (nn.DeepNeuralNetworkRegressor,
                  dict(hidden_layer_sizes=(4,), activation="relu", l2=0.3,
                       learning_rate=0.01), lambda X, y: X[:, 0] - 2 * X[:, 1]),
}


@pytest.fixture
def small_cuda(monkeypatch_cuda):
    """Small launches for the simulator (conftest)."""


def _data(n=30):
    X, labels = toy_classification(n=n, n_classes=3)
    weights = np.random.default_rng(1).integers(0, 4, n)
    weights[0] = 2  # some example counts twice
    return X, labels, weights


@pytest.mark.parametrize("backend", ALL_BACKENDS)
@pytest.mark.parametrize("kind", list(KINDS))
def test_integer_weights_train_as_repeated_rows(backend, kind, small_cuda):
    cls, kw, target = KINDS[kind]
    X, labels, s = _data()
    y = target(X, labels)
    kw = dict(kw, batch_size=None, epochs=15, optimizer="adam", random_state=0,
              backend=backend)
    weighted = cls(**kw).fit(X, y, sample_weight=s)
    repeated = cls(**kw).fit(np.repeat(X, s, axis=0), np.repeat(y, s, axis=0))
    np.testing.assert_allclose(weighted._theta, repeated._theta, rtol=0, atol=1e-10)
    kept = s > 0  # a zero weight removes the row
    removed = cls(**kw).fit(X[kept], y[kept], sample_weight=s[kept])
    np.testing.assert_allclose(weighted._theta, removed._theta, rtol=0, atol=1e-10)
    assert weighted.cost(X, y, s) == pytest.approx(repeated.cost(np.repeat(X, s, 0),
                                                                 np.repeat(y, s, 0)), abs=1e-12)


@pytest.mark.parametrize("backend", ALL_BACKENDS)
def test_weights_of_ones_change_nothing(backend, small_cuda):
    X, labels, _ = _data(40)
    kw = dict(hidden_layer_sizes=(6, 4), batch_size=8, keep_prob=0.8, epochs=3,
              random_state=2, backend=backend)
    plain = nn.DeepNeuralNetwork(**kw).fit(X, labels)
    ones = nn.DeepNeuralNetwork(**kw).fit(X, labels, sample_weight=np.ones(40))
    assert np.array_equal(plain._theta, ones._theta)
    # the reference sums a weighted cost in another order: equal to the last bits
    np.testing.assert_allclose(plain.history_["loss"], ones.history_["loss"], rtol=1e-14)


@pytest.mark.parametrize("backend", [b for b in ALL_BACKENDS if b != "numpy"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_backends_equal_the_reference_with_weights(backend, kind, small_cuda):
    cls, kw, target = KINDS[kind]
    X, labels, _ = _data(50)
    y = target(X, labels)
    s = np.random.default_rng(3).random(50) * 3
    kw = dict(kw, batch_size=16, epochs=4, optimizer="adam", random_state=5)
    if cls is not nn.LogisticRegression:
        kw["keep_prob"] = 0.9
    want = cls(backend="numpy", **kw).fit(X, y, sample_weight=s)
    got = cls(backend=backend, **kw).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(got._theta, want._theta, rtol=0, atol=1e-8)
    np.testing.assert_allclose(got.history_["loss"], want.history_["loss"], rtol=1e-10)
    assert got.cost(X, y, s) == pytest.approx(want.cost(X, y, s), rel=1e-10)


def test_each_mini_batch_is_normalized_by_its_size_times_the_mean_weight():
    """Two steps of gradient descent, by hand: J_b = (sum_b s_i L_i + lambda/2 ||W||^2) /
    (m_b * mean(s)) with the course's binary cross-entropy, differentiated numerically."""
    X, labels, s = _data(10)
    s = s + 0.5
    y = (labels > 0) * 1.0
    lr, l2 = 0.5, 0.3
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(), initialization="zeros", optimizer="gd",
                               learning_rate=lr, l2=l2, batch_size=5, shuffle=False, epochs=1)
    net.fit(X, y, sample_weight=s)

    def batch_cost(theta, rows):
        W, b = theta[:3].reshape(1, 3), theta[3:]
        Z = W @ X[rows].T + b[:, None]
        losses = np.maximum(Z, 0) - Z * y[rows] + np.log1p(np.exp(-np.abs(Z)))
        return (losses[0] @ s[rows] + l2 / 2 * np.sum(W * W)) / (len(rows) * s.mean())

    theta = np.zeros(4)
    for rows in (np.arange(5), np.arange(5, 10)):
        grad = np.array([(batch_cost(theta + e, rows) - batch_cost(theta - e, rows)) / 2e-7
                         for e in np.eye(4) * 1e-7])
        theta = theta - lr * grad
    np.testing.assert_allclose(net._theta, theta, rtol=0, atol=1e-8)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "leaky_relu"])
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
def test_gradient_check_with_weights(backend, activation, output):
    X, labels, _ = _data(12)
    s = np.random.default_rng(4).random(12) * 2
    y = {"sigmoid": labels > 0, "softmax": labels, "identity": X[:, 0]}[output]
    cls = nn.DeepNeuralNetworkRegressor if output == "identity" else nn.DeepNeuralNetwork
    model = cls(hidden_layer_sizes=(5, 3), activation=activation, l2=0.2, epochs=2,
                backend=backend, random_state=0).fit(X, y, sample_weight=s)
    assert nn.gradient_check(model, X, y, sample_weight=s) < 1e-7
    unweighted = np.concatenate([g.ravel() for pair in model.gradients(X, y) for g in pair])
    weighted = np.concatenate([g.ravel() for pair in model.gradients(X, y, s) for g in pair])
    assert np.linalg.norm(weighted - unweighted) > 1e-3 * np.linalg.norm(unweighted)


def test_partial_fit_with_weights_continues_like_fit():
    X, labels, s = _data(40)
    kw = dict(hidden_layer_sizes=(4,), batch_size=8, optimizer="adam", random_state=1)
    fitted = nn.DeepNeuralNetwork(epochs=3, **kw).fit(X, labels, sample_weight=s)
    streamed = nn.DeepNeuralNetwork(**kw)
    for _ in range(3):
        streamed.partial_fit(X, labels, classes=[0, 1, 2], sample_weight=s)
    np.testing.assert_allclose(streamed._theta, fitted._theta, rtol=0, atol=1e-10)


def test_weighted_scores():
    X, labels, s = _data(30)
    clf = nn.DeepNeuralNetwork(hidden_layer_sizes=(3,), epochs=3, random_state=0).fit(X, labels)
    right = clf.predict(X) == labels
    assert clf.score(X, labels, sample_weight=s) == pytest.approx(s @ right / s.sum())
    assert clf.score(X, labels, sample_weight=np.ones(30)) == pytest.approx(clf.score(X, labels))
    metrics = pytest.importorskip("sklearn.metrics")
    y = X[:, 0] * 2
    reg = nn.DeepNeuralNetworkRegressor(hidden_layer_sizes=(3,), epochs=5,
                                        random_state=0).fit(X, y)
    assert reg.score(X, y, sample_weight=s) == pytest.approx(
        metrics.r2_score(y, reg.predict(X), sample_weight=s), rel=1e-12)


@pytest.mark.parametrize("bad,message", [
    (-np.ones(10), "non-negative"),
    (np.r_[np.nan, np.ones(9)], "NaN or infinity"),
    (np.ones(9), "sample_weight has 9 entries but X has 10 samples"),
    (np.zeros(10), "sums to zero"),
    (np.ones((10, 1)), "1-D"),
])
def test_bad_weights_are_refused_and_change_nothing(bad, message):
    X, labels, _ = _data(10)
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(3,), epochs=2, random_state=0).fit(X, labels)
    theta, n_iter = net._theta.copy(), net.n_iter_
    for call in (lambda: net.fit(X, labels, sample_weight=bad),
                 lambda: net.partial_fit(X, labels, sample_weight=bad),
                 lambda: net.score(X, labels, sample_weight=bad),
                 lambda: net.cost(X, labels, sample_weight=bad)):
        with pytest.raises(ValueError, match=message):
            call()
    assert np.array_equal(net._theta, theta) and net.n_iter_ == n_iter


def test_early_stopping_splits_the_weights_with_the_data():
    X, labels, _ = _data(40)
    s = np.r_[np.zeros(20), np.ones(20)]
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(3,), epochs=3, early_stopping=True,
                               validation_fraction=0.25, random_state=0)
    net.fit(X, labels, sample_weight=s)
    assert len(net.history_["val_loss"]) == 3


@pytest.mark.skipif("numba" not in BACKENDS, reason="numba is not installed")
@pytest.mark.parametrize("path", ["fused", "layers", "gram"])
def test_every_numba_training_path_weighs_like_the_reference(path, monkeypatch):
    """The fused loop, the layer kernels' loop, and its Gram path (full-batch gradient
    descent with more features than examples)."""
    from kernels import config
    from kernels.cpu import engine
    rng = np.random.default_rng(7)
    if path == "gram":
        X = rng.normal(size=(20, 120))
        kw = dict(optimizer="gd", batch_size=None, epochs=12, learning_rate=0.05)
    else:
        X = rng.normal(size=(40, 4))
        kw = dict(optimizer="adam", batch_size=16, epochs=3, keep_prob=0.9, learning_rate=0.01)
    monkeypatch.setattr(config, "FUSED_MAX_WORK", 1 << 62 if path == "fused" else 0)
    grams, gram_buffers = [], engine._gram_buffers
    monkeypatch.setattr(engine, "_gram_buffers", lambda *a: grams.append(1) or gram_buffers(*a))
    y, s = (X[:, 0] > 0) * 1, rng.random(len(X)) * 2
    kw.update(hidden_layer_sizes=(5,), l2=0.4, random_state=0)
    want = nn.DeepNeuralNetwork(backend="numpy", **kw).fit(X, y, sample_weight=s)
    got = nn.DeepNeuralNetwork(backend="numba", **kw).fit(X, y, sample_weight=s)
    np.testing.assert_allclose(got._theta, want._theta, rtol=0, atol=1e-8)
    assert bool(grams) == (path == "gram")  # the path under test really ran


@pytest.mark.skipif("numba" not in BACKENDS, reason="numba is not installed")
@pytest.mark.parametrize("shape", [(1, 37), (5, 200), (2048, 1030)])  # the last runs parallel
@pytest.mark.parametrize("dtype,tol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_cost_ops_equal_the_reference_with_and_without_weights(shape, dtype, tol):
    import kernels
    from kernels import reference as ref
    cpu = kernels.get_backend("numba")
    rng = np.random.default_rng(8)
    Z = (rng.normal(size=shape) * 3).astype(dtype)
    labels = rng.integers(0, shape[0], shape[1])
    targets = {"binary_cross_entropy": (Z[:1], (rng.random((1, shape[1])) > 0.5).astype(dtype)),
               "categorical_cross_entropy": (Z, np.eye(shape[0], dtype=dtype)[:, labels]),
               "mean_squared_error": (Z, rng.normal(size=shape).astype(dtype))}
    s = rng.random(shape[1]) * 2
    for name, (ZL, Y) in targets.items():
        for w in (None, s):
            got = getattr(cpu, name)(ZL, Y, [ZL], 0.3, sample_weight=w)
            want = getattr(ref, name)(ZL.astype(np.float64), Y.astype(np.float64),
                                      [ZL.astype(np.float64)], 0.3, sample_weight=w)
            assert got == pytest.approx(want, rel=tol), (name, w is None)

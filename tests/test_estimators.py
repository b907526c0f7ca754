"""The estimators' contract: shapes, labels, fitted attributes, early stopping, dtypes, errors."""
import numpy as np
import pytest
import scipy.sparse

import nn
from kernels.spec import OPTIMIZERS, NetSpec
from nn.initializers import initial_theta
from tests import naive
from tests.conftest import toy_classification


def test_binary_labels_of_any_kind():
    X, y = toy_classification(n=80)
    labels = np.where(y == 1, "cat", "non-cat")
    clf = nn.DeepNeuralNetwork(hidden_layer_sizes=(8,), epochs=60, learning_rate=0.01,
                               random_state=0).fit(X, labels)
    assert list(clf.classes_) == ["cat", "non-cat"]
    assert clf.params_[-1][0].shape == (1, 8)  # one sigmoid unit for two classes
    proba = clf.predict_proba(X)
    assert proba.shape == (80, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    pred = clf.predict(X)
    assert set(pred) <= {"cat", "non-cat"}
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, labels) > 0.85


def test_multiclass_softmax():
    X, y = toy_classification(n=90, n_classes=4)
    clf = nn.DeepNeuralNetwork(hidden_layer_sizes=(10,), epochs=80, learning_rate=0.01,
                               random_state=0).fit(X, y + 10)
    assert clf.params_[-1][0].shape == (4, 10)
    assert clf.predict_proba(X).shape == (90, 4)
    np.testing.assert_allclose(clf.predict_proba(X).sum(axis=1), 1.0)
    assert clf.score(X, y + 10) > 0.8


def test_fitted_attributes_and_shapes():
    X, y = toy_classification(n=50, n_features=5)
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(20, 7, 5), epochs=7, random_state=3).fit(X, y)
    assert [W.shape for W, _ in net.params_] == [(20, 5), (7, 20), (5, 7), (1, 5)]
    assert [b.shape for _, b in net.params_] == [(20,), (7,), (5,), (1,)]
    assert net.n_features_in_ == 5 and net.n_iter_ == 7
    assert len(net.history_["loss"]) == 7 and set(net.history_) == {"loss"}
    grads = net.gradients(X, y)
    assert [g[0].shape for g in grads] == [W.shape for W, _ in net.params_]
    assert net.cost(X, y) == pytest.approx(
        naive.network_cost([(W, b) for W, b in net.params_], X.T, (y[None, :] == 1) * 1.0,
                           "relu", "sigmoid"), rel=1e-12)


@pytest.mark.parametrize("init,activation,expect", [
    ("zeros", "relu", lambda n_prev: 0.0), ("random", "relu", lambda n_prev: 0.05),
    ("xavier", "relu", lambda n_prev: np.sqrt(1 / n_prev)),
    ("he", "tanh", lambda n_prev: np.sqrt(2 / n_prev)),
    (None, "relu", lambda n_prev: np.sqrt(2 / n_prev)),
    (None, "tanh", lambda n_prev: np.sqrt(1 / n_prev))])
def test_initialization_scales(init, activation, expect):
    spec = NetSpec((400, 300, 1), activation)
    from nn.base import BaseNetwork  # noqa: F401
    name = init or ("he" if activation == "relu" else "xavier")
    theta = initial_theta(spec, name, 0.05, np.random.default_rng(0), np.float64)
    W = spec.unpack(theta)[0][0]
    assert W.std() == pytest.approx(expect(400), rel=0.02, abs=1e-12)
    assert not np.any(spec.unpack(theta)[0][1])


def test_same_seed_same_initial_weights_whatever_the_optimizer():
    X, y = toy_classification(n=20)
    first = {}
    for opt in OPTIMIZERS:
        for dtype in ["float64", "float32"]:
            net = nn.DeepNeuralNetwork(hidden_layer_sizes=(5,), optimizer=opt, dtype=dtype,
                                       keep_prob=0.9, epochs=1, learning_rate=1e-300,
                                       random_state=11).fit(X, y)
            W = net.params_[0][0].astype(np.float64)
            first.setdefault("W", W)
            np.testing.assert_allclose(W, first["W"], rtol=1e-6)


def test_logistic_regression_is_the_course_model():
    X, y = toy_classification(n=60, n_features=4)
    lr = nn.LogisticRegression(learning_rate=0.1, epochs=50).fit(X, y)
    assert lr.coef_.shape == (1, 4) and lr.intercept_.shape == (1,)
    # Hand-rolled course loop: zeros init, full batch, w -= lr * X^T(a - y)/m.
    w, b = np.zeros(4), 0.0
    for _ in range(50):
        a = 1 / (1 + np.exp(-(X @ w + b)))
        w, b = w - 0.1 * X.T @ (a - y) / 60, b - 0.1 * np.mean(a - y)
    np.testing.assert_allclose(lr.coef_[0], w, rtol=1e-10)
    assert lr.intercept_[0] == pytest.approx(b, rel=1e-10)


def test_minibatch_sizes_and_sgd():
    X, y = toy_classification(n=23)
    for batch in [1, 5, 23, 100, None]:
        net = nn.DeepNeuralNetwork(hidden_layer_sizes=(3,), batch_size=batch, epochs=2,
                                   random_state=0).fit(X, y)
        assert np.all(np.isfinite(net.history_["loss"]))


def test_keep_prob_per_layer_and_predict_without_dropout():
    X, y = toy_classification(n=40)
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(6, 4), keep_prob=(0.5, 0.9), epochs=3,
                               random_state=0).fit(X, y)
    assert net._spec.keep_probs == (1.0, 0.5, 0.9, 1.0)
    np.testing.assert_array_equal(net.predict_proba(X), net.predict_proba(X))
    with pytest.raises(ValueError, match="keep_prob has 3 entries but there are 2"):
        net.set_params(keep_prob=(0.5, 0.5, 0.5)).fit(X, y)


def test_early_stopping_keeps_best_parameters():
    X, y = toy_classification(n=200)
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(30, 30), learning_rate=0.05, epochs=500,
                               early_stopping=True, n_iter_no_change=5, random_state=0)
    net.fit(X, y)
    val = net.history_["val_loss"]
    assert net.n_iter_ < 500 and len(val) == net.n_iter_ == len(net.history_["loss"])
    best = int(np.argmin(val))
    assert net.n_iter_ == best + 1 + 5
    assert min(val) < val[-1]
    # the kept parameters are the best epoch's: refit for best+1 epochs and compare
    again = nn.DeepNeuralNetwork(**{**net.get_params(), "early_stopping": False,
                                    "epochs": best + 1})
    # same split: hold out the same validation rows the first fit used
    order = np.random.default_rng(np.random.SeedSequence(0).spawn(4)[2]).permutation(200)
    again.fit(X[order[20:]], y[order[20:]])
    for (W1, b1), (W2, b2) in zip(net.params_, again.params_):
        np.testing.assert_array_equal(W1, W2)


def test_validation_data_history():
    X, y = toy_classification(n=60)
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(4,), epochs=3, random_state=0)
    net.fit(X[:40], y[:40], X_val=X[40:], y_val=y[40:])
    assert len(net.history_["val_loss"]) == len(net.history_["val_score"]) == 3
    assert net.history_["val_loss"][-1] == pytest.approx(net.cost(X[40:], y[40:]))
    assert net.history_["val_score"][-1] == net.score(X[40:], y[40:])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_dtypes_stay(dtype):
    X, y = toy_classification(n=30)
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(4,), optimizer="adam", epochs=3, dtype=dtype,
                               random_state=0).fit(X, y)
    assert all(W.dtype == dtype and b.dtype == dtype for W, b in net.params_)
    assert all(s.dtype == dtype for s in net._opt_states)
    assert net.predict_proba(X).dtype == dtype
    assert all(g.dtype == dtype for pair in net.gradients(X, y) for g in pair)


def test_float32_tracks_float64():
    X, y = toy_classification(n=50)
    kw = dict(hidden_layer_sizes=(6,), epochs=20, batch_size=10, random_state=0)
    a = nn.DeepNeuralNetwork(dtype="float64", **kw).fit(X, y)
    b = nn.DeepNeuralNetwork(dtype="float32", **kw).fit(X, y)
    for (Wa, _), (Wb, _) in zip(a.params_, b.params_):
        np.testing.assert_allclose(Wb, Wa, rtol=1e-3, atol=1e-4)


def test_regressor():
    r = np.random.default_rng(0)
    X = r.uniform(-1, 1, size=(200, 2))
    y = np.sin(2 * X[:, 0]) + X[:, 1] ** 2
    reg = nn.DeepNeuralNetworkRegressor(hidden_layer_sizes=(20, 20), activation="tanh",
                                        learning_rate=0.01, epochs=200, batch_size=32,
                                        random_state=0).fit(X, y)
    assert reg.predict(X).shape == (200,)
    assert reg.score(X, y) > 0.9
    Y2 = np.column_stack([y, -y])
    reg2 = reg.set_params(epochs=5).fit(X, Y2)
    assert reg2.predict(X).shape == (200, 2)


def test_standardizer_and_split():
    r = np.random.default_rng(0)
    X = r.normal(3, 5, size=(100, 3))
    Xs = nn.Standardizer().fit(X[:60]).transform(X)
    np.testing.assert_allclose(Xs[:60].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Xs[:60].std(axis=0), 1, rtol=1e-12)
    parts = nn.train_dev_test_split(X, np.arange(100), (0.6, 0.2, 0.2), random_state=0)
    assert [len(p) for p in parts] == [60, 20, 20, 60, 20, 20]
    assert sorted(np.concatenate(parts[3:])) == list(range(100))
    np.testing.assert_array_equal(parts[0], X[parts[3]])


BAD = [
    (dict(activation="swish"), ValueError, r"activation='swish'.*'relu'"),
    (dict(optimizer="sgd"), ValueError, r"optimizer='sgd'.*'adam'"),
    (dict(backend="jax"), ValueError, r"backend='jax'.*'numba'"),
    (dict(dtype="float16"), ValueError, r"dtype='float16'"),
    (dict(learning_rate=-1.0), ValueError, r"learning_rate=-1.0 is out of range"),
    (dict(keep_prob=0.0), ValueError, r"keep_prob=0.0 is out of range"),
    (dict(keep_prob=1.5), ValueError, r"keep_prob=1.5"),
    (dict(beta1=1.0), ValueError, r"beta1=1.0"),
    (dict(epochs=0), ValueError, r"epochs=0"),
    (dict(epochs=2.5), TypeError, r"epochs must be an integer"),
    (dict(batch_size=0), ValueError, r"batch_size=0"),
    (dict(hidden_layer_sizes=(3, 0)), ValueError, r"hidden_layer_sizes entry=0"),
    (dict(lr_decay="cosine"), ValueError, r"lr_decay='cosine'"),
    (dict(initialization="glorot"), ValueError, r"initialization='glorot'"),
    (dict(l2=-0.1), ValueError, r"l2=-0.1"),
]


@pytest.mark.parametrize("params,error,message", BAD)
def test_bad_hyperparameters(params, error, message):
    X, y = toy_classification(n=10)
    with pytest.raises(error, match=message):
        nn.DeepNeuralNetwork(**{"epochs": 1, **params}).fit(X, y)


def test_bad_inputs():
    X, y = toy_classification(n=10)
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(3,), epochs=1)
    with pytest.raises(nn.NotFittedError, match="not fitted"):
        net.predict(X)
    assert issubclass(nn.NotFittedError, ValueError) and issubclass(nn.NotFittedError, AttributeError)
    with pytest.raises(ValueError, match=r"2-D.*X\.reshape\(-1, 1\) for one feature or "
                                         r"X\.reshape\(1, -1\) for one sample"):
        net.fit(X[:, 0], y)
    with pytest.raises(ValueError, match=r"2-D .*got shape \(10, 3, 1\)$"):
        net.fit(X[:, :, None], y)
    with pytest.raises(TypeError, match=r"X is a sparse matrix \(csr_matrix\).*X\.toarray\(\)"):
        net.fit(scipy.sparse.csr_matrix(X), y)
    with pytest.raises(ValueError, match="NaN or infinity"):
        net.fit(np.where(X > 1, np.nan, X), y)
    with pytest.raises(ValueError, match="9 samples but X has 10"):
        net.fit(X, y[:9])
    with pytest.raises(ValueError, match="at least two"):
        net.fit(X, np.zeros(10))
    with pytest.raises(TypeError, match="numeric"):
        net.fit(np.array([["a", "b"]] * 10), y)
    with pytest.raises(ValueError, match=r"empty: 0 sample\(s\) \(shape=\(0, 3\)\)"):
        net.fit(np.zeros((0, 3)), [])
    with pytest.raises(ValueError, match="Complex data not supported"):
        net.fit(X + 1j, y)
    with pytest.raises(ValueError, match="requires y to be passed, but the target y is None"):
        net.fit(X, None)
    with pytest.raises(TypeError, match="not every entry is a number"):
        net.fit(np.array([[1, {"a": 1}, 2]] * 10, dtype=object), y)
    net.fit(X, y)
    with pytest.raises(ValueError, match="X has 2 features, but DeepNeuralNetwork is expecting 3 "
                                         "features as input"):
        net.predict(X[:, :2])


def test_a_legacy_random_state_draws_the_courses_initial_weights(tmp_path):
    """random_state=np.random.RandomState(3) with xavier: W_l = randn(n_l, n_{l-1}) /
    sqrt(n_{l-1}) drawn in order, as after the course's np.random.seed(3); the model still
    saves (the generator is stored as None) and two such fits are identical."""
    X = np.random.default_rng(0).normal(size=(20, 2))
    y = np.arange(20) % 2

    def fit():
        return nn.DeepNeuralNetwork(hidden_layer_sizes=(4,), initialization="xavier",
                                    optimizer="gd", learning_rate=1e-300, epochs=1,
                                    batch_size=None, keep_prob=0.9,
                                    random_state=np.random.RandomState(3)).fit(X, y)
    model = fit()
    draws = np.random.RandomState(3)
    W1, W2 = draws.randn(4, 2) / np.sqrt(2), draws.randn(1, 4) / np.sqrt(4)
    np.testing.assert_allclose(model.params_[0][0], W1, rtol=1e-15)
    np.testing.assert_allclose(model.params_[1][0], W2, rtol=1e-15)
    np.testing.assert_array_equal(fit()._theta, model._theta)
    model.save(tmp_path / "m.npz")
    assert nn.load(tmp_path / "m.npz").get_params()["random_state"] is None

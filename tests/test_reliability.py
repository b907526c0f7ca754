"""Numerical safety, accepted inputs, warm starts, checkpoints and interruptions."""
import warnings

import numpy as np
import pytest

import nn
from tests.conftest import (
    BACKENDS,
    assert_refit_refused_leaves_model,
    toy_classification,
)


@pytest.mark.parametrize("backend", BACKENDS)
def test_divergence_stops_with_finite_parameters(backend):
    X, y = toy_classification(n=40)
    X = X * 1e3
    net = nn.DeepNeuralNetworkRegressor(hidden_layer_sizes=(8,), learning_rate=1e3,
                                        optimizer="gd", epochs=50, batch_size=None,
                                        backend=backend, random_state=0)
    with pytest.warns(nn.TrainingDivergedWarning, match="NaN or infinite"):
        net.fit(X, y * 1e6)
    assert net.n_iter_ < 50 and len(net.history_["loss"]) == net.n_iter_
    assert all(np.all(np.isfinite(W)) and np.all(np.isfinite(b)) for W, b in net.params_)
    assert np.all(np.isfinite(net.history_["loss"]))
    assert np.all(np.isfinite(net.predict(X[:3]) if net.n_iter_ else 0))


@pytest.mark.parametrize("backend", BACKENDS)
def test_accepted_input_forms_train_identically(backend):
    X, y = toy_classification(n=30, n_features=4)
    kw = dict(hidden_layer_sizes=(5,), epochs=3, batch_size=100, backend=backend, random_state=1)
    ref = nn.DeepNeuralNetwork(**kw).fit(X, y)
    labels = np.array(["no", "yes"])[y]
    wide = np.zeros((30, 8))
    wide[:, ::2] = X
    forms = {
        "fortran": (np.asfortranarray(X), y),
        "strided view": (wide[:, ::2], y),
        "list": (X.tolist(), y.tolist()),
        "string labels": (X, labels),
        "float32 input": (X.astype(np.float32).astype(np.float64), y),
    }
    for name, (Xf, yf) in forms.items():
        model = nn.DeepNeuralNetwork(**kw).fit(Xf, yf)
        for (Wa, _), (Wb, _) in zip(ref.params_, model.params_):
            tol = 1e-6 if name == "float32 input" else 0
            np.testing.assert_allclose(Wb, Wa, rtol=tol, atol=tol, err_msg=name)
    assert list(nn.DeepNeuralNetwork(**kw).fit(X, labels).classes_) == ["no", "yes"]
    ints = nn.DeepNeuralNetwork(**kw).fit((X * 10).astype(np.int64), y)
    assert ints.params_[0][0].dtype == np.float64


@pytest.mark.parametrize("backend", BACKENDS)
def test_warm_start_continues_exactly(backend):
    X, y = toy_classification(n=50)
    kw = dict(hidden_layer_sizes=(6, 3), optimizer="adam", keep_prob=0.8, batch_size=16,
              lr_decay="inverse", decay_rate=0.3, backend=backend, random_state=4)
    whole = nn.DeepNeuralNetwork(epochs=8, **kw).fit(X, y)
    half = nn.DeepNeuralNetwork(epochs=4, warm_start=True, **kw).fit(X, y)
    half.fit(X, y)
    assert half.n_iter_ == 8 and len(half.history_["loss"]) == 8
    np.testing.assert_allclose(half.history_["loss"], whole.history_["loss"], rtol=1e-12)
    for (Wa, ba), (Wb, bb) in zip(whole.params_, half.params_):
        np.testing.assert_allclose(Wb, Wa, rtol=1e-12, atol=1e-15)


def test_warm_start_after_load_and_architecture_check(tmp_path):
    X, y = toy_classification(n=40)
    kw = dict(hidden_layer_sizes=(5,), batch_size=8, random_state=2)
    whole = nn.DeepNeuralNetwork(epochs=6, **kw).fit(X, y)
    nn.DeepNeuralNetwork(epochs=3, **kw).fit(X, y).save(tmp_path / "m.npz")
    resumed = nn.load(tmp_path / "m.npz").set_params(warm_start=True).fit(X, y)
    np.testing.assert_allclose(resumed.params_[0][0], whole.params_[0][0], rtol=1e-12)
    with pytest.raises(ValueError, match="warm_start needs the fitted architecture"):
        resumed.set_params(hidden_layer_sizes=(7,)).fit(X, y)
    with pytest.raises(ValueError, match="labels outside classes_"):
        resumed.set_params(hidden_layer_sizes=(5,)).fit(X, y + 5)


def test_checkpoints_during_fit(tmp_path):
    X, y = toy_classification(n=40)
    path = tmp_path / "ckpt.npz"
    seen = {}

    def look(epoch, history):
        if path.exists():
            seen[epoch] = nn.load(path).n_iter_

    nn.DeepNeuralNetwork(hidden_layer_sizes=(4,), epochs=7, checkpoint_path=path,
                         checkpoint_every=3, random_state=0).fit(X, y, callback=look)
    assert seen[3] == 3 and seen[6] == 6 and seen[5] == 3
    assert nn.load(path).n_iter_ == 7
    with pytest.raises(ValueError, match="checkpoint_every needs a checkpoint_path"):
        nn.DeepNeuralNetwork(checkpoint_every=2).fit(X, y)


@pytest.mark.parametrize("backend", BACKENDS)
def test_interrupted_fit_keeps_last_completed_epoch(backend):
    X, y = toy_classification(n=40)
    kw = dict(hidden_layer_sizes=(4,), batch_size=8, backend=backend, random_state=0)

    def interrupt(epoch, history):
        if epoch == 4:
            raise KeyboardInterrupt

    net = nn.DeepNeuralNetwork(epochs=10, **kw)
    with pytest.raises(KeyboardInterrupt):
        net.fit(X, y, callback=interrupt)
    four = nn.DeepNeuralNetwork(epochs=4, **kw).fit(X, y)
    assert net.n_iter_ == 4 and len(net.history_["loss"]) == 4
    np.testing.assert_allclose(net.params_[0][0], four.params_[0][0], rtol=1e-12)
    assert net.predict(X).shape == (40,)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("why", ["X_val features", "validation split", "y_val samples"])
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_refused_refit_leaves_the_fitted_model(backend, why, kind):
    """A refit with other features and classes, refused by a check after the first ones,
    leaves the fitted model as it was (it used to keep the refused data's n_features_in_ and
    classes_ beside the old parameters)."""
    X, y = toy_classification(n=30)
    X2, y2 = toy_classification(n=30, n_features=5, seed=1)
    model = nn.DeepNeuralNetwork if kind == "classifier" else nn.DeepNeuralNetworkRegressor
    net = model(hidden_layer_sizes=(4,), epochs=3, backend=backend, random_state=0).fit(X, y)
    y2 = y2 + 7 if kind == "classifier" else np.stack([y2, y2], axis=1)
    if why == "validation split":
        net.set_params(early_stopping=True, validation_fraction=0.99)
    refit, match = {
        "X_val features": (lambda n: n.fit(X2, y2, X2[:4, :3], y2[:4]), "X_val has 3 features"),
        "validation split": (lambda n: n.fit(X2, y2), "leaves no training examples"),
        "y_val samples": (lambda n: n.fit(X2, y2, X2[:4], y2[:3]), "y_val has 3 samples"),
    }[why]
    assert_refit_refused_leaves_model(net, X, y, refit, match)


def test_adaptive_chunks_match_one_call(monkeypatch):
    from nn import base
    X, y = toy_classification(n=30)
    kw = dict(hidden_layer_sizes=(4,), epochs=12, batch_size=8, random_state=0, backend="numba")
    one = nn.DeepNeuralNetwork(**kw).fit(X, y)
    monkeypatch.setattr(base, "_CHUNK_SECONDS", 1e-9)  # every chunk a single epoch
    many = nn.DeepNeuralNetwork(**kw).fit(X, y)
    np.testing.assert_array_equal(one.params_[0][0], many.params_[0][0])
    np.testing.assert_array_equal(one.history_["loss"], many.history_["loss"])


def test_extreme_logits_stay_finite():
    X = np.array([[1e4], [-1e4], [2e4], [-2e4]])
    y = np.array([1, 0, 1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        clf = nn.LogisticRegression(learning_rate=1.0, epochs=3).fit(X, y)
        proba = clf.predict_proba(X)
    assert np.all(np.isfinite(proba)) and np.isfinite(clf.cost(X, y))

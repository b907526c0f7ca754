"""nn.diagnose, the exponentially weighted average of plot_cost, and learning curves."""
import numpy as np
import pytest

import nn
from nn.diagnosis import Diagnosis, advice, verdict
from nn.plot import ewa
from tests.conftest import data_file, toy_classification


class _Fixed:
    """A fitted classifier whose accuracy on each set is given by hand."""

    _estimator_type = "classifier"
    n_features_in_ = 2
    params_ = []

    def __init__(self, accuracies):
        self.accuracies = accuracies

    def score(self, X, y):
        return self.accuracies[len(X)]

    def get_params(self):
        return dict(hidden_layer_sizes=(8, 4), l2=0.0, keep_prob=1.0, epochs=50,
                    optimizer="adam", early_stopping=False)


def test_report_arithmetic_on_hand_made_numbers():
    model = _Fixed({10: 0.92, 5: 0.80})  # train error 0.08, dev error 0.20
    report = nn.diagnose(model, np.zeros((10, 2)), np.zeros(10), np.zeros((5, 2)), np.zeros(5),
                         baseline_error=0.05)
    assert report.metric == "error rate"
    assert report.train_error == pytest.approx(0.08) and report.dev_error == pytest.approx(0.20)
    assert report.avoidable_bias == pytest.approx(0.03)
    assert report.variance == pytest.approx(0.12)
    assert report.verdict == "high variance"
    assert "l2=0.1" in str(report) and "keep_prob=0.85" in str(report)
    assert len(str(report).splitlines()) == 2  # short: nn train prints it
    high_bias = nn.diagnose(_Fixed({10: 0.70, 5: 0.68}), np.zeros((10, 2)), np.zeros(10),
                            np.zeros((5, 2)), np.zeros(5))
    assert high_bias.verdict == "high bias"
    assert high_bias.avoidable_bias == pytest.approx(0.30)
    assert "hidden_layer_sizes=(16, 8)" in str(high_bias) and "epochs=100" in str(high_bias)


def test_verdict_and_advice_rules():
    assert verdict(0.1, 0.02, 0.01) == "high bias"
    assert verdict(0.02, 0.1, 0.01) == "high variance"
    assert verdict(0.005, 0.004, 0.01) == "low bias and low variance"
    logistic = nn.LogisticRegression(epochs=10, l2=0.5)
    steps = advice(logistic, "high bias")
    assert any("hidden layers" in s for s in steps) and any("l2=0.05" in s for s in steps)
    assert advice(nn.DeepNeuralNetwork(keep_prob=0.8, l2=0.2), "high variance")[1:3] == (
        "L2 regularization: l2=2", "dropout: keep_prob=0.65")


def test_verdicts_on_models_built_to_underfit_and_to_overfit():
    rng = np.random.default_rng(0)
    X, y = nn.datasets.make_planar(400, random_state=1)
    X_dev, y_dev = X[300:], y[300:]
    tiny = nn.DeepNeuralNetwork(hidden_layer_sizes=(1,), epochs=2, learning_rate=1e-3,
                                random_state=0).fit(X[:300], y[:300])
    under = nn.diagnose(tiny, X[:300], y[:300], X_dev, y_dev)
    assert under.verdict == "high bias" and under.avoidable_bias > 0.2
    Xn = rng.normal(size=(40, 2))
    yn = (Xn[:, 0] + rng.normal(scale=1.0, size=40) > 0) * 1  # noisy labels
    Xd = rng.normal(size=(400, 2))
    yd = (Xd[:, 0] + rng.normal(scale=1.0, size=400) > 0) * 1
    wide = nn.DeepNeuralNetwork(hidden_layer_sizes=(200, 200), epochs=600, learning_rate=0.003,
                                batch_size=None, random_state=0).fit(Xn, yn)
    over = nn.diagnose(wide, Xn, yn, Xd, yd, baseline_error=0.1)
    assert over.verdict == "high variance" and over.variance > 0.1


def test_regressors_use_the_mean_squared_error():
    X, _ = toy_classification(n=60)
    y = X[:, 0] * 3
    reg = nn.DeepNeuralNetworkRegressor(hidden_layer_sizes=(4,), epochs=5,
                                        random_state=0).fit(X[:40], y[:40])
    report = nn.diagnose(reg, X[:40], y[:40], X[40:], y[40:], baseline_error=0.5)
    assert report.metric == "mean squared error"
    assert report.train_error == pytest.approx(np.mean((reg.predict(X[:40]) - y[:40]) ** 2))
    assert report.dev_error == pytest.approx(np.mean((reg.predict(X[40:]) - y[40:]) ** 2))
    assert report.avoidable_bias == pytest.approx(report.train_error - 0.5)


def test_bad_input_gets_clear_errors():
    X, y = toy_classification(n=30)
    with pytest.raises(nn.NotFittedError):
        nn.diagnose(nn.DeepNeuralNetwork(), X, y, X, y)
    model = nn.DeepNeuralNetwork(hidden_layer_sizes=(3,), epochs=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match=r"baseline_error=1.5 is out of range"):
        nn.diagnose(model, X, y, X, y, baseline_error=1.5)
    with pytest.raises(ValueError, match="y_dev has 29 samples but X_dev has 30"):
        nn.diagnose(model, X, y, X, y[:29])
    with pytest.raises(ValueError, match="X_train has 2 features, but DeepNeuralNetwork"):
        nn.diagnose(model, X[:, :2], y, X, y)


def test_ewa_matches_its_formula_with_bias_correction():
    x = np.array([3.0, 1.0, 4.0, 1.0, 5.0])
    beta = 0.9
    v, want = 0.0, []
    for t, value in enumerate(x, start=1):
        v = beta * v + (1 - beta) * value
        want.append(v / (1 - beta ** t))
    np.testing.assert_allclose(ewa(x, beta), want, rtol=1e-15)
    assert ewa(x, beta)[0] == 3.0  # the correction removes the start-up bias toward 0
    np.testing.assert_array_equal(ewa(x, 0.0), x)
    with pytest.raises(ValueError, match="beta"):
        ewa(x, 1.0)


def test_plots_are_written_and_read_back(tmp_path):
    pytest.importorskip("matplotlib")
    pytest.importorskip("sklearn")
    from matplotlib.image import imread
    from nn import plot
    X, y = nn.datasets.make_moons(120, noise=0.2, random_state=0)
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(5,), epochs=20, random_state=0).fit(X, y)
    plot.plot_cost(net, path=tmp_path / "cost.png")
    plot.plot_learning_curve(nn.DeepNeuralNetwork(hidden_layer_sizes=(5,), epochs=10,
                                                  random_state=0),
                             X, y, path=tmp_path / "curve.png")
    for name in ("cost.png", "curve.png"):
        assert (tmp_path / name).stat().st_size > 0
        assert imread(tmp_path / name).ndim == 3


def test_learning_curve_without_sklearn_says_what_to_install(monkeypatch):
    import builtins
    from nn import plot
    real_import = builtins.__import__

    def no_sklearn(name, *args, **kwargs):
        if name.startswith("sklearn"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)
    monkeypatch.setattr(builtins, "__import__", no_sklearn)
    with pytest.raises(ImportError, match="pip install scikit-learn"):
        plot.plot_learning_curve(nn.DeepNeuralNetwork(), np.zeros((4, 2)), np.arange(4) % 2)


def test_football_diagnoses_follow_the_course():
    """From the course's initial weights (np.random.seed(3)), the unregularized net scores
    the course's 94.8% / 91.5% and reads as high variance; L2 (the course's 93.8% / 93%)
    and dropout both shrink the variance."""
    from nn.course import FOOTBALL_BASELINE
    X, y, X_val, y_val = nn.datasets.load_mat(data_file("data.mat"))
    reports, scores = {}, {}
    for name, extra in (("none", {}), ("l2", {"l2": 0.7}), ("dropout", {"keep_prob": 0.86})):
        model = nn.DeepNeuralNetwork(hidden_layer_sizes=(20, 3), initialization="xavier",
                                     optimizer="gd", learning_rate=0.3, batch_size=None,
                                     epochs=30000, random_state=np.random.RandomState(3),
                                     backend="numba", **extra).fit(X, y)
        reports[name] = nn.diagnose(model, X, y, X_val, y_val, FOOTBALL_BASELINE)
        scores[name] = round(model.score(X, y), 3), round(model.score(X_val, y_val), 3)
    assert scores["none"] == (0.948, 0.915) and scores["l2"] == (0.938, 0.93)
    assert reports["none"].verdict == "high variance"
    assert reports["l2"].variance < reports["none"].variance - 0.02
    assert reports["dropout"].variance < reports["none"].variance - 0.01
    assert isinstance(reports["l2"], Diagnosis)

"""scikit-learn compatibility: check_estimator, clone, Pipeline and GridSearchCV.

scikit-learn is a test-only dependency; the package never imports it on its own.
"""
import subprocess
import sys

import numpy as np
import pytest

import nn
from tests.conftest import BACKENDS, HAS_NUMBA_CUDA, toy_classification

sklearn = pytest.importorskip("sklearn")
from sklearn import exceptions as skx  # noqa: E402
from sklearn.base import clone  # noqa: E402
from sklearn.utils import estimator_checks  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402


def test_clone_keeps_params():
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(3, 2), keep_prob=(0.5, 0.9), l2=0.2)
    twin = clone(net)
    assert twin is not net and twin.get_params() == net.get_params()


def test_pipeline_and_grid_search():
    X, y = toy_classification(n=90)
    pipe = make_pipeline(StandardScaler(), nn.DeepNeuralNetwork(hidden_layer_sizes=(6,), epochs=40,
                                                                learning_rate=0.01, random_state=0))
    pipe.fit(X, y)
    assert pipe.score(X, y) > 0.8
    grid = GridSearchCV(nn.DeepNeuralNetwork(hidden_layer_sizes=(6,), epochs=30, random_state=0),
                        {"learning_rate": [1e-4, 0.02], "l2": [0.0, 0.1]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_["learning_rate"] == 0.02
    assert grid.best_estimator_.score(X, y) > 0.8
    reg = GridSearchCV(nn.DeepNeuralNetworkRegressor(hidden_layer_sizes=(4,), epochs=5),
                       {"learning_rate": [0.01]}, cv=2).fit(X, X[:, 0])
    assert np.isfinite(reg.best_score_)


def test_set_params_rejects_unknown():
    with pytest.raises(ValueError, match="invalid parameter 'alpha'"):
        nn.LogisticRegression().set_params(alpha=1)


def _checked(backend, cls_kw):
    cls, kw = cls_kw
    return cls(backend=backend, **kw)


# Few epochs at a larger learning rate: enough for check_classifiers_train's accuracy bar.
CHECKED = [(nn.LogisticRegression, dict(epochs=100, learning_rate=0.1)),
           (nn.DeepNeuralNetwork, dict(hidden_layer_sizes=(8,), epochs=30, learning_rate=0.01)),
           (nn.DeepNeuralNetworkRegressor, dict(hidden_layer_sizes=(8,), epochs=30,
                                                learning_rate=0.01))]


@estimator_checks.parametrize_with_checks(
    [_checked(b, c) for b in BACKENDS for c in CHECKED])
def test_check_estimator(estimator, check):
    check(estimator)


SIMULATED_CHECKS = ["check_estimators_unfitted", "check_n_features_in_after_fitting",
                    "check_fit2d_predict1d", "check_supervised_y_2d"]


@pytest.mark.skipif(not HAS_NUMBA_CUDA, reason="numba-cuda is not installed")
@pytest.mark.parametrize("check_name", SIMULATED_CHECKS)
@pytest.mark.parametrize("cls", [nn.DeepNeuralNetwork, nn.DeepNeuralNetworkRegressor])
def test_check_estimator_subset_on_cuda(cls, check_name, monkeypatch_cuda):
    est = cls(hidden_layer_sizes=(3,), epochs=2, batch_size=None, backend="cuda")
    getattr(estimator_checks, check_name)(cls.__name__, est)


def test_not_fitted_error_is_both_classes():
    with pytest.raises(nn.NotFittedError) as ours:
        nn.DeepNeuralNetwork().predict(np.ones((2, 3)))
    assert isinstance(ours.value, skx.NotFittedError)
    assert isinstance(ours.value, ValueError) and isinstance(ours.value, AttributeError)
    import pickle
    again = pickle.loads(pickle.dumps(ours.value))
    assert isinstance(again, nn.NotFittedError) and again.args == ours.value.args


def test_without_sklearn_loaded_the_package_never_imports_it():
    code = ("import sys, numpy as np, nn\n"
            "try:\n    nn.DeepNeuralNetwork().predict(np.ones((2, 3)))\n"
            "except nn.NotFittedError as e:\n    assert type(e) is nn.NotFittedError\n"
            "X = np.arange(8.0).reshape(4, 2); y = np.array([[0], [1], [0], [1]])\n"
            "import warnings\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    nn.LogisticRegression(epochs=2).fit(X, y)\n"
            "assert w[0].category is nn.DataConversionWarning, w\n"
            "assert not any(m.startswith('sklearn') for m in sys.modules)\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_classifier_refuses_continuous_targets():
    X = np.random.default_rng(0).normal(size=(40, 3))
    with pytest.raises(ValueError, match="Unknown label type: continuous"):
        nn.DeepNeuralNetwork(epochs=1).fit(X, np.linspace(0, 1, 40))
    # real numbers that are whole are labels
    assert nn.LogisticRegression(epochs=1).fit(X, (X[:, 0] > 0) * 1.0).classes_.tolist() == [0, 1]

"""scikit-learn compatibility: clone, Pipeline and GridSearchCV (test-only dependency)."""
import numpy as np
import pytest

import nn
from tests.conftest import toy_classification

sklearn = pytest.importorskip("sklearn")
from sklearn.base import clone  # noqa: E402
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

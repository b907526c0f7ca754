"""The course's own data sets (skipped when ../shared/datasets is absent)."""
import pytest

import nn
from nn.datasets import load_catvnoncat, load_mat
from tests.conftest import data_file


def test_logistic_regression_on_cats_matches_the_course():
    data_file("train_catvnoncat.h5")
    X_train, y_train, X_test, y_test = load_catvnoncat(data_file("test_catvnoncat.h5").parent)
    assert X_train.shape == (209, 12288) and X_test.shape == (50, 12288)
    assert X_train.max() <= 1.0
    clf = nn.LogisticRegression(learning_rate=0.005, epochs=2000).fit(X_train, y_train)
    # the course reports 99% train and 70% test accuracy for this model
    assert clf.score(X_train, y_train) == pytest.approx(0.99, abs=0.005)
    assert clf.score(X_test, y_test) == pytest.approx(0.70, abs=1e-9)


def test_football_with_l2():
    X, y, X_val, y_val = load_mat(data_file("data.mat"))
    assert X.shape == (211, 2) and X_val.shape == (200, 2)
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(20, 3), initialization="xavier", optimizer="gd",
                               learning_rate=0.3, batch_size=None, epochs=30000, l2=0.7,
                               random_state=3).fit(X, y)
    assert net.score(X, y) > 0.9 and net.score(X_val, y_val) > 0.9

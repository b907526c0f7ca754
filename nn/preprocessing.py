"""Data preparation: standardization and train/dev/test splits."""
import numpy as np

import kernels

from . import validation as V
from .base import ParamsMixin
from .exceptions import not_fitted


class Standardizer(ParamsMixin):
    """Scale each feature to zero mean and unit variance, fitted on the training set.

    Parameters
    ----------
    backend : {"numpy", "numba", "cuda"}

    Attributes
    ----------
    mean_, std_ : ndarray of shape (n_features,)
        A feature of zero spread keeps std 1.
    """

    def __init__(self, backend="numpy"):
        self.backend = backend

    def fit(self, X, y=None):
        X = V.check_X(X)
        mean, std = kernels.get_backend(self.backend).standardize_fit(
            np.ascontiguousarray(X.T, dtype=np.float64))
        self.mean_, self.std_ = np.asarray(mean), np.asarray(std)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        if not hasattr(self, "mean_"):
            raise not_fitted("this Standardizer is not fitted yet; call fit first")
        X = V.check_X(X, n_features=self.n_features_in_, owner=type(self).__name__)
        Xs = kernels.get_backend(self.backend).standardize(
            np.ascontiguousarray(X.T, dtype=np.float64), self.mean_, self.std_)
        return np.ascontiguousarray(np.asarray(Xs).T)

    def fit_transform(self, X, y=None):
        return self.fit(X).transform(X)


def train_dev_test_split(X, y, fractions=(0.6, 0.2, 0.2), random_state=None):
    """Shuffle and split into train, dev and test sets.

    Parameters
    ----------
    X : array of shape (n_samples, n_features)
    y : array of shape (n_samples,)
    fractions : (train, dev, test) summing to 1
    random_state : int or None

    Returns
    -------
    X_train, X_dev, X_test, y_train, y_dev, y_test
    """
    X = V.check_X(X)
    y = np.asarray(y)
    if len(y) != len(X):
        raise ValueError(f"y has {len(y)} samples but X has {len(X)}")
    fr = np.asarray(fractions, dtype=np.float64)
    if fr.shape != (3,) or np.any(fr < 0) or not np.isclose(fr.sum(), 1.0):
        raise ValueError(f"fractions must be three non-negative numbers summing to 1, got {fractions!r}")
    order = np.random.default_rng(random_state).permutation(len(X))
    n_train = int(round(fr[0] * len(X)))
    n_dev = int(round(fr[1] * len(X)))
    parts = np.split(order, [n_train, n_train + n_dev])
    return (*(X[p] for p in parts), *(y[p] for p in parts))

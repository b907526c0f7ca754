"""Exceptions and warnings of the estimators, and scikit-learn's twins of them.

scikit-learn's tools catch its own `NotFittedError` and record its own
`DataConversionWarning`. Where the program has imported ``sklearn.exceptions`` (and only
code that names those classes needs them), `not_fitted` and `data_conversion` return a
subclass of both the package's class and scikit-learn's, so that either ``except`` clause
catches it; otherwise they return the package's class, and scikit-learn is never imported.
"""
import sys


class NotFittedError(ValueError, AttributeError):
    """Raised when a model is used before `fit`; catchable as ValueError or AttributeError."""

    def __reduce__(self):  # the twin class is made per process, so pickles name the maker
        return not_fitted, self.args


class DataConversionWarning(UserWarning):
    """The input was converted: a column-vector y raveled, an object array read as numbers."""


_twins = {}


def _with_sklearn_twin(cls):
    """`cls`, or a subclass of it and of scikit-learn's class of the same name."""
    sk = sys.modules.get("sklearn.exceptions")
    theirs = getattr(sk, cls.__name__, None)
    if theirs is None:
        return cls
    key = (cls, theirs)
    if key not in _twins:
        _twins[key] = type(cls.__name__, (cls, theirs), {"__module__": cls.__module__,
                                                          "__doc__": cls.__doc__})
    return _twins[key]


def not_fitted(message):
    """A `NotFittedError` to raise, scikit-learn's too when it is loaded."""
    return _with_sklearn_twin(NotFittedError)(message)


def data_conversion():
    """The category to warn a `DataConversionWarning` with."""
    return _with_sklearn_twin(DataConversionWarning)

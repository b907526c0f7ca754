"""Input and hyperparameter validation shared by every estimator and backend."""
import numbers
import warnings

import numpy as np

from kernels.trainer import all_finite

from .exceptions import data_conversion, not_fitted


def check_X(X, name="X", n_features=None, finite=True, owner=None):
    """X as a non-empty 2-D real array of shape (n_samples, n_features), finite unless
    `finite` is False (the caller then checks that itself).

    An object array of numbers is converted to float64, with a `DataConversionWarning`.
    `owner`, the model's class name, words the message of a feature-count mismatch.
    """
    if hasattr(X, "tocsr") and hasattr(X, "nnz"):
        raise TypeError(f"{name} is a sparse matrix ({type(X).__name__}); the networks train on "
                        f"dense arrays: pass {name}.toarray()")
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged nested lists and the like
        raise ValueError(f"{name} could not be read as an array: {exc}") from None
    if arr.dtype == object:
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name} has dtype object and not every entry is a number: "
                            f"{exc}") from None
        warnings.warn(f"{name} of dtype object was converted to float64",
                      data_conversion(), stacklevel=3)
    if np.iscomplexobj(arr):
        raise ValueError(f"{name}: Complex data not supported ({arr.dtype}); the networks "
                         "train on real numbers")
    if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if arr.ndim != 2:
        hint = (f"; Reshape your data: {name}.reshape(-1, 1) for one feature or "
                f"{name}.reshape(1, -1) for one sample" if arr.ndim == 1 else "")
        raise ValueError(f"{name} must be 2-D of shape (n_samples, n_features), "
                         f"got shape {arr.shape}{hint}")
    if arr.shape[0] == 0:
        raise ValueError(f"{name} is empty: 0 sample(s) (shape={arr.shape}) while a minimum "
                         "of 1 is required.")
    if arr.shape[1] == 0:
        raise ValueError(f"{name} is empty: 0 feature(s) (shape={arr.shape}) while a minimum "
                         "of 1 is required.")
    if finite and not all_finite(arr):
        raise ValueError(f"{name} contains NaN or infinity")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features, but {owner or 'the model'} is "
                         f"expecting {n_features} features as input")
    return arr


def check_y(y, n_samples, name="y", numeric=False, owner=None):
    """y as a 1-D (or, for numeric targets, 2-D) array with n_samples rows.

    Class labels of shape (n_samples, 1) are raveled, with a `DataConversionWarning`, and
    class labels that are real numbers other than integers are refused as continuous.
    """
    if y is None:
        raise ValueError(f"{owner or 'this estimator'} requires y to be passed, but the "
                         f"target {name} is None")
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1 and not numeric:
        warnings.warn(f"A column-vector {name} was passed when a 1d array was expected; "
                      f"it was raveled to shape ({arr.shape[0]},)", data_conversion(),
                      stacklevel=3)
        arr = arr[:, 0]
    if arr.ndim not in ((1, 2) if numeric else (1,)):
        raise ValueError(f"{name} must be 1-D of shape (n_samples,), got shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise ValueError(f"{name} has {arr.shape[0]} samples but X has {n_samples}")
    if numeric:
        if arr.dtype == object:
            try:
                arr = arr.astype(np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"{name} must hold numeric targets; its object entries are "
                                "not all numbers") from None
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
            raise TypeError(f"{name} must hold numeric targets, got dtype {arr.dtype}")
        if np.iscomplexobj(arr):
            raise ValueError(f"{name} must be real, got complex targets")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinity")
    elif arr.dtype.kind in "fc":
        if np.any(np.isnan(arr)):
            raise ValueError(f"{name} contains NaN")
        if arr.dtype.kind == "c" or np.any(arr != np.round(arr.real)):
            raise ValueError(f"Unknown label type: continuous. {name} holds real numbers "
                             "that are not class labels; use a regressor for continuous "
                             "targets")
    return arr


def check_sample_weight(sample_weight, n_samples):
    """Example weights as a float64 array of shape (n_samples,), or None when not given.

    A number gives every example that weight. Weights must be finite and non-negative,
    with a positive sum.
    """
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number) and not isinstance(sample_weight, bool):
        sample_weight = np.full(n_samples, sample_weight, dtype=np.float64)
    try:
        sw = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("sample_weight must hold real numbers") from None
    if sw.ndim != 1:
        raise ValueError(f"sample_weight must be 1-D of shape (n_samples,), got shape "
                         f"{sw.shape}")
    if sw.shape[0] != n_samples:
        raise ValueError(f"sample_weight has {sw.shape[0]} entries but X has {n_samples} "
                         "samples")
    if not np.all(np.isfinite(sw)):
        raise ValueError("sample_weight contains NaN or infinity")
    if np.any(sw < 0):
        raise ValueError(f"sample_weight must be non-negative; its smallest entry is "
                         f"{sw.min()!r}")
    if sw.sum() == 0:
        raise ValueError("sample_weight sums to zero: no example would count")
    return sw


def check_is_fitted(model):
    if not hasattr(model, "params_"):
        raise not_fitted(f"this {type(model).__name__} is not fitted yet; call fit first")


def check_number(name, value, low=None, high=None, low_open=False, high_open=False,
                 integer=False):
    """Check a scalar hyperparameter against [low, high] (or open ends)."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        raise TypeError(f"{name} must be {'an integer' if integer else 'a real number'}, "
                        f"got {value!r}")
    ok = np.isfinite(value) if not integer else True
    if low is not None:
        ok = ok and (value > low if low_open else value >= low)
    if high is not None:
        ok = ok and (value < high if high_open else value <= high)
    if not ok:
        lo = "-inf" if low is None else f"{low}"
        hi = "inf" if high is None else f"{high}"
        rng = f"{'(' if low_open or low is None else '['}{lo}, {hi}{')' if high_open or high is None else ']'}"
        raise ValueError(f"{name}={value!r} is out of range; it must lie in {rng}")
    return value


def check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name}={value!r} is not valid; choose one of "
                         f"{sorted(choices, key=str)}")
    return value

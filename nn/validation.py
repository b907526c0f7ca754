"""Input and hyperparameter validation shared by every estimator and backend."""
import numbers

import numpy as np

from .exceptions import NotFittedError


def check_X(X, name="X", n_features=None, finite=True):
    """X as a non-empty 2-D float array of shape (n_samples, n_features), finite unless
    `finite` is False (the caller then checks that itself)."""
    if hasattr(X, "tocsr") and hasattr(X, "nnz"):
        raise TypeError(f"{name} is a sparse matrix ({type(X).__name__}); the networks train on "
                        f"dense arrays: pass {name}.toarray()")
    try:
        arr = np.asarray(X)
    except Exception as exc:  # ragged nested lists and the like
        raise ValueError(f"{name} could not be read as an array: {exc}") from None
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number)
                                   or arr.dtype == np.bool_):
        raise TypeError(f"{name} must be numeric, got dtype {arr.dtype}")
    if np.iscomplexobj(arr):
        raise TypeError(f"{name} must be real, got dtype {arr.dtype}")
    if arr.ndim != 2:
        hint = (f"; use {name}.reshape(-1, 1) for one feature or {name}.reshape(1, -1) for one "
                "sample" if arr.ndim == 1 else "")
        raise ValueError(f"{name} must be 2-D of shape (n_samples, n_features), "
                         f"got shape {arr.shape}{hint}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} is empty: shape {arr.shape}")
    if finite and not all_finite(arr):
        raise ValueError(f"{name} contains NaN or infinity")
    if n_features is not None and arr.shape[1] != n_features:
        raise ValueError(f"{name} has {arr.shape[1]} features, but the model was fitted "
                         f"with {n_features}")
    return arr


def all_finite(arr, chunk_bytes=1 << 22):
    """Whether every element is finite, checked in row chunks so no data-sized mask is made."""
    if arr.dtype.kind not in "fc":
        return True
    rows = max(1, chunk_bytes // max(1, arr[:1].nbytes))
    return all(np.isfinite(arr[i:i + rows]).all() for i in range(0, len(arr), rows))


def check_y(y, n_samples, name="y", numeric=False):
    """y as a 1-D (or, for numeric targets, 2-D) array with n_samples rows."""
    arr = np.asarray(y)
    if arr.ndim == 2 and arr.shape[1] == 1 and not numeric:
        arr = arr[:, 0]
    if arr.ndim not in ((1, 2) if numeric else (1,)):
        raise ValueError(f"{name} must be 1-D of shape (n_samples,), got shape {arr.shape}")
    if arr.shape[0] != n_samples:
        raise ValueError(f"{name} has {arr.shape[0]} samples but X has {n_samples}")
    if numeric:
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == np.bool_):
            raise TypeError(f"{name} must hold numeric targets, got dtype {arr.dtype}")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinity")
    elif arr.dtype.kind == "f" and np.any(np.isnan(arr)):
        raise ValueError(f"{name} contains NaN")
    return arr


def check_is_fitted(model):
    if not hasattr(model, "params_"):
        raise NotFittedError(f"this {type(model).__name__} is not fitted yet; call fit first")


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

"""Model files: an .npz of plain arrays plus a JSON header; never pickled.

The header records the format version, the estimator class and its hyperparameters; the
estimator adds its fitted state (`_state`: the dtype, the architecture, classes_, ...).
Loading reads with ``allow_pickle=False``, and the estimator checks every array against
the header as it takes them back (`_set_state`).
"""
import json
import os
import tempfile
import zipfile

import numpy as np

FORMAT_VERSION = 1


#: Estimator classes by name, as model files record them; `BaseNetwork` registers each
#: public subclass when it is defined, so this module imports no estimator.
ESTIMATORS = {}


def register(cls):
    """Let model files name `cls` (a public `BaseNetwork` subclass)."""
    ESTIMATORS[cls.__name__] = cls
    return cls


def _jsonable_params(model):
    params = {}
    for key, value in model.get_params().items():
        if callable(value) or isinstance(value, np.random.RandomState):
            value = None  # a callable schedule or a generator is only used in fit
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, np.generic):
            value = value.item()
        elif isinstance(value, os.PathLike):
            value = os.fspath(value)
        params[key] = value
    return params


def save(model, path):
    """Write `model` to `path` (.npz) atomically: a temporary file, then a rename."""
    from .validation import check_is_fitted
    check_is_fitted(model)
    state, arrays = model._state()
    header = {"format_version": FORMAT_VERSION, "class": type(model).__name__,
              "params": _jsonable_params(model), **state}
    arrays["header"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    path = os.fspath(path)
    if not path.endswith(".npz"):
        path += ".npz"
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp.npz")
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(fh, **arrays)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return path


def _fail(path, why):
    raise ValueError(f"{path} is not a valid model file: {why}")


def load(path):
    """Read a model written by `save`; raise ValueError on a truncated or tampered file."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found")
    if not zipfile.is_zipfile(path):
        _fail(path, "not an .npz archive")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (OSError, ValueError, EOFError) as exc:
        _fail(path, f"cannot be read ({exc})")
    except Exception as exc:  # zipfile.BadZipFile and friends on corrupt files
        _fail(path, f"cannot be read ({type(exc).__name__}: {exc})")
    if "header" not in arrays or "theta" not in arrays:
        _fail(path, "missing header or parameters")
    try:
        header = json.loads(arrays["header"].tobytes().decode())
    except (UnicodeDecodeError, json.JSONDecodeError):
        _fail(path, "the header is not JSON")
    if not isinstance(header, dict) or header.get("format_version") != FORMAT_VERSION:
        _fail(path, f"unknown format version {header.get('format_version') if isinstance(header, dict) else None!r}"
              f" (this version reads {FORMAT_VERSION})")
    if header.get("class") not in ESTIMATORS:
        _fail(path, f"unknown estimator class {header.get('class')!r}")
    try:
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in header["params"].items()}
        model = ESTIMATORS[header["class"]](**params)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        _fail(path, f"bad header ({exc})")
    try:
        model._set_state(header, arrays)
    except ValueError as exc:
        _fail(path, str(exc))
    except (KeyError, TypeError) as exc:
        _fail(path, f"bad header ({type(exc).__name__}: {exc})")
    return model

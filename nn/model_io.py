"""Model files: an .npz of plain arrays plus a JSON header; never pickled.

The header records the format version, the estimator class, its
hyperparameters, classes_, the dtype and the architecture. Loading reads with
``allow_pickle=False`` and checks every array against the header before it
builds the model.
"""
import json
import os
import tempfile
import zipfile

import numpy as np

from kernels.spec import NetSpec, OptSpec

FORMAT_VERSION = 1


def _estimators():
    from .estimators import DeepNeuralNetwork, DeepNeuralNetworkRegressor, LogisticRegression
    return {c.__name__: c for c in (LogisticRegression, DeepNeuralNetwork,
                                   DeepNeuralNetworkRegressor)}


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
    spec = model._spec
    header = {
        "format_version": FORMAT_VERSION,
        "class": type(model).__name__,
        "params": _jsonable_params(model),
        "dtype": model._theta.dtype.name,
        "sizes": list(spec.sizes), "activation": spec.activation, "output": spec.output,
        "slope": spec.slope, "l2": spec.l2, "keep_probs": list(spec.keep_probs),
        "optimizer": [model._opt.name, model._opt.beta, model._opt.beta1, model._opt.beta2,
                      model._opt.epsilon],
        "n_features_in": int(model.n_features_in_), "n_iter": int(model.n_iter_),
        "step": int(model._step), "history": model.history_,
        "y_ndim": getattr(model, "_y_ndim", 1),
        "dropout_seed": int(model._dropout_seed),
        "shuffle_state": getattr(model, "_shuffle_state", None),
    }
    arrays = {"theta": model._theta}
    for i, state in enumerate(model._opt_states):
        arrays[f"state{i}"] = state
    if hasattr(model, "classes_"):
        classes = np.asarray(model.classes_)
        if classes.dtype.kind in "OSU":
            header["classes"] = [str(c) for c in classes]
        else:
            arrays["classes"] = classes
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
    classes = _estimators()
    if header.get("class") not in classes:
        _fail(path, f"unknown estimator class {header.get('class')!r}")
    try:
        params = {k: tuple(v) if isinstance(v, list) else v for k, v in header["params"].items()}
        model = classes[header["class"]](**params)
        spec = NetSpec(header["sizes"], header["activation"], header["output"],
                       header["slope"], header["l2"], header["keep_probs"])
        opt = OptSpec(*header["optimizer"])
    except (TypeError, ValueError, KeyError) as exc:
        _fail(path, f"bad header ({exc})")
    theta = arrays["theta"]
    if header.get("dtype") not in ("float32", "float64") or theta.dtype.name != header["dtype"]:
        _fail(path, f"parameters of dtype {theta.dtype} do not match the header")
    if theta.shape != (spec.n_params,):
        _fail(path, f"{theta.shape} parameters do not fit layers {spec.sizes}")
    if not np.all(np.isfinite(theta)):
        _fail(path, "parameters are not finite")
    states = []
    for i in range(opt.n_states):
        s = arrays.get(f"state{i}")
        if s is None or s.shape != theta.shape or s.dtype != theta.dtype:
            _fail(path, f"optimizer state {i} is missing or misshapen")
        states.append(s)
    if header["class"] != "DeepNeuralNetworkRegressor":
        cls = arrays["classes"] if "classes" in arrays else np.asarray(header.get("classes", []))
        n_out = spec.sizes[-1]
        if len(cls) < 2 or (n_out == 1) != (len(cls) == 2) or (n_out > 1 and n_out != len(cls)):
            _fail(path, "classes do not match the output layer")
        model.classes_ = cls
    if header["n_features_in"] != spec.sizes[0]:
        _fail(path, "n_features_in does not match the first layer")
    model._y_ndim = header.get("y_ndim", 1)
    model._dropout_seed = int(header.get("dropout_seed", 0))
    model._shuffle_state = header.get("shuffle_state")
    model._spec, model._opt = spec, opt
    model._adopt(theta.copy())
    model._opt_states = tuple(s.copy() for s in states)
    model._step = header["step"]
    model.n_features_in_ = header["n_features_in"]
    model.n_iter_ = header["n_iter"]
    model.history_ = header["history"]
    return model

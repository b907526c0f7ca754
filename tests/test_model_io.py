"""Model files: round trip, no pickle, and clear errors on bad files."""
import json
import zipfile

import numpy as np
import pytest

import nn
from tests.conftest import BACKENDS, toy_classification


@pytest.mark.parametrize("cls,kw", [
    (nn.LogisticRegression, dict(epochs=5)),
    (nn.DeepNeuralNetwork, dict(hidden_layer_sizes=(5, 3), keep_prob=0.8, epochs=4)),
    (nn.DeepNeuralNetworkRegressor, dict(hidden_layer_sizes=(4,), epochs=4, dtype="float32")),
])
def test_round_trip(tmp_path, cls, kw):
    X, y = toy_classification(n=30, n_classes=3)
    model = cls(random_state=0, **kw).fit(X, np.array(["a", "b", "c"])[y]
                                          if cls is not nn.DeepNeuralNetworkRegressor else y * 1.5)
    path = model.save(tmp_path / "model")
    assert str(path).endswith(".npz")
    with np.load(path, allow_pickle=False) as data:
        assert "header" in data.files
    for backend in BACKENDS:
        loaded = nn.load(path)
        loaded.set_params(backend=backend)
        assert type(loaded) is cls and loaded.get_params()["backend"] == backend
        np.testing.assert_allclose(loaded.predict(X) if cls is nn.DeepNeuralNetworkRegressor
                                   else loaded.predict_proba(X),
                                   model.predict(X) if cls is nn.DeepNeuralNetworkRegressor
                                   else model.predict_proba(X), rtol=1e-6)
    assert loaded.history_ == model.history_
    assert loaded.get_params() == {**model.get_params(), "backend": loaded.backend}


def _rewrite(path, out, mutate):
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    mutate(arrays)
    np.savez(out, **arrays)
    return out


def test_bad_files(tmp_path):
    X, y = toy_classification(n=20)
    path = nn.DeepNeuralNetwork(hidden_layer_sizes=(3,), epochs=1, random_state=0).fit(X, y) \
        .save(tmp_path / "m.npz")
    raw = open(path, "rb").read()
    (tmp_path / "trunc.npz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ValueError, match="not a valid model file"):
        nn.load(tmp_path / "trunc.npz")

    def header(arrays, drop=(), **change):
        h = json.loads(arrays["header"].tobytes())
        h.update(change)
        for key in drop:
            del h[key]
        arrays["header"] = np.frombuffer(json.dumps(h).encode(), np.uint8)

    cases = {
        "version": (lambda a: header(a, format_version=99), "unknown format version 99"),
        "class": (lambda a: header(a, **{"class": "os.system"}), "unknown estimator class"),
        "shape": (lambda a: a.update(theta=a["theta"][:-1]), "do not fit layers"),
        "dtype": (lambda a: a.update(theta=a["theta"].astype(np.float32)), "dtype"),
        "nan": (lambda a: a.update(theta=a["theta"] * np.nan), "not finite"),
        "nohead": (lambda a: a.pop("header"), "missing header"),
        "nostep": (lambda a: header(a, drop=("step",)),
                   r"bad header \(KeyError: 'step'\)"),
        "classes": (lambda a: a.update(classes=a["classes"][:1]), "classes do not match"),
    }
    for name, (mutate, message) in cases.items():
        bad = _rewrite(path, tmp_path / f"{name}.npz", mutate)
        with pytest.raises(ValueError, match=message):
            nn.load(bad)
    # an object array would need pickle to read: refused
    with zipfile.ZipFile(tmp_path / "obj.npz", "w") as z:
        with z.open("theta.npy", "w") as fh:
            np.lib.format.write_array(fh, np.array([object()]), allow_pickle=True)
    with pytest.raises(ValueError, match="not a valid model file"):
        nn.load(tmp_path / "obj.npz")

import importlib.util
import os
from pathlib import Path

import numpy as np
import pytest

DATA_DIR = Path(os.environ.get("NN_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "datasets"))

#: Backends whose kernels can run here: numba when installed, cuda when a GPU or the simulator is there.
BACKENDS = ["numpy"]
if importlib.util.find_spec("numba") is not None and importlib.util.find_spec("kernels.cpu"):
    BACKENDS.append("numba")


def data_file(name):
    path = DATA_DIR / name
    if not path.exists():
        pytest.skip(f"course data set {name} not found in {DATA_DIR}")
    return path


@pytest.fixture
def rng():
    return np.random.default_rng(12345)


def toy_classification(n=60, n_features=3, n_classes=2, seed=0):
    r = np.random.default_rng(seed)
    X = r.normal(size=(n, n_features))
    w = r.normal(size=(n_features, n_classes))
    y = (X @ w + 0.3 * r.normal(size=(n, n_classes))).argmax(axis=1)
    return X, y

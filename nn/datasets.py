"""Loaders for the course's data sets; h5py and scipy are optional extras."""
from pathlib import Path

import numpy as np


def load_catvnoncat(data_dir):
    """The cat/non-cat images, flattened per sample and divided by 255.

    Parameters
    ----------
    data_dir : path
        Folder holding train_catvnoncat.h5 and test_catvnoncat.h5.

    Returns
    -------
    X_train : ndarray of shape (209, 12288)
    y_train : ndarray of shape (209,), 1 for cat
    X_test : ndarray of shape (50, 12288)
    y_test : ndarray of shape (50,)
    """
    try:
        import h5py
    except ImportError:
        raise ImportError("reading the cat data needs h5py: pip install 'nnkernels[data]'") from None
    out = []
    for part in ("train", "test"):
        path = Path(data_dir) / f"{part}_catvnoncat.h5"
        if not path.exists():
            raise FileNotFoundError(f"{path} not found")
        with h5py.File(path, "r") as f:
            x = np.asarray(f[f"{part}_set_x"], dtype=np.float64)
            out += [x.reshape(x.shape[0], -1) / 255.0, np.asarray(f[f"{part}_set_y"]).ravel()]
    return tuple(out)


def load_mat(path):
    """The 2-D "football" set from data.mat: X, y, Xval, yval with 1-D labels."""
    try:
        from scipy.io import loadmat
    except ImportError:
        raise ImportError("reading .mat files needs scipy: pip install scipy") from None
    if not Path(path).exists():
        raise FileNotFoundError(f"{path} not found")
    d = loadmat(path)
    return d["X"], d["y"].ravel(), d["Xval"], d["yval"].ravel()

"""Data sets: the course's files, our own seeded generators, and .npz/.csv/.h5 loaders.

Every generator returns X of shape (n_samples, n_features) and y of shape (n_samples,),
and draws from numpy.random.default_rng(random_state). h5py is an optional extra.
"""
import contextlib
import csv
from pathlib import Path

import numpy as np


def make_planar(n_samples=400, noise=0.2, random_state=None):
    """The course's planar "flower": two classes of petals in 2-D.

    Each class lays its points along a rose curve r = 4 sin(4t) with t spanning half a turn,
    jittered by normal noise of scale `noise` in t and r.
    """
    rng = np.random.default_rng(random_state)
    per_class = n_samples // 2
    X = np.zeros((2 * per_class, 2))
    y = np.repeat([0, 1], per_class)
    for j in range(2):
        t = np.linspace(j * 3.12, (j + 1) * 3.12, per_class) + rng.normal(size=per_class) * noise
        r = 4 * np.sin(4 * t) + rng.normal(size=per_class) * noise
        X[j * per_class:(j + 1) * per_class] = np.column_stack([r * np.sin(t), r * np.cos(t)])
    return X, y


def make_moons(n_samples=300, noise=0.2, random_state=None):
    """Two interleaving half circles in 2-D, with normal noise of scale `noise`."""
    rng = np.random.default_rng(random_state)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.vstack([np.column_stack([np.cos(t_out), np.sin(t_out)]),
                   np.column_stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)])])
    X += rng.normal(scale=noise, size=X.shape)
    return X, np.repeat([0, 1], [n_out, n_in])


def make_circles(n_samples=300, noise=0.05, factor=0.5, random_state=None):
    """A small circle (class 1, radius `factor`) inside a large one (class 0, radius 1)."""
    rng = np.random.default_rng(random_state)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack([np.column_stack([np.cos(t_out), np.sin(t_out)]),
                   factor * np.column_stack([np.cos(t_in), np.sin(t_in)])])
    X += rng.normal(scale=noise, size=X.shape)
    return X, np.repeat([0, 1], [n_out, n_in])


def make_blobs(n_samples=300, centers=3, n_features=2, cluster_std=1.0, random_state=None):
    """Isotropic Gaussian blobs around `centers` random centres in [-10, 10]^n_features."""
    rng = np.random.default_rng(random_state)
    middle = rng.uniform(-10, 10, size=(centers, n_features))
    y = np.arange(n_samples) % centers
    X = middle[y] + rng.normal(scale=cluster_std, size=(n_samples, n_features))
    return X, y


def load_catvnoncat(data_dir):
    """The cat/non-cat images, flattened per sample and divided by 255.

    Parameters
    ----------
    data_dir : path
        Folder holding train_catvnoncat.h5 and test_catvnoncat.h5.

    Returns
    -------
    X_train (209, 12288), y_train (209,), X_test (50, 12288), y_test (50,); 1 is cat.
    """
    out = []
    for part in ("train", "test"):
        X, y = load_h5(Path(data_dir) / f"{part}_catvnoncat.h5")
        out += [X / 255.0, y]
    return tuple(out)


def load_mat(path):
    """The 2-D "football" set from data.mat: X, y, Xval, yval, labels 1-D (SciPy)."""
    from scipy.io import loadmat
    if not Path(path).exists():
        raise FileNotFoundError(f"{path} not found")
    d = loadmat(path)
    return d["X"], d["y"].ravel(), d["Xval"], d["yval"].ravel()


def load_h5(path):
    """X (flattened per sample) and y from an HDF5 file holding X and y, or *_set_x and
    *_set_y as the course's files do. Needs h5py (pip install "nnkernels[data]")."""
    try:
        import h5py
    except ImportError:
        raise ImportError('reading .h5 files needs h5py: pip install "nnkernels[data]"') from None
    if not Path(path).exists():
        raise FileNotFoundError(f"{path} not found")
    with h5py.File(path, "r") as f:
        names = list(f.keys())
        x_name = "X" if "X" in f else next((n for n in names if n.endswith("_x")), None)
        y_name = "y" if "y" in f else next((n for n in names if n.endswith("_y")), None)
        if x_name is None or y_name is None:
            raise ValueError(f"{path} has no X/y (or *_x/*_y) data sets; it has {names}")
        X = np.asarray(f[x_name], dtype=np.float64)
        y = np.asarray(f[y_name]).ravel()
    return X.reshape(len(X), -1), y


def iter_chunks(path, rows, x="X", y="y"):
    """(X, y) blocks of at most `rows` examples from an HDF5 file (.h5, .hdf5) or a zarr
    store, read one block at a time: the file is never loaded whole.

    Feed them to `partial_fit` for out-of-core training on one machine:

    >>> for X_block, y_block in iter_chunks("big.h5", 50_000):
    ...     net.partial_fit(X_block, y_block, classes=[0, 1])

    Parameters
    ----------
    path : path
        The file; its data sets `x` of shape (m, ...) (flattened per example) and `y` (m,).
    rows : int
        Examples per block; a multiple of the file's chunk rows reads each chunk once.

    Yields
    ------
    X : ndarray of shape (<= rows, n_features), float64
    y : ndarray of shape (<= rows,)
    """
    if isinstance(rows, bool) or not isinstance(rows, int) or rows < 1:
        raise ValueError(f"rows must be a positive integer, got {rows!r}")
    if not Path(path).exists():
        raise FileNotFoundError(f"{path} not found")
    with _open_arrays(path) as store:
        if x not in store or y not in store:
            raise ValueError(f"{path} has no data sets {x!r} and {y!r}")
        X_all, y_all = store[x], store[y]
        if X_all.shape[0] != y_all.shape[0]:
            raise ValueError(f"{path}: {x} has {X_all.shape[0]} rows but {y} has "
                             f"{y_all.shape[0]}")
        for start in range(0, X_all.shape[0], rows):
            X_block = np.asarray(X_all[start:start + rows], dtype=np.float64)
            yield X_block.reshape(len(X_block), -1), np.asarray(y_all[start:start + rows]).ravel()


@contextlib.contextmanager
def _open_arrays(path):
    """An HDF5 file (h5py) or a zarr store, opened for reading, as a mapping of arrays."""
    if Path(path).suffix.lower() in (".h5", ".hdf5"):
        try:
            import h5py
        except ImportError:
            raise ImportError('reading .h5 files needs h5py: pip install "nnkernels[data]"'
                              ) from None
        with h5py.File(path, "r") as f:
            yield f
        return
    try:
        import zarr
    except ImportError:
        raise ImportError(f"{path} is not .h5 or .hdf5; reading a zarr store needs zarr: "
                          "pip install zarr") from None
    yield zarr.open_group(str(path), mode="r")


def load_npz(path):
    """X and y from an .npz file with arrays named X and y (read without pickle)."""
    with np.load(path, allow_pickle=False) as data:
        if "X" not in data or "y" not in data:
            raise ValueError(f"{path} must hold arrays named X and y; it has {list(data.keys())}")
        return data["X"], data["y"]


def load_csv(path, label="last", has_labels=True):
    """Numeric features and a label column from a CSV file.

    Parameters
    ----------
    path : path
    label : "last", "first", a column index, or a header name
        Which column holds the labels (any values; kept as strings unless all numeric).
    has_labels : bool
        False for files of features only (prediction input); then y is None.

    A first row that does not parse as numbers is taken as the header.
    """
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(fh) if r]
    if not rows:
        raise ValueError(f"{path} is empty")
    header = None
    try:
        [float(v) for v in rows[0] if v.strip()]
    except ValueError:
        header, rows = rows[0], rows[1:]
    width = len(rows[0])
    if any(len(r) != width for r in rows):
        raise ValueError(f"{path}: rows have different numbers of columns")
    if not has_labels:
        return _numeric(rows, path), None
    if label == "last":
        col = width - 1
    elif label == "first":
        col = 0
    elif isinstance(label, int) or str(label).lstrip("-").isdigit():
        col = int(label) % width
    elif header is not None and label in header:
        col = header.index(label)
    else:
        raise ValueError(f"{path}: no label column {label!r}"
                         + (f"; columns are {header}" if header else ""))
    features = [[v for i, v in enumerate(r) if i != col] for r in rows]
    y = np.array([r[col] for r in rows])
    try:
        y = y.astype(np.float64)
        if np.all(y == np.round(y)):
            y = y.astype(np.int64)
    except ValueError:
        pass
    return _numeric(features, path), y


def _numeric(rows, path):
    try:
        return np.array(rows, dtype=np.float64)
    except ValueError as exc:
        raise ValueError(f"{path}: feature columns must be numeric ({exc})") from None


def load_file(path, label="last", has_labels=True):
    """X and y from a .npz, .csv or .h5 file, by its extension."""
    suffix = Path(path).suffix.lower()
    if not Path(path).exists():
        raise FileNotFoundError(f"{path} not found")
    if suffix == ".npz":
        X, y = load_npz(path)
    elif suffix == ".csv":
        return load_csv(path, label, has_labels)
    elif suffix in (".h5", ".hdf5"):
        X, y = load_h5(path)
    else:
        raise ValueError(f"{path}: unknown data format {suffix!r}; use .npz, .csv or .h5")
    return X, (y if has_labels else None)

"""Plots of fitted models: cost curves, 2-D decision boundaries, and model comparisons.

matplotlib is an optional extra (pip install "nnkernels[plot]"). Each function draws on
`ax` when given, else on a new figure, and saves a PNG when `path` is given.
"""
import numpy as np


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise ImportError('plotting needs matplotlib: pip install "nnkernels[plot]"') from None
    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg") and not _has_display():
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def _has_display():
    import os
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _finish(plt, fig, path):
    if path is not None:
        fig.tight_layout()
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig


def plot_cost(model, ax=None, path=None, title=None):
    """Training cost per epoch, and the validation cost when the fit had validation data."""
    plt = _pyplot()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 4))
    epochs = np.arange(1, len(model.history_["loss"]) + 1)
    ax.plot(epochs, model.history_["loss"], label="training cost")
    if "val_loss" in model.history_:
        ax.plot(epochs, model.history_["val_loss"], label="validation cost")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost J")
    ax.set_title(title or f"{type(model).__name__} ({model.backend})")
    ax.legend()
    return _finish(plt, fig, path)


def plot_decision_boundary(model, X, y, ax=None, path=None, title=None, resolution=300):
    """The model's predicted classes over the plane, with the points (X, y) on top (2-D X)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"a decision boundary needs 2-D data, got X of shape {X.shape}")
    plt = _pyplot()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(5.5, 5))
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0)) + 1e-9
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    grid = np.column_stack([xx.ravel(), yy.ravel()])
    classes = list(model.classes_)
    pred = np.searchsorted(model.classes_, model.predict(grid)).reshape(xx.shape)
    ax.contourf(xx, yy, pred, alpha=0.35, cmap="coolwarm",
                levels=np.arange(len(classes) + 1) - 0.5)
    ax.scatter(X[:, 0], X[:, 1], c=np.searchsorted(model.classes_, y), cmap="coolwarm",
               edgecolors="k", s=18)
    ax.set_title(title or f"decision boundary, accuracy {model.score(X, y):.1%}")
    return _finish(plt, fig, path)


def plot_compare(models, path=None, title="training cost"):
    """Cost curves of several fitted models on one axis; `models` maps a label to a model."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for label, model in models.items():
        ax.plot(np.arange(1, len(model.history_["loss"]) + 1), model.history_["loss"], label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel("cost J")
    ax.set_yscale("log")
    ax.set_title(title)
    ax.legend()
    return _finish(plt, fig, path)

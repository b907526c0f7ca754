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


def ewa(values, beta=0.9):
    """Bias-corrected exponentially weighted average, as the course computes it.

    v_0 = 0, v_t = beta v_{t-1} + (1 - beta) x_t, and the corrected v_t / (1 - beta^t),
    for t = 1..n.

    Parameters
    ----------
    values : array of shape (n,)
    beta : float in [0, 1)

    Returns
    -------
    ndarray of shape (n,)
    """
    if not 0.0 <= beta < 1.0:
        raise ValueError(f"beta={beta!r} is out of range; it must lie in [0, 1)")
    out = np.empty(len(values))
    v = 0.0
    for t, x in enumerate(values, start=1):
        v = beta * v + (1 - beta) * x
        out[t - 1] = v / (1 - beta ** t)
    return out


def plot_cost(model, ax=None, path=None, title=None, beta=0.9):
    """Training cost per epoch with its bias-corrected exponentially weighted average
    (`ewa` with `beta`; None leaves it out), and the validation cost when the fit had
    validation data. The history records one cost per epoch, the mean over its
    mini-batches, so the average runs over epochs."""
    plt = _pyplot()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 4))
    epochs = np.arange(1, len(model.history_["loss"]) + 1)
    ax.plot(epochs, model.history_["loss"], label="training cost", alpha=0.6)
    if beta is not None and len(epochs) > 1:
        ax.plot(epochs, ewa(model.history_["loss"], beta),
                label=f"its average (β = {beta:g}, bias-corrected)")
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


def plot_learning_curve(estimator, X, y, train_sizes=(0.1, 0.325, 0.55, 0.775, 1.0), cv=3,
                        ax=None, path=None, title=None):
    """Train and validation error against the training-set size, with scikit-learn's
    `learning_curve` (cross-validated, `cv` folds; mean and spread over the folds). The
    training subsets are drawn in a seeded shuffled order, so that data sorted by class
    still gives every subset each class.

    A classifier's error is its error rate, a regressor's its mean squared error. A
    training error near the validation error that stays high is high bias; a wide gap
    that closes as the set grows is high variance, which more data would cure.
    """
    try:
        from sklearn.model_selection import learning_curve
    except ImportError:
        raise ImportError("learning curves need scikit-learn: pip install scikit-learn"
                          ) from None
    classifier = getattr(estimator, "_estimator_type", None) == "classifier"
    scoring = "accuracy" if classifier else "neg_mean_squared_error"
    sizes, train, valid = learning_curve(estimator, X, y, train_sizes=np.asarray(train_sizes),
                                         cv=cv, scoring=scoring, shuffle=True, random_state=0,
                                         error_score="raise")
    to_error = (lambda s: 1.0 - s) if classifier else (lambda s: -s)
    plt = _pyplot()
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 4))
    for scores, label in ((train, "training error"), (valid, "validation error")):
        err = to_error(scores)
        mean, spread = err.mean(axis=1), err.std(axis=1)
        ax.plot(sizes, mean, marker="o", label=label)
        ax.fill_between(sizes, mean - spread, mean + spread, alpha=0.2)
    ax.set_xlabel("training examples")
    ax.set_ylabel("error rate" if classifier else "mean squared error")
    ax.set_title(title or f"learning curve, {type(estimator).__name__}")
    ax.legend()
    return _finish(plt, fig, path)

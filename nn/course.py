"""The course's experiments, reproduced with this package (``nnkernels course``).

Each row trains the course's model with the course's hyperparameters and reports train and
test accuracy. Experiments whose data file is missing from the data folder are skipped.
"""
import time
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import datasets
from .diagnosis import diagnose
from .estimators import DeepNeuralNetwork, LogisticRegression
from .preprocessing import train_dev_test_split


#: Human-level error of the football set, the baseline of its diagnoses: its two classes
#: overlap, and the course's best model (dropout) errs on 5% of the test set.
FOOTBALL_BASELINE = 0.05


class Result(NamedTuple):
    """One experiment's train and test accuracy, and its diagnosis (football only)."""

    train: float
    test: float
    diagnosis: object = None


def _split(X, y, seed=0):
    X_tr, _, X_te, y_tr, _, y_te = train_dev_test_split(X, y, (0.7, 0.0, 0.3), random_state=seed)
    return X_tr, y_tr, X_te, y_te


def experiments(data_dir, backend, scale):
    """Yield (group, name, model factory, data loader); epochs are multiplied by scale."""
    def epochs(n):
        return max(1, int(n * scale))

    def net(**kw):
        return lambda: DeepNeuralNetwork(backend=backend, random_state=1, **kw)

    cat = lambda: datasets.load_catvnoncat(data_dir)  # noqa: E731
    full_gd = dict(optimizer="gd", batch_size=None)
    yield ("cat", "logistic regression",
           lambda: LogisticRegression(learning_rate=0.005, epochs=epochs(2000), backend=backend),
           cat)
    yield ("cat", "2-layer (7) relu",
           net(hidden_layer_sizes=(7,), initialization="random", learning_rate=0.0075,
               epochs=epochs(2500), **full_gd), cat)
    yield ("cat", "4-layer (20, 7, 5) relu",
           net(hidden_layer_sizes=(20, 7, 5), initialization="xavier", learning_rate=0.0075,
               epochs=epochs(2500), **full_gd), cat)
    flower = lambda: _split(*datasets.make_planar(400, random_state=1))  # noqa: E731
    yield ("flower", "1 hidden layer (4) tanh",
           net(hidden_layer_sizes=(4,), activation="tanh", learning_rate=1.2,
               epochs=epochs(10000), **full_gd), flower)
    circles = lambda: _split(*datasets.make_circles(600, noise=0.05, random_state=1))  # noqa: E731
    for init, extra in (("zeros", {}), ("random", {"init_scale": 10.0}), ("he", {})):
        yield ("circles", f"(10, 5) relu, {init} init",
               net(hidden_layer_sizes=(10, 5), initialization=init, learning_rate=0.01,
                   epochs=epochs(15000), **full_gd, **extra), circles)
    football = lambda: datasets.load_mat(Path(data_dir) / "data.mat")  # noqa: E731
    for name, extra in (("no regularization", {}), ("L2, lambda 0.7", {"l2": 0.7}),
                        ("dropout, keep 0.86", {"keep_prob": 0.86})):
        # from the course's own initial weights: np.random.seed(3), then randn per layer
        yield ("football", f"(20, 3) relu, {name}",
               lambda extra=extra: DeepNeuralNetwork(
                   backend=backend, random_state=np.random.RandomState(3),
                   hidden_layer_sizes=(20, 3), initialization="xavier", learning_rate=0.3,
                   epochs=epochs(30000), **full_gd, **extra), football)
    moons = lambda: _split(*datasets.make_moons(300, noise=0.2, random_state=3))  # noqa: E731
    for opt in ("gd", "momentum", "adam"):
        yield ("moons", f"(5, 2) relu, {opt}",
               net(hidden_layer_sizes=(5, 2), optimizer=opt, learning_rate=0.0007,
                   batch_size=64, epochs=epochs(10000), initialization="he"), moons)


def run_course(data_dir, backend="numba", scale=1.0, out=None, print_=print):
    """Train every experiment and print a table of train and test accuracy.

    Returns {(group, name): Result(train accuracy, test accuracy, diagnosis)}; with `out`,
    also writes a PNG comparing the cost curves of each group's models. Each football
    experiment gets its bias/variance diagnosis (`nn.diagnose` against FOOTBALL_BASELINE,
    its test set as the dev set), printed under its row; the other diagnoses are None.
    """
    results, fitted = {}, {}
    print_(f"{'data':<9}{'model':<34}{'train':>8}{'test':>8}{'seconds':>9}")
    for group, name, make, load in experiments(data_dir, backend, scale):
        try:
            X_tr, y_tr, X_te, y_te = load()
        except FileNotFoundError as exc:
            print_(f"{group:<9}{name:<34}  skipped: {exc}")
            continue
        start = time.perf_counter()
        model = make().fit(X_tr, y_tr)
        seconds = time.perf_counter() - start
        report = None
        if group == "football":  # the course's regularization lesson, read as it reads it
            report = diagnose(model, X_tr, y_tr, X_te, y_te, FOOTBALL_BASELINE)
        results[group, name] = Result(model.score(X_tr, y_tr), model.score(X_te, y_te), report)
        fitted.setdefault(group, {})[name] = model
        print_(f"{group:<9}{name:<34}{results[group, name][0]:>8.1%}"
               f"{results[group, name][1]:>8.1%}{seconds:>9.2f}")
        if report is not None:
            print_(f"{'':<9}  {report.verdict}: avoidable bias {report.avoidable_bias:.3f}, "
                   f"variance {report.variance:.3f}")
    if out is not None:
        from .plot import plot_compare
        Path(out).mkdir(parents=True, exist_ok=True)
        for group, models in fitted.items():
            plot_compare(models, path=Path(out) / f"course_{group}.png", title=f"{group}: cost")
    return results

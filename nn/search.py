"""``python -m nn search``: a cross-validated hyperparameter search on a Dask cluster.

Every (setting, fold) fit is one Dask task on a local cluster (``--workers``) or on a
running scheduler (``--scheduler``); the data travels to the workers once. A space is
given per hyperparameter: ``a:b:log`` (log-uniform), ``a:b`` (uniform; integers for an
integer hyperparameter), ``v1,v2,...`` (choices) or one value. Only choices make a grid;
any range makes a random search of ``--n-iter`` settings.
"""
import csv
import math
import numbers
import time
from pathlib import Path

import numpy as np

from . import validation as V

#: Hyperparameters a search may not vary: they say where and how the fits run.
FIXED = ("backend", "dtype", "verbose", "n_threads", "warm_start", "checkpoint_path",
         "checkpoint_every")


def parse_space(name, text, default):
    """The values of one hyperparameter: a list of choices, or a scipy.stats distribution
    for a range. `default` (the estimator's default) gives the type."""
    kind = _kind(name, default)
    if ":" in text and kind in (float, int):
        parts = text.split(":")
        if len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] != "log"):
            raise ValueError(f"--{name.replace('_', '-')} {text!r}: a range is LOW:HIGH or "
                             "LOW:HIGH:log")
        low, high = kind(parts[0]), kind(parts[1])
        if not low < high:
            raise ValueError(f"--{name.replace('_', '-')} {text!r}: LOW must be below HIGH")
        from scipy import stats
        if len(parts) == 3:
            if low <= 0:
                raise ValueError(f"--{name.replace('_', '-')} {text!r}: a log range needs "
                                 "LOW > 0")
            return stats.loguniform(low, high)
        return stats.randint(low, high + 1) if kind is int else stats.uniform(low, high - low)
    return [_value(name, item, kind) for item in text.split(",")]


def _kind(name, default):
    if name == "hidden_layer_sizes":
        return tuple
    if isinstance(default, bool):
        return bool
    if isinstance(default, numbers.Integral):
        return int
    if isinstance(default, numbers.Real) or name == "keep_prob":
        return float
    return str


def _value(name, item, kind):
    item = item.strip()
    if kind is tuple:  # 16-8 is (16, 8); an empty item is no hidden layer
        return tuple(int(n) for n in item.split("-") if n)
    if kind is bool:
        return item.lower() in ("1", "true", "yes", "on")
    if item.lower() == "none":
        return None
    return kind(item)


def candidates(space, n_iter, random_state):
    """The settings to try: the grid of `space` when it holds only choices, else n_iter
    draws."""
    from sklearn.model_selection import ParameterGrid, ParameterSampler
    if all(isinstance(v, list) for v in space.values()):
        return list(ParameterGrid(space))
    return list(ParameterSampler(space, n_iter, random_state=random_state))


def _fit_and_score(make, params, X, y, train, test):
    started = time.perf_counter()
    model = make().set_params(**params).fit(X[train], y[train])
    return model.score(X[test], y[test]), model.score(X[train], y[train]), \
        time.perf_counter() - started


def run_search(client, make, space, X, y, cv=3, n_iter=20, random_state=0, progress=True):
    """Cross-validate every candidate of `space` on the cluster of `client`.

    Parameters
    ----------
    client : dask.distributed.Client
    make : callable
        Returns a fresh estimator (the hyperparameters outside `space`).
    space : dict
        Hyperparameter -> list of choices or scipy.stats distribution.
    progress : bool or callable
        A progress bar (tqdm, else a line every tenth of the fits), none, or
        ``progress(done, total)`` called after each finished fit.

    Returns
    -------
    list of dict
        One row per candidate, best first: its parameters, mean and spread of the test
        score over the folds, mean train score, mean fit seconds and rank.
    """
    from sklearn.base import is_classifier
    from sklearn.model_selection import KFold, StratifiedKFold
    settings = candidates(space, n_iter, random_state)
    folder = (StratifiedKFold if is_classifier(make()) else KFold)(cv, shuffle=True,
                                                                   random_state=random_state)
    folds = list(folder.split(X, y))
    X_remote, y_remote = client.scatter([X, y], broadcast=True)
    futures = {client.submit(_fit_and_score, make, params, X_remote, y_remote, train, test,
                             pure=False): (i, k)
               for i, params in enumerate(settings) for k, (train, test) in enumerate(folds)}
    scores = np.full((len(settings), cv, 3), np.nan)
    bar = _Callback(len(futures), progress) if callable(progress) else \
        _bar(len(futures), progress)
    from distributed import as_completed
    try:
        for future in as_completed(futures):
            i, k = futures[future]
            scores[i, k] = future.result()
            bar.update(1)
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        bar.close()
    rows = [dict(params=settings[i], mean_test=float(scores[i, :, 0].mean()),
                 std_test=float(scores[i, :, 0].std()), mean_train=float(scores[i, :, 1].mean()),
                 fit_seconds=float(scores[i, :, 2].mean())) for i in range(len(settings))]
    rows.sort(key=lambda r: -r["mean_test"])
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


class _Callback:
    """`progress(done, total)` after each finished fit."""

    def __init__(self, total, progress):
        self.total, self.done, self.progress = total, 0, progress

    def update(self, n):
        self.done += n
        self.progress(self.done, self.total)

    def close(self):
        pass


class _Text:
    """A progress line every tenth of the fits, where tqdm is not installed or wanted."""

    def __init__(self, total, enabled):
        self.total, self.done, self.enabled = total, 0, enabled

    def update(self, n):
        self.done += n
        if self.enabled and (self.done * 10 // self.total != (self.done - n) * 10 // self.total):
            print(f"{self.done}/{self.total} fits done", flush=True)

    def close(self):
        pass


def _bar(total, enabled):
    if enabled:
        try:
            from tqdm import tqdm
            return tqdm(total=total, unit="fit", dynamic_ncols=True)
        except ImportError:
            pass
    return _Text(total, enabled)


def write_results(rows, out, space, metric):
    """search.csv (a row per candidate, best first) and search.png (the test score against
    each varied hyperparameter) in `out`; returns the paths written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    names = sorted(space)
    with open(out / "search.csv", "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["rank"] + names + [f"mean_test_{metric}", f"std_test_{metric}",
                                            f"mean_train_{metric}", "mean_fit_seconds"])
        for r in rows:
            writer.writerow([r["rank"]] + [r["params"].get(n) for n in names]
                            + [r["mean_test"], r["std_test"], r["mean_train"],
                               r["fit_seconds"]])
    written = [out / "search.csv"]
    varied = [n for n in names if len({repr(r["params"].get(n)) for r in rows}) > 1]
    from .plot import _finish, _pyplot
    try:
        plt = _pyplot()
    except ImportError as exc:
        print(f"no plot: {exc}")
        return written
    if varied:
        fig, axes = plt.subplots(1, len(varied), figsize=(4 * len(varied), 3.5), squeeze=False)
        for ax, name in zip(axes[0], varied):
            values = [r["params"][name] for r in rows]
            numeric = all(isinstance(v, numbers.Real) and not isinstance(v, bool)
                          for v in values)
            xs = values if numeric else [str(v) for v in values]
            ax.scatter(xs, [r["mean_test"] for r in rows], s=18)
            if numeric and min(values) > 0 and max(values) / min(values) > 10:
                ax.set_xscale("log")
            ax.set_xlabel(name)
            ax.set_ylabel(f"mean test {metric}")
        _finish(plt, fig, out / "search.png")
        written.append(out / "search.png")
    return written


def table(rows, space, metric, top=10):
    """The ranked table as text: the best `top` candidates."""
    names = sorted(space)
    width = max([len(n) for n in names] + [8])
    lines = [f"{'rank':>4}  " + "  ".join(f"{n:>{width}}" for n in names)
             + f"  {'test ' + metric:>14}  {'train':>7}  {'fit s':>6}"]
    for r in rows[:top]:
        cells = "  ".join(f"{_short(r['params'].get(n)):>{width}}" for n in names)
        lines.append(f"{r['rank']:>4}  {cells}  {r['mean_test']:>8.4f} ±{r['std_test']:.3f}"
                     f"  {r['mean_train']:>7.4f}  {r['fit_seconds']:>6.2f}")
    return "\n".join(lines)


def _short(value):
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else str(value)
    return str(value)


def check_folds(cv, n_samples):
    V.check_number("--cv", cv, 2, integer=True)
    if cv > n_samples:
        raise ValueError(f"--cv {cv} is more folds than the {n_samples} examples")

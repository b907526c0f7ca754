"""The command line: ``python -m nn`` or ``nnkernels``, with train, search, predict, bench,
gradcheck and course subcommands. Bad input ends with a one-line error and exit status 2."""
import argparse
import csv
import inspect
import sys
import time
from pathlib import Path

import numpy as np

from . import datasets, workloads
from .diagnosis import diagnose
from .estimators import DeepNeuralNetwork, DeepNeuralNetworkRegressor


class UsageError(Exception):
    """A problem with what the user asked for; printed as one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def fastest_backend():
    return workloads.available_backends()[-1]


# -------------------------------------------------------------------- train
def _hyperparameter_options(parser):
    """One --option per DeepNeuralNetwork hyperparameter, parsed from its default's type."""
    skip = {"backend", "dtype", "verbose"}
    for p in inspect.signature(DeepNeuralNetwork.__init__).parameters.values():
        if p.name == "self" or p.name in skip:
            continue
        flag = "--" + p.name.replace("_", "-")
        if p.name == "hidden_layer_sizes":
            parser.add_argument(flag, type=int, nargs="*", default=None, metavar="N",
                                help="hidden layer widths (default: 16 8)")
        elif p.name == "keep_prob":
            parser.add_argument(flag, type=float, nargs="+", default=None, metavar="P",
                                help="dropout keep probability, one or one per hidden layer")
        elif isinstance(p.default, bool):
            parser.add_argument(flag, type=_boolean, default=None, metavar="BOOL")
        elif p.name in ("batch_size", "random_state", "n_threads", "initialization", "lr_decay"):
            kind = str if p.name in ("initialization", "lr_decay") else _optional_int
            parser.add_argument(flag, type=kind, default=None)
        else:
            parser.add_argument(flag, type=type(p.default), default=None)


def _boolean(text):
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def _optional_int(text):
    return None if text.lower() == "none" else int(text)


def _estimator_params(args):
    params = {}
    for p in inspect.signature(DeepNeuralNetwork.__init__).parameters:
        if p in ("self", "backend", "dtype", "verbose"):
            continue
        value = getattr(args, p, None)
        if value is not None:
            params[p] = value
    if "keep_prob" in params and len(params["keep_prob"]) == 1:
        params["keep_prob"] = params["keep_prob"][0]
    if "hidden_layer_sizes" in params:
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    return params


def _progress(total, enabled):
    """A per-epoch callback that shows a tqdm bar with the current cost (text without tqdm)."""
    if not enabled:
        return (lambda epoch, history: None), lambda: None
    try:
        from tqdm import tqdm
    except ImportError:
        step = max(1, total // 10)

        def text(epoch, history):
            if epoch % step == 0 or epoch == total:
                print(f"epoch {epoch}/{total}: cost {history['loss'][-1]:.5f}", flush=True)
        return text, lambda: None
    bar = tqdm(total=total, unit="epoch", dynamic_ncols=True)

    def update(epoch, history):
        bar.update(epoch - bar.n)
        bar.set_postfix(cost=f"{history['loss'][-1]:.5f}", refresh=False)
    return update, bar.close


def cmd_train(args):
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    X, y, source = _training_data(args)
    regression = args.task == "regression"
    split = datasets_split(X, y, args.dev_fraction, regression)
    X_train, X_dev, y_train, y_dev = split
    backend = args.backend or fastest_backend()
    params = dict(hidden_layer_sizes=(16, 8), activation="tanh", learning_rate=0.01,
                  epochs=300, batch_size=64, random_state=0)
    params.update(_estimator_params(args))
    cls = DeepNeuralNetworkRegressor if regression else DeepNeuralNetwork
    model = cls(backend=backend, dtype=args.dtype, **params)
    model._check_hyperparameters()
    print(f"training {cls.__name__}{params['hidden_layer_sizes']} on {source}: "
          f"{len(X_train)} train / {len(X_dev)} dev examples, backend {backend}")
    if backend == "numba" and not args.quiet:
        print("the first epoch also loads the compiled kernels from Numba's cache; the first "
              "run on a machine compiles them, which takes 5 to 30 seconds")
    elif backend == "cuda" and not args.quiet:
        print("the first epoch also compiles the CUDA kernels (every run: they are not cached "
              "on disk)")
    show, close = _progress(model.epochs, not args.quiet)
    stamps = []

    def callback(epoch, history):
        stamps.append(time.perf_counter())
        show(epoch, history)
    start = time.perf_counter()
    try:
        model.fit(X_train, y_train, callback=callback)
    finally:
        close()
    # epochs after the first, which also pays for loading (or compiling) the kernels
    per_epoch = ((stamps[-1] - stamps[0]) / (len(stamps) - 1) if len(stamps) > 1
                 else time.perf_counter() - start)
    metric = "R^2" if regression else "accuracy"
    print(f"train {metric} {model.score(X_train, y_train):.4f}, "
          f"dev {metric} {model.score(X_dev, y_dev) if len(X_dev) else float('nan'):.4f}, "
          f"{per_epoch * 1e3:.3f} ms per epoch")
    if len(X_dev):
        print(diagnose(model, X_train, y_train, X_dev, y_dev, args.baseline_error))
    model_path = model.save(out / "model.npz")
    written = [model_path]
    try:
        from . import plot
        plot.plot_cost(model, path=out / "cost.png")
        written.append(out / "cost.png")
        if X.shape[1] == 2 and not regression:
            plot.plot_decision_boundary(model, X, y, path=out / "decision_boundary.png")
            written.append(out / "decision_boundary.png")
        if args.plots:
            written += _learning_curve(plot, model, X_train, y_train, per_epoch, out)
    except ImportError as exc:
        print(f"no plots: {exc}")
    print("wrote " + ", ".join(str(p) for p in written))


#: Longest estimated run of `nn train --plots`'s learning curve, in seconds.
_CURVE_SECONDS = 60.0


def _learning_curve(plot, model, X, y, per_epoch, out):
    """The learning curve PNG when its 3 folds x 5 sizes of fits should take seconds: they
    train on 60% of the set on average, at the measured time per epoch."""
    estimate = 15 * 0.6 * model.epochs * per_epoch
    if estimate > _CURVE_SECONDS:
        print(f"no learning curve: its 15 fits would take about {estimate:.0f} s "
              f"(more than {_CURVE_SECONDS:.0f} s); plot it with nn.plot.plot_learning_curve")
        return []
    try:
        plot.plot_learning_curve(model, X, y, path=out / "learning_curve.png")
    except ImportError as exc:
        print(f"no learning curve: {exc}")
        return []
    return [out / "learning_curve.png"]


def datasets_split(X, y, dev_fraction, regression):
    from .preprocessing import train_dev_test_split
    if not 0 <= dev_fraction < 1:
        raise UsageError(f"--dev-fraction must lie in [0, 1), got {dev_fraction}")
    X_train, X_dev, _, y_train, y_dev, _ = train_dev_test_split(
        X, y, (1 - dev_fraction, dev_fraction, 0.0), random_state=0)
    return X_train, X_dev, y_train, y_dev


# ------------------------------------------------------------------- search
def _space_options(parser):
    """One --option per hyperparameter a search may vary, holding its space as text."""
    from .search import FIXED
    for p in inspect.signature(DeepNeuralNetwork.__init__).parameters.values():
        if p.name == "self" or p.name in FIXED:
            continue
        parser.add_argument("--" + p.name.replace("_", "-"), default=None, metavar="SPACE",
                            dest="space_" + p.name)


def cmd_search(args):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ImportError('nn search needs Dask: pip install "nnkernels[dask]"') from None
    import functools
    from . import search as S
    from .distributed import worker_env
    defaults = inspect.signature(DeepNeuralNetwork.__init__).parameters
    space = {name[len("space_"):]: S.parse_space(name[len("space_"):], text,
                                                 defaults[name[len("space_"):]].default)
             for name, text in vars(args).items()
             if name.startswith("space_") and text is not None}
    if not space:
        raise UsageError("give at least one hyperparameter to search, for example "
                         "--learning-rate 1e-4:1e-1:log --keep-prob 0.7,0.9,1.0")
    X, y, source = _training_data(args)
    S.check_folds(args.cv, len(X))
    regression = args.task == "regression"
    cls = DeepNeuralNetworkRegressor if regression else DeepNeuralNetwork
    base = dict(hidden_layer_sizes=(16, 8), activation="tanh", learning_rate=0.01,
                epochs=100, batch_size=64, random_state=0)
    make = functools.partial(cls, backend=args.backend or "numba", dtype=args.dtype,
                             n_threads=1, **base)
    make().set_params(**{k: v[0] if isinstance(v, list) else v.rvs(random_state=0)
                         for k, v in space.items()})._check_hyperparameters()
    if args.scheduler:
        cluster, where = None, f"the scheduler at {args.scheduler}"
    else:
        cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, env=worker_env(1))
        where = f"a local cluster of {args.workers} single-threaded workers"
    n = len(S.candidates(space, args.n_iter, 0))
    print(f"searching {n} settings x {args.cv} folds of {cls.__name__} on {source}, on {where}")
    try:
        with Client(args.scheduler or cluster) as client:
            rows = S.run_search(client, make, space, X, y, args.cv, args.n_iter,
                                progress=not args.quiet)
    finally:
        if cluster is not None:
            cluster.close()
    metric = "R^2" if regression else "accuracy"
    print(S.table(rows, space, metric))
    written = S.write_results(rows, args.out, space, metric)
    print("wrote " + ", ".join(str(p) for p in written))


def _training_data(args):
    if args.data:
        X, y = datasets.load_file(args.data, args.label)
        return X, y, args.data
    X, y = datasets.make_planar(400, random_state=1)
    return X, y, "the built-in flower data set (400 points)"


# ------------------------------------------------------------------ predict
def cmd_predict(args):
    from .model_io import load
    model = load(args.model)
    X, _ = datasets.load_file(args.data, has_labels=args.has_labels, label=args.label)
    pred = model.predict(X)
    out = open(args.output, "w", newline="") if args.output != "-" else sys.stdout
    try:
        writer = csv.writer(out)
        writer.writerow(["prediction"])
        for value in np.asarray(pred).reshape(len(pred), -1):
            writer.writerow(list(value))
    finally:
        if out is not sys.stdout:
            out.close()
            print(f"wrote {len(pred)} predictions to {args.output}")


# -------------------------------------------------------------------- bench
def cmd_bench(args):
    backends = args.backends or workloads.available_backends()
    print(f"{'workload':<10}{'backend':<9}{'seconds':>10}{'vs numpy':>10}   "
          f"({'quick' if not args.full else 'full'} sizes, median of {args.repeats})")
    for name in args.workloads:
        X, y, params = workloads.workload(name, quick=not args.full)
        times = {}
        for backend in backends:
            model = DeepNeuralNetwork(backend=backend, **params)
            model.fit(X, y)  # compile and warm up
            samples = []
            for _ in range(args.repeats):
                start = time.perf_counter()
                model.fit(X, y)
                samples.append(time.perf_counter() - start)
            times[backend] = float(np.median(samples))
        base = times.get("numpy")
        for backend, seconds in times.items():
            ratio = f"{base / seconds:9.2f}x" if base else "        -"
            print(f"{name:<10}{backend:<9}{seconds:>10.4f}{ratio}")


# ---------------------------------------------------------------- gradcheck
def cmd_gradcheck(args):
    from .gradcheck import gradient_check
    rng = np.random.default_rng(args.seed)
    X = rng.normal(size=(12, 4))
    worst = 0.0
    print(f"{'backend':<8}{'activation':<12}{'output':<10}{'relative difference':>22}")
    for backend in args.backends or workloads.available_backends():
        for activation in ("sigmoid", "tanh", "relu", "leaky_relu"):
            for output, y in (("sigmoid", rng.integers(0, 2, 12)),
                              ("softmax", np.arange(12) % 3), ("identity", rng.normal(size=12))):
                cls = DeepNeuralNetworkRegressor if output == "identity" else DeepNeuralNetwork
                model = cls(hidden_layer_sizes=(5, 3), activation=activation, l2=0.1, epochs=2,
                            backend=backend, random_state=args.seed).fit(X, y)
                diff = gradient_check(model, X, y)
                worst = max(worst, diff)
                print(f"{backend:<8}{activation:<12}{output:<10}{diff:>22.3e}")
    print(f"worst {worst:.3e}: " + ("backpropagation agrees with the numerical gradient"
                                    if worst < 1e-7 else "ABOVE the 1e-7 threshold"))
    return 0 if worst < 1e-7 else 1


# ------------------------------------------------------------------- course
def cmd_course(args):
    from .course import run_course
    run_course(Path(args.data_dir), backend=args.backend or fastest_backend(),
               scale=0.1 if args.quick else 1.0, out=Path(args.out) if args.out else None)


def build_parser():
    parser = _Parser(prog="nnkernels", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("train", help="train a deep network (default: the built-in flower set)")
    p.add_argument("--data", help="training data: .npz (X, y), .csv (label column) or .h5")
    p.add_argument("--label", default="last", help="label column of a CSV (default: last)")
    p.add_argument("--task", choices=["classification", "regression"], default="classification")
    p.add_argument("--backend", choices=["numpy", "numba", "cuda"],
                   help="default: the fastest available here")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    p.add_argument("--dev-fraction", type=float, default=0.2)
    p.add_argument("--out", default="nn-out", help="folder for model.npz and PNGs")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--baseline-error", type=float, default=0.0,
                   help="Bayes or human-level error of the bias/variance report (default: 0)")
    p.add_argument("--plots", action="store_true",
                   help="also write the learning curve (needs scikit-learn)")
    _hyperparameter_options(p)
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("search", help="a cross-validated hyperparameter search on Dask")
    p.add_argument("--data", help="training data: .npz (X, y), .csv (label column) or .h5")
    p.add_argument("--label", default="last", help="label column of a CSV (default: last)")
    p.add_argument("--task", choices=["classification", "regression"], default="classification")
    p.add_argument("--backend", choices=["numpy", "numba", "cuda"], help="default: numba")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64")
    p.add_argument("--workers", type=int, default=2, help="local cluster size (default: 2)")
    p.add_argument("--scheduler", help="address of a running Dask scheduler instead")
    p.add_argument("--cv", type=int, default=3, help="folds (default: 3)")
    p.add_argument("--n-iter", type=int, default=20,
                   help="settings of a random search, when a space has a range (default: 20)")
    p.add_argument("--out", default="nn-search", help="folder for search.csv and search.png")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _space_options(p)
    p.set_defaults(run=cmd_search)

    p = sub.add_parser("predict", help="write a model's predictions for a data file as CSV")
    p.add_argument("model")
    p.add_argument("data")
    p.add_argument("--output", default="-", help="CSV file (default: standard output)")
    p.add_argument("--has-labels", action="store_true", help="the file also has a label column")
    p.add_argument("--label", default="last")
    p.set_defaults(run=cmd_predict)

    p = sub.add_parser("bench", help="time W1-W3 on every available backend")
    p.add_argument("workloads", nargs="*", default=["W1", "W2", "W3"], choices=["W1", "W2", "W3"])
    p.add_argument("--full", action="store_true", help="full sizes (default: quick)")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--backends", nargs="+", choices=["numpy", "numba", "cuda"])
    p.set_defaults(run=cmd_bench)

    p = sub.add_parser("gradcheck", help="gradient checking of every activation and output")
    p.add_argument("--backends", nargs="+", choices=["numpy", "numba", "cuda"])
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=cmd_gradcheck)

    p = sub.add_parser("course", help="reproduce the course's experiments")
    p.add_argument("--data-dir", required=True, help="folder with the course's data files")
    p.add_argument("--backend", choices=["numpy", "numba", "cuda"])
    p.add_argument("--quick", action="store_true", help="a tenth of the epochs")
    p.add_argument("--out", help="folder for comparison PNGs")
    p.set_defaults(run=cmd_course)
    return parser


def main(argv=None):
    try:
        args = build_parser().parse_args(argv)
        return args.run(args) or 0
    except (UsageError, ValueError, TypeError, OSError, ImportError, RuntimeError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"nnkernels: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nnkernels: interrupted", file=sys.stderr)
        return 130

"""Time the standard workloads W1 to W3 on every backend side by side, with PyTorch if installed.

    python benchmarks/compare_backends.py [--size quick|full] [--repeats 5] [--batch-size N]
                                          [--backends numpy,numba,...] [--pause 0.3]
                                          [W1 W2 W3]

Each workload is fitted once per backend to warm up (compilation, caches), then the
backends take turns, `repeats` rounds, so that noise on a shared machine hits them alike.
Each timed fit waits `pause` seconds first: OpenBLAS's workers spin for about 0.1 s after a
product, and NumPy and SciPy (whose BLAS Numba calls) each load their own OpenBLAS, so a fit
started right after another backend's shares the cores with that backend's spinning
workers (measured on 2 cores: numba's W2 took 195 ms right after a NumPy fit and 84 ms
after a 0.3 s pause).
It prints median seconds per fit, the speedup over the first backend that runs (numpy
unless --backends leaves it out), and the peak host memory a fit allocates beyond the data
set, as a fraction of the data set (traced NumPy/Numba allocations; PyTorch's and the
GPU's are not traced). The pseudo-backend "blas" runs only the fit's matrix products,
through NumPy's matmul (`benchmarks.common.blas_epoch`); with it, the last column gives
each backend's fraction of that floor.
"""
import os

# OpenMP threads that busy-wait after a parallel region starve the next library's threads
# on a small machine; PyTorch uses OpenMP (and so does Numba's omp layer, when chosen), so
# every backend gets the passive policy, set before any of them loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import pathlib  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import kernels.cpu  # noqa: E402
from benchmarks.common import blas_epoch, cuda_available, estimator, workload  # noqa: E402

BACKENDS = ["numpy", "numba", "cuda", "torch-cpu", "torch-cuda", "blas"]


def torch_runner(name, device, size, **overrides):
    """A fit of the same network, optimizer, batch size and epochs written in PyTorch.

    Like a fit of the nn estimators, it starts from the NumPy arrays: on a GPU, copying the
    data set to the device is part of the fit.
    """
    import torch
    X, y, params = workload(name, size)
    params.update(overrides)
    dtype = torch.float32 if params["dtype"] == "float32" else torch.float64
    m = len(X)
    batch = params["batch_size"] or m

    def fit():
        Xt = torch.as_tensor(X, dtype=dtype, device=device)
        yt = torch.as_tensor(y, dtype=dtype, device=device)[:, None]
        torch.manual_seed(0)
        sizes = (X.shape[1],) + params["hidden_layer_sizes"]
        layers = []
        for a, b in zip(sizes[:-1], sizes[1:]):
            layers += [torch.nn.Linear(a, b), torch.nn.ReLU()]
        model = torch.nn.Sequential(*layers, torch.nn.Linear(sizes[-1], 1)).to(device, dtype)
        opt = (torch.optim.Adam(model.parameters(), lr=params["learning_rate"])
               if params["optimizer"] == "adam"
               else torch.optim.SGD(model.parameters(), lr=params["learning_rate"]))
        loss_fn = torch.nn.BCEWithLogitsLoss()
        for _ in range(params["epochs"]):
            order = torch.randperm(m, device=device) if batch < m else None
            total = torch.zeros((), dtype=dtype, device=device)
            for start in range(0, m, batch):
                idx = order[start:start + batch] if order is not None else slice(None)
                loss = loss_fn(model(Xt[idx]), yt[idx])
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += loss.detach()
            total.item()  # one host synchronisation per epoch, as the nn backends do
    return fit


def runners(name, size, backends, **overrides):
    """Fit functions by backend name, for the backends of `backends` that are here."""
    out = {}
    for backend in ["numpy", "numba"] + (["cuda"] if cuda_available() else []):
        if backend in backends:
            model, X, y = estimator(name, backend, size)
            model.set_params(**overrides)
            out[backend] = lambda model=model, X=X, y=y: model.fit(X, y)
    if "blas" in backends:
        model, X, _ = estimator(name, "numpy", size)
        model.set_params(**overrides)
        sizes = (X.shape[1],) + tuple(model.hidden_layer_sizes) + (1,)
        epoch = blas_epoch(sizes, model.batch_size or len(X), len(X), model.dtype)
        out["blas"] = lambda: [epoch() for _ in range(model.epochs)]
    try:
        import torch
    except ImportError:
        return out
    if "torch-cpu" in backends:
        out["torch-cpu"] = torch_runner(name, "cpu", size, **overrides)
    if "torch-cuda" in backends and torch.cuda.is_available():
        sync = torch.cuda.synchronize
        fit = torch_runner(name, "cuda", size, **overrides)
        out["torch-cuda"] = lambda: (fit(), sync())
    return out


def peak_extra_bytes(run):
    tracemalloc.start()
    tracemalloc.reset_peak()
    run()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("workloads", nargs="*", default=["W1", "W2", "W3"])
    p.add_argument("--size", default="full", choices=["quick", "full"])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--batch-size", type=int, help="override the workloads' mini-batch size")
    p.add_argument("--backends", default=",".join(BACKENDS),
                   help="comma-separated subset of " + ",".join(BACKENDS))
    p.add_argument("--pause", type=float, default=0.3,
                   help="seconds to wait before each timed fit, so that the previous "
                        "backend's BLAS workers have gone idle")
    args = p.parse_args()
    overrides = {} if args.batch_size is None else {"batch_size": args.batch_size}
    backends = args.backends.split(",")
    print(f"{'workload':<9}{'backend':<12}{'median s':>10}{'vs first':>10}{'extra mem':>11}"
          f"{'of floor':>10}")
    for name in args.workloads:
        fits = runners(name, args.size, backends, **overrides)
        X = workload(name, args.size)[0]
        for run in fits.values():
            run()
        if "numba" in fits and kernels.cpu.engine._wait_for_compiles():
            fits["numba"]()  # loads the training loop compiled in the background
        times = {b: [] for b in fits}
        for _ in range(args.repeats):
            for backend, run in fits.items():
                time.sleep(args.pause)
                start = time.perf_counter()
                run()
                times[backend].append(time.perf_counter() - start)
        base = statistics.median(times[next(iter(times))])
        floor = statistics.median(times["blas"]) if "blas" in times else None
        for backend, ts in times.items():
            med = statistics.median(ts)
            mem = ("" if backend.startswith("torch") or backend == "blas"
                   else f"{peak_extra_bytes(fits[backend]) / X.nbytes:10.1%}")
            share = "" if floor is None else f"{floor / med:10.1%}"
            print(f"{name:<9}{backend:<12}{med:>10.4f}{base / med:>9.2f}x{mem:>11}{share:>10}")


if __name__ == "__main__":
    main()

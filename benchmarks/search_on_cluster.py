"""A 48-fit grid search on a Dask LocalCluster of single-threaded workers against the same
search in one process (needs the "dask" extra).

    python benchmarks/search_on_cluster.py [--workers 2] [--backend numba] [--repeats 3]

Both searches run `--repeats` times, alternating; the script prints each time, the medians
and their ratio, and checks that both found the same scores. The one-process search runs
with the backend pinned to one thread, as each worker is.
"""
import argparse
import statistics
import time

import numpy as np

import nn


def search(backend, X, y):
    from sklearn.model_selection import GridSearchCV
    est = nn.DeepNeuralNetwork(hidden_layer_sizes=(32, 16), epochs=200, batch_size=64,
                               backend=backend, n_threads=1, random_state=0)
    grid = {"learning_rate": [3e-4, 1e-3, 3e-3, 1e-2], "l2": [0.0, 0.1, 1.0, 3.0]}
    return GridSearchCV(est, grid, cv=3)  # 16 settings x 3 folds = 48 fits


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backend", default="numba")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    import joblib
    from dask.distributed import Client, LocalCluster
    X, y = nn.datasets.make_moons(2000, noise=0.25, random_state=0)
    nn.warmup(args.backend)
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                           dashboard_address=None, env=nn.distributed.worker_env(1))
    times = {"one process": [], f"{args.workers} workers": []}
    with cluster, Client(cluster) as client:
        nn.distributed.prepare(client, backend=args.backend)
        for _ in range(args.repeats):
            start = time.perf_counter()
            local = search(args.backend, X, y).set_params(n_jobs=1).fit(X, y)
            times["one process"].append(time.perf_counter() - start)
            start = time.perf_counter()
            with joblib.parallel_config(backend="dask"):
                remote = search(args.backend, X, y).fit(X, y)
            times[f"{args.workers} workers"].append(time.perf_counter() - start)
    same = np.array_equal(local.cv_results_["mean_test_score"],
                          remote.cv_results_["mean_test_score"])
    for name, samples in times.items():
        print(f"{name:<12} " + " ".join(f"{t:6.2f}" for t in samples)
              + f"   median {statistics.median(samples):6.2f} s")
    ratio = statistics.median(times["one process"]) / statistics.median(
        times[f"{args.workers} workers"])
    print(f"speedup {ratio:.2f}x with {args.workers} workers; same scores: {same}")


if __name__ == "__main__":
    main()

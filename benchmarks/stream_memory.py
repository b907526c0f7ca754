"""Peak memory of reading an HDF5 file in blocks (nn.datasets.iter_chunks) against whole.

    python benchmarks/stream_memory.py make big.h5     # 200,000 x 100 float64, 154 MiB
    python benchmarks/stream_memory.py chunks big.h5   # blocks of 10,000 rows
    python benchmarks/stream_memory.py whole big.h5    # nn.datasets.load_h5

Each reading run prints the process's peak resident memory (``resource.getrusage``) after
the imports and after reading; run each mode in a fresh process.
"""
import resource
import sys
import time

import numpy as np

import nn


def make(path, rows=200_000, features=100, block=10_000):
    import h5py
    rng = np.random.default_rng(0)
    with h5py.File(path, "w") as f:
        X = f.create_dataset("X", (rows, features), dtype="f8", chunks=(block, features))
        y = f.create_dataset("y", (rows,), dtype="i8")
        for start in range(0, rows, block):
            X[start:start + block] = rng.normal(size=(block, features))
            y[start:start + block] = rng.integers(0, 2, block)


def peak_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main(mode, path):
    if mode == "make":
        return make(path)
    imported = peak_mib()
    started = time.perf_counter()
    if mode == "chunks":
        rows = sum(len(X) for X, _ in nn.datasets.iter_chunks(path, 10_000))
    else:
        rows = len(nn.datasets.load_h5(path)[0])
    print(f"{mode}: {rows} rows in {time.perf_counter() - started:.2f} s, peak RSS "
          f"{peak_mib()} MiB ({imported} MiB after the imports)")


if __name__ == "__main__":
    main(*sys.argv[1:3])

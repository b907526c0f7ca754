"""Numba's threading layer as the CPU backend chooses it, and callers from several threads."""
import os
import subprocess
import sys

import pytest

pytest.importorskip("numba")


def _run(code, **env):
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**{k: v for k, v in os.environ.items()
                                 if k != "NUMBA_THREADING_LAYER"}, **env})
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


FIT = ("import numpy as np, numba, nn\n"
       "rng = np.random.default_rng(0)\n"
       "X = rng.normal(size=(200, 300)).astype(np.float32)\n"
       "y = (X[:, 0] > 0).astype(int)\n"
       # 300 x 256 weights: the optimizer step runs on Numba's threads
       "def fit(n_threads=None):\n"
       "    return nn.DeepNeuralNetwork(hidden_layer_sizes=(256,), epochs=2, batch_size=50,\n"
       "        dtype='float32', backend='numba', random_state=0, n_threads=n_threads).fit(X, y)\n")


def test_default_layer_is_workqueue_and_threads_are_honoured():
    out = _run(FIT + "net = fit(n_threads=1)\n"
               "print(numba.threading_layer(), numba.get_num_threads())\n")
    layer, threads = out.split()
    assert layer == "workqueue"
    assert int(threads) == int(_run("import numba; print(numba.config.NUMBA_NUM_THREADS)"))


def test_a_chosen_layer_is_kept():
    out = _run(FIT + "fit()\nprint(numba.threading_layer())\n",
               NUMBA_THREADING_LAYER="omp")
    assert out.split()[-1] == "omp"


def test_fits_from_several_python_threads_take_turns():
    """Four threads fit at once (the workqueue layer aborts the process on concurrent
    parallel launches): every fit completes with the parameters of a fit made alone."""
    out = _run(FIT + "from concurrent.futures import ThreadPoolExecutor\n"
               "alone = fit().params_[0][0]\n"
               "with ThreadPoolExecutor(4) as pool:\n"
               "    nets = list(pool.map(lambda _: fit(), range(4)))\n"
               "assert all(np.array_equal(n.params_[0][0], alone) for n in nets)\n"
               "print('ok')\n")
    assert out.strip() == "ok"

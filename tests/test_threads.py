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
    out = _run(FIT + "during = []\n"
               "nn.DeepNeuralNetwork(hidden_layer_sizes=(256,), epochs=2, batch_size=50,\n"
               "    dtype='float32', backend='numba', n_threads=1).fit(\n"
               "    X, y, callback=lambda *_: during.append(numba.get_num_threads()))\n"
               "print(numba.threading_layer(), set(during), numba.get_num_threads())\n")
    layer, during, after = out.split(maxsplit=2)
    assert (layer, during) == ("workqueue", "{1}")
    assert int(after) == int(_run("import numba; print(numba.config.NUMBA_NUM_THREADS)"))


def test_a_chosen_layer_is_kept():
    out = _run(FIT + "fit()\nprint(numba.threading_layer())\n",
               NUMBA_THREADING_LAYER="omp")
    assert out.split()[-1] == "omp"


def test_fits_from_several_python_threads_take_turns():
    """Four threads fit at once, each logging its epochs from a callback that sleeps (and
    so releases the GIL): the backend's lock runs one whole fit at a time, so the log
    holds each fit's epochs together, and every fit equals a fit made alone."""
    out = _run(FIT + "import threading, time\n"
               "from concurrent.futures import ThreadPoolExecutor\n"
               "alone = fit().params_[0][0]\n"
               "log = []\n"
               "def logged(_):\n"
               "    me = threading.get_ident()\n"
               "    def callback(epoch, history):\n"
               "        log.append(me)\n"
               "        time.sleep(0.02)\n"
               "    return nn.DeepNeuralNetwork(hidden_layer_sizes=(256,), epochs=2,\n"
               "        batch_size=50, dtype='float32', backend='numba', random_state=0\n"
               "        ).fit(X, y, callback=callback)\n"
               "with ThreadPoolExecutor(4) as pool:\n"
               "    nets = list(pool.map(logged, range(4)))\n"
               "runs = [t for i, t in enumerate(log) if i == 0 or log[i - 1] != t]\n"
               "assert len(log) == 8 and len(runs) == 4, log\n"
               "assert all(np.array_equal(n.params_[0][0], alone) for n in nets)\n"
               "print('ok')\n")
    assert out.strip() == "ok"


def test_more_threads_than_the_pool_is_refused_clearly():
    """A worker started with NUMBA_NUM_THREADS=1 (nn.distributed.worker_env) cannot give a
    fit two threads: the fit says so, and the model is unchanged."""
    import numpy as np
    import nn
    import numba
    pool = numba.config.NUMBA_NUM_THREADS
    net = nn.DeepNeuralNetwork(hidden_layer_sizes=(3,), epochs=1, backend="numba",
                               n_threads=pool + 1)
    with pytest.raises(ValueError, match=rf"n_threads={pool + 1} is more than the {pool} "
                                         "threads of Numba's pool"):
        net.fit(np.zeros((4, 2)), [0, 1, 0, 1])
    assert not hasattr(net, "params_")

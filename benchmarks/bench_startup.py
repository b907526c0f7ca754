"""Start-up cost as a user meets it: whole fresh processes, from `import nn` to the first fit
and predict, and `python -m nn train`, with an empty Numba cache (cold: everything
compiles) and with a filled one (warm), on each backend.

The first-fit jobs are W1 in float64 (2 epochs) and a 784-512-256-1 network in float32
(2,000 samples, batch 256, 2 epochs). Quick runs (NN_BENCH_SIZE=quick) time W1 alone, and
`train` on numpy alone.
"""
import subprocess
import sys
import tempfile

from .common import SIZE, cuda_available

JOBS = {
    "W1-float64": "X, y, kw = nn.workloads.workload('W1')\nkw['epochs'] = 2\n",
    "wide-float32": ("rng = np.random.default_rng(0)\n"
                     "X = rng.random((2000, 784), dtype=np.float32)\n"
                     "y = (X[:, 0] > 0.5).astype(int)\n"
                     "kw = dict(hidden_layer_sizes=(512, 256), batch_size=256, epochs=2,\n"
                     "          optimizer='adam', dtype='float32', random_state=0)\n"),
}
#: cuda only with a GPU: timeraw benchmarks run no setup in which to skip it.
BACKENDS = ["numpy", "numba"] + (["cuda"] if cuda_available() else [])


def first_fit(backend, job):
    return ("import numpy as np\nimport nn\n" + JOBS[job]
            + f"nn.DeepNeuralNetwork(backend={backend!r}, **kw).fit(X, y).predict(X)\n")


def train_command(backend):
    """The command's code, its report kept off stdout, where asv reads the time."""
    return ("import contextlib, io, tempfile\nfrom nn.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    main(['train', '--backend', {backend!r}, '--out', tempfile.mkdtemp()])\n")


#: The end of a timed process: a first fit on an empty cache may have started processes that
#: compile its training loop into the cache (``config.COMPILE_HELPERS``). They outlive it,
#: and would take a core from the benchmarks after it: stop them, once the time is taken.
_STOP_HELPERS = ("import sys\n"
                 "for helper in filter(None, getattr(sys.modules.get('kernels.cpu.engine'),\n"
                 "                                   '_LOOP_HELPERS', {}).values()):\n"
                 "    helper.kill()\n")


def _with_cache(cache, code):
    return f"import os\nos.environ['NUMBA_CACHE_DIR'] = {cache!r}\n" + code


def _cold(code):
    return ("import os, tempfile\nos.environ['NUMBA_CACHE_DIR'] = tempfile.mkdtemp()\n" + code
            + _STOP_HELPERS)


def _fill(cache, codes):
    """Fill `cache` for the warm runs: every code's compiled kernels, the training loops
    that helper processes compile included."""
    for code in codes:
        wait = "import kernels.cpu.engine\nkernels.cpu.engine._wait_for_compiles()\n"
        subprocess.run([sys.executable, "-c", _with_cache(cache, code) + wait], check=True)


class ImportToFirstFit:
    params = (BACKENDS, list(JOBS) if SIZE == "full" else ["W1-float64"])
    param_names = ["backend", "job"]
    timeout = 900
    repeat = 1
    number = 1

    def setup_cache(self):
        cache = tempfile.mkdtemp(prefix="nn-numba-cache-")
        _fill(cache, [first_fit(b, job) for b in BACKENDS for job in self.params[1]])
        return cache

    def timeraw_warm(self, cache, backend, job):
        return _with_cache(cache, first_fit(backend, job))

    def timeraw_cold(self, cache, backend, job):
        return _cold(first_fit(backend, job))


class TrainCommand:
    """`python -m nn train` on built-in data, the README's first command."""
    params = BACKENDS if SIZE == "full" else ["numpy"]
    param_names = ["backend"]
    timeout = 900
    repeat = 1
    number = 1

    def setup_cache(self):
        cache = tempfile.mkdtemp(prefix="nn-numba-cache-")
        _fill(cache, [train_command(b) for b in self.params])
        return cache

    def timeraw_warm(self, cache, backend):
        return _with_cache(cache, train_command(backend))

    def timeraw_cold(self, cache, backend):
        return _cold(train_command(backend))

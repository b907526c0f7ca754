"""Start-up cost: from `import nn` to the first fitted tiny model on the numba backend, with
an empty Numba cache (cold: everything compiles) and with a filled one (warm)."""
import os
import subprocess
import sys
import tempfile

FIRST_FIT = """
import numpy as np
import nn
X = np.random.default_rng(0).normal(size=(300, 2))
nn.DeepNeuralNetwork(hidden_layer_sizes=(5, 2), epochs=5, backend="numba",
                     random_state=0).fit(X, (X[:, 0] > 0).astype(int))
"""


class ImportToFirstFit:
    timeout = 600
    repeat = 1
    number = 1

    def setup_cache(self):
        cache = tempfile.mkdtemp(prefix="nn-numba-cache-")
        subprocess.run([sys.executable, "-c", FIRST_FIT], check=True,
                       env=dict(os.environ, NUMBA_CACHE_DIR=cache))
        return cache

    def timeraw_warm(self, cache):
        return f"import os; os.environ['NUMBA_CACHE_DIR'] = {cache!r}\n" + FIRST_FIT

    def timeraw_cold(self, cache):
        return ("import os, tempfile; os.environ['NUMBA_CACHE_DIR'] = tempfile.mkdtemp()\n"
                + FIRST_FIT)

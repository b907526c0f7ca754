"""Every CUDA kernel compiled to PTX for sm_90, for each signature it is launched with
(`device.signatures`, which test_cuda_backend checks against the types of real launches).

This runs Numba's real type inference and NVVM code generation, which the simulator
skips, and needs no GPU: it runs in a subprocess without NUMBA_ENABLE_CUDASIM. numba-cuda
asks the current device for its compute capability when it compiles a device function
called from a kernel; with no driver there is no device, so the subprocess answers that
lookup with the sm_90 target that compile_ptx is given anyway.
"""
import os
import subprocess
import sys

import pytest

from tests.conftest import HAS_NUMBA_CUDA

pytestmark = pytest.mark.skipif(not HAS_NUMBA_CUDA, reason="numba-cuda is not installed")

SCRIPT = r"""
import types
import numpy as np
import numba.cuda.dispatcher as dispatcher
from numba import cuda
if not cuda.is_available():
    dispatcher.get_current_device = lambda: types.SimpleNamespace(compute_capability=(9, 0))
from kernels.cuda.device import build, signatures
count = expected = 0
for dtype in (np.float32, np.float64):
    kernels = build(dtype, 16, 128, 4)
    sigs = signatures(dtype)
    assert set(sigs) == set(kernels.sources), set(sigs) ^ set(kernels.sources)
    expected += len(kernels.sources)
    for name, fn in kernels.sources.items():
        ptx, _ = cuda.compile_ptx(fn, sigs[name], cc=(9, 0))
        assert ".entry" in ptx and "sm_90" in ptx, name
        if name in ("forward", "weight_grads", "backprop"):
            assert ".shared" in ptx, name + " lost its shared-memory tiles"
        count += 1
print(f"compiled {count} of {expected}")
"""


def test_every_kernel_compiles_to_ptx():
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_ENABLE_CUDASIM"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env,
                         timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    count, expected = (int(w) for w in out.stdout.split()[1::2][:2])
    assert count == expected >= 32, out.stdout

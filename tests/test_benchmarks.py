"""The asv suite stays runnable: `asv check` (discovery and argument counts), then every
benchmark once at quick sizes against this environment (`tests/asv_smoke.py`, in one
process), so a broken benchmark fails the test suite (and CI)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
asv = shutil.which("asv", path=os.path.dirname(sys.executable)) or shutil.which("asv")
pytestmark = pytest.mark.skipif(asv is None, reason="asv is not installed")


def _asv(*args, env=None):
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")
    env = dict(os.environ, PATH=path, NN_BENCH_SIZE="quick", **(env or {}))
    env.pop("NUMBA_ENABLE_CUDASIM", None)  # benchmarks see the machine as it is
    return subprocess.run([asv, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=1200)


def test_asv_check_and_quick_run():
    _asv("machine", "--yes", "--machine", "nn-smoke")
    check = _asv("check", "--python=same")
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "asv_smoke.py")], cwd=ROOT,
                         capture_output=True, text=True, timeout=1200)
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-5000:]
    for name in ("LinearForward", "LinearBackward", "Activation", "Dropout", "OptimizerUpdate",
                 "Cost", "W1TinyNetwork", "W2CatNetwork", "W3WideNetwork", "ImportToFirstFit",
                 "TrainCommand", "NumbaTrainingLoops"):
        assert f"ok {name}(" in out, f"benchmark class {name} did not run"

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


def test_blas_floor_times_every_product_of_an_epoch(monkeypatch):
    """One epoch of a 5-4-3-1 network, 5 examples in batches of 2 (2 full, 1 of 1): per step
    3 forward products, 3 weight gradients and 2 backpropagated dA, of the layers' shapes."""
    import numpy as np

    from benchmarks import common
    calls = []
    real = np.matmul

    def counting(a, b, out):
        calls.append((a.shape, b.shape, out.shape, out.dtype))
        return real(a, b, out=out)
    monkeypatch.setattr(np, "matmul", counting)
    monkeypatch.setattr(common, "median_time", lambda fn, repeat: fn() or 1.0)
    common.blas_floor((5, 4, 3, 1), 2, 5, "float32")
    step = lambda mb: [((4, 5), (5, mb), (4, mb)), ((4, mb), (mb, 5), (4, 5)),  # noqa: E731
                       ((3, 4), (4, mb), (3, mb)), ((3, mb), (mb, 4), (3, 4)),
                       ((4, 3), (3, mb), (4, mb)),
                       ((1, 3), (3, mb), (1, mb)), ((1, mb), (mb, 3), (1, 3)),
                       ((3, 1), (1, mb), (3, mb))]
    assert [c[:3] for c in calls] == step(2) * 2 + step(1)
    assert {c[3] for c in calls} == {np.dtype(np.float32)}


def test_speedup_chart_says_which_machine_and_when():
    from types import SimpleNamespace

    from benchmarks.plot_speedups import describe
    run = SimpleNamespace(params={"machine": "box", "cpu": "Xeon", "num_cpu": "2"},
                          date=86_400_000 * 365)
    assert describe(run) == "box (Xeon, 2 cores), 1971-01-01"

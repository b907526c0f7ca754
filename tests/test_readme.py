"""The README's Python examples run as written."""
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nn

README = Path(__file__).resolve().parents[1] / "README.md"


def test_quick_start_runs(tmp_path):
    """In a fresh process; after test_cpu_backend's float32 warm-up its kernels are cached."""
    block = re.search(r"## Quick start\n\n```python\n(.*?)```", README.read_text(), re.DOTALL)
    assert block, "README has no Quick start code block"
    out = subprocess.run([sys.executable, "-c", block.group(1)], check=False, cwd=tmp_path,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert [line.split()[0] for line in lines] == nn.workloads.available_backends()
    assert len({line.split()[1] for line in lines}) == 1  # every backend, the same accuracy
    assert (tmp_path / "model.npz").is_file()


def test_streaming_example_trains_on_chunks(tmp_path, monkeypatch):
    """The partial_fit example, on a small file of three labels read in chunks of 50."""
    h5py = pytest.importorskip("h5py")
    block = re.search(r"HDF5 file too large for memory:\n\n\s*```python\n(.*?)```",
                      README.read_text(), re.DOTALL)
    assert block, "README has no streaming example"
    code = textwrap.dedent(block.group(1)).replace("50_000", "50")
    X, y = nn.datasets.make_blobs(n_samples=300, centers=3, random_state=0)
    with h5py.File(tmp_path / "big.h5", "w") as f:
        f["X"], f["y"] = X, y
    monkeypatch.chdir(tmp_path)
    scope = {}
    exec(code, scope)
    net = scope["net"]
    assert net.n_iter_ == 10 * 6 and net.classes_.tolist() == [0, 1, 2]
    assert net.score(X, y) > 0.9

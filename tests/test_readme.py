"""The README's Python quick start runs as written."""
import re
import subprocess
import sys
from pathlib import Path

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

"""nbval is only worth running if it fails when an output changes: show that it does."""

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow  # runs pytest and a kernel in a subprocess

ROOT = Path(__file__).resolve().parents[1]


def run_nbval(notebook: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", str(notebook), "-p", "no:cacheprovider", "-q",
         "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"), "--rootdir", str(notebook.parent),
         "-c", str(notebook.parent / "empty.ini")],
        capture_output=True, text=True, cwd=notebook.parent,
    )


def test_nbval_fails_when_a_committed_output_is_edited(tmp_path):
    (tmp_path / "empty.ini").write_text("[pytest]\n")
    copy = tmp_path / "edited.ipynb"
    shutil.copy(ROOT / "notebooks" / "01_backprop_derivation.ipynb", copy)
    nb = nbformat.read(copy, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.outputs and "stream" == c.outputs[0].output_type)
    cell.outputs[0].text = cell.outputs[0].text.replace("loss = ", "loss = 9")
    nbformat.write(nb, copy)
    result = run_nbval(copy)
    assert result.returncode == 1, result.stdout[-2000:]
    assert "mismatch" in result.stdout.lower() and "1 failed" in result.stdout

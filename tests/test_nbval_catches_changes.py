"""nbval is only worth running if it fails when an output changes: show that it does."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

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
    notebook = tmp_path / "edited.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('loss =', round(0.5 ** 3, 4))")],
                                  metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    NotebookClient(nb, kernel_name="python3").execute()  # committed executed, like the real notebooks
    nbformat.write(nb, notebook)
    assert run_nbval(notebook).returncode == 0
    nb.cells[0].outputs[0].text = nb.cells[0].outputs[0].text.replace("loss = ", "loss = 9")
    nbformat.write(nb, notebook)
    result = run_nbval(notebook)
    assert result.returncode == 1, result.stdout[-2000:]
    assert "mismatch" in result.stdout.lower() and "1 failed" in result.stdout

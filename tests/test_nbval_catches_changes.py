"""nbval is only worth running if it fails when an output changes: show that it does."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow  # runs pytest and a kernel in a subprocess

ROOT = Path(__file__).resolve().parents[1]


def run_nbval(*notebooks: Path) -> subprocess.CompletedProcess:
    folder = notebooks[0].parent
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", *map(str, notebooks), "-p", "no:cacheprovider", "-q",
         "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"), "--rootdir", str(folder),
         "-c", str(folder / "empty.ini")],
        capture_output=True, text=True, cwd=folder,
    )


def test_nbval_fails_when_a_committed_output_is_edited(tmp_path):
    (tmp_path / "empty.ini").write_text("[pytest]\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('loss =', round(0.5 ** 3, 4))")],
                                  metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}})
    NotebookClient(nb, kernel_name="python3").execute()  # committed executed, like the real notebooks
    nbformat.write(nb, tmp_path / "a_unchanged.ipynb")
    nb.cells[0].outputs[0].text = nb.cells[0].outputs[0].text.replace("loss = ", "loss = 9")
    nbformat.write(nb, tmp_path / "b_edited.ipynb")
    # one nbval run on both: the untouched copy passes, the edited one fails on its output
    result = run_nbval(tmp_path / "a_unchanged.ipynb", tmp_path / "b_edited.ipynb")
    assert result.returncode == 1, result.stdout[-2000:]
    assert "1 failed, 1 passed" in result.stdout, result.stdout[-2000:]
    assert "FAILED b_edited.ipynb" in result.stdout and "mismatch" in result.stdout.lower(), result.stdout[-2000:]

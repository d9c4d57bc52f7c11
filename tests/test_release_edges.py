"""`labkit release --check` without the sources at hand, and `--verify` on a release with header cells."""

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell

from labkit.tools import assignments
from labkit.tools.cli import main
from tests.test_assignments import make_notebook


def test_check_without_sources_passes_a_clean_release(tmp_path, monkeypatch, capsys):
    assignments.release([make_notebook(tmp_path / "hw.ipynb")], tmp_path / "release")
    monkeypatch.chdir(tmp_path)  # no notebooks/ folder here, as on a hub
    assert main(["release", "--check", "release"]) == 0
    assert "leak scan of release: clean (no sources here" in capsys.readouterr().out


def test_check_without_sources_finds_a_source_handed_out_by_mistake(tmp_path, monkeypatch, capsys):
    (tmp_path / "release").mkdir()
    make_notebook(tmp_path / "release" / "hw.ipynb")
    monkeypatch.chdir(tmp_path)
    assert main(["release", "--check", "release"]) == 1
    captured = capsys.readouterr()
    assert "5 leak(s)" in captured.out
    for what in ["hw.ipynb, cell 2: '### BEGIN SOLUTION' (from a marker that only sources hold)",
                 "hw.ipynb, cell 2: '1 output(s)' (from a run: a release has none)",
                 "hw.ipynb, cell 5: 'The derivative of a square is twice the value, which is the ' "
                 "(from a written answer)"]:
        assert f"LEAK {what}" in captured.err


def test_check_with_sources_also_looks_at_the_structure(tmp_path, capsys):
    src = make_notebook(tmp_path / "hw.ipynb")
    assignments.release([src], tmp_path / "out")
    student = nbformat.read(tmp_path / "out" / "hw.ipynb", as_version=4)
    student.metadata["widgets"] = {"state": {}}
    nbformat.write(student, tmp_path / "out" / "hw.ipynb")
    assert main(["release", "--check", str(tmp_path / "out"), str(src)]) == 1
    assert "LEAK hw.ipynb: 'metadata.widgets' (from saved widget state)" in capsys.readouterr().err


@pytest.mark.slow
def test_verify_finds_the_cells_again_after_nbgraders_header_cells(tmp_path):
    src = make_notebook(tmp_path / "hw.ipynb")
    assignments.release([src], tmp_path / "out")
    student = nbformat.read(tmp_path / "out" / "hw.ipynb", as_version=4)
    student.cells[:0] = [new_markdown_cell(text) for text in ("Name:", "Collaborators:", "---")]  # as quickstart's
    nbformat.write(student, tmp_path / "out" / "hw.ipynb")
    assert assignments.verify_release(tmp_path / "out", [src], timeout=120) == []
    student.cells[6].id = "renamed"  # the check cell: nothing names it any more
    nbformat.write(student, tmp_path / "out" / "hw.ipynb")
    problems = assignments.verify_release(tmp_path / "out", [src], timeout=120, sources=False)
    assert problems == [f"hw.ipynb: source cell 3 ({nbformat.read(src, as_version=4).cells[3].id}) is not in the "
                        "student version"]

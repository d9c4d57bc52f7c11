"""The instructor workflow on the real notebooks: hide/show round trip, full release, leak scan, verification."""

import hashlib
import shutil
from pathlib import Path

import jsonschema
import nbformat
import pytest

from labkit.tools import assignments

pytestmark = pytest.mark.slow  # builds, scans and runs a release of the real notebooks

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))

# nbgrader's cell metadata format, version 3, as its documentation describes it (written out here so
# that nbgrader need not be installed): required flags, a grade id of letters, digits, - and _,
# points on graded cells, and no other keys in the source version.
NBGRADER_V3 = {
    "type": "object",
    "properties": {
        "schema_version": {"type": "integer", "minimum": 3, "maximum": 3},
        "grade": {"type": "boolean"},
        "locked": {"type": "boolean"},
        "solution": {"type": "boolean"},
        "task": {"type": "boolean"},
        "grade_id": {"type": "string", "pattern": "^[a-zA-Z0-9_\\-]*$"},
        "points": {"type": "number", "minimum": 0},
    },
    "required": ["schema_version", "grade", "locked", "solution"],
    "additionalProperties": False,
}


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_hide_then_show_round_trip_is_byte_identical(path, tmp_path):
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    assert assignments.set_solutions_hidden(copy, hidden=True) > 0
    assert copy.read_bytes() != path.read_bytes()
    assignments.set_solutions_hidden(copy, hidden=False)
    assert copy.read_bytes() == path.read_bytes()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_nbgrader_metadata_is_valid(path):
    nb = nbformat.read(path, as_version=4)
    ids = []
    for cell in nb.cells:
        is_solution = assignments.is_exercise(cell) or assignments.is_answer(cell)
        meta = cell.metadata.get("nbgrader")
        if not (is_solution or assignments.is_check(cell)):
            assert meta is None
            continue
        jsonschema.validate(meta, NBGRADER_V3)
        assert meta["solution"] == is_solution and meta["grade"] == (assignments.is_check(cell) or cell.cell_type
                                                                     == "markdown")
        if meta["grade"]:
            assert "points" in meta
        if cell.cell_type == "markdown":  # nbgrader: markdown cells are graded solutions or neither
            assert meta["grade"] and meta["solution"]
        ids.append(meta["grade_id"])
    assert len(ids) == len(set(ids)), "grade ids must be unique"


@pytest.fixture(scope="module")
def student_release(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in NOTEBOOKS}
    summaries = assignments.release(NOTEBOOKS, out)
    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in NOTEBOOKS}
    assert before == after, "the release modified a source notebook"
    return out, summaries


def test_release_stubs_every_exercise_and_answer(student_release):
    out, summaries = student_release
    assert [s.notebook for s in summaries] == [p.name for p in NOTEBOOKS]
    for path, summary in zip(NOTEBOOKS, summaries):
        nb = nbformat.read(path, as_version=4)
        assert summary.exercises == sum(assignments.is_exercise(c) for c in nb.cells) > 0
        assert summary.answers == sum(assignments.is_answer(c) for c in nb.cells)


def test_release_is_clean_by_the_leak_scan(student_release):
    out, _ = student_release
    assert assignments.scan_for_leaks(out, NOTEBOOKS) == []


def test_every_check_fails_on_its_stub(student_release):
    out, _ = student_release
    # that the checks pass on the sources is what nbval shows when it runs every notebook
    assert assignments.verify_release(out, NOTEBOOKS, timeout=300, sources=False) == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_sources_carry_no_saved_widget_state(path):
    # a saved state holds the instructor's widget pictures and readouts, which nbgrader would hand out
    assert "widgets" not in nbformat.read(path, as_version=4).metadata, "re-run it with `make execute`"

"""A class graded with nbgrader 0.9.6: the real notebooks as an nbgrader course, end to end.

The module builds a course in a temporary folder from notebooks/, runs
`nbgrader generate_assignment`, hands in simulated submissions, runs
`nbgrader autograde` (with nbgrader's default 30 s per cell) and
`nbgrader generate_feedback`, and reads the scores from the gradebook.
Run by `make test-grading` (which installs the `grading` extra).
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader import api as nbgrader_api  # `make test-grading` installs it (the `grading` extra)

from labkit.tools import assignments
from tests.notebook_helpers import fill, solutions

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ASSIGNMENT = "lab"
XOR = "02_xor_training.ipynb"


def nbgrader(course: Path, *args: str) -> str:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                            text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result.stdout + result.stderr


def submit(course: Path, student: str, notebooks: dict[str, nbformat.NotebookNode]) -> None:
    folder = course / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / name)


def labkit_release(tmp: Path) -> dict[str, nbformat.NotebookNode]:
    assignments.release(NOTEBOOKS, tmp)
    return {path.name: nbformat.read(tmp / path.name, as_version=4) for path in NOTEBOOKS}


def with_exercises(student_nb, source_nb, filled: dict[str, dict[int, str] | None]):
    """The student notebook with the exercises named in ``filled`` answered: None takes the instructors'
    solution, a dict replaces some regions (index -> code) of it."""
    student_nb = copy.deepcopy(student_nb)
    for cell, original in zip(student_nb.cells, source_nb.cells):
        grade_id = original.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if assignments.is_exercise(original) and grade_id in filled:
            regions = solutions(original)
            regions = [(filled[grade_id] or {}).get(k, code) for k, code in enumerate(regions)]
            cell.source = fill(cell.source, regions)
    return student_nb


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The course after generate_assignment, five submissions, autograde and generate_feedback."""
    course = tmp_path_factory.mktemp("course")
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\nc.CourseDirectory.course_id = 'labkit'\n")
    source = course / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for path in NOTEBOOKS:
        shutil.copy(path, source)
    nbgrader(course, "generate_assignment", ASSIGNMENT, "--force")
    released = {path.name: nbformat.read(course / "release" / ASSIGNMENT / path.name, as_version=4)
                for path in NOTEBOOKS}
    ours = labkit_release(tmp_path_factory.mktemp("labkit-release"))
    sources = {path.name: nbformat.read(path, as_version=4) for path in NOTEBOOKS}
    submit(course, "untouched-nbgrader", released)
    submit(course, "untouched-labkit", ours)
    submit(course, "solutions", sources)
    submit(course, "one-exercise", {XOR: with_exercises(ours[XOR], sources[XOR], {"nb02-exercise-bce": None})})
    hard_coded = "return 9 if np.isscalar(x) else np.array([0.0, 3.0])"  # the public check's answers, nothing more
    submit(course, "hard-coded", {XOR: with_exercises(ours[XOR], sources[XOR], {"nb02-exercise-gd": {0: hard_coded}})})
    autograde_log = nbgrader(course, "autograde", ASSIGNMENT, "--force")
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    for student in ("untouched-nbgrader", "untouched-labkit", "solutions", "one-exercise", "hard-coded"):
        scores = grades(course, student).values()
        automatic = sum(score for score, _, manual in scores if not manual)
        print(f"{student:>20}: {automatic:g} automatic points of {sum(m for _, m, _ in scores):g}, "
              f"{sum(manual for _, _, manual in scores)} answers to grade by hand")  # shown with pytest -s
    return course, released, ours, autograde_log


def grades(course: Path, student: str) -> dict[str, tuple[float, float, bool]]:
    """grade id -> (score, max score, needs manual grading) of every graded cell of the submission."""
    with nbgrader_api.Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        submission = gradebook.find_submission(ASSIGNMENT, student)
        return {grade.name: (grade.score, grade.max_score, grade.needs_manual_grade)
                for notebook in submission.notebooks for grade in notebook.grades}


def test_labkit_release_is_what_nbgrader_hands_out(course):
    _, released, ours, _ = course
    for name, nb in ours.items():
        theirs = released[name]
        assert [c.source for c in nb.cells] == [c.source for c in theirs.cells], name
        for mine, other in zip(nb.cells, theirs.cells):
            other_meta = {k: v for k, v in other.metadata.get("nbgrader", {}).items()
                          if k not in ("checksum", "cell_type")}
            assert mine.metadata.get("nbgrader", {}) == other_meta
            assert (mine.metadata.get("editable"), mine.metadata.get("deletable")) == (
                other.metadata.get("editable"), other.metadata.get("deletable"))


@pytest.mark.parametrize("student", ["untouched-nbgrader", "untouched-labkit"])
def test_an_untouched_release_scores_zero_and_needs_no_manual_grading(course, student):
    scores = grades(course[0], student)
    assert len(scores) >= 30 and all(score == 0 and not manual for score, _, manual in scores.values()), scores


def test_the_sources_get_every_automatic_point(course):
    scores = grades(course[0], "solutions")
    automatic = {name: s for name, s in scores.items() if "-check-" in name}
    assert automatic and all(score == maximum for score, maximum, _ in automatic.values()), automatic
    written = {name: s for name, s in scores.items() if "-answer-" in name}
    assert written and all(manual for _, _, manual in written.values())  # written answers are read by a person


def test_one_exercise_right_gets_exactly_its_points(course):
    scores = grades(course[0], "one-exercise")
    earned = {name: score for name, (score, _, _) in scores.items() if score}
    assert earned == {"nb02-check-bce": scores["nb02-check-bce"][1]}


def test_hard_coding_the_public_values_fails_the_hidden_tests(course):
    course_dir = course[0]
    assert grades(course_dir, "hard-coded")["nb02-check-gd"][0] == 0
    feedback = (course_dir / "feedback" / "hard-coded" / ASSIGNMENT / "02_xor_training.html").read_text()
    assert "a step on a matrix with another learning rate" in text_of(feedback)


def text_of(page: str) -> str:
    return re.sub(r"<[^>]+>", "", page).replace("&#39;", "'").replace("&quot;", '"').replace("&amp;", "&")


def test_feedback_shows_the_check_messages_and_no_traceback_into_labkit(course):
    course_dir = course[0]
    for student in ("untouched-labkit", "one-exercise"):
        for page in (course_dir / "feedback" / student / ASSIGNMENT).glob("*.html"):
            text = text_of(page.read_text())
            assert "CheckFailed: " in text, page
            assert "not done yet: the exercise above still holds" in text
            assert "Traceback (most recent call last)" not in text and "labkit/checks.py" not in text, page


def test_no_cell_ran_into_nbgraders_time_limit(course):
    assert "Timeout" not in course[3] and "timed out" not in course[3]

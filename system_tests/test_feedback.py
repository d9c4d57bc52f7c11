"""Feedback without hidden tests: nbgrader 0.9.6's generate_feedback, as it comes and with labkit's configuration.

A one-exercise course: a check cell whose hidden tests fail on the submission (so that IPython's
traceback quotes them) and a task cell with a marking scheme. As it comes, nbgrader puts both in
the student's feedback; with ``labkit.tools.nbgrader_config.configure(c)`` neither is there, and
the failed check's message still is. Run by `make test-grading`.
"""

from __future__ import annotations

import nbformat
import pytest

from system_tests.test_grading import nbgrader, text_of

HIDDEN_LINE = "secret_factor = 3  # only instructors see this"
SCHEME_LINE = "Full marks only if the answer names the SECRET_SCHEME_WORD."


def meta(grade_id: str, **kind) -> dict:
    flags = {"grade": False, "solution": False, "task": False, "locked": False, **kind}
    return {"nbgrader": {"grade_id": grade_id, "schema_version": 3, **flags}}


def notebook() -> nbformat.NotebookNode:
    exercise = "def triple(x):\n    ### BEGIN SOLUTION\n    return 3 * x\n    ### END SOLUTION"
    check = (f"assert triple(1) == 3, 'triple(1) should be 3'\n### BEGIN HIDDEN TESTS\n{HIDDEN_LINE}\n"
             "assert triple(7) == secret_factor * 7, 'triple(7) should be 21'\n### END HIDDEN TESTS")
    task = f"Explain why.\n\n### BEGIN MARK SCHEME\n{SCHEME_LINE}\n### END MARK SCHEME"
    return nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(exercise, metadata=meta("triple", solution=True)),
        nbformat.v4.new_code_cell(check, metadata=meta("triple-check", grade=True, locked=True, points=1)),
        nbformat.v4.new_markdown_cell(task, metadata=meta("why", task=True, locked=True, points=1)),
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})


CONFIG = "c = get_config()\nc.CourseDirectory.root = {root!r}\nc.CourseDirectory.course_id = 'feedback'\n"
LABKIT = "from labkit.tools.nbgrader_config import configure\nconfigure(c)\n"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course graded with nbgrader's own configuration; the submission's triple() is right for 1 only."""
    root = tmp_path_factory.mktemp("feedback-course")
    (root / "nbgrader_config.py").write_text(CONFIG.format(root=str(root)))
    (root / "source" / "hw").mkdir(parents=True)
    nbformat.write(notebook(), root / "source" / "hw" / "triple.ipynb")
    nbgrader(root, "generate_assignment", "hw")
    submission = nbformat.read(root / "release" / "hw" / "triple.ipynb", as_version=4)
    submission.cells[0].source = "def triple(x):\n    return x + 2"
    (root / "submitted" / "ann" / "hw").mkdir(parents=True)
    nbformat.write(submission, root / "submitted" / "ann" / "hw" / "triple.ipynb")
    nbgrader(root, "autograde", "hw")
    return root


def feedback_text(root) -> str:
    nbgrader(root, "generate_feedback", "hw", "--force")
    return text_of((root / "feedback" / "ann" / "hw" / "triple.html").read_text())


def test_nbgraders_own_feedback_shows_hidden_tests_and_marking_schemes(course):
    text = feedback_text(course)
    assert HIDDEN_LINE in text and SCHEME_LINE in text  # what labkit's configuration is there to prevent


def test_labkits_feedback_shows_the_failed_checks_message_and_nothing_for_instructors(course):
    (course / "nbgrader_config.py").write_text(CONFIG.format(root=str(course)) + LABKIT)
    text = feedback_text(course)
    assert "AssertionError: triple(7) should be 21" in text
    assert "secret_factor" not in text and "SECRET_SCHEME_WORD" not in text
    assert "BEGIN HIDDEN TESTS" not in text and "MARK SCHEME" not in text
    assert "Explain why." in text and "triple(1) should be 3" in text  # the public parts stay


def test_labkits_autograde_steps_are_nbgraders_with_its_own_execute():
    from nbgrader.converters.autograde import Autograde
    from traitlets.utils.importstring import import_item

    from labkit.tools.grading import GradingExecute
    from labkit.tools.nbgrader_config import AUTOGRADE

    ours = [import_item(name) for name in AUTOGRADE]
    theirs = Autograde().autograde_preprocessors
    assert ours[0] is GradingExecute and issubclass(GradingExecute, theirs[0])
    assert ours[1:] == theirs[1:]

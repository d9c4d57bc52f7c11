"""A class graded with nbgrader 0.9.6: the real notebooks as an nbgrader course, end to end.

The module builds a course in a temporary folder from notebooks/, configured as the README says
(``labkit.tools.nbgrader_config.configure``: sandboxed kernels, signed verdicts, feedback without
hidden tests), runs `nbgrader generate_assignment`, hands in simulated submissions, runs
`nbgrader autograde` (with nbgrader's default 30 s per cell) and `nbgrader generate_feedback`,
and reads the scores from the gradebook. Among the submissions are honest ones written in
other ways (scratch cells, prints, plots, magics), which must get every point they earn, and
forgeries of a wrong answer's pass, which must not score. Run by `make test-grading` (which
installs the `grading` extra and bubblewrap).
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader import api as nbgrader_api  # `make test-grading` installs it (the `grading` extra)

from labkit.tools import assignments, class_report
from tests.notebook_helpers import fill, solutions

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ASSIGNMENT = "lab"
XOR = "02_xor_training.ipynb"
NOISE = "05_noise_as_regularizer.ipynb"


def nbgrader(course: Path, *args: str, succeeds: bool = True) -> str:
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True,
                            text=True, timeout=1800)
    assert (result.returncode == 0) == succeeds, result.stdout[-4000:] + result.stderr[-4000:]
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
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\nc.CourseDirectory.course_id = 'labkit'\n"
        "from labkit.tools.nbgrader_config import configure\nconfigure(c)\n")
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
    hard_coded = "return sigma**2 * (1 if half else 2) * (1 if mean else 200)"  # the public check's N, no other
    submit(course, "hard-coded", {NOISE: with_exercises(ours[NOISE], sources[NOISE],
                                                        {"nb05-exercise-noise-tau": {0: hard_coded}})})
    submit(course, "scratch-cells", {name: with_scratch_cells(nb) for name, nb in sources.items()})
    for student, forgery in FORGERIES.items():
        submit(course, student, {XOR: forged(ours[XOR], sources[XOR], forgery)})
    autograde_log = nbgrader(course, "autograde", ASSIGNMENT, "--force")
    nbgrader(course, "generate_feedback", ASSIGNMENT, "--force")
    submit(course, "exits-early", {XOR: forged(ours[XOR], sources[XOR], "import os\nos._exit(0)")})
    (course / "exits-early.log").write_text(nbgrader(course, "autograde", ASSIGNMENT, "--student", "exits-early",
                                                     succeeds=False))
    for student in ("untouched-nbgrader", "untouched-labkit", "solutions", "one-exercise", "hard-coded",
                    "scratch-cells", *FORGERIES):
        scores = grades(course, student).values()
        automatic = sum(score for score, _, manual in scores if not manual)
        print(f"{student:>20}: {automatic:g} automatic points of {sum(m for _, m, _ in scores):g}, "
              f"{sum(manual for _, _, manual in scores)} answers to grade by hand")  # shown with pytest -s
    return course, released, ours, autograde_log


SCRATCH = [  # what students leave in their notebooks: none of it may cost a point
    "print([source for source in In if 'HIDDEN' in source])",  # the kernel ran them; its feedback must not show them
    "np.lib.stride_tricks.sliding_window_view(np.arange(6.0), 3)",
    "print('trying things out', np.arange(3) @ np.arange(3))",
    "def helper(values):\n    return [v * 2 for v in values]\n\nhelper([1, 2])",
    "%timeit np.zeros(100).sum()",
    "fig, ax = plt.subplots(figsize=(2, 2))\nax.plot([0, 1], [1, 0])\nplt.show()",
    "import math\nfrom collections import Counter\nCounter('backprop'), math.pi",
    "help(np.outer)",
    "%%capture captured\nprint('kept out of sight')",
    "%%time\nsum(range(1000))",
    "rng_scratch = np.random.default_rng(0)\nrng_scratch.normal(size=2)",
]


def with_scratch_cells(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with a scratch cell (in turn from SCRATCH) after every exercise."""
    nb = copy.deepcopy(nb)
    exercises = [i for i, cell in enumerate(nb.cells) if assignments.is_exercise(cell)]
    for n, index in enumerate(reversed(exercises)):
        nb.cells.insert(index + 1, nbformat.v4.new_code_cell(SCRATCH[n % len(SCRATCH)]))
    return nb


BCE_CHECK = ('with check("binary cross entropy"):\n    err = exercises.bce(BinaryCrossEntropy)\n'
             '    print("backward against finite differences: relative error", magnitude(err))')
WRONG_BCE = {0: "return 0.0", 1: "return np.zeros_like(y_pred)"}  # the bce exercise, wrong in both methods
FORGERIES = {  # student -> code in a cell of its own after the (wrong) bce exercise, to make its check pass anyway
    "rebinds-check": "import contextlib\ncheck = lambda what: contextlib.suppress(Exception)",
    "patches-labkit": "import labkit.exercises\nlabkit.exercises.bce = lambda *args, **kwargs: 0.0",
    "patches-the-module-table": "import sys, types\nfake = types.ModuleType('labkit.exercises')\n"
                                "fake.bce = lambda *args, **kwargs: 0.0\nsys.modules['labkit.exercises'] = fake\n"
                                "import labkit\nlabkit.exercises = fake\nexercises = fake",
    "rewrites-cells": "ip = get_ipython()\nip.input_transformers_post.append(lambda lines: ['pass\\n'])",
    "compiles-its-own": "exec(compile('check = lambda what: __import__(\"contextlib\").suppress(Exception)', "
                        "'labkit/checks.py', 'exec'))",
    "signs-its-own": "import sys\nsys.audit('labkit.check', 'binary cross entropy', True)",
    "runs-the-check-itself": "import contextlib, types\nreal = exercises\n"
                             "exercises = types.SimpleNamespace(bce=lambda *args, **kwargs: 0.0)\n"
                             "get_ipython().run_cell(" + repr(BCE_CHECK) + ")\nexercises = real\n"
                             "check = lambda what: contextlib.suppress(Exception)",
    "claims-labkits-name": "import codeop, labkit.checks\n"
                           "code = codeop.compile_command('check = None', labkit.checks.__file__, 'exec')",
    "rebinds-exercises": "class exercises:\n    bce = staticmethod(lambda *args, **kwargs: 0.0)",
    "empties-the-checks": "import ast\ndef emptied(tree):\n    for node in ast.walk(tree):\n"
                          "        if isinstance(node, ast.With):\n"
                          "            node.body = [ast.copy_location(ast.Pass(), node.body[0])]\n    return tree\n"
                          "get_ipython().transform_ast = emptied",
    "shadows-a-builtin": "import labkit.gradcheck\nlabkit.gradcheck.float = lambda x: 0.0  # rel_error is 0 then",
}
FORGED_CHECK = "nb02-check-bce"


def forged(student_nb, source_nb, forgery: str) -> nbformat.NotebookNode:
    """Notebook 02 with every exercise right but bce, which is wrong, and the forgery in a cell after it."""
    filled = {cell.metadata["nbgrader"]["grade_id"]: None for cell in source_nb.cells if assignments.is_exercise(cell)}
    nb = with_exercises(student_nb, source_nb, filled | {"nb02-exercise-bce": WRONG_BCE})
    exercise = next(i for i, cell in enumerate(nb.cells)
                    if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "nb02-exercise-bce")
    nb.cells.insert(exercise + 1, nbformat.v4.new_code_cell(forgery))
    return nb


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
    assert grades(course_dir, "hard-coded")["nb05-check-noise-tau"][0] == 0
    feedback = (course_dir / "feedback" / "hard-coded" / ASSIGNMENT / NOISE.replace(".ipynb", ".html")).read_text()
    assert "tau for sigma = 0.8 and the sum over 37 samples of half the squared residual is wrong" in text_of(feedback)


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


def test_honest_notebooks_with_scratch_cells_get_every_automatic_point_and_are_not_held(course):
    course_dir = course[0]
    scores = grades(course_dir, "scratch-cells")
    automatic = {name: s for name, s in scores.items() if "-check-" in name}
    assert automatic and all(score == maximum for score, maximum, _ in automatic.values()), automatic
    for student in ("solutions", "scratch-cells", "one-exercise", "untouched-labkit"):
        assert not class_report.review_path(course_dir / "autograded" / student / ASSIGNMENT).exists(), student


def test_feedback_shows_no_output_that_quotes_the_hidden_tests(course):
    feedback = text_of((course[0] / "feedback" / "scratch-cells" / ASSIGNMENT / XOR.replace(".ipynb", ".html"))
                       .read_text())
    assert "(output removed: it quoted the hidden tests)" in feedback
    assert "seed=31" not in feedback and "HIDDEN TESTS" not in feedback


@pytest.mark.parametrize("student", FORGERIES)
def test_a_forged_pass_scores_nothing(course, student):
    assert grades(course[0], student)[FORGED_CHECK][0] == 0


HELD = {  # forgery -> what the review file says of it
    "patches-labkit": "labkit.exercises",
    "patches-the-module-table": "sys.modules",
    "rewrites-cells": "IPython",
    "compiles-its-own": "compiles code of its own",
    "signs-its-own": "raises labkit's grading event",
    "claims-labkits-name": "compiles code that claims to be labkit's",
    "shadows-a-builtin": "labkit.gradcheck.float was added",
}


@pytest.mark.parametrize("student, what", HELD.items())
def test_tampering_holds_the_submission_naming_cell_and_line(course, student, what):
    course_dir = course[0]
    review = json.loads(class_report.review_path(course_dir / "autograded" / student / ASSIGNMENT).read_text())
    assert review["held"] and any(what in reason["what"] for reason in review["reasons"]), review
    tampering = [reason for reason in review["reasons"] if what in reason["what"]][0]
    assert tampering["notebook"] == XOR and tampering["cell"] is not None, tampering
    assert all(score == 0 for score, _, _ in grades(course_dir, student).values())


UNSIGNED = {  # forgery -> what its feedback says: a check cell that ran nothing of labkit's scores 0, no review needed
    "rebinds-check": "this check did not run to its end, so it scores 0",
    "rebinds-exercises": "this check's exercise did not run in it (labkit.exercises.bce), so it scores 0",
    "empties-the-checks": "this check's exercise did not run in it (labkit.exercises.bce), so it scores 0",
}


@pytest.mark.parametrize("student, says", UNSIGNED.items())
def test_a_check_cell_that_runs_no_check_scores_nothing_but_is_not_tampering(course, student, says):
    course_dir = course[0]
    assert not class_report.review_path(course_dir / "autograded" / student / ASSIGNMENT).exists()
    assert grades(course_dir, student)[FORGED_CHECK][0] == 0
    feedback = text_of((course_dir / "feedback" / student / ASSIGNMENT / XOR.replace(".ipynb", ".html")).read_text())
    assert says in feedback


def test_a_kernel_that_exits_fails_its_own_submission_alone(course):
    course_dir = course[0]
    log = (course_dir / "exits-early.log").read_text()
    assert "There was an error processing assignment 'lab' for student 'exits-early'" in log
    assert all(score == 0 for score, _, _ in grades(course_dir, "exits-early").values())
    assert grades(course_dir, "solutions")[FORGED_CHECK][0] > 0  # the others keep their grades

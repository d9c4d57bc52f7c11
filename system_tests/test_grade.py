"""`labkit grade` on a real nbgrader course: honest and hostile submissions, a run killed and resumed, the report.

The course is the real notebook 02 (release, submissions and grading of the others cost
time, not coverage). Two honest submissions (the sources; the student release filled in
and with a scratch cell) sit beside six hostile ones, each the filled-in release with one
more cell: it reads the solutions, writes the gradebook, connects to a loopback port the
test listens on, loops forever (ignoring interrupts), allocates memory without end, or
forks without end (which the grading kernel refuses); and one whose cells each stay under nbgrader's time per
cell but together run over the submission's wall time. The first `labkit grade --jobs 2` is killed once two
submissions are done; the second finishes the rest. Run by `make test-grading`.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader import api as nbgrader_api

from labkit.tools import assignments, class_report
from system_tests.test_grading import labkit_release, nbgrader, with_exercises

ROOT = Path(__file__).resolve().parents[1]
XOR = "02_xor_training.ipynb"
TIMEOUT = 120  # seconds per submission; an honest notebook 02 takes about a tenth of it
HOSTILE = {  # student -> the cell they add after the imports
    "reads-solutions": "print(open('{root}/source/lab/{xor}').read()[:200])",
    "writes-gradebook": ("import sqlite3\ndb = sqlite3.connect('{root}/gradebook.db')\n"
                         "db.execute('UPDATE grade SET auto_score = 100'); db.commit(); print('rewrote the grades')"),
    "connects": "import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=3).sendall(b'stolen')",
    "loops-forever": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
    "allocates": "hoard = []\nwhile True:\n    hoard.append(bytearray(256 * 2**20))",
    "forks": "import os, time\nwhile True:\n    if os.fork() == 0:\n        time.sleep(3600)",
}
HONEST = ("honest-sources", "honest-release")
DAWDLES = ["import time\ntime.sleep(25)  # under nbgrader's 30 s per cell"] * 6  # over the submission's wall time
STUDENTS = {*HOSTILE, *HONEST, "dawdles"}


def labkit_grade(course: Path, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen([str(Path(sys.executable).parent / "labkit"), "grade", "lab", *args], cwd=course,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)


def ledger(course: Path) -> dict:
    path = course / ".labkit-grade" / "lab.json"
    return json.loads(path.read_text()) if path.exists() else {}


@pytest.fixture(scope="module")
def listener():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.settimeout(0.2)
        yield sock


@pytest.fixture(scope="module")
def graded(tmp_path_factory, listener):
    """The course after a first run killed mid-way and a second run: (course, first run's output, second's)."""
    course = tmp_path_factory.mktemp("grade-course")
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.root = {str(course)!r}\nc.CourseDirectory.course_id = 'labkit'\n"
        "from labkit.tools.nbgrader_config import configure\nconfigure(c)\n")
    (course / "source" / "lab").mkdir(parents=True)
    shutil.copy(ROOT / "notebooks" / XOR, course / "source" / "lab")
    nbgrader(course, "generate_assignment", "lab")
    source = nbformat.read(ROOT / "notebooks" / XOR, as_version=4)
    exercises = {c.metadata["nbgrader"]["grade_id"]: None for c in source.cells if assignments.is_exercise(c)}
    filled = with_exercises(labkit_release(tmp_path_factory.mktemp("release"))[XOR], source, exercises)
    scratch = nbformat.v4.new_code_cell("print('trying things out:', 2 + 2)")
    port = listener.getsockname()[1]
    submissions = {"honest-sources": source, "honest-release": with_cells(filled, [scratch]),
                   "dawdles": with_cells(filled, [nbformat.v4.new_code_cell(code) for code in DAWDLES])}
    for student, code in HOSTILE.items():
        hostile = nbformat.v4.new_code_cell("# hostile\n" + code.format(root=course, xor=XOR, port=port))
        submissions[student] = with_cells(filled, [hostile])
    for student, nb in submissions.items():
        (course / "submitted" / student / "lab").mkdir(parents=True)
        nbformat.write(nb, course / "submitted" / student / "lab" / XOR)

    first = labkit_grade(course, "--jobs", "2", "--timeout", str(TIMEOUT))
    deadline = time.monotonic() + 20 * TIMEOUT
    while len(ledger(course)) < 2 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    first.send_signal(signal.SIGKILL)
    first_output = first.communicate()[0]
    done_before = {s: (r, mtime(course, s)) for s, r in ledger(course).items()}
    time.sleep(1)
    assert leftovers(course) == []  # the killed run's nbgrader processes and kernels died with it

    second = labkit_grade(course, "--jobs", "2", "--timeout", str(TIMEOUT))
    second_output = second.communicate(timeout=30 * TIMEOUT)[0]
    print(second_output)  # the class report, shown with pytest -s
    return course, first_output, second_output, second.returncode, done_before


def with_cells(nb, cells):
    """A copy of nb with ``cells`` after its first code cell (the imports)."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells[first_code + 1:first_code + 1] = [nbformat.from_dict(json.loads(json.dumps(c))) for c in cells]
    return nb


def mtime(course: Path, student: str) -> float | None:
    path = course / "autograded" / student / "lab" / XOR
    return path.stat().st_mtime if path.exists() else None


def leftovers(course: Path) -> list[str]:
    """Processes whose command line or working folder is in the course: nbgrader, bwrap, kernels, forks."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            cwd = os.readlink(proc / "cwd")
        except OSError:
            continue
        if str(course) in cmdline or cwd.startswith(str(course)):
            found.append(f"{proc.name}: {cmdline[:100]}")
    return found


def scores(course: Path) -> dict[str, dict[str, tuple[float, float]]]:
    with nbgrader_api.Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return {sub.student.id: {g.name: (g.score, g.max_score) for nb in sub.notebooks for g in nb.grades
                                 if "-check-" in g.name}
                for sub in gradebook.assignment_submissions("lab")}


def hostile_output(course: Path, student: str) -> str:
    nb = nbformat.read(course / "autograded" / student / "lab" / XOR, as_version=4)
    cell = next(c for c in nb.cells if c.source.startswith("# hostile"))
    return "\n".join(o.get("text", "") or f"{o.get('ename')}: {o.get('evalue')}" for o in cell.outputs)


def test_honest_submissions_get_every_point(graded):
    course = graded[0]
    for student in HONEST:
        assert all(score == top for score, top in scores(course)[student].values()), student
    assert sum(top for _, top in scores(course)["honest-sources"].values()) == 10


def test_reading_the_solutions_finds_nothing(graded):
    out = hostile_output(graded[0], "reads-solutions")
    assert out.startswith("FileNotFoundError") and "BEGIN SOLUTION" not in out


def test_the_gradebook_cannot_be_written(graded):
    course = graded[0]
    assert "rewrote the grades" not in hostile_output(course, "writes-gradebook")
    assert all(score <= top for student in scores(course).values() for score, top in student.values())


def test_no_connection_reaches_a_loopback_port(graded, listener):
    assert hostile_output(graded[0], "connects").startswith("ConnectionRefusedError")
    with pytest.raises(TimeoutError):
        listener.accept()


def test_an_endless_loop_fails_its_own_submission_as_a_timeout(graded):
    course, _, report, code, _ = graded
    assert ledger(course)["loops-forever"]["status"] == "failed" and code == 1
    assert "loops-forever: timeout: CellTimeoutError" in report  # nbgrader gives up after its interrupt
    assert not (course / "autograded" / "loops-forever" / "lab").exists()  # nbgrader removed it


def test_a_submission_over_its_wall_time_is_killed_and_removed(graded):
    course, _, report, _, _ = graded
    assert f"dawdles: timeout: still running after {TIMEOUT} s, killed (--timeout)" in report
    assert not (course / "autograded" / "dawdles" / "lab").exists()  # no partial output to hand back


def test_memory_and_processes_without_end_are_stopped_at_their_limits(graded):
    course, _, report, _, _ = graded
    assert hostile_output(course, "allocates") == "MemoryError: "
    assert "allocates: memory: 02_xor_training.ipynb cell" in report
    # the grading kernel refuses os.fork outright and holds the submission (test_sandbox.py shows the sandbox's
    # process limit, which stands behind it, stopping a fork bomb in an ordinary kernel)
    assert hostile_output(course, "forks").startswith("PermissionError: labkit's grading does not let a notebook")
    assert "  forks: 02_xor_training.ipynb cell 2 line 4: os.fork" in report


def test_nothing_a_kernel_started_outlives_the_grading(graded):
    assert leftovers(graded[0]) == []


def test_a_killed_run_loses_nothing_and_the_next_grades_nothing_twice(graded):
    course, first, second, _, done_before = graded
    assert len(done_before) >= 2
    assert f"{len(done_before)} up to date; grading {len(STUDENTS) - len(done_before)}" in second
    for student, (result, modified) in done_before.items():
        assert ledger(course)[student] == result and mtime(course, student) == modified, student
    assert set(ledger(course)) == STUDENTS


def test_the_report_and_the_csv_give_points_per_student_and_exercise(graded):
    course, _, report, _, _ = graded
    assert "points per student" in report and "points per exercise" in report
    with (course / "grades-lab.csv").open() as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert set(rows) == STUDENTS
    assert rows["honest-release"]["nb02-check-backprop"] == "3" and rows["honest-release"]["failures"] == ""
    assert rows["dawdles"]["failures"].startswith("timeout: still running after")


def test_a_held_submission_is_reported_with_its_reasons(graded):
    course = graded[0]
    review = class_report.review_path(course / "autograded" / "honest-release" / "lab")
    review.write_text(json.dumps({"held": True, "reasons": [
        {"notebook": XOR, "cell": 14, "line": 3, "what": "rebinds labkit.checks.check"}]}))
    try:
        rerun = labkit_grade(course)
        output = rerun.communicate(timeout=300)[0]
    finally:
        review.unlink()
    assert f"{len(STUDENTS)} up to date; grading 0" in output
    held = output.split("held for review (2)\n")[1].split("\n\n")[0].splitlines()  # with forks' os.fork
    assert f"  honest-release: {XOR} cell 14 line 3: rebinds labkit.checks.check" in held


def test_without_bubblewrap_grading_is_refused(graded):
    course = graded[0]
    refused = labkit_grade(course, env={**os.environ, "PATH": str(Path(sys.executable).parent)})
    output = refused.communicate(timeout=120)[0]
    assert refused.returncode == 1
    assert "bubblewrap (bwrap) is not installed" in output and "labkit grade --unsandboxed" in output


def test_a_course_without_labkits_set_up_is_told_the_two_lines_to_add(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.course_id = 'plain'\n")
    refused = labkit_grade(tmp_path)
    output = refused.communicate(timeout=120)[0]
    assert refused.returncode == 1
    assert "does not use labkit's grading set-up" in output
    assert "from labkit.tools.nbgrader_config import configure\n    configure(c)" in output

"""`labkit grade`'s bookkeeping: fingerprints, the ledger, what a rerun grades, the job runner (with stand-in
commands; the real nbgrader course: system_tests/test_grade.py)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from labkit.tools import grade


def submit(root, student, files):
    folder = root / "submitted" / student / "lab"
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def test_the_fingerprint_changes_with_content_and_names_only(tmp_path):
    a = submit(tmp_path, "ann", {"01.ipynb": "x", "timestamp.txt": "t"})
    first = grade.fingerprint(a)
    assert grade.fingerprint(a) == first
    (a / "01.ipynb").write_text("y")
    assert grade.fingerprint(a) != first
    (a / "01.ipynb").write_text("x")
    (a / "01.ipynb").rename(a / "02.ipynb")
    assert grade.fingerprint(a) != first


def test_submissions_are_found_per_student_for_the_assignment_asked(tmp_path):
    submit(tmp_path, "bob", {"01.ipynb": "b"})
    submit(tmp_path, "ann", {"01.ipynb": "a"})
    (tmp_path / "submitted" / "cat" / "other").mkdir(parents=True)
    found = grade.submissions(tmp_path / "submitted", "lab")
    assert [s.student for s in found] == ["ann", "bob"]
    assert found[0].fingerprint == grade.fingerprint(tmp_path / "submitted" / "ann" / "lab")


def test_the_ledger_survives_a_new_run_and_keeps_a_second_one_out(tmp_path):
    with grade.Ledger(tmp_path, "lab") as ledger:
        ledger.record(grade.Result("ann", "f1", "graded", seconds=20.0, cpu_seconds=18.5))
        with pytest.raises(RuntimeError, match="another `labkit grade` is grading this assignment"):
            grade.Ledger(tmp_path, "lab").__enter__()
    with grade.Ledger(tmp_path, "lab") as again:
        assert again.results == {"ann": grade.Result("ann", "f1", "graded", seconds=20.0, cpu_seconds=18.5)}
    assert json.loads((tmp_path / grade.STATE / "lab.json").read_text())["ann"]["status"] == "graded"
    assert [p.name for p in (tmp_path / grade.STATE).iterdir() if p.name.startswith(".")] == []  # no temp left


def test_a_rerun_grades_the_new_the_changed_and_those_whose_output_is_gone(tmp_path):
    subs = {s: submit(tmp_path, s, {"01.ipynb": s}) for s in ("same", "changed", "new", "lost", "failed")}
    autograded = lambda student: tmp_path / "autograded" / student / "lab"  # noqa: E731
    with grade.Ledger(tmp_path, "lab") as ledger:
        for student in ("same", "changed", "lost"):
            ledger.record(grade.Result(student, grade.fingerprint(subs[student]), "graded"))
        ledger.record(grade.Result("failed", grade.fingerprint(subs["failed"]), "failed", "timeout: ..."))
        for student in ("same", "changed"):
            autograded(student).mkdir(parents=True)
            (autograded(student) / "01.ipynb").write_text("{}")
        (subs["changed"] / "01.ipynb").write_text("changed later")
        found = grade.submissions(tmp_path / "submitted", "lab")
        assert [s.student for s in grade.to_grade(found, ledger, autograded)] == ["changed", "lost", "new"]
        assert [s.student for s in grade.to_grade(found, ledger, autograded, retry_failed=True)] == [
            "changed", "failed", "lost", "new"]


def test_blas_threads_share_the_cpus_among_the_jobs():
    assert [grade.blas_threads(jobs, cpus=16) for jobs in (1, 2, 3, 16, 32)] == [16, 8, 5, 1, 1]


def test_the_failure_reason_gives_its_kind_the_sandboxs_word_and_nbgraders_last_error():
    dead = "[AutogradeApp | ERROR] Kernel died.\n    nbclient.exceptions.DeadKernelError: Kernel died\n"
    assert grade.failure_reason(dead, 1) == "crash: DeadKernelError: Kernel died"
    oom = "[AutogradeApp | ERROR] labkit sandbox: out of memory: the sandbox went over its 3072 MiB\n" + dead
    assert grade.failure_reason(oom, 1) == (
        "memory: out of memory: the sandbox went over its 3072 MiB; DeadKernelError: Kernel died")
    forks = "labkit sandbox: the process limit (64 processes and threads) refused 3 new one(s)\nValueError: x\n"
    assert grade.failure_reason(forks, 1).startswith("processes: the process limit")
    cell = "    nbclient.exceptions.CellTimeoutError: A cell timed out while it was being executed\n"
    assert grade.failure_reason(cell, 1) == "timeout: CellTimeoutError: A cell timed out while it was being executed"
    assert grade.failure_reason("nothing useful\n", 3) == "crash: nbgrader exited with code 3"


STAND_INS = {  # student -> what their "nbgrader" does
    "quick": "print('graded')",
    "broken": "import sys; print('ValueError: the notebook is not JSON'); sys.exit(1)",
    "endless": "import subprocess, sys, time; print(subprocess.Popen(['sleep', '60']).pid, flush=True); time.sleep(60)",
}


@pytest.mark.slow
def test_jobs_run_at_once_fail_with_their_reason_and_overrunning_ones_are_killed_with_their_children(tmp_path):
    todo = [grade.Submission(s, tmp_path, f"fp-{s}") for s in STAND_INS]
    results = []
    started = time.monotonic()
    grade.run(todo, lambda s: [sys.executable, "-c", STAND_INS[s]], tmp_path, tmp_path / "logs", jobs=3,
              timeout=2.0, env=dict(os.environ), finished=results.append)
    assert time.monotonic() - started < 10
    by_student = {r.student: r for r in results}
    assert by_student["quick"].status == "graded" and by_student["quick"].fingerprint == "fp-quick"
    assert by_student["broken"].reason == "crash: ValueError: the notebook is not JSON"
    assert by_student["endless"].status == "failed" and by_student["endless"].reason.startswith("timeout")
    assert (tmp_path / "logs" / "quick.log").read_text() == "graded\n"
    assert not running(int((tmp_path / "logs" / "endless.log").read_text()))


def running(pid: int) -> bool:
    """Whether a process runs (a zombie waiting for init to reap it does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.slow
def test_the_graders_death_takes_its_nbgrader_processes_with_it(tmp_path):
    marker = tmp_path / "still-running"
    child = f"import time, pathlib; time.sleep(3); pathlib.Path({str(marker)!r}).write_text('orphan')"
    grader = subprocess.Popen([sys.executable, "-c", f"""
import os, sys
from pathlib import Path
from labkit.tools import grade
grade.run([grade.Submission("ann", Path("."), "fp")], lambda s: [sys.executable, "-c", {child!r}],
          Path({str(tmp_path)!r}), Path({str(tmp_path / "logs")!r}), 1, 60.0, dict(os.environ), print)
"""])
    time.sleep(1.5)
    grader.send_signal(signal.SIGKILL)
    grader.wait()
    time.sleep(3)
    assert not marker.exists()

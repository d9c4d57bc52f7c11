"""``labkit grade``: autograde a whole class with nbgrader, N submissions at a time, resumably.

Each submission is graded by its own ``nbgrader autograde ASSIGNMENT --student S --force``,
exactly as an instructor would grade it by hand: nbgrader's gradebook stays the record, its
pipeline runs unchanged (with the course's configuration, which must include labkit's:
sandboxed kernels, see ``nbgrader_config``), and several of these processes on one course
are safe. ``--jobs`` of them run at once, each with its share of the CPUs as BLAS threads.

Resumable: ``.labkit-grade/ASSIGNMENT.json`` in the course records every finished submission
with a fingerprint of its submitted files, and is rewritten (atomically) as each one
finishes. A rerun grades only what is new or changed; killing a run loses only the
submissions it was grading, which the next run grades again from scratch. Every nbgrader
process dies with the run (PR_SET_PDEATHSIG), so no orphan keeps writing. A lock keeps a
second run of the same assignment out.

A submission fails when it runs over its wall time (``--timeout``: its process group is
killed and its partial output removed, as nbgrader removes a failed one) or when nbgrader
gives up on it (a kernel that died, e.g. killed by the sandbox); the reason comes from the
sandbox's or nbgrader's log, kept in ``.labkit-grade/logs/ASSIGNMENT/STUDENT.log``.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from . import threads

STATE = ".labkit-grade"
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "LABKIT_THREADS")
PR_SET_PDEATHSIG = 1
KILLED = "killed (--timeout)"  # how a submission's failure ends when labkit grade stopped it


@dataclass
class Submission:
    student: str
    folder: Path  # submitted/<student>/<assignment>
    fingerprint: str


@dataclass
class Result:
    """How the grading of one submission ended."""

    student: str
    fingerprint: str
    status: str  # "graded" or "failed"
    reason: str = ""  # why it failed
    seconds: float = 0.0  # wall time
    cpu_seconds: float = 0.0  # nbgrader and its kernels, user + system


def fingerprint(folder: Path) -> str:
    """sha256 of every file under ``folder`` (relative path and content), in a fixed order."""
    digest = hashlib.sha256()
    for file in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(file.relative_to(folder)).encode() + b"\0")
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()


def submissions(submitted: Path, assignment: str) -> list[Submission]:
    """The submissions of ``assignment`` under nbgrader's ``submitted/<student>/<assignment>/``, by student."""
    folders = sorted(p for p in submitted.glob(f"*/{assignment}") if p.is_dir())
    return [Submission(folder.parent.name, folder, fingerprint(folder)) for folder in folders]


class Ledger:
    """What earlier runs finished, per student; a JSON file that a lock file guards while a run lasts."""

    def __init__(self, course: Path, assignment: str):
        self.path = course / STATE / f"{assignment}.json"
        self.lock_path = self.path.with_suffix(".lock")
        self.results: dict[str, Result] = {}
        self._lock: int | None = None

    def __enter__(self) -> Ledger:
        self.path.parent.mkdir(exist_ok=True)
        self._lock = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._lock)
            raise RuntimeError(f"another `labkit grade` is grading this assignment (it holds {self.lock_path}); "
                               "wait for it to end, or stop it.") from None
        if self.path.exists():
            self.results = {s: Result(**r) for s, r in json.loads(self.path.read_text()).items()}
        return self

    def __exit__(self, *exc) -> None:
        assert self._lock is not None
        os.close(self._lock)  # releases the lock

    def record(self, result: Result) -> None:
        self.results[result.student] = result
        text = json.dumps({s: asdict(r) for s, r in sorted(self.results.items())}, indent=1)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.replace(tmp, self.path)


def to_grade(found: list[Submission], ledger: Ledger, autograded: Callable[[str], Path],
             retry_failed: bool = False) -> list[Submission]:
    """The submissions that are new or changed since they were graded, or whose autograded folder has gone;
    failed ones again only with ``retry_failed``."""
    todo = []
    for sub in found:
        done = ledger.results.get(sub.student)
        if done is None or done.fingerprint != sub.fingerprint:
            todo.append(sub)
        elif done.status == "failed":
            if retry_failed:
                todo.append(sub)
        elif not any(autograded(sub.student).glob("*.ipynb")):
            todo.append(sub)
    return todo


def blas_threads(jobs: int, cpus: int | None = None) -> int:
    """BLAS threads per job: the CPUs this process may use, shared out among the jobs (at least one)."""
    return max(1, (threads.allowed_cpus() if cpus is None else cpus) // jobs)


def job_environment(jobs: int) -> dict[str, str]:
    """The environment of each nbgrader process: ours, with its share of the CPUs as BLAS threads, and our
    Python's scripts first on PATH (nbgrader calls `alembic`)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', os.defpath)}"
    return {**os.environ, "PATH": path, **dict.fromkeys(BLAS_VARIABLES, str(blas_threads(jobs)))}


def autograde_command(assignment: str, student: str, options: list[str]) -> list[str]:
    return [sys.executable, "-m", "nbgrader", "autograde", assignment, "--student", student, "--force", *options]


def _die_with_parent() -> None:
    """In the child, before exec: get SIGKILL when the grading process dies, however it dies."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def failure_reason(log: str, code: int) -> str:
    """Why nbgrader gave up on a submission, from its log: 'kind: what happened', the kind one of timeout, memory,
    processes or crash; what the sandbox said first, then nbgrader's last error."""
    sandbox = re.findall(r"labkit sandbox: (.*)", log)
    errors = re.findall(r"^\s*(?:[\w.]+\.)?(\w+(?:Error|Exception): .*)$", log, flags=re.M)
    what = "; ".join(sandbox + errors[-1:]) or f"nbgrader exited with code {code}"
    for kind, signs in (("timeout", ("Timeout", "time limit")), ("memory", ("out of memory", "MemoryError")),
                        ("processes", ("process limit",))):
        if any(sign in what for sign in signs):
            return f"{kind}: {what}"
    return f"crash: {what}"


@dataclass
class _Job:
    submission: Submission
    process: subprocess.Popen
    log: Path
    started: float
    timed_out: bool = False


def run(todo: list[Submission], command: Callable[[str], list[str]], course: Path, logs: Path, jobs: int,
        timeout: float, env: dict[str, str], finished: Callable[[Result], None], poll: float = 0.1) -> None:
    """Grade ``todo`` with ``jobs`` processes at a time; call ``finished`` with each Result as it comes.

    A process that runs longer than ``timeout`` seconds is killed with its process group. On any
    exception (Ctrl-C included) the running processes are killed and the exception goes on.
    """
    logs.mkdir(parents=True, exist_ok=True)
    waiting, running = list(todo), dict[int, _Job]()
    try:
        while waiting or running:
            while waiting and len(running) < jobs:
                sub = waiting.pop(0)
                log = logs / f"{sub.student}.log"
                with open(log, "wb") as out:
                    process = subprocess.Popen(command(sub.student), cwd=course, env=env, stdout=out,
                                               stderr=subprocess.STDOUT, start_new_session=True,
                                               preexec_fn=_die_with_parent)
                running[process.pid] = _Job(sub, process, log, time.monotonic())
            for pid, job in list(running.items()):
                if not job.timed_out and time.monotonic() - job.started > timeout:
                    job.timed_out = True
                    _kill_group(pid)
                done, status, usage = os.wait4(pid, os.WNOHANG)
                if done:
                    job.process.returncode = os.waitstatus_to_exitcode(status)
                    del running[pid]
                    finished(_result(job, timeout, usage.ru_utime + usage.ru_stime))
            time.sleep(poll)
    finally:
        for pid, job in running.items():
            _kill_group(pid)
            os.waitpid(pid, 0)
            job.process.returncode = -signal.SIGKILL


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:  # it ended by itself a moment ago
        pass


def _result(job: _Job, timeout: float, cpu: float) -> Result:
    sub, code = job.submission, job.process.returncode
    seconds = time.monotonic() - job.started
    if job.timed_out:
        reason = f"timeout: still running after {timeout:g} s, {KILLED}"
    elif code != 0:
        reason = failure_reason(job.log.read_text(errors="replace"), code)
    else:
        return Result(sub.student, sub.fingerprint, "graded", seconds=seconds, cpu_seconds=cpu)
    return Result(sub.student, sub.fingerprint, "failed", reason, seconds, cpu)


DEFAULT_STRUCTURE = "{nbgrader_step}/{student_id}/{assignment_id}"


@dataclass
class Course:
    """An nbgrader course as nbgrader itself loads it from the current folder (its nbgrader_config.py)."""

    folder: Path
    config: Any  # traitlets.config.Config
    coursedir: Any  # nbgrader.coursedir.CourseDirectory

    def path(self, step: str, student: str, assignment: str) -> Path:
        """The folder of ``student``'s ``assignment`` at nbgrader step ``step`` (submitted, autograded, ...)."""
        return Path(self.coursedir.format_path(getattr(self.coursedir, f"{step}_directory"), student, assignment))

    @property
    def submitted(self) -> Path:
        return Path(self.coursedir.root) / self.coursedir.submitted_directory


def open_course() -> Course:
    """The course in the current folder; raise if it is none, or if it does not use labkit's nbgrader set-up."""
    from .nbgrader_config import is_configured

    folder = Path.cwd()
    config_file = folder / "nbgrader_config.py"
    if not config_file.exists():
        raise FileNotFoundError(f"there is no nbgrader_config.py in {folder}: run `labkit grade` in the course "
                                "directory (the folder of its nbgrader_config.py).")
    try:
        from nbgrader.apps.baseapp import NbGrader
        from nbgrader.coursedir import CourseDirectory
    except ImportError:
        raise RuntimeError("`labkit grade` needs nbgrader 0.9.6: pip install 'labkit[grading]'.") from None
    app = NbGrader()
    app.load_config_file()
    if not is_configured(app.config):
        raise RuntimeError(f"the course's configuration does not use labkit's grading set-up (sandboxed kernels, "
                           f"feedback without hidden tests). Add these lines to {config_file}, after "
                           "`c = get_config()`:\n    from labkit.tools.nbgrader_config import configure\n"
                           "    configure(c)")
    coursedir = CourseDirectory(config=app.config)
    if coursedir.directory_structure != DEFAULT_STRUCTURE:
        raise RuntimeError(f"`labkit grade` knows nbgrader's default folders only ({DEFAULT_STRUCTURE}); this "
                           f"course has {coursedir.directory_structure}.")
    return Course(folder, app.config, coursedir)


def grade_all(course: Course, assignment: str, todo: list[Submission], ledger: Ledger, jobs: int, timeout: float,
              options: list[str], finished: Callable[[Result], None]) -> None:
    """Grade ``todo`` with a progress bar, recording each result in the ledger as it comes (then ``finished``).

    options: more arguments for `nbgrader autograde` (settings of the sandbox).
    """
    with tqdm(total=len(todo), desc=f"grading {assignment}", unit="submission", file=sys.stderr) as bar:
        def done(result: Result) -> None:
            if result.reason.endswith(KILLED):  # nbgrader was killed mid-way: remove what it left, as it would
                shutil.rmtree(course.path("autograded", result.student, assignment), ignore_errors=True)
            ledger.record(result)
            bar.update()
            bar.write(f"{result.student}: {result.status} in {result.seconds:.0f} s"
                      + (f" ({result.reason})" if result.reason else ""))
            finished(result)

        run(todo, lambda student: autograde_command(assignment, student, options), course.folder,
            course.folder / STATE / "logs" / assignment, jobs, timeout, job_environment(jobs), done)

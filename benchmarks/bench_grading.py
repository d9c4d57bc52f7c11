"""Grading a class: `labkit grade --jobs 2` against serial `nbgrader autograde`, on the same submissions.

Builds an nbgrader course from notebooks/ in a temporary folder with SUBMISSIONS copies of
the sources (every exercise solved, so that every check runs to its end), and grades it,
each time in a fresh copy of the course:

- serially, as nbgrader comes: one `nbgrader autograde lab` for the whole class, its kernels
  unsandboxed, with the BLAS threads labkit picks on its own;
- with `labkit grade lab --jobs 2`: two submissions at a time, each kernel in the sandbox,
  one BLAS thread per job.

It prints the wall-time ratio (target: at least 1.6x on 2 cores), the CPU seconds per
submission (nbgrader and its kernels, from the processes' rusage) and what the run makes of
300 students: on 2 cores at the measured pace, on 16 cores at the CPU seconds per submission,
with the CPUs as busy as the 2-core run kept them (grading is CPU-bound: it needs no more
than that, and memory for 16 kernels at a time). Runs take minutes; keep the machine quiet.

Run: python -m benchmarks.bench_grading [--submissions 6] [--rounds 1]
     (`make bench-grading`, which installs nbgrader and bubblewrap)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CLASS = 300
CONFIG = "c = get_config()\nc.CourseDirectory.root = {root!r}\nc.CourseDirectory.course_id = 'bench'\n"
LABKIT = "from labkit.tools.nbgrader_config import configure\nconfigure(c)\n"


def environment() -> dict[str, str]:
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def make_course(folder: Path, submissions: int) -> None:
    """generate_assignment from notebooks/, then ``submissions`` students who hand in the sources."""
    folder.mkdir()
    (folder / "nbgrader_config.py").write_text(CONFIG.format(root=str(folder)) + LABKIT)
    (folder / "source" / "lab").mkdir(parents=True)
    for path in NOTEBOOKS.glob("*.ipynb"):
        shutil.copy(path, folder / "source" / "lab")
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "lab"], cwd=folder, env=environment(),
                   check=True, capture_output=True)
    for n in range(submissions):
        shutil.copytree(folder / "source" / "lab", folder / "submitted" / f"student{n:02d}" / "lab")


def fresh_copy(course: Path, name: str, labkit_config: bool) -> Path:
    copy = course.parent / name
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(course, copy)
    (copy / "nbgrader_config.py").write_text(CONFIG.format(root=str(copy)) + (LABKIT if labkit_config else ""))
    return copy


def serial(course: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one `nbgrader autograde lab` over the whole class."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", "lab"], cwd=course, env=environment(),
                   check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def labkit_grade(course: Path, jobs: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of `labkit grade lab --jobs JOBS`, the CPU from its own per-submission rusage."""
    start = time.perf_counter()
    result = subprocess.run([str(Path(sys.executable).parent / "labkit"), "grade", "lab", "--jobs", str(jobs)],
                            cwd=course, env=environment(), capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"labkit grade failed:\n{result.stdout[-3000:]}{result.stderr[-3000:]}")
    ledger = json.loads((course / ".labkit-grade" / "lab.json").read_text())
    return wall, sum(r["cpu_seconds"] for r in ledger.values())


def extrapolate(wall: float, cpu: float, submissions: int, cores: int, students: int = CLASS,
                measured_cores: int = 2) -> tuple[float, float]:
    """Hours for ``students`` at the measured pace (``measured_cores``), and on ``cores`` CPUs kept as busy."""
    busy = cpu / wall / measured_cores  # the share of the CPUs the measured run kept busy
    return students * wall / submissions / 3600, students * cpu / submissions / (cores * busy) / 3600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds (the order flips each round)")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} (grading {args.submissions} submissions of "
          f"{len(list(NOTEBOOKS.glob('*.ipynb')))} notebooks)")
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        make_course(course, args.submissions)
        runs: dict[str, list[tuple[float, float]]] = {"serial": [], "labkit": []}
        for round_ in range(args.rounds):
            order = ["serial", "labkit"] if round_ % 2 == 0 else ["labkit", "serial"]
            for name in order:
                if name == "serial":
                    runs[name].append(serial(fresh_copy(course, "serial", labkit_config=False)))
                else:
                    runs[name].append(labkit_grade(fresh_copy(course, "labkit", labkit_config=True), jobs=2))
    (s_wall, s_cpu), (l_wall, l_cpu) = (min(runs[name]) for name in ("serial", "labkit"))
    n = args.submissions
    print(f"serial `nbgrader autograde`:    {s_wall:7.1f} s, {s_wall / n:5.1f} s and {s_cpu / n:5.1f} CPU s per "
          "submission")
    print(f"`labkit grade --jobs 2`:        {l_wall:7.1f} s, {l_wall / n:5.1f} s and {l_cpu / n:5.1f} CPU s per "
          f"submission (CPUs {100 * l_cpu / l_wall / 2:.0f}% busy)")
    print(f"serial / labkit grade --jobs 2: {s_wall / l_wall:.2f}x  (target: at least 1.6x on 2 cores)")
    serial_hours = CLASS * s_wall / n / 3600
    two, sixteen = extrapolate(l_wall, l_cpu, n, cores=16)
    print(f"{CLASS} students: serial {serial_hours:.1f} h; labkit grade {two:.1f} h on 2 cores (--jobs 2), "
          f"{sixteen:.2f} h on 16 cores (--jobs 16)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()

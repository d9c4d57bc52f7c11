"""The ``labkit`` command line: ``labkit solutions hide|show``, ``labkit release``, ``labkit export html``,
``labkit grade``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .. import __version__
from . import assignments, export, mnist, threads

DEFAULT_SOURCES = ["notebooks"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="labkit", description="Instructor tools for the labkit notebooks.")
    parser.add_argument("--version", action="version", version=f"labkit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    solutions = commands.add_parser("solutions", help="collapse or expand the solution cells, in place")
    solutions.add_argument("action", choices=["hide", "show"])
    solutions.add_argument("paths", nargs="+", metavar="PATH", help="notebooks or folders of notebooks")

    release = commands.add_parser(
        "release", help="write, scan or verify a student release",
        description="Write a student release (--student), scan one for leaked solutions (--check), "
                    "or run it to prove its checks fail on the stubs and pass on the sources (--verify).")
    mode = release.add_mutually_exclusive_group(required=True)
    mode.add_argument("--student", metavar="OUT", type=Path, help="write the student notebooks into OUT")
    mode.add_argument("--check", metavar="OUT", type=Path, help="scan the release in OUT for solution content")
    mode.add_argument("--verify", metavar="OUT", type=Path, help="run the release in OUT and its sources")
    release.add_argument("paths", nargs="*", metavar="PATH", default=DEFAULT_SOURCES,
                         help="the source notebooks (with solutions), or folders of them, that the release is or was "
                              "made from; --check and --verify compare with them (default: notebooks/)")
    site = commands.add_parser(
        "export", help="write the notebooks as a static web site",
        description="Write a static site into OUT: an index, each notebook as a student page (solutions stubbed, "
                    "scanned for leaks like a release) and an instructor page (solutions folded). "
                    "It works from file:// and offline; OUT is replaced if it holds an earlier site.")
    site.add_argument("format", choices=["html"])
    site.add_argument("out", metavar="OUT", type=Path, help="the site's folder (new, empty, or an earlier site)")
    site.add_argument("paths", nargs="*", metavar="PATH", default=DEFAULT_SOURCES,
                      help="source notebooks or folders (default: notebooks/)")
    site.add_argument("--student-only", action="store_true",
                      help="leave out the instructor pages (for a site students can see)")
    grading = commands.add_parser(
        "grade", help="autograde every submission of an nbgrader assignment, sandboxed, N at a time",
        description="Run in an nbgrader course directory. Autograde every new or changed submission of ASSIGNMENT "
                    "with nbgrader (one `nbgrader autograde --student` each, JOBS at a time, each kernel in "
                    "labkit's sandbox), then print the class report and write a grades CSV. A rerun grades only "
                    "what is new or changed; an interrupted run loses nothing. Exit code 1 if a submission failed.")
    grading.add_argument("assignment", metavar="ASSIGNMENT")
    grading.add_argument("--jobs", type=int, default=None,
                         help="submissions graded at once (default: the CPUs this process may use)")
    grading.add_argument("--timeout", type=float, default=600.0,
                         help="wall time of one submission, seconds (default 600); it fails when over")
    grading.add_argument("--memory", type=int, default=None, metavar="MIB",
                         help="memory of a kernel process, and of a sandbox with a cgroup (default 3072)")
    grading.add_argument("--processes", type=int, default=None,
                         help="processes and threads of a sandbox (default 64)")
    grading.add_argument("--csv", type=Path, default=None,
                         help="where to write the grades (default: grades-ASSIGNMENT.csv in the course)")
    grading.add_argument("--retry-failed", action="store_true", help="grade failed submissions again too")
    grading.add_argument("--unsandboxed", action="store_true",
                         help="run students' code without a sandbox, with your rights (where bubblewrap is missing)")
    data = commands.add_parser("data", help="download and verify a data set ahead of time")
    data.add_argument("dataset", choices=["mnist"])
    data.add_argument("--cache-dir", type=Path, default=None,
                      help="where to keep it (default: $LABKIT_DATA or ~/.cache/labkit)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "solutions":
            return _solutions(args)
        if args.command == "release":
            return _release(args)
        if args.command == "data":
            return _data(args)
        if args.command == "export":
            return _export(args)
        if args.command == "grade":
            return _grade(args)
    except (assignments.MarkerError, assignments.LeakError, mnist.MnistUnavailable, FileNotFoundError,
            ValueError, RuntimeError) as err:
        print(f"labkit: error: {err}", file=sys.stderr)
        return 1
    parser.print_help()
    return 0


def _solutions(args) -> int:
    for path in assignments.notebook_paths(args.paths):
        count = assignments.set_solutions_hidden(path, hidden=args.action == "hide")
        print(f"{path}: {count} solution cell(s) {'hidden' if args.action == 'hide' else 'shown'}")
    return 0


def _release(args) -> int:
    no_sources = args.paths == DEFAULT_SOURCES and not Path(DEFAULT_SOURCES[0]).is_dir()
    if args.check and no_sources:
        return _check_structure(args.check)
    if no_sources:
        raise FileNotFoundError("there is no notebooks/ folder here: give the source notebooks (with solutions) as "
                                "PATH, e.g. `labkit release --verify release path/to/notebooks`.")
    if args.student:
        for summary in assignments.release(args.paths, args.student):
            print(summary)
        print(f"leak scan: clean. Student release written to {args.student}/")
        return 0
    if args.check:
        leaks = assignments.scan_release_structure(args.check) + assignments.scan_for_leaks(args.check, args.paths)
        for leak in leaks:
            print(f"LEAK {leak}", file=sys.stderr)
        print(f"leak scan of {args.check}: {'clean' if not leaks else f'{len(leaks)} leak(s)'}")
        return 1 if leaks else 0
    problems = assignments.verify_release(args.verify, args.paths)
    for problem in problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    print(f"verification of {args.verify}: {'passed' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


def _check_structure(folder: Path) -> int:
    leaks = assignments.scan_release_structure(folder)
    for leak in leaks:
        print(f"LEAK {leak}", file=sys.stderr)
    print(f"leak scan of {folder}: {'clean' if not leaks else f'{len(leaks)} leak(s)'} (no sources here: checked for "
          "markers, outputs, written answers and widget state; give the sources as PATH to look for their solutions' "
          "lines too)")
    return 1 if leaks else 0


def _export(args) -> int:
    summaries = export.export_html(args.paths, args.out, student_only=args.student_only)
    for summary in summaries:
        print(summary)
    pages = "student pages" if args.student_only else "student and instructor pages"
    print(f"leak scan of the student pages: clean. {len(summaries)} notebook(s) as {pages} in {args.out}/ "
          f"(open {args.out / 'index.html'})")
    return 0


def _data(args) -> int:
    arrays = mnist.ensure_mnist(args.cache_dir, progress=True)
    folder = args.cache_dir if args.cache_dir is not None else mnist.default_cache_dir()
    print(f"MNIST ready in {folder / mnist.CACHE_FILE}: {len(arrays['y_train'])} training and "
          f"{len(arrays['y_test'])} test images, checksum verified.")
    return 0


def _grade(args) -> int:
    from . import class_report, grade, sandbox

    course = grade.open_course()
    if args.unsandboxed:
        print("labkit grade: WARNING: no sandbox: students' code runs with your rights.", file=sys.stderr)
    else:
        sandbox.require_bubblewrap()
    jobs = args.jobs or threads.allowed_cpus()
    options = [f"--SandboxedKernelManager.cpu_limit={grade.blas_threads(jobs)}"]
    options += ["--SandboxedKernelManager.sandbox=False"] if args.unsandboxed else []
    options += [f"--SandboxedKernelManager.memory_mib={args.memory}"] if args.memory else []
    options += [f"--SandboxedKernelManager.process_limit={args.processes}"] if args.processes else []
    limits = "unsandboxed" if args.unsandboxed else sandbox.describe_limits(course.config, args.memory, args.processes)
    with grade.Ledger(course.folder, args.assignment) as ledger:
        found = grade.submissions(course.submitted, args.assignment)
        todo = grade.to_grade(found, ledger, lambda s: course.path("autograded", s, args.assignment),
                              args.retry_failed)
        print(f"{args.assignment}: {len(found)} submission(s), {len(found) - len(todo)} up to date; grading "
              f"{len(todo)}, {jobs} at a time, {grade.blas_threads(jobs)} BLAS thread(s) each; {limits}")
        results: list[grade.Result] = []
        started = time.monotonic()
        try:
            grade.grade_all(course, args.assignment, todo, ledger, jobs, args.timeout, options, results.append)
        except KeyboardInterrupt:
            print(f"\ninterrupted: {len(results)} of {len(todo)} graded and kept; run `labkit grade "
                  f"{args.assignment}` again to grade the rest.", file=sys.stderr)
            return 130
        failures = {s: r.reason for s, r in ledger.results.items() if r.status == "failed"}
    if results:
        wall, cpu = time.monotonic() - started, sum(r.cpu_seconds for r in results)
        print(f"graded {len(results)} in {wall:.1f} s: {wall / len(results):.1f} s of wall time and "
              f"{cpu / len(results):.1f} CPU seconds per submission")
    report = class_report.build(course, args.assignment, failures)
    print(class_report.format_report(report))
    csv_path = args.csv or course.folder / f"grades-{args.assignment}.csv"
    class_report.write_csv(report, csv_path)
    print(f"\ngrades of {len(report.students)} student(s) written to {csv_path}")
    return 1 if failures else 0

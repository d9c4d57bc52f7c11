"""The ``labkit`` command line: ``labkit solutions hide|show``, ``labkit release``, ``labkit export html``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import __version__
from . import assignments, export, mnist

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
    except (assignments.MarkerError, assignments.LeakError, mnist.MnistUnavailable, FileNotFoundError,
            ValueError) as err:
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
    if args.paths == DEFAULT_SOURCES and not Path(DEFAULT_SOURCES[0]).is_dir():
        raise FileNotFoundError("there is no notebooks/ folder here: give the source notebooks (with solutions) as "
                                "PATH, e.g. `labkit release --verify release path/to/notebooks`.")
    if args.student:
        for summary in assignments.release(args.paths, args.student):
            print(summary)
        print(f"leak scan: clean. Student release written to {args.student}/")
        return 0
    if args.check:
        leaks = assignments.scan_for_leaks(args.check, args.paths)
        for leak in leaks:
            print(f"LEAK {leak}", file=sys.stderr)
        print(f"leak scan of {args.check}: {'clean' if not leaks else f'{len(leaks)} leak(s)'}")
        return 1 if leaks else 0
    problems = assignments.verify_release(args.verify, args.paths)
    for problem in problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    print(f"verification of {args.verify}: {'passed' if not problems else f'{len(problems)} problem(s)'}")
    return 1 if problems else 0


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

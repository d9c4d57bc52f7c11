"""Solutions in the notebooks: find them, hide or show them, and release a student version.

The convention (nbgrader's markers, so nbgrader can be used instead):

- a code cell is an **exercise** when it contains a region between the lines
  ``### BEGIN SOLUTION`` and ``### END SOLUTION``; the ``# TODO:`` hint above
  the region is kept for students;
- a Markdown cell tagged ``solution`` is a **written answer**;
- a code cell tagged ``check`` is a **self-check** of the exercise before it; it may
  hold instructor-only tests between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``.

A student release does what nbgrader's ``generate_assignment`` does to the same
cells, so an nbgrader course accepts it: each region becomes nbgrader's stub
(``# YOUR CODE HERE`` and ``raise NotImplementedError()``), each answer its
placeholder ``YOUR ANSWER HERE``, hidden tests are removed, checks are locked.
It also removes every output, and is then scanned for anything of the solutions
or hidden tests that survived (``scan_for_leaks``).
"""

from __future__ import annotations

import base64
import binascii
import copy
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import figures

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SOLUTION_TAG, CHECK_TAG, HIDE_TAG = "solution", "check", "hide-input"
STUB = "# YOUR CODE HERE\nraise NotImplementedError()"  # nbgrader's, so that it knows an untouched exercise
ANSWER_PLACEHOLDER = "YOUR ANSWER HERE"


class MarkerError(ValueError):
    """A malformed solution marker or tag, located by notebook, cell and line."""

    def __init__(self, path, cell: int, line: int, problem: str):
        super().__init__(f"{path}, cell {cell}, line {line}: {problem}")


class LeakError(RuntimeError):
    """A student release still contains solution content."""

    def __init__(self, leaks: list[Leak], summary: str = "the student release leaks {n} piece(s) of solution"):
        self.leaks = leaks
        lines = "\n".join(f"  {leak}" for leak in leaks[:50])
        more = f"\n  ... and {len(leaks) - 50} more" if len(leaks) > 50 else ""
        super().__init__(f"{summary.format(n=len(leaks))}:\n{lines}{more}")


# -- reading the convention ----------------------------------------------------


def tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def solution_regions(source: str, path="<notebook>", cell: int = 0) -> list[tuple[int, int]]:
    """(begin, end) line indices of every solution region in a code cell's source, checked for balance."""
    return _regions(source, BEGIN, END, path, cell)


def hidden_test_regions(source: str, path="<notebook>", cell: int = 0) -> list[tuple[int, int]]:
    """(begin, end) line indices of every hidden-test region in a check cell's source, checked for balance."""
    return _regions(source, BEGIN_HIDDEN, END_HIDDEN, path, cell)


def _regions(source: str, begin_marker: str, end_marker: str, path, cell: int) -> list[tuple[int, int]]:
    regions, begin = [], None
    for number, line in enumerate(source.splitlines()):
        marker = line.strip()
        if marker == begin_marker:
            if begin is not None:
                raise MarkerError(
                    path, cell, number + 1, f"nested '{begin_marker}' (the one on line {begin + 1} is still open)"
                )
            begin = number
        elif marker == end_marker:
            if begin is None:
                raise MarkerError(path, cell, number + 1, f"'{end_marker}' without a '{begin_marker}' before it")
            regions.append((begin, number))
            begin = None
    if begin is not None:
        raise MarkerError(path, cell, begin + 1, f"'{begin_marker}' is never closed by '{end_marker}'")
    return regions


def is_exercise(cell) -> bool:
    return cell.cell_type == "code" and any(line.strip() == BEGIN for line in cell.source.splitlines())


def is_answer(cell) -> bool:
    return cell.cell_type == "markdown" and SOLUTION_TAG in tags(cell)


def is_check(cell) -> bool:
    return cell.cell_type == "code" and CHECK_TAG in tags(cell)


def check_conventions(nb, path) -> None:
    """Raise MarkerError for unbalanced or nested markers, empty solution cells, or a check with no exercise."""
    exercise_since_last_check = False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and solution_regions(cell.source, path, index):
            exercise_since_last_check = True
        if SOLUTION_TAG in tags(cell) and not cell.source.strip():
            raise MarkerError(path, index, 1, "the cell is tagged 'solution' but is empty")
        if hidden_test_regions(cell.source, path, index) and not is_check(cell):
            line = hidden_test_regions(cell.source, path, index)[0][0] + 1
            raise MarkerError(path, index, line, f"'{BEGIN_HIDDEN}' outside a 'check' cell (only checks are graded)")
        if is_check(cell):
            if not exercise_since_last_check:
                raise MarkerError(path, index, 1, "a 'check' cell with no exercise (solution region) before it")
            exercise_since_last_check = False


def read_notebook(path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    check_conventions(nb, path)
    return nb


def write_atomically(path, nb) -> None:
    """Write nb in nbformat's layout via a temporary file, so a crash never leaves half a notebook."""
    path = Path(path)
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        if path.exists():
            shutil.copymode(path, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def notebook_paths(paths: Iterable) -> list[Path]:
    """Expand directories into the notebooks they hold (sorted); keep notebook files as given."""
    found = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(q for q in p.glob("*.ipynb") if not q.name.startswith("."))
        elif p.suffix == ".ipynb" and p.exists():
            found.append(p)
        else:
            raise FileNotFoundError(f"{p} is neither a notebook (.ipynb) nor a folder of notebooks.")
    return found


# -- hide / show -----------------------------------------------------------------


def set_solutions_hidden(path, hidden: bool) -> int:
    """Collapse (hidden=True) or expand every solution cell of a notebook in place; returns how many."""
    nb = read_notebook(path)
    cells = [cell for cell in nb.cells if is_exercise(cell) or is_answer(cell)]
    for cell in cells:
        meta = cell.metadata
        flags = ["source_hidden"] + (["outputs_hidden"] if is_answer(cell) else [])
        cell_tags = [t for t in tags(cell) if t != HIDE_TAG]
        jupyter = {k: v for k, v in meta.get("jupyter", {}).items() if k not in flags}
        if hidden:
            cell_tags.append(HIDE_TAG)
            jupyter.update(dict.fromkeys(flags, True))
        for key, value in (("tags", cell_tags), ("jupyter", jupyter)):
            if value:
                meta[key] = value
            else:
                meta.pop(key, None)
    write_atomically(path, nb)
    return len(cells)


# -- student release ---------------------------------------------------------------


@dataclass
class ReleaseSummary:
    notebook: str
    exercises: int
    answers: int

    def __str__(self) -> str:
        return f"{self.notebook}: {self.exercises} exercise(s) stubbed, {self.answers} written answer(s) removed"


def stub_regions(source: str, regions: list[tuple[int, int]], stub: str = STUB) -> str:
    """Replace each region (markers included) by the stub's lines, indented like its BEGIN line (as nbgrader does)."""
    lines = source.splitlines()
    for begin, end in reversed(regions):
        indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
        lines[begin : end + 1] = [indent + line for line in stub.splitlines()]
    return "\n".join(lines)


def student_version(nb, path="<notebook>") -> tuple[nbformat.NotebookNode, int, int]:
    """A copy of nb with solutions stubbed and every output and run-time trace removed."""
    nb = copy.deepcopy(nb)
    exercises = answers = 0
    for index, cell in enumerate(nb.cells):
        solution = is_exercise(cell) or is_answer(cell)
        if cell.cell_type == "code":
            regions = solution_regions(cell.source, path, index)
            if regions:
                cell.source = stub_regions(cell.source, regions)
                exercises += 1
            if hidden := hidden_test_regions(cell.source, path, index):
                cell.source = stub_regions(cell.source, hidden, stub="")
            cell.outputs, cell.execution_count = [], None
        elif is_answer(cell):
            cell.source = ANSWER_PLACEHOLDER
            answers += 1
        if solution:
            cell.pop("attachments", None)
            cell.metadata["deletable"] = False  # nbgrader's lock: a student fills the cell in but keeps it
        if is_check(cell):
            cell.metadata.update(deletable=False, editable=False)
        for key in ("execution", "collapsed", "scrolled", "jupyter"):
            cell.metadata.pop(key, None)
        if HIDE_TAG in tags(cell):
            cell.metadata["tags"] = [t for t in tags(cell) if t != HIDE_TAG]
    nb.metadata.pop("widgets", None)
    return nb, exercises, answers


def release(paths: Iterable, out) -> list[ReleaseSummary]:
    """Write student versions of the notebooks in ``paths`` into ``out``; sources are only read.

    Nothing is written if a source is malformed; the release is built in a temporary
    folder and moved into ``out`` only after the leak scan finds nothing.
    """
    out = Path(out)
    sources = {path: read_notebook(path) for path in notebook_paths(paths)}
    if not sources:
        raise ValueError("no notebooks to release.")
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=out, prefix=".staging-"))
    try:
        summaries = []
        for path, nb in sources.items():
            student, exercises, answers = student_version(nb, path)
            nbformat.write(student, staging / path.name)
            summaries.append(ReleaseSummary(path.name, exercises, answers))
        for folder in {path.parent for path in sources}:
            for extra in folder.iterdir():  # data or images a notebook may need
                if extra.is_file() and extra.suffix != ".ipynb" and not extra.name.startswith("."):
                    shutil.copy2(extra, staging / extra.name)
        leaks = scan_for_leaks(staging, sources)
        if leaks:
            raise LeakError(leaks)
        for item in staging.iterdir():
            os.replace(item, out / item.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summaries


# -- leak scan -----------------------------------------------------------------------


@dataclass
class Leak:
    file: str
    cell: int | None
    text: str
    origin: str
    in_output: bool = False  # found in the cell's outputs, not in its source, metadata or attachments

    def __str__(self) -> str:
        where = f"{self.file}, cell {self.cell}" if self.cell is not None else self.file
        return f"{where}{' output' if self.in_output else ''}: {self.text!r} (from {self.origin})"


NUMBER = re.compile(r"-?\d+\.\d{4,}")


def _public_lines(sources: dict) -> set[str]:
    """Stripped lines students may see anyway: everything outside solution regions, hidden tests and answers."""
    public: set[str] = set()
    for path, nb in sources.items():
        for index, cell in enumerate(nb.cells):
            if is_answer(cell):
                continue
            lines = cell.source.splitlines()
            hidden: set[int] = set()
            if cell.cell_type == "code":
                for begin, end in solution_regions(cell.source, path, index) + hidden_test_regions(cell.source):
                    hidden.update(range(begin, end + 1))
            public.update(line.strip() for n, line in enumerate(lines) if n not in hidden)
    return public


def solution_fingerprints(sources: dict) -> dict[str, str]:
    """Distinctive pieces of every solution (text -> where it comes from)."""
    public = _public_lines(sources)
    public_text = "\n".join(public)
    found = {}
    for path, nb in sources.items():
        for index, cell in enumerate(nb.cells):
            origin = f"{Path(path).name}, cell {index}"
            if is_answer(cell):
                lines = cell.source.splitlines()
            elif cell.cell_type == "code" and (regions := solution_regions(cell.source, path, index)):
                all_lines = cell.source.splitlines()
                # a line of code of a solution is a leak wherever it stands in a release, even in a public
                # cell of another notebook: that cell would hand the exercise's answer to the student
                found.update({line: origin for b, e in regions for n in range(b + 1, e)
                              if len(line := all_lines[n].strip()) >= 10})
                lines = []
                for output in cell.get("outputs", []):
                    text = _output_text(output)
                    found.update({num: origin + " output" for num in NUMBER.findall(text) if num not in public_text})
                    if png := figures.png_data(output):  # a PNG output, or a picture in an HTML one
                        found[png.replace("\n", "")[:80]] = origin + " image"
            elif is_check(cell) and (hidden := hidden_test_regions(cell.source, path, index)):
                all_lines = cell.source.splitlines()
                lines = [all_lines[n] for b, e in hidden for n in range(b + 1, e)]
                origin += " (hidden tests)"
            else:
                continue
            for line in lines:
                line = line.strip()
                if len(line) >= 10 and line not in public:
                    found[line] = origin
    return found


def _output_text(output) -> str:
    parts = [output.get("text", ""), output.get("evalue", "")]
    parts += [v for k, v in output.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def _strings(value) -> Iterator[str]:
    """Every string inside a JSON value, plus the decoded text of base64 blobs (attachments, images)."""
    if isinstance(value, str):
        yield value
        if len(value) >= 16 and re.fullmatch(r"[A-Za-z0-9+/=\s]+", value):
            try:
                yield base64.b64decode(value, validate=False).decode("utf-8", errors="ignore")
            except (binascii.Error, ValueError):
                pass
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


KEY = re.compile(r"<!--\s*key:\s*(.*?)\s*-->")
"""A written answer's key formula, in a comment inside the answer (which every release replaces), e.g.
``<!-- key: \\tau = \\sigma^2 -->``: found in a kept cell however it is spaced, it is a leak."""


def squeeze(text: str) -> str:
    """Text without whitespace and LaTeX's spacing, so that a formula is found however it is spaced."""
    return re.sub(r"\s+|\\[,;:! ]|\\q?quad\b|[{}]", "", text)


def answer_keys(sources: dict) -> dict[str, str]:
    """The key formulas the written answers declare, squeezed -> where they come from.

    A line of an answer copied elsewhere is caught by its fingerprint; its key formula restated in other
    words or spacing in a kept cell is caught by its key.
    """
    return {squeeze(key): f"{Path(path).name}, cell {index} (the key of a written answer)"
            for path, nb in sources.items() for index, cell in enumerate(nb.cells) if is_answer(cell)
            for key in KEY.findall(cell.source)}


class LeakScan:
    """The fingerprints of the ``sources``' solutions, made once, and the search for them in notebooks and texts.

    The student release scans the files it wrote (``scan_for_leaks``); the web site scans its notebooks and pages
    as they are made, in memory. A notebook is searched cell by cell, each cell's outputs apart from the rest of
    it, so that a caller can tell a leaking output from a leaking source.
    """

    def __init__(self, sources: dict) -> None:
        self.fingerprints = solution_fingerprints(sources)
        self.keys = answer_keys(sources)

    def notebook(self, name: str, nb) -> list[Leak]:
        leaks = []
        for index, cell in enumerate(nb.cells):
            rest = {key: value for key, value in cell.items() if key != "outputs"}
            leaks += self._find(name, index, "\n".join(_strings(rest)))
            leaks += self._find(name, index, "\n".join(_strings(cell.get("outputs", []))), in_output=True)
        return leaks + self._find(name, None, "\n".join(_strings(dict(nb.metadata))))

    def text(self, name: str, text: str) -> list[Leak]:
        return self._find(name, None, text)

    def _find(self, name: str, cell: int | None, haystack: str, in_output: bool = False) -> list[Leak]:
        leaks = [Leak(name, cell, fp, origin, in_output) for fp, origin in self.fingerprints.items() if fp in haystack]
        if self.keys:
            squeezed = squeeze(haystack)
            leaks += [Leak(name, cell, key, origin, in_output) for key, origin in self.keys.items() if key in squeezed]
        return leaks


def scan_for_leaks(folder, sources) -> list[Leak]:
    """Search every file under ``folder`` for solution content of the ``sources`` notebooks."""
    if not isinstance(sources, dict):
        sources = {path: read_notebook(path) for path in notebook_paths(sources)}
    scan = LeakScan(sources)
    leaks = []
    for file in sorted(Path(folder).rglob("*")):
        if not file.is_file():
            continue
        text = file.read_text(encoding="utf-8", errors="ignore")
        if file.suffix == ".ipynb":
            leaks += scan.notebook(file.name, nbformat.reads(text, as_version=4))
        else:
            leaks += scan.text(file.name, text)
    return leaks


SOURCE_MARKERS = (BEGIN, END, BEGIN_HIDDEN, END_HIDDEN, "### BEGIN MARK SCHEME", "### END MARK SCHEME")


def scan_release_structure(folder) -> list[Leak]:
    """What marks a notebook under ``folder`` as a source rather than a release, without the sources at hand:
    solution, hidden-test or marking-scheme markers, outputs, written answers, saved widget state."""
    leaks = []
    for path in sorted(Path(folder).rglob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            leaks += [Leak(path.name, index, line.strip(), "a marker that only sources hold")
                      for line in cell.source.splitlines() if line.strip() in SOURCE_MARKERS]
            if cell.get("outputs"):
                leaks.append(Leak(path.name, index, f"{len(cell.outputs)} output(s)", "a run: a release has none"))
            answer = is_answer(cell) or (cell.cell_type == "markdown"
                                         and cell.get("metadata", {}).get("nbgrader", {}).get("solution"))
            if answer and cell.source.strip() != ANSWER_PLACEHOLDER:
                leaks.append(Leak(path.name, index, cell.source.strip()[:60], "a written answer"))
        if "widgets" in nb.metadata:
            leaks.append(Leak(path.name, None, "metadata.widgets", "saved widget state"))
    return leaks


# -- verification ----------------------------------------------------------------------


def _failing_cells(nb, cwd, timeout: int) -> set[int]:
    """Run nb in a fresh kernel, going on after errors; the indices of the cells that raised."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(cwd)}}).execute()
    return {i for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and any(o.output_type == "error" for o in cell.outputs)}


def cell_key(cell) -> str | None:
    """How a cell of a source is found again in its release: by nbgrader's grade_id, else its nbformat cell id.
    Not by position: nbgrader's IncludeHeaderFooter (`nbgrader quickstart` turns it on) adds cells."""
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or cell.get("id")


def verify_release(out, paths, timeout: int = 600, sources: bool = True) -> list[str]:
    """Run each student notebook and its source up to the last check cell; return the problems found.

    In the student version every check must fail (its exercise is a stub) and every cell
    before the first exercise must run; in the source every cell must run (sources=False
    skips that half, for a caller that runs the sources anyway). Cells are matched by
    ``cell_key``; problems name the source's cell numbers.
    """
    problems = []
    for path in notebook_paths(paths):
        source = read_notebook(path)
        checks = [i for i, cell in enumerate(source.cells) if is_check(cell)]
        if not checks:
            continue
        first_exercise = next(i for i, cell in enumerate(source.cells) if is_exercise(cell))
        student = nbformat.read(Path(out) / path.name, as_version=4)
        found = {key: i for i, cell in enumerate(student.cells) if (key := cell_key(cell))}
        keys = {i: cell_key(source.cells[i]) for i in [first_exercise, *checks]}
        where = {i: found[key] for i, key in keys.items() if key in found}
        missing = [i for i in keys if i not in where]
        if missing:
            problems += [f"{path.name}: source cell {i} ({cell_key(source.cells[i]) or 'no grade_id or cell id'}) "
                         "is not in the student version" for i in missing]
            continue
        student.cells = student.cells[: max(where[i] for i in checks) + 1]
        failing = _failing_cells(student, out, timeout)
        problems += [f"{path.name}: student cell {i} fails before the first exercise" for i in sorted(failing)
                     if i < where[first_exercise]]
        problems += [f"{path.name}: check cell {i} passes on the student stub, so it cannot catch a wrong answer"
                     for i in checks if where[i] not in failing]
        if sources:
            source.cells = source.cells[: checks[-1] + 1]
            failing = _failing_cells(source, path.parent, timeout)
            problems += [f"{path.name}: source cell {i} fails" for i in sorted(failing)]
    return problems

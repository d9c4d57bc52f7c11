"""Grades that mean something: nbgrader's Execute step, with the verdicts signed in the kernel.

nbgrader scores a check cell by whether it raised: a cell that never ran its check, or whose check
the student's code made pass, scores full points. ``GradingExecute`` replaces nbgrader's ``Execute``
(``labkit.tools.nbgrader_config.configure`` sets it up):

1. It starts the kernel as ``labkit.tools.grading_kernel``, which arms ``labkit.tools.sentinel`` before
   any cell runs, handing it a fresh key (through a pipe) and a log file the kernel can only append to.
2. After the notebook ran, it reads the log: a check cell that raised nothing but has no signed pass
   record from its own cell gets an error output saying why, so nbgrader scores it 0.
3. Anything the sentinel recorded as tampering, a log not all signed, and the escape hatches a static
   scan of the student's cells finds (``scan``) hold the submission for review: every check scores 0,
   each says why, and the submission's review file (``class_report.review_path``, beside its autograded
   folder, out of the kernel's reach) names the cell and line.

An honest notebook leaves no tamper record and no finding, so it gets every point it earns.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nbformat import NotebookNode
from nbgrader.preprocessors import Execute

from . import sentinel
from .class_report import review_path
from .grading_kernel import FLAG

ERROR_NAME = "LabkitGrading"

# names that honest numpy code for these exercises never needs, and that reach memory, frames, the kernel or labkit's
# own machinery; a student cell that uses one is held for review, its line named
ESCAPE_HATCHES = {
    "as_strided": "reads memory outside an array (numpy's as_strided)",
    "__array_interface__": "makes an array of any memory address (__array_interface__)",
    "__array_struct__": "makes an array of any memory address (__array_struct__)",
    "ctypes": "reaches the interpreter's memory (ctypes)",
    "ctypeslib": "reaches the interpreter's memory (numpy's ctypeslib)",
    "_getframe": "looks at the interpreter's frames (sys._getframe)",
    "currentframe": "looks at the interpreter's frames (inspect.currentframe)",
    "__code__": "reaches a function's code (__code__)",
    "__closure__": "reaches a function's closure (__closure__)",
    "__globals__": "reaches a function's globals (__globals__)",
    "__builtins__": "changes or reaches the builtins (__builtins__)",
    "addaudithook": "adds an audit hook",
    "settrace": "installs a tracing hook",
    "setprofile": "installs a profiling hook",
    "_exit": "ends the kernel (os._exit)",
    "input_transformers_cleanup": "changes how IPython runs cells",
    "input_transformers_post": "changes how IPython runs cells",
    "ast_transformers": "changes how IPython runs cells",
}


@dataclass
class Reason:
    """Why a submission is held: in which notebook, cell (index) and line, what was seen."""

    notebook: str
    cell: int | None
    line: int | None
    what: str

    def __str__(self) -> str:
        where = "" if self.cell is None else f" (cell {self.cell}" + (f", line {self.line})" if self.line else ")")
        return f"{self.what}{where}"


def scan(nb: NotebookNode, notebook: str) -> list[Reason]:
    """The escape hatches used in the code cells a student can change (every code cell but the locked checks)."""
    reasons = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or is_test_cell(cell):
            continue
        for number, line in enumerate(cell.source.splitlines(), start=1):
            code = line.split("#", 1)[0]
            reasons += [Reason(notebook, index, number, what) for name, what in ESCAPE_HATCHES.items()
                        if re.search(rf"(?<![\w]){re.escape(name)}(?![\w])", code)]
            if re.search(r"\b(?:import\s+builtins|from\s+builtins\s+import|sys\s*\.\s*modules)\b", code):
                reasons.append(Reason(notebook, index, number, "changes or reaches the interpreter's modules or "
                                                                "builtins"))
    return reasons


def is_test_cell(cell: NotebookNode) -> bool:
    """An autograded check: graded, not a solution (nbgrader's own test for it)."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


class GradingExecute(Execute):
    """nbgrader's Execute with the sentinel in the kernel and the verdicts read from its signed log."""

    _started: set[Path] = set()  # the review files this process has begun (a regrade starts them afresh)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        review = review_path(Path(resources.get("metadata", {}).get("path") or ".").resolve())
        if review not in self._started:  # the submission's first notebook: an earlier grading's verdict is gone
            self._started.add(review)
            review.unlink(missing_ok=True)
        key = secrets.token_bytes(32)
        handle, log_path = tempfile.mkstemp(prefix="labkit-sentinel-", suffix=".log")
        os.close(handle)
        log_fd = os.open(log_path, os.O_WRONLY | os.O_APPEND)  # the kernel can add to the log, not read it
        key_read, key_write = os.pipe()
        os.write(key_write, key)
        os.close(key_write)
        self._descriptors = [log_fd, key_read]
        extra: list[str] = list(self.extra_arguments)  # type: ignore[has-type]
        self.extra_arguments = [*extra, f"{FLAG}{log_fd}:{key_read}"]
        try:
            nb, resources = super().preprocess(nb, resources)
        finally:
            self.extra_arguments = extra
            for fd in self._descriptors:
                os.close(fd)
        try:
            records, problems = sentinel.read_records(log_path, key)
        finally:
            os.unlink(log_path)
        notebook = Path(resources.get("nbgrader", {}).get("notebook", "notebook")).name
        notebook = notebook if notebook.endswith(".ipynb") else f"{notebook}.ipynb"
        reasons = apply_verdicts(nb, records, problems, notebook)
        if reasons:
            write_review(review, reasons)
        return nb, resources

    def create_kernel_manager(self) -> Any:
        km = super().create_kernel_manager()
        if not hasattr(km, "kernel_module") or not hasattr(km, "pass_fds"):
            raise TypeError(f"labkit's grading needs a kernel manager that starts its own kernel module and passes it "
                            f"descriptors (labkit.tools.sandbox.SandboxedKernelManager); got {type(km).__name__}. "
                            "Call labkit.tools.nbgrader_config.configure(c) in nbgrader_config.py.")
        km.kernel_module = "labkit.tools.grading_kernel"
        km.pass_fds = list(self._descriptors)
        return km


def apply_verdicts(nb: NotebookNode, records: list[sentinel.Record], problems: list[str],
                   notebook: str) -> list[Reason]:
    """Make nbgrader score each check by its signed verdict; return why the submission is held (if it is).

    A check cell with no error output but no signed pass of its own gets an error output; if anything
    holds the submission, every check cell gets one naming the reasons.
    """
    cells = {sentinel.source_hash(cell.source): index for index, cell in enumerate(nb.cells)
             if cell.cell_type == "code"}
    checks = {index for index, cell in enumerate(nb.cells) if is_test_cell(cell)}
    reasons = [Reason(notebook, None, None, problem) for problem in problems]
    reasons += [Reason(notebook, cells.get(r.cell), r.line or None, r.text) for r in records if r.kind == "tamper"]
    # a pass counts for its own check cell only: one from elsewhere (a check copied into a scratch cell) scores nothing
    passed = {cells[r.cell] for r in records if r.kind == "pass" and cells.get(r.cell) in checks}
    ran = {(cells.get(r.cell), r.text) for r in records if r.kind == "exercise"}
    reasons += scan(nb, notebook)
    for index in sorted(checks):
        cell = nb.cells[index]
        if reasons:
            _fail(cell, "held for review, scored 0 until an instructor has looked: "
                        + "; ".join(str(r) for r in reasons[:3]) + (" ..." if len(reasons) > 3 else ""))
        elif any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
            continue  # failed as it stands
        elif index not in passed:
            _fail(cell, "this check did not run to its end, so it scores 0 (a cell above may stop cells from running, "
                        "or the kernel stopped)")
        elif missing := [name for name in exercises_named(cell.source) if (index, name) not in ran]:
            _fail(cell, f"this check's exercise did not run in it (labkit.exercises.{missing[0]}), so it scores 0 "
                        "(a cell above may have changed what the check cell runs)")
    return reasons


def exercises_named(source: str) -> list[str]:
    """The functions of labkit.exercises a check cell calls, in order (hidden tests included)."""
    return list(dict.fromkeys(re.findall(r"\bexercises\.(\w+)\(", source)))


def _fail(cell: NotebookNode, message: str) -> None:
    cell.setdefault("outputs", []).append(NotebookNode(output_type="error", ename=ERROR_NAME, evalue=message,
                                                       traceback=[f"{ERROR_NAME}: {message}"]))


def write_review(path: Path, reasons: list[Reason]) -> None:
    """Add ``reasons`` to the submission's review file ``path`` (one per submission, all its notebooks' reasons)."""
    review: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {"held": True, "reasons": []}
    review["reasons"] += [asdict(reason) for reason in reasons]
    path.write_text(json.dumps(review, indent=1))


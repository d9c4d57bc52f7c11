"""Feedback without what is meant for instructors only.

``nbgrader generate_feedback`` renders the autograded notebooks, and autograde has put the
instructors' version of every locked cell back in them: the check cells come back with their
hidden tests, and nbgrader 0.9.6 shows them, as it shows the marking schemes of written
answers. labkit's feedback configuration (``nbgrader_config.configure``) runs nbgrader's own
``ClearHiddenTests`` and ``ClearMarkScheme`` on the feedback, as ``generate_assignment`` runs
them on the release, after ``ShortTracebacks``: a traceback quotes the lines around the one
that failed, which may be hidden tests, so in a cell that holds hidden tests each error keeps
only its last line (``CheckFailed: <the check's message>``). The kernel ran the hidden tests, so a
student's cell could print them (from ``In``, say): ``QuotedHiddenTests`` removes every output that
quotes a line of them.
"""

from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
from nbformat.v4 import new_output
from traitlets import Bool

HIDDEN_TESTS = "BEGIN HIDDEN TESTS"  # nbgrader's delimiter, matched within a line as nbgrader matches it


class ShortTracebacks(Preprocessor):
    """Reduce each error output of a cell holding hidden tests to ``ename: evalue``."""

    enabled = Bool(True, help="nbconvert runs a preprocessor only when enabled; nbgrader registers it as is.").tag(
        config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and HIDDEN_TESTS in cell.source:
            for output in cell.get("outputs", []):
                if output.output_type == "error":
                    output.traceback = [f"{output.ename}: {output.evalue}"]
        return cell, resources


class QuotedHiddenTests(Preprocessor):
    """Remove every output that quotes a line of the notebook's hidden tests (printed from ``In``, say)."""

    enabled = Bool(True, help="nbconvert runs a preprocessor only when enabled; nbgrader registers it as is.").tag(
        config=True)

    def preprocess(self, nb, resources):
        lines = {line.strip() for cell in nb.cells if cell.cell_type == "code" for line in hidden_tests(cell.source)}
        lines = {line for line in lines if len(line) >= 8}  # a short line ("pass") is no telling quote
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [removed() if quotes(output, lines) else output for output in cell.get("outputs", [])]
        return nb, resources


def removed():
    return new_output("stream", name="stdout", text="(output removed: it quoted the hidden tests)\n")


def hidden_tests(source: str) -> list[str]:
    """The lines between nbgrader's BEGIN and END HIDDEN TESTS in a cell's source."""
    inside, found = False, []
    for line in source.splitlines():
        if "END HIDDEN TESTS" in line:
            inside = False
        elif inside:
            found.append(line)
        elif HIDDEN_TESTS in line:
            inside = True
    return found


def quotes(output, lines: set[str]) -> bool:
    """Whether an output's text (a stream, an error, or any text of display data) holds one of ``lines``."""
    parts = [output.get("text", ""), output.get("evalue", ""), *output.get("traceback", []),
             *(value for value in output.get("data", {}).values() if isinstance(value, str))]
    text = "".join(part if isinstance(part, str) else "".join(part) for part in parts)
    text = text.replace("\\n", "\n").replace("\\'", "'").replace('\\"', '"')  # printed as a repr, too
    return any(line in text for line in lines)

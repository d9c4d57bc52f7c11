"""Feedback without what is meant for instructors only.

``nbgrader generate_feedback`` renders the autograded notebooks, and autograde has put the
instructors' version of every locked cell back in them: the check cells come back with their
hidden tests, and nbgrader 0.9.6 shows them, as it shows the marking schemes of written
answers. labkit's feedback configuration (``nbgrader_config.configure``) runs nbgrader's own
``ClearHiddenTests`` and ``ClearMarkScheme`` on the feedback, as ``generate_assignment`` runs
them on the release, after ``ShortTracebacks``: a traceback quotes the lines around the one
that failed, which may be hidden tests, so in a cell that holds hidden tests each error keeps
only its last line (``CheckFailed: <the check's message>``).
"""

from __future__ import annotations

from nbconvert.preprocessors import Preprocessor
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

"""Filling in a student release the way a student would: shared by the planted-mistake and grading tests."""

from __future__ import annotations

import re
import textwrap

from labkit.tools import assignments


def solutions(source_cell) -> list[str]:
    """The code of each solution region of an exercise cell in the instructors' source, dedented."""
    lines = source_cell.source.splitlines()
    regions = assignments.solution_regions(source_cell.source)
    return [textwrap.dedent("\n".join(lines[begin + 1:end])) for begin, end in regions]


def fill(student_source: str, regions: list[str]) -> str:
    """Put each region's code where the student release has its stub, at the stub's indentation."""
    parts = iter(regions)

    def put(match: re.Match) -> str:
        return textwrap.indent(next(parts), match.group(1))

    first, second = (re.escape(line) for line in assignments.STUB.splitlines())
    return re.sub(rf"^([ \t]*){first}\n\1{second}$", put, student_source, flags=re.M)

"""The class report of ``labkit grade``: points per student and exercise, held submissions, failures; a CSV.

The points come from nbgrader's gradebook (the record), so a report made after formgrader
grading includes the hand-graded points too. What the gradebook does not hold comes from
the course's folders: ``autograded/<student>/<assignment>.labkit-review.json`` marks a
submission held for review, with its reasons; the autograded notebooks show which cells
reached a limit (nbgrader's time per cell, the sandbox's memory or processes); ``labkit
grade``'s results say which submissions failed as a whole.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

REVIEW_FILE = "labkit-review.json"


@dataclass
class StudentGrades:
    student: str
    points: dict[str, float]  # grade id -> points
    notebook_points: dict[str, float]  # notebook -> points
    max_points: float
    by_hand: int  # cells still to be graded by a person
    held: list[str] = field(default_factory=list)  # the reasons a submission is held for review
    failures: list[str] = field(default_factory=list)  # what failed, and why

    @property
    def total(self) -> float:
        return sum(self.points.values())


@dataclass
class ClassReport:
    assignment: str
    exercises: list[str]  # grade ids, in the order of the notebooks and their cells
    max_points: dict[str, float]  # grade id -> its maximum
    notebooks: list[str]
    students: list[StudentGrades]


def review_path(folder: Path) -> Path:
    """The review file of a submission's autograded folder: beside the folder, not in it, where the student's
    kernel (which may write in its notebook's folder, and only there) cannot reach it."""
    return folder.parent / f"{folder.name}.{REVIEW_FILE}"


def review_reasons(folder: Path) -> list[str]:
    """The reasons a submission's autograded folder holds it for review (empty: not held)."""
    path = review_path(folder)
    if not path.exists():
        return []
    review = json.loads(path.read_text())
    if not review.get("held"):
        return []
    return [f"{r['notebook']} cell {r['cell']} line {r['line']}: {r['what']}" for r in review.get("reasons", [])]


LIMITS = {  # an error output -> what it means for grading
    "CellTimeoutError": ("timeout", "ran over nbgrader's time per cell"),
    "MemoryError": ("memory", "ran out of memory (MemoryError)"),
}


def limits_reached(folder: Path) -> list[str]:
    """The cells of the autograded notebooks in ``folder`` that reached a limit, e.g. 'memory: 02.ipynb cell 5 ...'."""
    found = []
    for path in sorted(folder.glob("*.ipynb")):
        cells = json.loads(path.read_text()).get("cells", [])
        for index, cell in enumerate(cells):
            for output in cell.get("outputs", []):
                if output.get("output_type") != "error":
                    continue
                name, value = output.get("ename", ""), output.get("evalue", "")
                if name in LIMITS:
                    kind, what = LIMITS[name]
                    found.append(f"{kind}: {path.name} cell {index} {what}")
                elif name == "BlockingIOError" and "Resource temporarily unavailable" in value:
                    found.append(f"processes: {path.name} cell {index} could not start more (the process limit)")
    return found


def exercise_order(source: Path, known: Iterable[str]) -> list[str]:
    """The grade ids ``known`` in the order of the source notebooks' cells (any others after, sorted)."""
    known = set(known)
    order = []
    for path in sorted(source.glob("*.ipynb")):
        for cell in json.loads(path.read_text()).get("cells", []):
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id in known and grade_id not in order:
                order.append(grade_id)
    return order + sorted(known - set(order))


def gather(gradebook, assignment: str, autograded, source: Path, failures: dict[str, str]) -> ClassReport:
    """The report of ``assignment`` from an open nbgrader Gradebook; ``autograded(student)`` is a student's
    autograded folder, ``failures`` the reason of each submission that failed as a whole."""
    students, maxima = [], {}
    notebooks = [nb.name for nb in gradebook.find_assignment(assignment).notebooks]
    for submission in sorted(gradebook.assignment_submissions(assignment), key=lambda s: s.student.id):
        points, by_notebook, top, by_hand = {}, dict.fromkeys(notebooks, 0.0), 0.0, 0
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                points[grade.name] = grade.score
                maxima[grade.name] = grade.max_score
                by_notebook[notebook.name] += grade.score
                top += grade.max_score
                by_hand += bool(grade.needs_manual_grade)
        student = submission.student.id
        folder = autograded(student)
        failed = [failures[student]] if student in failures else []
        students.append(StudentGrades(student, points, by_notebook, top, by_hand, review_reasons(folder),
                                      failed + limits_reached(folder)))
    return ClassReport(assignment, exercise_order(source, maxima), maxima, notebooks, students)


def build(course, assignment: str, failures: dict[str, str]) -> ClassReport:
    """The report of ``assignment`` in a ``grade.Course``, from its gradebook and folders."""
    from nbgrader.api import Gradebook

    with Gradebook(course.coursedir.db_url, course.coursedir.course_id) as gradebook:
        return gather(gradebook, assignment, lambda student: course.path("autograded", student, assignment),
                      course.path("source", ".", assignment), failures)


def short_names(names: list[str]) -> list[str]:
    """Column headings: each name up to its first '_' (01_backprop -> 01) when those stay distinct."""
    prefixes = [name.split("_")[0] for name in names]
    return prefixes if len(set(prefixes)) == len(prefixes) else names


def format_report(report: ClassReport) -> str:
    """The report as text: a table of points per student and notebook, the exercises, held, failures."""
    students = report.students
    held = [s for s in students if s.held]
    failed = [s for s in students if s.failures]
    lines = [f"{report.assignment}: {len(students)} submission(s), {len(held)} held for review, "
             f"{len(failed)} with failures"]
    if not students:
        return lines[0]
    width = max(len("student"), *(len(s.student) for s in students))
    heads = short_names(report.notebooks)
    cols = [max(len(h), 5) for h in heads]
    lines += ["", "points per student (gradebook scores; 'by hand': answers still to grade in formgrader)",
              "  ".join([f"{'student':<{width}}", *(f"{h:>{c}}" for h, c in zip(heads, cols)), "   total",
                         "by hand"])]
    for s in students:
        cells = [f"{s.notebook_points[n]:>{c}g}" for n, c in zip(report.notebooks, cols)]
        lines.append("  ".join([f"{s.student:<{width}}", *cells, f"{s.total:>5g}/{s.max_points:<3g}",
                                f"{s.by_hand:>7}"]))
    id_width = max(len(e) for e in report.exercises) if report.exercises else 0
    lines += ["", f"points per exercise (mean of {len(students)}, and how many got full points)"]
    for exercise in report.exercises:
        scores = [s.points[exercise] for s in students if exercise in s.points]
        top = report.max_points[exercise]
        mean = sum(scores) / len(scores) if scores else 0.0
        full = sum(score >= top for score in scores)
        lines.append(f"  {exercise:<{id_width}}  {mean:5.2f} of {top:g}   full: {full} of {len(scores)}")
    lines += ["", f"held for review ({len(held)})"]
    lines += [f"  {s.student}: {reason}" for s in held for reason in s.held] or ["  none"]
    lines += ["", f"failures ({len(failed)} submission(s))"]
    lines += [f"  {s.student}: {failure}" for s in failed for failure in s.failures] or ["  none"]
    return "\n".join(lines)


def write_csv(report: ClassReport, path: Path) -> None:
    """One row per student: totals, held reasons, failures, then the points of every exercise."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["student", "points", "max_points", "to_grade_by_hand", "held_for_review", "failures",
                         *report.exercises])
        for s in report.students:
            writer.writerow([s.student, f"{s.total:g}", f"{s.max_points:g}", s.by_hand, "; ".join(s.held),
                             "; ".join(s.failures), *(f"{s.points[e]:g}" if e in s.points else "" for e in
                                                      report.exercises)])

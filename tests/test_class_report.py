"""The class report from a stand-in gradebook and real course folders: points, held submissions, failures, CSV."""

import csv
import json
from types import SimpleNamespace as NS

import nbformat

from labkit.tools import class_report


def grade(name, score, top, manual=False):
    return NS(name=name, score=score, max_score=top, needs_manual_grade=manual)


class Gradebook:
    """What class_report reads of nbgrader's Gradebook: an assignment's notebooks and its submissions."""

    def __init__(self, submissions: dict[str, dict[str, list]]):
        self.submissions = submissions

    def find_assignment(self, name):
        return NS(notebooks=[NS(name="01_intro"), NS(name="02_xor")])

    def assignment_submissions(self, name):
        return [NS(student=NS(id=student), notebooks=[NS(name=nb, grades=grades) for nb, grades in notebooks.items()])
                for student, notebooks in self.submissions.items()]


def source_notebooks(folder):
    folder.mkdir(parents=True)
    notebooks = {"01_intro": ["intro-check"], "02_xor": ["xor-check-bce", "xor-answer", "xor-check-train"]}
    for name, ids in notebooks.items():
        cells = [nbformat.v4.new_code_cell("", metadata={"nbgrader": {"grade_id": i}}) for i in ids]
        nbformat.write(nbformat.v4.new_notebook(cells=cells), folder / f"{name}.ipynb")


def course(tmp_path):
    source_notebooks(tmp_path / "source" / "lab")
    full = {"01_intro": [grade("intro-check", 1, 1)],
            "02_xor": [grade("xor-check-train", 2, 2), grade("xor-check-bce", 1, 1), grade("xor-answer", 0, 2, True)]}
    none = {"01_intro": [grade("intro-check", 0, 1)],
            "02_xor": [grade("xor-check-train", 0, 2), grade("xor-check-bce", 0, 1), grade("xor-answer", 0, 2)]}
    held = tmp_path / "autograded" / "mallory" / "lab"
    held.mkdir(parents=True)
    class_report.review_path(held).write_text(json.dumps({"held": True, "reasons": [
        {"notebook": "02_xor.ipynb", "cell": 14, "line": 3, "what": "rebinds labkit.checks.check"}]}))
    hog = tmp_path / "autograded" / "hog" / "lab"
    hog.mkdir(parents=True)
    errors = [("MemoryError", ""), ("CellTimeoutError", ""),
              ("BlockingIOError", "[Errno 11] Resource temporarily unavailable"),
              ("CheckFailed", "a student's mistake, not a limit")]
    cells = [nbformat.v4.new_code_cell("x", outputs=[nbformat.v4.new_output("error", ename=e, evalue=v, traceback=[])])
             for e, v in errors]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), hog / "02_xor.ipynb")
    gradebook = Gradebook({"ann": full, "hog": none, "mallory": none, "zed": none})
    return class_report.gather(gradebook, "lab", lambda s: tmp_path / "autograded" / s / "lab",
                               tmp_path / "source" / "lab", {"zed": "timeout: still running after 600 s, killed"})


def test_points_per_student_and_notebook_come_from_the_gradebook(tmp_path):
    report = course(tmp_path)
    ann = report.students[0]
    assert (ann.student, ann.total, ann.max_points, ann.by_hand) == ("ann", 4, 6, 1)
    assert ann.notebook_points == {"01_intro": 1, "02_xor": 3}
    assert report.exercises == ["intro-check", "xor-check-bce", "xor-answer", "xor-check-train"]  # the cells' order


def test_held_submissions_and_failures_are_named_with_their_reasons(tmp_path):
    students = {s.student: s for s in course(tmp_path).students}
    assert students["mallory"].held == ["02_xor.ipynb cell 14 line 3: rebinds labkit.checks.check"]
    assert students["ann"].held == [] and students["ann"].failures == []
    assert students["hog"].failures == [
        "memory: 02_xor.ipynb cell 0 ran out of memory (MemoryError)",
        "timeout: 02_xor.ipynb cell 1 ran over nbgrader's time per cell",
        "processes: 02_xor.ipynb cell 2 could not start more (the process limit)"]
    assert students["zed"].failures == ["timeout: still running after 600 s, killed"]


def test_a_review_file_that_does_not_hold_holds_nothing(tmp_path):
    class_report.review_path(tmp_path / "lab").write_text(json.dumps({"held": False, "reasons": []}))
    assert class_report.review_reasons(tmp_path / "lab") == []


def test_the_text_report_has_a_row_per_student_and_every_section(tmp_path):
    text = class_report.format_report(course(tmp_path))
    assert text.splitlines()[0] == "lab: 4 submission(s), 1 held for review, 2 with failures"
    row = next(line for line in text.splitlines() if line.startswith("ann "))
    assert row.split() == ["ann", "1", "3", "4/6", "1"]
    exercise = next(line for line in text.splitlines() if line.strip().startswith("xor-check-train"))
    assert exercise.split() == ["xor-check-train", "0.50", "of", "2", "full:", "1", "of", "4"]
    assert "  mallory: 02_xor.ipynb cell 14 line 3: rebinds labkit.checks.check" in text
    assert "  zed: timeout: still running after 600 s, killed" in text


def test_the_csv_has_every_exercise_and_the_reasons(tmp_path):
    path = tmp_path / "grades.csv"
    class_report.write_csv(course(tmp_path), path)
    with path.open() as f:
        rows = list(csv.DictReader(f))
    assert [r["student"] for r in rows] == ["ann", "hog", "mallory", "zed"]
    assert rows[0] == {"student": "ann", "points": "4", "max_points": "6", "to_grade_by_hand": "1",
                            "held_for_review": "", "failures": "", "intro-check": "1", "xor-check-bce": "1",
                            "xor-answer": "0", "xor-check-train": "2"}
    assert rows[2]["held_for_review"] == "02_xor.ipynb cell 14 line 3: rebinds labkit.checks.check"
    assert rows[3]["failures"] == "timeout: still running after 600 s, killed"


def test_columns_are_short_when_the_prefixes_stay_distinct():
    assert class_report.short_names(["01_intro", "02_xor"]) == ["01", "02"]
    assert class_report.short_names(["lab_a", "lab_b"]) == ["lab_a", "lab_b"]

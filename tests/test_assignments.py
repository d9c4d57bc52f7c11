"""The instructor workflow on small notebooks built here: markers, hide/show, release, leak scan."""

import base64
import hashlib
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from labkit.tools import assignments
from labkit.tools.assignments import LeakError, MarkerError
from labkit.tools.cli import main

EXERCISE = """def square(x):
    # TODO: return x times x
    ### BEGIN SOLUTION
    result = x * x  # the secret trick
    return result
    ### END SOLUTION
"""
ANSWER = "The derivative of a square is twice the value, which is the hidden insight."


def make_notebook(path, exercise=EXERCISE, extra_cells=()):
    nb = new_notebook(cells=[
        new_markdown_cell("# A tiny assignment"),
        new_code_cell("import math", execution_count=1),
        new_code_cell(exercise, execution_count=2, outputs=[
            new_output("stream", name="stdout", text="square ready: 3.14159265\n")]),
        new_code_cell("assert square(3) == 9\nprint('ok')", metadata={"tags": ["check"]}, execution_count=3,
                      outputs=[new_output("stream", name="stdout", text="ok\n")]),
        new_markdown_cell("Why does it work?"),
        new_markdown_cell(ANSWER, metadata={"tags": ["solution"]}),
        *extra_cells,
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, path)
    return path


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_release_stubs_exercises_and_answers_and_clears_outputs(tmp_path, capsys):
    src = make_notebook(tmp_path / "hw.ipynb")
    before = digest(src)
    assert main(["release", "--student", str(tmp_path / "out"), str(src)]) == 0
    assert "hw.ipynb: 1 exercise(s) stubbed, 1 written answer(s) removed" in capsys.readouterr().out
    student = nbformat.read(tmp_path / "out" / "hw.ipynb", as_version=4)
    code = student.cells[2].source
    assert "    # TODO: return x times x\n    # YOUR CODE HERE\n    raise NotImplementedError()" in code
    assert "x * x" not in code and "BEGIN SOLUTION" not in code
    compile(code, "exercise", "exec")  # still valid Python
    assert student.cells[5].source == assignments.ANSWER_PLACEHOLDER
    assert all(c.outputs == [] and c.execution_count is None for c in student.cells if c.cell_type == "code")
    assert digest(src) == before  # the source is only read


@pytest.mark.parametrize("exercise, line, problem", [
    ("x = 1\n### END SOLUTION\n", 2, "without a '### BEGIN SOLUTION'"),
    ("### BEGIN SOLUTION\nx = 1\n### BEGIN SOLUTION\n### END SOLUTION\n", 3, "nested"),
    ("y = 2\n### BEGIN SOLUTION\nx = 1\n", 2, "never closed"),
])
def test_malformed_markers_name_notebook_cell_and_line_and_write_nothing(tmp_path, exercise, line, problem):
    src = make_notebook(tmp_path / "bad.ipynb", exercise=exercise)
    with pytest.raises(MarkerError, match=rf"bad.ipynb, cell 2, line {line}: .*{problem}"):
        assignments.release([src], tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_solution_tag_on_an_empty_cell_is_an_error(tmp_path):
    src = make_notebook(tmp_path / "hw.ipynb", extra_cells=[new_markdown_cell("", metadata={"tags": ["solution"]})])
    with pytest.raises(MarkerError, match="cell 6, line 1: the cell is tagged 'solution' but is empty"):
        assignments.release([src], tmp_path / "out")


def test_check_without_an_exercise_before_it_is_an_error(tmp_path, capsys):
    src = make_notebook(tmp_path / "hw.ipynb", extra_cells=[new_code_cell("assert True", metadata={"tags": ["check"]})])
    assert main(["release", "--student", str(tmp_path / "out"), str(src)]) == 1
    assert "hw.ipynb, cell 6, line 1: a 'check' cell with no exercise" in capsys.readouterr().err


def test_hide_then_show_restores_the_file_byte_for_byte(tmp_path):
    src = make_notebook(tmp_path / "hw.ipynb")
    original = src.read_bytes()
    assert main(["solutions", "hide", str(src)]) == 0
    hidden = nbformat.read(src, as_version=4)
    for index in (2, 5):
        assert hidden.cells[index].metadata["jupyter"]["source_hidden"] is True
        assert "hide-input" in hidden.cells[index].metadata["tags"]
    assert hidden.cells[5].metadata["jupyter"]["outputs_hidden"] is True
    assert "jupyter" not in hidden.cells[3].metadata  # checks stay visible
    assert main(["solutions", "show", str(src)]) == 0
    assert src.read_bytes() == original


def test_hide_is_atomic_on_failure(tmp_path, monkeypatch):
    src = make_notebook(tmp_path / "hw.ipynb")
    original = src.read_bytes()

    def crash(*args):
        raise OSError("disk full")

    monkeypatch.setattr(assignments.os, "replace", crash)
    with pytest.raises(OSError):
        assignments.set_solutions_hidden(src, hidden=True)
    assert src.read_bytes() == original
    assert list(tmp_path.iterdir()) == [src]  # no temporary file left behind


def test_release_removes_widget_state_attachments_and_run_metadata(tmp_path):
    src = make_notebook(tmp_path / "hw.ipynb")
    nb = nbformat.read(src, as_version=4)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nb.cells[5]["attachments"] = {"fig.png": {"image/png": base64.b64encode(b"picture").decode()}}
    nb.cells[2].metadata.update({"execution": {"iopub.execute_input": "2026"}, "collapsed": True})
    nbformat.write(nb, src)
    assignments.release([src], tmp_path / "out")
    student = nbformat.read(tmp_path / "out" / "hw.ipynb", as_version=4)
    assert "widgets" not in student.metadata
    assert "attachments" not in student.cells[5]
    assert "execution" not in student.cells[2].metadata and "collapsed" not in student.cells[2].metadata


def plant(tmp_path, how):
    """Release a clean notebook, then copy a piece of solution into it the way ``how`` says."""
    src = make_notebook(tmp_path / "hw.ipynb")
    out = tmp_path / "out"
    assignments.release([src], out)
    student_path = out / "hw.ipynb"
    nb = nbformat.read(student_path, as_version=4)
    secret = "result = x * x  # the secret trick"
    if how == "markdown":
        nb.cells[4].source += "\n\nHint: " + secret
    elif how == "output":
        nb.cells[3].outputs = [new_output("stream", name="stdout", text=ANSWER)]
    elif how == "widget state":
        nb.metadata["widgets"] = {"state": {"model": {"value": secret}}}
    elif how == "attachment":
        nb.cells[4]["attachments"] = {"note.txt": {"text/plain": base64.b64encode(secret.encode()).decode()}}
    elif how == "solution output number":
        nb.cells[1].outputs = [new_output("stream", name="stdout", text="3.14159265")]
    elif how == "extra file":
        (out / "notes.txt").write_text(ANSWER)
    nbformat.write(nb, student_path)
    return src, out


@pytest.mark.parametrize("how", ["markdown", "output", "widget state", "attachment", "solution output number",
                                 "extra file"])
def test_leak_scan_catches_planted_leaks(tmp_path, how, capsys):
    src, out = plant(tmp_path, how)
    leaks = assignments.scan_for_leaks(out, [src])
    assert leaks, f"a leak planted in the {how} was not found"
    assert main(["release", "--check", str(out), str(src)]) == 1
    assert "LEAK" in capsys.readouterr().err


def test_leak_scan_of_a_notebook_in_memory_tells_a_leaking_output_from_a_leaking_source(tmp_path):
    src = make_notebook(tmp_path / "hw.ipynb")
    student, _, _ = assignments.student_version(nbformat.read(src, as_version=4))
    student.cells[1].outputs = [new_output("stream", name="stdout", text=ANSWER)]
    student.cells[4].source += "\n\nresult = x * x  # the secret trick"
    leaks = assignments.LeakScan({src: nbformat.read(src, as_version=4)}).notebook("hw.ipynb", student)
    assert [(leak.cell, leak.in_output, leak.text) for leak in leaks] == [
        (1, True, ANSWER), (4, False, "result = x * x  # the secret trick")]
    assert str(leaks[0]).startswith("hw.ipynb, cell 1 output: 'The derivative of a square")
    assert str(leaks[1]).startswith("hw.ipynb, cell 4: 'result = x * x")


def test_clean_release_passes_the_scan(tmp_path, capsys):
    src = make_notebook(tmp_path / "hw.ipynb")
    assignments.release([src], tmp_path / "out")
    assert main(["release", "--check", str(tmp_path / "out"), str(src)]) == 0
    assert "clean" in capsys.readouterr().out


def test_release_refuses_to_write_when_the_scan_finds_a_leak(tmp_path):
    # a file next to the notebooks is copied into the release (notebooks may need data files);
    # here it holds the instructor's answer, so the release must fail and write nothing
    (tmp_path / "src").mkdir()
    src = make_notebook(tmp_path / "src" / "hw.ipynb")
    (tmp_path / "src" / "answers.md").write_text(ANSWER)
    with pytest.raises(LeakError, match=r"answers.md: 'The derivative of a square"):
        assignments.release([src], tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.slow
def test_verify_runs_student_and_source(tmp_path):
    src = make_notebook(tmp_path / "hw.ipynb")
    out = tmp_path / "out"
    assignments.release([src], out)
    assert assignments.verify_release(out, [src], timeout=120) == []


@pytest.mark.slow
def test_verify_flags_a_check_that_cannot_fail(tmp_path):
    weak = new_code_cell("print('looks fine')", metadata={"tags": ["check"]})
    src = make_notebook(tmp_path / "hw.ipynb")
    nb = nbformat.read(src, as_version=4)
    nb.cells[3] = weak
    nbformat.write(nb, src)
    out = tmp_path / "out"
    assignments.release([src], out)
    problems = assignments.verify_release(out, [src], timeout=120)
    assert problems == ["hw.ipynb: check cell 3 passes on the student stub, so it cannot catch a wrong answer"]


def test_notebook_paths_reject_what_is_not_a_notebook(tmp_path):
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(FileNotFoundError, match="neither a notebook"):
        assignments.notebook_paths([tmp_path / "x.txt"])
    assert json.loads(json.dumps([str(p) for p in assignments.notebook_paths([tmp_path])])) == []


HIDDEN_CHECK = """assert square(3) == 9
### BEGIN HIDDEN TESTS
assert square(-7) == 49, "square of a negative number"
### END HIDDEN TESTS
print('ok')"""


def test_hidden_tests_are_removed_from_the_release_and_checks_locked(tmp_path):
    src = make_notebook(tmp_path / "hw.ipynb")
    nb = nbformat.read(src, as_version=4)
    nb.cells[3].source = HIDDEN_CHECK
    nbformat.write(nb, src)
    assignments.release([src], tmp_path / "out")
    student = nbformat.read(tmp_path / "out" / "hw.ipynb", as_version=4)
    assert student.cells[3].source == "assert square(3) == 9\nprint('ok')"
    assert student.cells[3].metadata["editable"] is False and student.cells[3].metadata["deletable"] is False
    assert student.cells[2].metadata["deletable"] is False and "editable" not in student.cells[2].metadata
    assert student.cells[5].metadata["deletable"] is False


def test_a_hidden_test_that_reaches_the_release_is_a_leak(tmp_path):
    src = make_notebook(tmp_path / "hw.ipynb")
    nb = nbformat.read(src, as_version=4)
    nb.cells[3].source = HIDDEN_CHECK
    nbformat.write(nb, src)
    out = tmp_path / "out"
    assignments.release([src], out)
    student = nbformat.read(out / "hw.ipynb", as_version=4)
    student.cells[4].source += '\n\nassert square(-7) == 49, "square of a negative number"'
    nbformat.write(student, out / "hw.ipynb")
    leaks = assignments.scan_for_leaks(out, [src])
    assert [leak.origin for leak in leaks] == ["hw.ipynb, cell 3 (hidden tests)"]


def test_hidden_tests_outside_a_check_cell_are_refused(tmp_path):
    src = make_notebook(tmp_path / "hw.ipynb", extra_cells=[new_code_cell(HIDDEN_CHECK)])
    with pytest.raises(MarkerError, match=r"cell 6, line 2: '### BEGIN HIDDEN TESTS' outside a 'check' cell"):
        assignments.release([src], tmp_path / "out")


def test_a_solution_line_public_in_another_notebook_is_a_leak(tmp_path):
    # notebook b shows, in a cell every student keeps, the very line that is notebook a's exercise
    (tmp_path / "src").mkdir()
    a = make_notebook(tmp_path / "src" / "a.ipynb")
    b = make_notebook(tmp_path / "src" / "b.ipynb", exercise=EXERCISE.replace("x * x", "x ** 2"),
                      extra_cells=[new_code_cell("result = x * x  # the secret trick")])
    leak = r"b.ipynb, cell 6: 'result = x \* x  # the secret trick' \(from a.ipynb, cell 2\)"
    with pytest.raises(LeakError, match=leak):
        assignments.release([a, b], tmp_path / "out")


def test_the_stub_and_placeholder_are_nbgraders(tmp_path):
    # nbgrader recognizes an untouched exercise or answer by exactly this text (its ClearSolutions defaults)
    src = make_notebook(tmp_path / "hw.ipynb", exercise="def f():\n    if True:\n        ### BEGIN SOLUTION\n"
                                                          "        return 1\n        ### END SOLUTION")
    assignments.release([src], tmp_path / "out")
    student = nbformat.read(tmp_path / "out" / "hw.ipynb", as_version=4)
    assert student.cells[2].source == ("def f():\n    if True:\n        # YOUR CODE HERE\n"
                                       "        raise NotImplementedError()")
    assert student.cells[5].source == "YOUR ANSWER HERE"


def test_an_answers_key_restated_in_a_kept_cell_is_a_leak_however_it_is_spaced(tmp_path):
    keyed = new_markdown_cell("The factor is $\\lambda/(\\lambda+\\tau)$.\n"
                              "<!-- key: \\frac{\\lambda}{\\lambda + \\tau} -->", metadata={"tags": ["solution"]})
    src = make_notebook(tmp_path / "hw.ipynb", extra_cells=[keyed])
    source = nbformat.read(src, as_version=4)
    student, _, _ = assignments.student_version(source)
    scan = assignments.LeakScan({src: source})
    assert "<!--" not in "".join(cell.source for cell in student.cells)  # the key goes with the answer
    assert scan.notebook("hw.ipynb", student) == []
    student.cells[4].source += "\n\nRecall that each factor is $\\frac{ \\lambda }{\\lambda\\,+\\,\\tau}$."
    leaks = scan.notebook("hw.ipynb", student)
    assert [(leak.cell, leak.text) for leak in leaks] == [(4, "\\frac\\lambda\\lambda+\\tau")]
    assert "the key of a written answer" in str(leaks[0])

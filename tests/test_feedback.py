"""labkit's nbgrader configuration and its feedback filter (with real nbgrader: system_tests/test_feedback.py)."""

import nbformat
from traitlets.config import Config

from labkit.tools import feedback, nbgrader_config

HIDDEN_CHECK = """with check("bce"):
    expect_close(bce(1), 2, "public")
    ### BEGIN HIDDEN TESTS
    expect_close(bce(3), 7, "other values")
    ### END HIDDEN TESTS"""


def error(traceback: list[str]):
    return nbformat.v4.new_output("error", ename="NameError", evalue="name 'bce' is not defined", traceback=traceback)


def test_errors_of_a_cell_with_hidden_tests_keep_only_their_last_line():
    quoted = ["---> 4     expect_close(bce(3), 7, 'other values')", "NameError: name 'bce' is not defined"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(HIDDEN_CHECK, outputs=[error(quoted)]),
                                         nbformat.v4.new_code_cell("bce(1)", outputs=[error(quoted)])])
    nb, _ = feedback.ShortTracebacks().preprocess(nb, {})
    assert nb.cells[0].outputs[0].traceback == ["NameError: name 'bce' is not defined"]
    assert nb.cells[1].outputs[0].traceback == quoted  # no hidden tests there: the student's own traceback stays


def test_configure_sets_the_sandbox_and_feedback_without_instructors_parts():
    c = Config()
    assert not nbgrader_config.is_configured(c)
    nbgrader_config.configure(c)
    assert nbgrader_config.is_configured(c)
    assert c.Execute.kernel_manager_class == "labkit.tools.sandbox.SandboxedKernelManager"
    assert c.Autograde.autograde_preprocessors[0] == "labkit.tools.grading.GradingExecute"
    steps = c.GenerateFeedback.preprocessors
    clear = steps.index("nbgrader.preprocessors.ClearHiddenTests")  # after labkit's, which read the hidden tests
    assert steps.index("labkit.tools.feedback.ShortTracebacks") < clear
    assert steps.index("labkit.tools.feedback.QuotedHiddenTests") < clear
    assert "nbgrader.preprocessors.ClearMarkScheme" in steps and steps[0] == "nbgrader.preprocessors.GetGrades"


def test_a_course_that_names_the_classes_itself_is_configured_too():
    from labkit.tools.sandbox import SandboxedKernelManager

    c = Config()
    c.Execute.kernel_manager_class = SandboxedKernelManager
    assert not nbgrader_config.is_configured(c)  # the sandbox without the signed verdicts is not enough
    c.Autograde.autograde_preprocessors = nbgrader_config.AUTOGRADE
    assert nbgrader_config.is_configured(c)


def test_the_filter_runs_when_nbgrader_registers_it_as_it_is():
    from nbconvert.exporters import NotebookExporter

    exporter = NotebookExporter()
    exporter.register_preprocessor("labkit.tools.feedback.ShortTracebacks")  # what nbgrader's converters do
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(HIDDEN_CHECK, outputs=[error(["a", "b"])])])
    nb, _ = exporter._preprocess(nb, {})
    assert nb.cells[0].outputs[0].traceback == ["NameError: name 'bce' is not defined"]


def test_an_output_that_quotes_the_hidden_tests_is_removed_from_the_feedback():
    printed = nbformat.v4.new_output("stream", name="stdout", text=repr([HIDDEN_CHECK]) + "\n")
    own = nbformat.v4.new_output("stream", name="stdout", text="expect_close(bce(1), 2, 'public')\n")
    raised = nbformat.v4.new_output("error", ename="ValueError", evalue="expect_close(bce(3), 7, \"other values\")",
                                    traceback=[])
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(HIDDEN_CHECK),
                                         nbformat.v4.new_code_cell("print(In)", outputs=[printed, own, raised])])
    nb, _ = feedback.QuotedHiddenTests().preprocess(nb, {})
    texts = [o.get("text") for o in nb.cells[1].outputs]
    assert texts == ["(output removed: it quoted the hidden tests)\n", own.text,
                     "(output removed: it quoted the hidden tests)\n"]  # the public line is no secret

"""What a student and an instructor see in JupyterLab, driven in a real (headless) browser."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from labkit.tools import assignments

ROOT = Path(__file__).resolve().parents[1]

ALL_PROMPTS_NUMBERED = """() => {
    const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent);
    return prompts.length > 0 && prompts.every(text => /\\[\\d+\\]/.test(text));
}"""
ERROR_OUTPUTS = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"


def open_notebook(page, lab, path: str) -> None:
    base, token, _ = lab
    page.goto(f"{base}/lab/tree/{path}?reset&token={token}")  # reset: only this notebook is open
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    page.wait_for_selector(".jp-StatusBar-TextItem:has-text('Idle')")  # the kernel is up


def run_all(page) -> None:
    page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
    page.click("li.lm-Menu-item:has-text('Run All Cells')")


def labkit(*args) -> None:
    subprocess.run([sys.executable, "-m", "labkit", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def xor_notebook(page, lab, screenshots):
    open_notebook(page, lab, "02_xor_training.ipynb")
    run_all(page)
    page.wait_for_function(ALL_PROMPTS_NUMBERED, timeout=120_000)
    return page


def test_xor_notebook_runs_every_cell_without_an_error(xor_notebook, screenshots):
    page = xor_notebook
    page.screenshot(path=screenshots / "1-xor-notebook-ran.png")
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
    xor_notebook = nbformat.read(ROOT / "notebooks" / "02_xor_training.ipynb", as_version=4)
    code_cells = sum(cell.cell_type == "code" for cell in xor_notebook.cells)
    assert len(prompts) == code_cells and all(p.strip("[]: ").isdigit() for p in prompts)
    errors = page.locator(ERROR_OUTPUTS).all_inner_texts()
    assert errors == [], f"cells printed errors or warnings: {errors}"
    assert page.locator(".jp-OutputArea-output img").count() >= 4  # the figures arrived


def test_explorer_trains_when_step_is_clicked(xor_notebook, screenshots):
    page = xor_notebook
    readout = page.locator(".widget-html-content").filter(has_text=re.compile(r"^step \d+[: ]"))
    image = page.locator(".labkit-picture img").last  # the explorer comes after the step-through in notebook 02
    image.scroll_into_view_if_needed()
    assert "step 0" in readout.inner_text()
    before = image.get_attribute("src")
    page.locator("button.widget-button", has_text="step").click()
    page.wait_for_function("() => [...document.querySelectorAll('.widget-html-content')]"
                           ".some(e => e.textContent.startsWith('step 25: loss'))")
    page.wait_for_function("before => [...document.querySelectorAll('.labkit-picture img')].pop().src !== before",
                           arg=before)
    page.screenshot(path=screenshots / "2-explorer-after-one-step.png")
    assert "training accuracy" in readout.inner_text()
    overflow = page.evaluate("() => Math.max(...['.widget-hbox', '.jp-OutputArea-output'].map(s => {"
                             " const box = [...document.querySelectorAll('.labkit-picture img')].pop().closest(s);"
                             " return box.scrollWidth - box.clientWidth; }))")
    assert overflow <= 1, f"the explorer is {overflow}px wider than the notebook: controls get cut off"


def test_hidden_solutions_are_collapsed_and_come_back(page, lab, screenshots):
    _, _, served = lab
    notebook = served / "01_backprop_derivation.ipynb"
    nb = nbformat.read(notebook, as_version=4)
    solution_cells = sum(assignments.is_exercise(c) or assignments.is_answer(c) for c in nb.cells)
    labkit("solutions", "hide", str(notebook))
    open_notebook(page, lab, notebook.name)
    collapsed = page.locator(".jp-Cell .jp-InputPlaceholder")
    collapsed.first.wait_for()
    page.screenshot(path=screenshots / "3a-solutions-hidden.png")
    assert collapsed.count() == solution_cells
    labkit("solutions", "show", str(notebook))
    open_notebook(page, lab, notebook.name)  # a fresh load reads the file again
    page.wait_for_selector(".jp-MarkdownCell.jp-mod-rendered")
    page.screenshot(path=screenshots / "3b-solutions-shown.png")
    assert collapsed.count() == 0


def test_student_release_shows_the_stub_and_its_check_fails_clearly(page, lab, screenshots):
    _, _, served = lab
    labkit("release", "--student", str(served / "release"), str(served / "02_xor_training.ipynb"))
    open_notebook(page, lab, "release/02_xor_training.ipynb")
    exercise = page.locator(".jp-CodeCell").nth(1)
    assert "# YOUR CODE HERE" in exercise.inner_text() and "raise NotImplementedError()" in exercise.inner_text()
    assert "# TODO: the formula above" in exercise.inner_text()
    assert "per_entry" not in page.locator(".jp-Notebook").inner_text()  # the solution is not there
    run_all(page)  # execution stops at the first failing check
    check_output = page.locator(".jp-CodeCell").nth(2).locator(ERROR_OUTPUTS)
    check_output.wait_for(timeout=60_000)
    check_output.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "4-student-check-fails.png")
    text = check_output.inner_text()
    assert "CheckFailed" in text and "not done yet" in text and "still holds `raise NotImplementedError()`" in text
    assert "Traceback" not in text and "checks.py" not in text  # the message alone, no frames from labkit

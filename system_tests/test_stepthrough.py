"""The backprop step-through in JupyterLab: a whole training step, one click per equation, in a real browser."""

from __future__ import annotations

import nbformat
import pytest

import labkit as lk
from labkit import stepthrough

NOTEBOOK = "stepthrough-test/stepthrough.ipynb"
WIDGET = ".labkit-stepthrough"
ALL_PROMPTS_NUMBERED = """() => {
    const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent);
    return prompts.length > 0 && prompts.every(text => /\\[\\d+\\]/.test(text));
}"""
OVERFLOW = """() => {
    const widget = document.querySelector('.labkit-stepthrough');
    const boxes = [widget, widget.closest('.jp-OutputArea-output'), ...widget.querySelectorAll('.widget-box')];
    const notebook = document.querySelector('.jp-Notebook').getBoundingClientRect();
    return Math.max(...boxes.map(b => b.scrollWidth - b.clientWidth),
                    widget.getBoundingClientRect().right - notebook.right);
}"""
STATE = """() => {
    const widget = document.querySelector('.labkit-stepthrough');
    const equation = widget.querySelector('.widget-htmlmath-content');
    return {header: widget.querySelector('.widget-html-content').textContent,
            layer: widget.querySelector('.labkit-layer').textContent,
            equation: equation.textContent, typeset: equation.querySelector('mjx-container') !== null,
            image: widget.querySelector('.labkit-picture img').src};
}"""


def write_notebook(folder) -> None:
    """A small notebook with the widget (tagged nbval-ignore-output, as in the lesson) and a cell of redraw times."""
    nb = nbformat.v4.new_notebook()
    widget = nbformat.v4.new_code_cell("from labkit.stepthrough import StepThrough\n\n"
                                       "explorer = StepThrough()\nexplorer")
    widget.metadata["tags"] = ["nbval-ignore-output"]
    timing = nbformat.v4.new_code_cell(
        "import numpy as np\n\n"
        "ms = 1000 * np.array(explorer.redraw_times[1:])  # (wall, CPU); the first draw also builds the figure\n"
        "if len(ms):\n"
        "    (wall, cpu), (wall_max, cpu_max) = np.median(ms, axis=0), ms.max(axis=0)\n"
        "    print(f'{len(ms)} redraws in the kernel: median {wall:.0f} ms (CPU {cpu:.0f} ms), '\n"
        "          f'max {wall_max:.0f} ms (CPU {cpu_max:.0f} ms)')")
    nb.cells = [nbformat.v4.new_markdown_cell("# Backprop, one equation at a time"), widget, timing]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "stepthrough.ipynb")


@pytest.fixture(scope="module")
def notebook(page, lab, screenshots):
    base, token, served = lab
    write_notebook(served / "stepthrough-test")
    page.goto(f"{base}/lab/tree/{NOTEBOOK}?reset&token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    page.wait_for_selector(".jp-StatusBar-TextItem:has-text('Idle')")
    page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
    page.click("li.lm-Menu-item:has-text('Run All Cells')")
    page.wait_for_function(ALL_PROMPTS_NUMBERED, timeout=120_000)
    page.locator(f"{WIDGET} .labkit-picture img").wait_for()
    return page


def state(page) -> dict:
    return page.evaluate(STATE)


def test_a_whole_training_step_one_click_at_a_time(notebook, screenshots):
    page = notebook
    trace = stepthrough.trace(stepthrough.example_network(), *lk.xor())
    n = len(trace)
    page.locator(WIDGET).scroll_into_view_if_needed()
    previous = None
    for i, step in enumerate(trace):
        page.wait_for_function("text => document.querySelector('.labkit-stepthrough .widget-html-content')"
                               ".textContent.startsWith(text)", arg=f"Step {i + 1} of {n}")
        page.wait_for_function("title => { const e = document.querySelector('.labkit-stepthrough "
                               ".widget-htmlmath-content'); return e.textContent.includes(title) "
                               "&& e.querySelector('mjx-container') !== null; }", arg=step.title)  # typeset
        now = state(page)
        where = "the loss" if step.kind == "E" else f"layer {step.layer}"
        assert now["header"] == f"Step {i + 1} of {n} · {step.phase} · {where}"
        assert now["layer"] == where and step.title in now["equation"] and now["typeset"]
        if previous is not None:  # the equation, the check line and the picture all moved on
            assert now["equation"] != previous["equation"] and now["image"] != previous["image"]
        if i in (0, 9, n - 1):
            page.screenshot(path=screenshots / f"stepthrough-{i + 1:02d}-{step.name.replace('/', '')}.png")
        overflow = page.evaluate(OVERFLOW)
        assert overflow <= 1, f"step {i + 1}: the step-through is {overflow}px wider than the notebook column"
        previous = now
        if i < n - 1:
            page.wait_for_timeout(300)  # a quick student's pace: the browser has painted the step before the next
            page.locator(f"{WIDGET} button", has_text="next").click()


def test_a_planted_mistake_marks_the_first_step_that_parts(notebook, screenshots):
    page = notebook
    page.locator(f"{WIDGET} button", has_text="reset").click()
    page.wait_for_function("() => document.querySelector('.labkit-stepthrough .widget-html-content')"
                           ".textContent.startsWith('Step 1 of')")
    page.locator(f"{WIDGET} .widget-checkbox", has_text="φ′ at the output").locator("input").check()
    first = page.locator(f"{WIDGET} span", has_text="✗")
    first.wait_for()
    assert first.inner_text().startswith("9. Δ3")  # Delta_3 = dE/dY_3 ⊙ phi'(Y_3): the first to part
    for _ in range(8):
        page.locator(f"{WIDGET} button", has_text="next").click()
    page.wait_for_function("() => document.querySelector('.labkit-stepthrough .widget-htmlmath-content')"
                           ".textContent.includes('the first step that parts from finite differences')")
    page.locator(WIDGET).scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "stepthrough-mistake-first-wrong-step.png")
    assert page.evaluate(OVERFLOW) <= 1


def test_every_click_redrew_in_the_kernel_and_the_times_are_reported(notebook):
    page = notebook
    timing = page.locator(".jp-CodeCell").nth(1)
    timing.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    output = timing.locator(".jp-OutputArea-output")
    page.wait_for_function("() => document.querySelectorAll('.jp-CodeCell')[1]"
                           ".querySelector('.jp-OutputArea-output')?.textContent.includes('redraws in the kernel')")
    report = output.inner_text().strip()
    print("\n" + report)  # the times are reported, not asserted: this machine class is noisy
    n = len(stepthrough.trace(stepthrough.example_network(), *lk.xor()))
    # the tests above drew a picture for each next through a pass, for the reset (back to step 1), for the mistake
    # switch (a new trace) and for the 8 nexts after it: every click is one redraw (no picture is cached)
    assert int(report.split()[0]) == (n - 1) + 1 + 1 + 8, report

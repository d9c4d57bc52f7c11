"""The notebooks in JupyterLab, measured as a student who cannot see the screen or use a mouse meets them.

Each notebook is opened and run, its widgets drawn, and axe-core (pinned in system_tests/package.json) measures the
whole page: no violation is allowed in what the notebooks render (their outputs, figures, widgets and Markdown).
JupyterLab's own chrome has a few violations of its own, which no notebook can change; they are excused one by one in
``JUPYTERLAB_CHROME``, each matched by its rule and by the element JupyterLab draws, so that anything new fails.
Then every picture must carry its description, and the two widgets are driven with the keyboard alone.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from labkit.tools import figures

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
ALL_PROMPTS_NUMBERED = """() => {
    const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent);
    return prompts.length > 0 && prompts.every(text => /\\[\\d+\\]/.test(text));
}"""
FOCUS_BLUE = "rgb(0, 114, 178)"  # labkit/widgets.css: the focus ring, Okabe-Ito blue

# JupyterLab's own markup (4.x) that fails an axe rule, with why it is not the notebooks' to fix. Each entry: rule ->
# (a CSS selector the failing element matches, the reason). Nothing of labkit's is excused here.
JUPYTERLAB_CHROME = {
    # The toolbar buttons of the file browser and the notebook (jp-button web components) carry aria-pressed, which
    # their role does not allow: JupyterLab's toolkit sets it on every toolbar button.
    "aria-allowed-attr": ("jp-button", "JupyterLab's toolbar buttons"),
    # Every cell's code editor (CodeMirror 6, role textbox) has no accessible name: JupyterLab's editor, not an output.
    "aria-input-field-name": (".jp-Cell .cm-content", "JupyterLab's cell editors"),
    # The notebook's list of cells has role feed, and a feed wants role article children; JupyterLab's cells are not.
    "aria-required-children": (".jp-WindowedPanel-viewport", "JupyterLab's list of cells"),
    # The buttons that fold a Markdown heading's section are icons without a name, drawn by JupyterLab beside headings.
    "button-name": (".jp-collapseHeadingButton", "JupyterLab's fold buttons of headings"),
    # JupyterLab's skip link sits outside its landmarks.
    "region": (".jp-skiplink-wrapper", "JupyterLab's skip link"),
}

# axe's violations with each node marked: inside what a notebook renders (outputs, widgets, Markdown), and excused as
# JupyterLab's chrome or as the same false alarm the site's test leaves out: a table header cell whose only content is a
# formula (axe counts no text inside MathJax's <math>, screen readers read it), or the empty top-left corner of a
# Markdown table whose first column names its rows (02's table of activations; JupyterLab renders Markdown as it is).
AXE_RUN = """async (chrome) => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    const header = cell => {
        const rest = cell.cloneNode(true);
        rest.querySelectorAll('mjx-container, .MathJax, .MathJax_Preview, script').forEach(e => e.remove());
        const formula = cell.querySelector('mjx-container, .MathJax') !== null && rest.textContent.trim() === '';
        const corner = cell.cellIndex === 0 && cell.textContent.trim() === '' && cell.closest('thead') !== null;
        return formula || corner;
    };
    return result.violations.map(v => ({id: v.id, nodes: v.nodes.map(n => {
        const element = document.querySelector(n.target[n.target.length - 1]);
        const ours = !!element?.closest('.jp-OutputArea-output, .jp-RenderedMarkdown');
        const excused = element !== null && (v.id === 'empty-table-header' ? header(element)
            : v.id in chrome && element.matches(`${chrome[v.id]}, ${chrome[v.id]} *`));
        const summary = n.failureSummary.replace(/\\s+/g, ' ').slice(0, 200);
        return {target: n.target.join(' '), ours, excused, summary};
    })}));
}"""
# Every picture among the outputs, with its alt text, and whether a widget shows it (a labkit Picture).
PICTURES = """() => [...document.querySelectorAll('.jp-OutputArea-output img')].map(img => ({
    widget: img.closest('.labkit-picture') !== null, alt: img.getAttribute('alt'),
    loaded: img.complete && img.naturalWidth > 0}))"""


LABKIT_WIDGETS = ("TrainingExplorer(", "WeightDecayExplorer(", "StepThrough(")


def widget_cells(nb) -> int:
    """How many labkit widgets the notebook shows (a progress bar of tqdm's is a widget too, with no picture)."""
    return sum(any(name in cell.source for name in LABKIT_WIDGETS) and any(
        "application/vnd.jupyter.widget-view+json" in output.get("data", {}) for output in cell.outputs)
        for cell in nb.cells if cell.cell_type == "code")


def open_and_run(page, lab, name: str) -> None:
    base, token, _ = lab
    page.goto(f"{base}/lab/tree/{name}?reset&token={token}")
    page.wait_for_selector(".jp-Notebook .jp-Cell")
    page.wait_for_selector(".jp-StatusBar-TextItem:has-text('Idle')")
    page.click("div.lm-MenuBar-itemLabel:text-is('Run')")
    page.click("li.lm-Menu-item:has-text('Run All Cells')")
    page.wait_for_function(ALL_PROMPTS_NUMBERED, timeout=240_000)
    page.wait_for_selector(".jp-StatusBar-TextItem:has-text('Idle')")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_axe_finds_no_violation_in_what_the_notebook_renders_and_every_picture_is_described(page, lab, screenshots,
                                                                                           path):
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing ({AXE}): `make test-browser` installs it (npm ci in system_tests/).")
    nb = nbformat.read(path, as_version=4)
    open_and_run(page, lab, path.name)
    widgets = widget_cells(nb)
    page.wait_for_function("n => document.querySelectorAll('.labkit-widget .labkit-picture img[alt]').length >= n",
                           arg=widgets)  # every widget drawn, its picture named
    page.wait_for_function("() => [...document.querySelectorAll('.jp-OutputArea-output img')]"
                           ".every(img => img.complete && img.naturalWidth > 0)")
    page.screenshot(path=screenshots / f"lab-a11y-{path.stem}.png")
    page.add_script_tag(path=str(AXE))
    chrome = {rule: selector for rule, (selector, _) in JUPYTERLAB_CHROME.items()}
    violations = page.evaluate(AXE_RUN, chrome)
    counts = {v["id"]: (sum(not n["excused"] for n in v["nodes"]), sum(n["excused"] for n in v["nodes"]))
              for v in violations}
    print(f"\naxe-core {page.evaluate('axe.version')} on JupyterLab, {path.name}: "
          + (", ".join(f"{rule} {bad} (+{excused} excused)" for rule, (bad, excused) in sorted(counts.items()))
             or "no violation"))
    left = [(v["id"], n) for v in violations for n in v["nodes"] if not n["excused"]]
    assert left == [], f"{path.name}: {left}"

    for kind, selector in (("figure", ".jp-OutputArea-output > img[alt], .jp-RenderedHTMLCommon > img[alt]"),
                           ("widget", ".labkit-widget")):
        if page.locator(selector).count():
            page.locator(selector).last.scroll_into_view_if_needed()
            page.screenshot(path=screenshots / f"lab-a11y-{path.stem}-{kind}.png")
    pictures = page.evaluate(PICTURES)
    assert all(p["loaded"] for p in pictures)
    shown = [p["alt"] for p in pictures if not p["widget"]]
    named = [p["alt"] for p in pictures if p["widget"]]
    expected = figures.figures(nb)
    print(f"{path.name}: {sum(bool(alt) for alt in shown)} of {len(shown)} figures with alt text, "
          f"{sum(bool(alt) for alt in named)} of {len(named)} widget pictures")
    assert len(shown) == len(expected) and all(alt and len(alt) >= 100 for alt in shown), shown
    assert len(named) == widgets and all(alt and len(alt) >= 100 for alt in named), named
    # the figures whose outputs nbval compares are described in the lab as in the committed notebook
    compared = [figure.description for figure in expected
                if "nbval-ignore-output" not in nb.cells[figure.cell].metadata.get("tags", [])]
    assert [alt for alt, figure in zip(shown, expected) if figure.description in compared] == compared


def type_into_box(page, text: str) -> None:
    """Replace what the focused text box holds, and press Enter."""
    page.keyboard.press("End")
    for _ in range(int(page.evaluate("document.activeElement.value.length"))):
        page.keyboard.press("Backspace")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.value") == text


def focused(page) -> dict:
    """What has the keyboard's focus: its tag, its accessible words, and whether the focus ring shows."""
    return page.evaluate("""() => {
        const e = document.activeElement, style = getComputedStyle(e);
        const label = e.id ? document.querySelector(`label[for="${e.id}"]`) : null;
        return {tag: e.tagName.toLowerCase(), text: (e.textContent || '').trim(), value: e.value ?? null,
                label: label ? label.textContent.trim() : (e.getAttribute('aria-label') || ''),
                ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2 ? style.outlineColor : null};
    }""")


def tab_to(page, predicate, what: str, limit: int = 30, key: str = "Tab") -> dict:
    """Press Tab (or another key) until the focused element satisfies predicate; every stop shows the focus ring."""
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if now["tag"] in ("button", "select", "input"):
            assert now["ring"] == FOCUS_BLUE, f"no visible focus on {now}"
        if predicate(now):
            return now
    raise AssertionError(f"{key} never reached {what}")


def open_widget_at_the_keyboard(page, lab, name: str, code: str) -> None:
    """A notebook of one widget cell, run; then the keyboard's focus just before the widget's first control, on its
    output area, as a student gets there with JupyterLab's own keyboard navigation (not this project's to test).
    From here on, only keys."""
    _, _, served = lab
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(code)
    cell.metadata["tags"] = ["nbval-ignore-output"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}"), cell]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    (served / "keyboard-test").mkdir(exist_ok=True)
    nbformat.write(nb, served / "keyboard-test" / f"{name}.ipynb")
    open_and_run(page, lab, f"keyboard-test/{name}.ipynb")
    page.locator(".labkit-widget .labkit-picture img[alt]").wait_for()
    page.locator(".labkit-widget").first.scroll_into_view_if_needed()
    page.evaluate("() => { const area = document.querySelector('.labkit-widget').closest('.jp-OutputArea-output');"
                  " area.tabIndex = -1; area.focus(); }")


def test_the_training_explorer_works_from_the_keyboard_alone(page, lab, screenshots):
    open_widget_at_the_keyboard(page, lab, "explorer",
                                "from labkit.widgets import TrainingExplorer\n\nTrainingExplorer()")
    status = page.locator(".labkit-widget .widget-html-content").filter(has_text=re.compile(r"^step \d+"))
    assert status.inner_text().startswith("step 0")

    data = tab_to(page, lambda f: f["tag"] == "input" and f["label"] == "data", "the data box")
    page.screenshot(path=screenshots / "keyboard-explorer-1-data-focused.png")
    assert data["value"] == "xor"
    type_into_box(page, "moons")  # another data set: new points, a new network, a new picture
    page.wait_for_function("() => document.querySelector('.labkit-picture img').alt.includes('200 points')")
    tab_to(page, lambda f: f["tag"] == "input" and f["label"] == "hidden widths", "the hidden widths")
    type_into_box(page, "8")
    page.wait_for_function("() => document.querySelector('.labkit-picture img').alt.includes('200 points')")
    tab_to(page, lambda f: f["tag"] == "input" and f["label"] == "activation", "the activation box")
    tab_to(page, lambda f: f["tag"] == "input" and f["label"] == "learning rate", "the learning rate")
    type_into_box(page, "1")
    page.screenshot(path=screenshots / "keyboard-explorer-2-learning-rate.png")
    tab_to(page, lambda f: f["tag"] == "input" and "use weight decay" in page.evaluate(
        "() => document.activeElement.closest('label')?.textContent || ''"), "the weight decay checkbox")
    page.keyboard.press("Space")
    assert page.evaluate("() => document.activeElement.checked")

    play = tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "play", "play")
    assert play["ring"] == FOCUS_BLUE
    page.keyboard.press("Space")
    page.wait_for_function("() => document.activeElement.textContent.trim() === 'pause'")
    page.wait_for_function("() => [...document.querySelectorAll('.labkit-widget .widget-html-content')]"
                           ".some(e => /^step ([5-9]\\d|\\d{3,})\\b/.test(e.textContent))", timeout=60_000)
    page.keyboard.press("Space")  # pause
    page.wait_for_function("() => document.activeElement.textContent.trim() === 'play'")
    page.wait_for_timeout(800)  # a tick that had started before the pause arrived shows its step
    page.screenshot(path=screenshots / "keyboard-explorer-3-paused.png")
    paused = status.inner_text()
    assert re.match(r"step \d+: loss \d\.\d{4}, training accuracy \d+%", paused), paused
    page.wait_for_timeout(800)
    assert status.inner_text() == paused  # pause stopped the clock in the kernel: no tick starts after it

    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "step", "step")
    steps = int(paused.split()[1].rstrip(":"))
    page.keyboard.press("Enter")
    page.wait_for_function("n => [...document.querySelectorAll('.labkit-widget .widget-html-content')]"
                           ".some(e => e.textContent.startsWith(`step ${n}:`))", arg=steps + 25)
    title = page.locator(".labkit-widget .labkit-picture img").get_attribute("alt")
    assert title.startswith("Decision surface:") and f"Status: step {steps + 25}: loss" in title
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "reset", "reset")
    page.keyboard.press("Enter")
    page.wait_for_function("() => [...document.querySelectorAll('.labkit-widget .widget-html-content')]"
                           ".some(e => e.textContent.startsWith('step 0'))")
    back = tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "play", "play, backwards", key="Shift+Tab")
    assert back["ring"] == FOCUS_BLUE
    page.screenshot(path=screenshots / "keyboard-explorer-4-reset.png")


def test_the_step_through_works_from_the_keyboard_alone(page, lab, screenshots):
    open_widget_at_the_keyboard(page, lab, "stepthrough",
                                "from labkit.stepthrough import StepThrough\n\nStepThrough(interval=300)")

    def header() -> str:
        return page.locator(".labkit-stepthrough .widget-html-content").first.inner_text()

    def picture() -> str:
        return page.locator(".labkit-stepthrough .labkit-picture img").get_attribute("alt")

    assert header().startswith("Step 1 of 20") and picture().startswith("Step 1 of 20, forward, layer 1")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "next", "next")
    page.screenshot(path=screenshots / "keyboard-stepthrough-1-next-focused.png")
    for n in range(2, 5):
        page.keyboard.press("Enter")
        page.wait_for_function("n => document.querySelector('.labkit-stepthrough .widget-html-content')"
                               ".textContent.startsWith(`Step ${n} of 20`)", arg=n)
    assert picture().startswith("Step 4 of 20")
    page.keyboard.press("Shift+Tab")  # back
    assert focused(page)["text"] == "back"
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('.labkit-stepthrough .widget-html-content')"
                           ".textContent.startsWith('Step 3 of 20')")
    box = tab_to(page, lambda f: f["tag"] == "input" and f["label"] == "step", "the step box")
    assert box["value"] == "3"
    for _ in range(6):  # up to step 9, Delta_3
        page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('.labkit-stepthrough .widget-html-content')"
                           ".textContent.startsWith('Step 9 of 20')")
    equation = page.locator(".labkit-stepthrough .widget-htmlmath-content").inner_text()
    assert re.search(r"against finite differences: rel\. error \de-\d+ ✓", equation), equation  # its error, as text
    assert "Checked against finite differences: relative error" in picture()

    tab_to(page, lambda f: f["tag"] == "input" and "φ′ at the output" in page.evaluate(
        "() => document.activeElement.closest('label')?.textContent || ''"), "the first mistake switch")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('.labkit-stepthrough .widget-htmlmath-content')"
                           ".textContent.includes('the first step that parts from finite differences')")
    page.screenshot(path=screenshots / "keyboard-stepthrough-2-mistake.png")
    assert "the first step that parts" in picture()
    page.keyboard.press("Space")  # the mistake off again
    page.wait_for_function("() => !document.querySelector('.labkit-stepthrough .widget-htmlmath-content')"
                           ".textContent.includes('the first step that parts')")

    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "play", "play", key="Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('.labkit-stepthrough .widget-html-content')"
                           ".textContent.startsWith('Step 20 of 20')", timeout=60_000)
    page.wait_for_function("() => document.activeElement.textContent.trim() === 'play'")  # stopped at the end
    page.keyboard.press("Shift+Tab")  # reset
    assert focused(page)["text"] == "reset"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('.labkit-stepthrough .widget-html-content')"
                           ".textContent.startsWith('Step 1 of 20')")
    page.screenshot(path=screenshots / "keyboard-stepthrough-3-reset.png")

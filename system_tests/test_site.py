"""The static site of the real notebooks (`labkit export html`), opened from file:// in headless Chromium."""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest

from labkit.tools import assignments, export

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

MATH_REPORT = """() => {
    const markdown = [...document.querySelectorAll('.jp-MarkdownOutput')].map(e => e.innerText).join('\\n');
    return {
        jax: MathJax.Hub.getAllJax().length,
        shown: document.querySelectorAll('span.MathJax, div.MathJax_Display').length,
        errors: MathJax.Hub.getAllJax().filter(j => j.texError).map(j => j.originalText),
        undefined: [...document.querySelectorAll('.mtext')]
            .filter(e => e.style.color === 'red' && e.textContent.startsWith('\\\\')).map(e => e.textContent),
        rawDisplay: markdown.includes('$$'),
        rawInline: (markdown.match(/\\$[^$\\n]*\\\\[a-zA-Z]+[^$\\n]*\\$/g) || []).slice(0, 3),
    };
}"""
IMAGES = """() => [...document.images].map(img => ({
    loaded: img.complete && img.naturalWidth > 0, inOutput: !!img.closest('.jp-OutputArea-output'),
    src: img.src.slice(0, 40)}))"""


def image_outputs(cells) -> int:
    return sum("image/png" in output.get("data", {}) for cell in cells if cell.cell_type == "code"
               for output in cell.outputs)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    start = time.perf_counter()
    summaries = export.export_html(NOTEBOOKS, out)
    print(f"\nexport of {len(NOTEBOOKS)} notebooks: {time.perf_counter() - start:.1f} s")
    return out, {summary.notebook: summary for summary in summaries}


@pytest.fixture(scope="module")
def tab(browser):
    """A page that records every request that does not stay on this disk (a CDN, say)."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(60_000)
    remote: list[str] = []
    page.on("request", lambda request: remote.append(request.url)
            if not request.url.startswith(("file:", "data:", "about:")) else None)
    page.remote = remote
    yield page
    page.close()


def open_page(tab, path: Path) -> None:
    tab.goto(path.as_uri())
    tab.wait_for_selector("html[data-mathjax='typeset']")  # MathJax's first pass is over


def check_math_and_pictures(tab, name: str, expected_output_images: int) -> None:
    math = tab.evaluate(MATH_REPORT)
    assert math["jax"] > 0 and math["shown"] >= math["jax"], f"{name}: no typeset maths ({math})"
    assert math["errors"] == [] and math["undefined"] == [], f"{name}: TeX errors {math}"
    assert not math["rawDisplay"] and math["rawInline"] == [], f"{name}: LaTeX left as text {math}"
    images = tab.evaluate(IMAGES)
    assert [image for image in images if not image["loaded"]] == [], f"{name}: pictures that did not load"
    assert sum(image["inOutput"] for image in images) == expected_output_images, name


def test_index_lists_every_notebook_and_links_both_versions(tab, site, screenshots):
    out, summaries = site
    tab.goto((out / "index.html").as_uri())
    tab.screenshot(path=screenshots / "site-1-index.png", full_page=True)
    titles = tab.locator("ol.notebooks .title").all_inner_texts()
    assert titles == [summary.title for summary in summaries.values()]
    assert all(re.match(r"0\d · ", title) for title in titles)  # the notebooks' own headings
    links = tab.eval_on_selector_all("ol.notebooks a", "links => links.map(a => a.href)")
    assert len(links) == 2 * len(NOTEBOOKS) and all(Path(href.removeprefix("file://")).is_file() for href in links)
    tab.locator("ol.notebooks a", has_text="Student version").first.click()
    tab.wait_for_url("**/01_*.student.html")
    assert tab.remote == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_student_page_has_its_maths_and_pictures_and_no_solution(tab, site, screenshots, path, tmp_path):
    out, summaries = site
    summary = summaries[path.name]
    name = export.student_page_name(path.stem)
    open_page(tab, out / name)
    tab.screenshot(path=screenshots / f"site-student-{path.stem}.png")
    source = nbformat.read(path, as_version=4)
    # Outputs of exercises, of checks and of cells that run the exercises' code are not shown to students.
    kept = [cell for index, cell in enumerate(source.cells) if not assignments.is_exercise(cell)
            and not export._runs_solutions(cell) and index not in summary.dropped_outputs]
    check_math_and_pictures(tab, name, image_outputs(kept))
    assert tab.locator("details").count() == 0
    code = "\n".join(tab.locator(".jp-CodeCell .jp-InputArea-editor").all_inner_texts())
    regions = sum(len(assignments.solution_regions(c.source)) for c in source.cells if c.cell_type == "code")
    assert code.count("raise NotImplementedError()") == regions
    prose = "\n".join(tab.locator(".jp-MarkdownOutput").all_inner_texts())
    assert prose.count(assignments.ANSWER_PLACEHOLDER.strip("*")) == summary.answers
    text = tab.evaluate("document.body.innerText")
    # What the browser shows and holds, scanned like a release.
    (tmp_path / f"{name}.txt").write_text(text, encoding="utf-8")
    (tmp_path / name).write_text(tab.content(), encoding="utf-8")
    assert assignments.scan_for_leaks(tmp_path, NOTEBOOKS) == []
    assert tab.remote == []


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_instructor_page_folds_every_solution_until_clicked(tab, site, screenshots, path):
    out, _ = site
    name = export.instructor_page_name(path.stem)
    open_page(tab, out / name)
    source = nbformat.read(path, as_version=4)
    check_math_and_pictures(tab, name, image_outputs(source.cells))

    regions = sum(len(assignments.solution_regions(c.source)) for c in source.cells if c.cell_type == "code")
    answers = sum(assignments.is_answer(c) for c in source.cells)
    with_outputs = sum(assignments.is_exercise(c) and bool(c.outputs) for c in source.cells)
    folds = tab.locator("details.labkit-solution")
    assert folds.count() == regions + answers + with_outputs
    assert tab.evaluate("[...document.querySelectorAll('details')].every(d => !d.open)")
    summaries = folds.locator(":scope > summary").all_inner_texts()
    assert summaries.count("Solution") == regions and summaries.count("Solution (written answer)") == answers

    first_with_maths = tab.evaluate("[...document.querySelectorAll('details.labkit-solution')]"
                                    ".findIndex(d => d.querySelector('span.MathJax'))")
    fold = folds.nth(max(first_with_maths, 0))  # an index: the maths is typeset again when the fold opens
    body = fold.locator(":scope > :not(summary)").first
    fold.scroll_into_view_if_needed()
    tab.mouse.wheel(0, -150)
    assert not body.is_visible()
    tab.screenshot(path=screenshots / f"site-instructor-{path.stem}-folded.png")
    fold.locator(":scope > summary").click()
    assert fold.evaluate("d => d.open") and body.is_visible()
    tab.wait_for_function("d => !MathJax.Hub.queue.pending && !MathJax.Hub.queue.running", arg=fold.element_handle())
    widths = fold.evaluate("d => [...d.querySelectorAll('span.MathJax')].map(m => m.getBoundingClientRect().width)")
    assert all(width > 0 for width in widths), "maths in an opened solution has no width"
    tab.screenshot(path=screenshots / f"site-instructor-{path.stem}-opened.png")
    fold.locator(":scope > summary").click()
    assert not fold.evaluate("d => d.open") and not body.is_visible()

    code_fold = folds.nth(summaries.index("Solution"))  # the code of an exercise
    code_fold.scroll_into_view_if_needed()
    code_fold.locator(":scope > summary").click()
    code = code_fold.locator(".highlight")
    assert code.is_visible() and code.inner_text().strip()
    tab.screenshot(path=screenshots / f"site-instructor-{path.stem}-code-opened.png")
    assert tab.remote == []

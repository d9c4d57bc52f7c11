"""The static site of the real notebooks (`labkit export html`), opened from file:// in headless Chromium.

Every page is measured with axe-core (pinned in system_tests/package.json; `make test-browser` installs it) on a
desktop and on a phone's width, and must show no violation of any rule axe runs: WCAG 2.1 A and AA, and axe's
best practices.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import nbformat
import pytest

from labkit.tools import assignments, export, figures

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PAGES = ["index.html"] + [name(path.stem) for path in NOTEBOOKS
                          for name in (export.student_page_name, export.instructor_page_name)]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
PHONE, DESKTOP = {"width": 400, "height": 860}, {"width": 1280, "height": 900}
PLACEHOLDER = "No description has been provided for this image"  # nbconvert's alt text where a description is missing

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
    src: img.src.slice(0, 40), alt: img.getAttribute('alt')}))"""
# axe's violations, less one false alarm: a header cell whose only content is a formula has no text for axe, which
# counts nothing inside <math> (embedded content, as HTML classes it), while screen readers read MathJax's MathML.
AXE_RUN = """async () => {
    const result = await axe.run(document, {resultTypes: ['violations']});
    const formulaOnly = node => {
        const cell = document.querySelector(node.target[node.target.length - 1]);
        const rest = cell.cloneNode(true);
        rest.querySelectorAll('.MathJax_Preview, .MathJax, script').forEach(e => e.remove());
        return cell.querySelector('.MJX_Assistive_MathML math') !== null && rest.textContent.trim() === '';
    };
    return result.violations.map(v => ({
        id: v.id, impact: v.impact,
        nodes: v.nodes.filter(n => !(v.id === 'empty-table-header' && formulaOnly(n)))
                      .map(n => n.target.join(' ') + ': ' + n.failureSummary.replace(/\\s+/g, ' ').slice(0, 300)),
    })).filter(v => v.nodes.length);
}"""
# Elements that cut their content off: what is too wide must scroll in its own box (MathJax's inner boxes aside).
CLIPPED = """() => [...document.querySelectorAll('main *')].filter(e => {
    const overflow = getComputedStyle(e).overflowX;
    return (overflow === 'hidden' || overflow === 'clip') && e.scrollWidth > e.clientWidth + 1
        && !e.closest('.MathJax, .MathJax_Display, .MJX_Assistive_MathML');
}).map(e => e.className.toString() || e.tagName)"""
# Boxes that scroll sideways and cannot take the keyboard focus, neither they nor anything in them.
UNFOCUSABLE_SCROLLERS = """() => [...document.querySelectorAll('main *')].filter(e => {
    const overflow = getComputedStyle(e).overflowX;
    return (overflow === 'auto' || overflow === 'scroll') && e.scrollWidth > e.clientWidth + 1
        && e.tabIndex < 0 && !e.querySelector('a[href], [tabindex="0"], summary');
}).map(e => e.className.toString() || e.tagName)"""


def shown_figures(cells) -> list[str]:
    """The alt text each figure among the cells' outputs should have on its page, in order."""
    return [figures.description(output) or PLACEHOLDER for cell in cells if cell.cell_type == "code"
            for output in cell.outputs if figures.is_figure(output)]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    start = time.perf_counter()
    summaries = export.export_html(NOTEBOOKS, out)
    print(f"\nexport of {len(NOTEBOOKS)} notebooks: {time.perf_counter() - start:.1f} s")
    return out, {summary.notebook: summary for summary in summaries}


def new_tab(browser, viewport):
    """A page that records every request that does not stay on this disk (a CDN, say), and every request that
    fails (a font MathJax asks for and the site lacks, say). MathJax's own probe for a missing font, the font
    MathJax_Blank at about:blank, fails by design and is no file of the site."""
    page = browser.new_page(viewport=viewport)
    page.set_default_timeout(60_000)
    remote: list[str] = []
    failed: list[str] = []
    page.on("request", lambda request: remote.append(request.url)
            if not request.url.startswith(("file:", "data:", "about:")) else None)
    page.on("requestfailed", lambda request: failed.append(request.url) if request.url != "about:blank" else None)
    page.remote, page.failed = remote, failed
    return page


@pytest.fixture(scope="module")
def tab(browser):
    page = new_tab(browser, DESKTOP)
    yield page
    page.close()


@pytest.fixture(scope="module")
def phone(browser):
    page = new_tab(browser, PHONE)
    yield page
    page.close()


def open_page(tab, path: Path) -> None:
    tab.goto(path.as_uri())
    if path.name != "index.html":
        tab.wait_for_selector("html[data-mathjax='typeset']")  # MathJax's first pass is over


def open_every_fold(tab) -> None:
    """Open every details element (solutions, contents, figure descriptions), and wait for MathJax to measure again."""
    tab.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    tab.wait_for_function("!MathJax.Hub.queue.pending && !MathJax.Hub.queue.running")


def check_math_and_pictures(tab, name: str, expected_alts: list[str]) -> None:
    math = tab.evaluate(MATH_REPORT)
    assert math["jax"] > 0 and math["shown"] >= math["jax"], f"{name}: no typeset maths ({math})"
    assert math["errors"] == [] and math["undefined"] == [], f"{name}: TeX errors {math}"
    assert not math["rawDisplay"] and math["rawInline"] == [], f"{name}: LaTeX left as text {math}"
    images = tab.evaluate(IMAGES)
    assert [image for image in images if not image["loaded"]] == [], f"{name}: pictures that did not load"
    alts = [image["alt"] for image in images if image["inOutput"]]
    assert alts == expected_alts, f"{name}: the pictures' alt texts are not the notebook's descriptions"
    print(f"\n{name}: {sum(alt != PLACEHOLDER for alt in alts)} of {len(alts)} pictures described")
    assert tab.failed == [], f"{name}: requests that failed"


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
    check_math_and_pictures(tab, name, shown_figures(kept))
    assert tab.locator("details.labkit-solution").count() == 0
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
    check_math_and_pictures(tab, name, shown_figures(source.cells))

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


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("name", PAGES)
def test_axe_finds_no_violation_and_nothing_is_cut_off(browser, site, screenshots, name, viewport):
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing ({AXE}): `make test-browser` installs it (npm ci in system_tests/).")
    out, _ = site
    tab = new_tab(browser, viewport)
    try:
        open_page(tab, out / name)
        if name != "index.html":
            open_every_fold(tab)  # axe measures what is shown: the solutions' code and outputs too
        tab.add_script_tag(path=str(AXE))
        violations = tab.evaluate(AXE_RUN)
        width = viewport["width"]
        print(f"\naxe-core {tab.evaluate('axe.version')}, {name} at {width} px: "
              f"{sum(len(v['nodes']) for v in violations)} violation(s)")
        assert violations == [], f"{name} at {width} px: {violations}"
        assert tab.evaluate("document.documentElement.scrollWidth") <= width, f"{name} scrolls sideways"
        assert tab.evaluate(CLIPPED) == [], f"{name} at {width} px cuts content off"
        assert tab.evaluate(UNFOCUSABLE_SCROLLERS) == [], f"{name} at {width} px: a box the keyboard cannot scroll"
        if viewport is PHONE:
            tab.evaluate("window.scrollTo(0, 0)")
            tab.screenshot(path=screenshots / f"site-phone-{Path(name).stem}.png")
        assert tab.remote == [] and tab.failed == []
    finally:
        tab.close()


def test_formulas_in_tables_stay_whole(phone, site, screenshots):
    out, _ = site
    open_page(phone, out / export.student_page_name(NOTEBOOKS[0].stem))
    # a formula's height in font sizes: about 1.2 on one line; 2.7 where MathJax broke "Y^0 = X" over two lines
    heights = phone.evaluate("""[...document.querySelectorAll('td .MathJax, th .MathJax')].map(m =>
        m.getBoundingClientRect().height / parseFloat(getComputedStyle(m.closest('td, th')).fontSize))""")
    assert heights and max(heights) < 2, heights
    phone.locator(".labkit-scroll").first.scroll_into_view_if_needed()
    phone.screenshot(path=screenshots / "site-phone-01-table.png")


def test_a_keyboard_skips_to_the_notebook_and_moves_by_contents_and_neighbours(phone, site, screenshots):
    out, _ = site
    open_page(phone, out / export.student_page_name(NOTEBOOKS[1].stem))
    phone.keyboard.press("Tab")
    skip = phone.locator(".labkit-skip")
    assert phone.evaluate("document.activeElement.className") == "labkit-skip"
    box = skip.bounding_box()
    assert box["y"] >= 0 and box["height"] > 0  # shown when it has the focus
    phone.screenshot(path=screenshots / "site-phone-skip-link.png")
    phone.keyboard.press("Enter")
    assert phone.evaluate("document.activeElement.id") == "labkit-notebook"

    phone.locator("nav.labkit-toc summary").click()
    entries = phone.locator("nav.labkit-toc a")
    assert entries.count() >= 5
    phone.screenshot(path=screenshots / "site-phone-contents.png")
    entry = entries.nth(2)
    anchor = entry.get_attribute("href")
    entry.click()
    heading = phone.locator(f'[id="{anchor.removeprefix("#")}"]')  # an id may start with a digit, a CSS # may not
    assert abs(heading.bounding_box()["y"]) < 50, "the contents' link does not bring its heading to the top"

    pager = phone.locator("nav.labkit-pager")
    pager.scroll_into_view_if_needed()
    phone.screenshot(path=screenshots / "site-phone-pager.png")
    assert pager.locator("a[rel=prev]").get_attribute("href") == export.student_page_name(NOTEBOOKS[0].stem)
    pager.locator("a[rel=next]").click()
    phone.wait_for_url(f"**/{export.student_page_name(NOTEBOOKS[2].stem)}")
    assert phone.remote == []

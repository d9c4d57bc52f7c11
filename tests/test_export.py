"""`labkit export html` on small notebooks built here: the two versions of each page, the leak scan, the site."""

import base64
import copy
import re
import shutil
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from labkit.tools import assignments, export
from labkit.tools.assignments import MarkerError
from labkit.tools.cli import main
from labkit.tools.export import ExportLeakError, visible_text

EXERCISE = """def square(x):
    # TODO: return x times x
    ### BEGIN SOLUTION
    result = x * x  # the secret trick
    return result
    ### END SOLUTION
"""
ANSWER = "The derivative of a square is twice the value, which is the hidden insight."
INLINE_MATH = r"$\mathbf z^\ell = W^\ell \mathbf y^{\ell-1}$"
DISPLAY_MATH = "$$\n" + r"\delta^L = \nabla_{\mathbf y} \mathcal E \odot \phi'(\mathbf z^L), \quad a_{ij} * b_{jk}" \
    + "\n$$"
WIDGET = {"model_id": "0123abcd", "version_major": 2, "version_minor": 0}
ROOT = Path(__file__).resolve().parents[1]


def png(width: int, rgb: tuple[int, int, int]) -> str:
    """A PNG one pixel high, of one colour, base64-encoded as in a notebook output."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = chunk(b"IHDR", struct.pack(">IIBBBBB", width, 1, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(
        bytes([0, *rgb * width]))) + chunk(b"IEND", b"")
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + raw).decode()


SOLUTION_PICTURE, PUBLIC_PICTURE = png(3, (200, 10, 10)), png(2, (10, 10, 200))


def make_notebook(path, extra_cells=(), exercise_outputs=None):
    """Title, maths, an exercise with a picture of its result, its check, a question and its answer, a figure."""
    if exercise_outputs is None:
        exercise_outputs = [new_output("stream", name="stdout", text="square ready: 3.14159265\n"),
                            new_output("display_data", data={"image/png": SOLUTION_PICTURE, "text/plain": "<Figure>"})]
    nb = new_notebook(cells=[
        new_markdown_cell(f"# A *tiny* assignment\n\nThe layer: {INLINE_MATH}, and\n\n{DISPLAY_MATH}"),
        new_code_cell("import math", execution_count=1),
        new_code_cell(EXERCISE, execution_count=2, outputs=exercise_outputs),
        new_code_cell("assert square(3) == 9\nprint('ok')", metadata={"tags": ["check"]}, execution_count=3,
                      outputs=[new_output("stream", name="stdout", text="ok\n")]),
        new_markdown_cell("Why does it work?"),
        new_markdown_cell(ANSWER, metadata={"tags": ["solution"]}),
        new_code_cell("show_figure()", execution_count=4, outputs=[
            new_output("display_data", data={"image/png": PUBLIC_PICTURE, "text/plain": "<Figure>"})]),
        *extra_cells,
    ], metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
    nbformat.write(nb, path)
    return path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A site of one notebook (with a widget output and a picture beside it) and its summaries."""
    folder = tmp_path_factory.mktemp("sources")
    (folder / "diagram.png").write_bytes(base64.b64decode(PUBLIC_PICTURE))
    src = make_notebook(folder / "hw.ipynb", extra_cells=[
        new_markdown_cell("A picture beside the notebook: ![the plan](diagram.png)"),
        new_code_cell("Explorer()", execution_count=5, outputs=[new_output(
            "display_data", data={"application/vnd.jupyter.widget-view+json": WIDGET, "text/plain": "VBox()"})]),
    ])
    nb = nbformat.read(src, as_version=4)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"0123abcd": {}}}}
    nbformat.write(nb, src)
    out = tmp_path_factory.mktemp("site") / "site"
    summaries = export.export_html([folder], out)
    return out, summaries


def page(out, name):
    return (out / name).read_text(encoding="utf-8")


def test_site_has_an_index_linking_both_versions_of_each_notebook(site):
    out, summaries = site
    assert [s.notebook for s in summaries] == ["hw.ipynb"]
    assert {p.name for p in out.iterdir()} == {"index.html", "hw.student.html", "hw.instructor.html", "mathjax",
                                               export.MARKER}
    index = page(out, "index.html")
    assert 'href="hw.student.html"' in index and 'href="hw.instructor.html"' in index
    assert "A tiny assignment" in visible_text(index)  # the first heading, without its Markdown
    assert "1 exercise, 1 written answer" in visible_text(index)


def test_student_page_shows_the_stub_and_the_placeholder_not_the_solution(site):
    out, summaries = site
    text = visible_text(page(out, "hw.student.html"))
    assert "# TODO: return x times x\n    # YOUR CODE HERE\n    raise NotImplementedError()" in text
    assert "x * x" not in text and "BEGIN SOLUTION" not in text
    assert "YOUR ANSWER HERE" in text and ANSWER not in text
    assert summaries[0].exercises == 1 and summaries[0].answers == 1 and summaries[0].dropped_outputs == []


def test_student_page_keeps_the_outputs_of_other_cells_only(site):
    out, _ = site
    student = page(out, "hw.student.html")
    assert PUBLIC_PICTURE in student  # a figure of a cell that is not a solution
    assert "square ready" not in student and SOLUTION_PICTURE not in student  # the exercise's outputs
    # the check's "ok" is what the solution earns: under the stub it would claim a pass the student has not reached
    check_output = re.compile(r"<pre>ok\s*</pre>")
    assert not check_output.search(student) and check_output.search(page(out, "hw.instructor.html"))
    prompts = re.findall(r"In\s\[(.)\]:", visible_text(student))
    assert prompts == ["1", "\xa0", "\xa0", "4", "5"]  # no execution count for the stub or the check


def test_instructor_page_folds_each_solution_in_a_closed_details_block(site):
    out, _ = site
    instructor = page(out, "hw.instructor.html")
    blocks = re.findall(r"<details([^>]*)>\s*<summary>([^<]*)</summary>(.*?)</details>", instructor, re.S)
    assert [summary for _, summary, _ in blocks] == ["Solution", "Output of the solution",
                                                     "Solution (written answer)"]
    assert all("open" not in attributes for attributes, _, _ in blocks)
    code, output, answer = (visible_text(body) for _, _, body in blocks)
    assert "result = x * x  # the secret trick\n    return result" in code
    assert "square ready: 3.14159265" in output and SOLUTION_PICTURE in blocks[1][2]
    assert ANSWER in answer
    outside = visible_text(re.sub(r"<details.*?</details>", "", instructor, flags=re.S))
    assert "# TODO: return x times x" in outside and "x * x" not in outside and ANSWER not in outside
    assert "BEGIN SOLUTION" not in instructor and "END SOLUTION" not in instructor  # the fold replaces the markers


def test_math_reaches_the_page_as_written_for_mathjax(site):
    out, _ = site
    for name in ("hw.student.html", "hw.instructor.html"):
        text = visible_text(page(out, name))
        assert INLINE_MATH in text and DISPLAY_MATH.replace("\n", "") in text.replace("\n", "")


def test_pages_fetch_nothing_from_the_internet(site):
    out, _ = site
    for name in ("index.html", "hw.student.html", "hw.instructor.html"):
        html = page(out, name)
        fetched = re.findall(r"""<(?:script|link|img|iframe)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"']+)""", html)
        remote = [url for url in fetched if re.match(r"(https?:)?//", url)]
        assert remote == [], f"{name} loads {remote}"
        assert "cdn" not in html.lower() and "unpkg" not in html
        for url in fetched:
            if not url.startswith("data:"):
                assert (out / url.split("?")[0]).is_file(), f"{name} refers to {url}, which is not in the site"


def test_mathjax_is_in_the_site_with_its_fonts(site):
    out, _ = site
    student = page(out, "hw.student.html")
    assert '<script src="mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe">' in student
    mathjax = out / "mathjax"
    assert (mathjax / "config" / "TeX-AMS-MML_HTMLorMML-full.js").is_file()
    assert (mathjax / "jax" / "output" / "HTML-CSS" / "fonts" / "STIX-Web" / "fontdata.js").is_file()
    assert list((mathjax / "fonts" / "HTML-CSS" / "STIX-Web" / "woff").glob("*.woff"))


def test_pictures_are_embedded_in_the_pages(site):
    out, _ = site
    student = page(out, "hw.student.html")
    sources = re.findall(r'<img[^>]*\bsrc="([^"]+)"', student)
    assert len(sources) == 2 and all(src.startswith("data:image/png;base64,") for src in sources)


def test_widgets_become_a_note_and_their_state_stays_out(site):
    out, _ = site
    for name in ("hw.student.html", "hw.instructor.html"):
        html = page(out, name)
        assert "open the notebook in JupyterLab to use it" in visible_text(html)
        assert "widget-state" not in html and "0123abcd" not in html


def test_an_output_that_shows_a_solution_is_left_out_of_the_student_page_only(tmp_path, capsys):
    revealing = new_code_cell("print(square_ready)", execution_count=6, outputs=[
        new_output("stream", name="stdout", text="again: 3.14159265\n")])
    src = make_notebook(tmp_path / "hw.ipynb", extra_cells=[revealing])
    assert main(["export", "html", str(tmp_path / "site"), str(src)]) == 0
    assert "student page leaves out the outputs of cell(s) 7" in capsys.readouterr().out
    student = page(tmp_path / "site", "hw.student.html")
    assert "3.14159265" not in student and "left out of the student version" in visible_text(student)
    assert "ok\n" in visible_text(student)  # other outputs stay
    assert "again: 3.14159265" in visible_text(page(tmp_path / "site", "hw.instructor.html"))


def no_site_left(tmp_path):
    return [p.name for p in tmp_path.iterdir() if p.name != "hw.ipynb"] == []


def test_a_planted_leak_aborts_the_export_and_writes_nothing(tmp_path, capsys):
    # The solution's picture pasted into the introduction: a Markdown attachment, not an output.
    pasted = new_markdown_cell("What you will get: ![](attachment:result.png)")
    pasted["attachments"] = {"result.png": {"image/png": SOLUTION_PICTURE}}
    src = make_notebook(tmp_path / "hw.ipynb", extra_cells=[pasted])
    with pytest.raises(ExportLeakError, match=r"student pages would leak .* nothing was written") as caught:
        export.export_html([src], tmp_path / "site")
    assert {leak.file for leak in caught.value.leaks} >= {"hw.ipynb", "hw.student.html"}
    assert all("hw.ipynb, cell 2 image" == leak.origin for leak in caught.value.leaks)
    assert no_site_left(tmp_path)
    assert main(["export", "html", str(tmp_path / "site"), str(src)]) == 1
    assert capsys.readouterr().err.startswith("labkit: error: the student pages would leak")
    assert no_site_left(tmp_path)


def test_a_stub_that_fails_to_hide_the_solution_is_caught(tmp_path, monkeypatch):
    src = make_notebook(tmp_path / "hw.ipynb")
    monkeypatch.setattr(assignments, "student_version", lambda nb, path: (copy.deepcopy(nb), 1, 1))  # a bug
    with pytest.raises(ExportLeakError) as caught:
        export.export_html([src], tmp_path / "site")
    found = {leak.text for leak in caught.value.leaks}
    assert {"result = x * x  # the secret trick", ANSWER} <= found
    assert no_site_left(tmp_path)


def test_malformed_markers_stop_the_export(tmp_path):
    src = make_notebook(tmp_path / "hw.ipynb")
    nb = nbformat.read(src, as_version=4)
    nb.cells[2].source = "x = 1\n### END SOLUTION\n"
    nbformat.write(nb, src)
    with pytest.raises(MarkerError, match=r"hw.ipynb, cell 2, line 2"):
        export.export_html([src], tmp_path / "site")
    assert no_site_left(tmp_path)


def test_export_replaces_its_own_site_but_never_another_folder(tmp_path, capsys):
    src = make_notebook(tmp_path / "hw.ipynb")
    out = tmp_path / "site"
    export.export_html([src], out)
    (out / "stale.instructor.html").write_text("from an earlier export")
    export.export_html([src], out, student_only=True)
    assert not (out / "stale.instructor.html").exists() and not (out / "hw.instructor.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hw.ipynb", "site"]  # no staging folder left behind
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep me")
    assert main(["export", "html", str(other), str(src)]) == 1
    assert "is not a site written by labkit" in capsys.readouterr().err
    assert (other / "mine.txt").read_text() == "keep me"


def test_student_only_site_links_no_instructor_page(tmp_path):
    src = make_notebook(tmp_path / "hw.ipynb")
    export.export_html([src], tmp_path / "site", student_only=True)
    assert not list((tmp_path / "site").glob("*.instructor.html"))
    assert "instructor" not in page(tmp_path / "site", "index.html")
    assert "instructor.html" not in page(tmp_path / "site", "hw.student.html")


def test_cli_exports_the_default_folder_and_reports(tmp_path, monkeypatch, capsys):
    (tmp_path / "notebooks").mkdir()
    make_notebook(tmp_path / "notebooks" / "hw.ipynb")
    monkeypatch.chdir(tmp_path)
    assert main(["export", "html", "site"]) == 0
    out = capsys.readouterr().out
    assert "hw.ipynb: 1 exercise(s) and 1 written answer(s)" in out
    assert "leak scan of the student pages: clean" in out and "site/index.html" in out
    assert main(["export", "html", "site2", "missing"]) == 1
    assert "labkit: error: missing is neither a notebook" in capsys.readouterr().err


def test_missing_mathjax_is_a_clear_error(tmp_path, monkeypatch):
    src = make_notebook(tmp_path / "hw.ipynb")
    monkeypatch.setattr(export.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(FileNotFoundError, match="jupyter-server-mathjax"):
        export.export_html([src], tmp_path / "site")
    assert no_site_left(tmp_path)


def test_title_is_the_first_heading_without_markdown():
    nb = new_notebook(cells=[new_code_cell("x = 1"), new_markdown_cell("Intro\n\n## 02 · The `XOR` *network* ##\n")])
    assert export.title_of(nb, "fallback") == "02 · The XOR network"
    assert export.title_of(new_notebook(cells=[new_markdown_cell("no heading")]), "fallback") == "fallback"
    answer = new_markdown_cell("## The hidden result is 42", metadata={"tags": ["solution"]})
    assert export.title_of(new_notebook(cells=[answer, new_markdown_cell("# Public")]), "fallback") == "Public"


def test_visible_text_drops_tags_and_decodes_entities():
    html = '<pre><span class="n">y</span> <span class="o">=</span> <span class="n">a</span> &lt; b &amp;&amp; "c"</pre>'
    assert visible_text(html) == 'y = a < b && "c"'


def test_links_work_for_notebook_names_with_spaces(tmp_path):
    make_notebook(tmp_path / "week 1 #2.ipynb")
    export.export_html([tmp_path / "week 1 #2.ipynb"], tmp_path / "site")
    assert (tmp_path / "site" / "week 1 #2.student.html").is_file()
    assert 'href="week%201%20%232.student.html"' in page(tmp_path / "site", "index.html")
    assert 'href="week%201%20%232.instructor.html"' in page(tmp_path / "site", "week 1 #2.student.html")


@pytest.mark.slow
def test_a_built_wheel_ships_every_template_stylesheet_and_script_of_the_site_and_the_widgets(tmp_path):
    # a copy of what the wheel is built from, so that the build leaves nothing in the working tree
    project = tmp_path / "project"
    project.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, project)
    shutil.copytree(ROOT / "labkit", project / "labkit", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path / "dist"), str(project)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("labkit-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "labkit/widgets.css" in names  # the widgets' focus ring
    shipped = {name for name in names if name.startswith("labkit/tools/site/")}
    site_files = {f"labkit/tools/site/{p.name}" for p in (ROOT / "labkit" / "tools" / "site").iterdir()}
    assert {"labkit/tools/site/page.html.j2", "labkit/tools/site/page.css"} <= site_files
    assert shipped == site_files


DESCRIBED = "A red bar three pixels wide: the loss after training, far below the blue bar of the untrained network."
PLACEHOLDER = "No description has been provided for this image"  # what nbconvert writes where a description is missing


def figure_cells():
    """A figure described in its metadata, one drawn as an HTML <img alt>, and one with no description."""
    described = new_output("display_data", data={"image/png": PUBLIC_PICTURE, "text/plain": "<Figure>"},
                           metadata={"image/png": {"alt": DESCRIBED}})
    as_html = new_output("display_data", data={
        "text/html": f'<img alt="The blue bar, &lt;untrained&gt;." src="data:image/png;base64,{PUBLIC_PICTURE}">',
        "text/plain": "The blue bar, <untrained>."})
    bare = new_output("display_data", data={"image/png": png(4, (10, 150, 10)), "text/plain": "<Figure>"})
    return [new_code_cell("plot_loss()", execution_count=5, outputs=[described]),
            new_code_cell("display_html()", execution_count=6, outputs=[as_html]),
            new_code_cell("plot_bare()", execution_count=7, outputs=[bare])]


def test_each_figure_takes_its_description_as_alt_text_and_a_missing_one_is_reported(tmp_path, capsys):
    src = make_notebook(tmp_path / "hw.ipynb", extra_cells=figure_cells())
    assert main(["export", "html", str(tmp_path / "site"), str(src)]) == 0
    out = capsys.readouterr().out
    # the exercise's solution picture, the public one without a description, and the three figures
    assert "hw.ipynb: 1 exercise(s) and 1 written answer(s); 2 of 5 figure(s) described" in out
    assert [line for line in out.splitlines() if "warning" in line] == [
        f"  warning: hw.ipynb, cell {cell}, output {output}: a figure without a description (its alt text is "
        "nbconvert's placeholder); set output.metadata['image/png']['alt'] where it is drawn"
        for cell, output in ((2, 1), (6, 0), (9, 0))]
    student = page(tmp_path / "site", "hw.student.html")
    alts = re.findall(r'<img alt="([^"]*)"[^>]*src="data:image/png', student)
    assert alts == [PLACEHOLDER, DESCRIBED, "The blue bar, &lt;untrained&gt;.", PLACEHOLDER]
    captions = re.findall(r"<figcaption>.*?<p>(.*?)</p>", student, re.S)
    assert captions == [DESCRIBED, "The blue bar, &lt;untrained&gt;."]  # readable under the figure too


def sections_notebook(path):
    return make_notebook(path, extra_cells=[
        new_markdown_cell("## Part $A$: the `code`\n\nText.\n\n### A detail\n\n## Part $A$: the `code`"),
        new_markdown_cell("## The hidden heading of an answer", metadata={"tags": ["solution"]}),
        new_code_cell("show()", execution_count=5, outputs=[new_output(
            "display_data", data={"text/html": "<h2>An output's heading</h2>"})]),
        new_markdown_cell("| | value |\n|---|---|\n| a | 1 |"),
    ])


@pytest.fixture(scope="module")
def two_notebooks(tmp_path_factory):
    folder = tmp_path_factory.mktemp("two")
    sections_notebook(folder / "a.ipynb")
    sections_notebook(folder / "b.ipynb")
    export.export_html([folder], folder / "site")
    return folder / "site"


def test_each_page_lists_its_sections_and_links_them(two_notebooks):
    instructor = page(two_notebooks, "a.instructor.html")
    toc = re.search(r'<nav aria-label="Contents of this notebook" class="labkit-toc">(.*?)</nav>', instructor, re.S)
    entries = re.findall(r'<a href="#([^"]+)">(.*?)</a>', toc.group(1))
    # two headings alike, one under the other; neither the answer's heading nor the output's
    assert entries == [("part-a-the-code", "Part $A$: the <code>code</code>"), ("a-detail", "A detail"),
                       ("part-a-the-code-2", "Part $A$: the <code>code</code>")]
    assert re.search(r"<li><a href=\"#part-a-the-code\">.*?<ol><li><a href=\"#a-detail\">", toc.group(1), re.S)
    for anchor, _ in entries:
        assert instructor.count(f'id="{anchor}"') == 1
    assert "Contents (3 sections)" in toc.group(1)


def test_a_page_without_sections_has_no_contents(site):
    out, _ = site
    assert "labkit-toc" not in page(out, "hw.student.html").split("</style>")[-1]


def test_each_page_links_the_same_version_of_the_notebooks_before_and_after_it(two_notebooks):
    def pager(name):
        nav = re.search(r'<nav aria-label="Previous and next notebook" class="labkit-pager">(.*?)</nav>',
                        page(two_notebooks, name), re.S).group(1)
        return re.findall(r'<a href="([^"]+)"(?: rel="(\w+)")?>([^<]*)</a>', nav)

    title = "A tiny assignment"
    assert pager("a.student.html") == [("index.html", "", "All notebooks"),
                                       ("b.student.html", "next", f"Next: {title} \u2192")]
    assert pager("b.student.html") == [("a.student.html", "prev", f"\u2190 Previous: {title}"),
                                       ("index.html", "", "All notebooks")]
    assert pager("b.instructor.html")[0][:2] == ("a.instructor.html", "prev")


def test_a_skip_link_leads_past_the_header_to_the_notebook(two_notebooks):
    student = page(two_notebooks, "a.student.html")
    body = student[student.index("<body"):]
    first_link = re.search(r"<a [^>]*>", body).group(0)
    assert first_link == '<a class="labkit-skip" href="#labkit-notebook">'
    assert body.index('<main id="labkit-notebook"') > body.index("</header>") > body.index("labkit-toc")


def test_tables_scroll_in_a_box_of_their_own_and_their_empty_corner_is_no_header(two_notebooks):
    student = page(two_notebooks, "a.student.html")
    table = re.search(r'<div class="labkit-scroll">\s*<table>(.*?)</table>\s*</div>', student, re.S).group(1)
    assert re.findall(r"<(th|td)>([^<]*)</\1>", table) == [("td", ""), ("th", "value"), ("td", "a"), ("td", "1")]


def test_a_solution_picture_drawn_as_an_html_img_is_kept_off_the_student_page(tmp_path, capsys):
    drawn = new_output("display_data", data={
        "text/html": f'<img alt="The solution\'s curve." src="data:image/png;base64,{SOLUTION_PICTURE}">'})
    again = new_code_cell("show_again()", execution_count=5, outputs=[new_output(
        "display_data", data={"image/png": SOLUTION_PICTURE, "text/plain": "<Figure>"})])
    src = make_notebook(tmp_path / "hw.ipynb", exercise_outputs=[drawn], extra_cells=[again])
    assert main(["export", "html", str(tmp_path / "site"), str(src)]) == 0
    assert "student page leaves out the outputs of cell(s) 7" in capsys.readouterr().out
    assert SOLUTION_PICTURE not in page(tmp_path / "site", "hw.student.html")

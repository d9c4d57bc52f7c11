"""The notebooks as a static web site: an index, and each notebook as a student and an instructor page.

- A **student page** is the student release of the notebook (``assignments.student_version``: solution
  regions stubbed, written answers replaced by the placeholder) with the outputs of every other cell put
  back, except those of checks and of cells that run the exercises' code (``with uses(...)``). An output
  that the leak scan finds a piece of a solution in is left out, with a note; the pages are then scanned
  like a release, and any other leak stops the export before anything is written.
- An **instructor page** shows the notebook as it is, outputs included, with each solution region and
  each written answer folded in a ``<details>`` block ("Solution"), closed until clicked.

nbconvert renders the cells. The maths is typeset in the browser by MathJax 2.7, copied into the site
from the ``jupyter-server-mathjax`` package; pictures are embedded as data URIs and every link is
relative, so the site needs no internet and works from ``file://``.
"""

from __future__ import annotations

import copy
import html
import importlib.util
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import nbformat

from . import assignments

MARKER = ".labkit-site"  # in every site folder, so that an export replaces only a folder it wrote itself
MATHJAX_DIR = "mathjax"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("<p class=\"labkit-note\">An interactive explorer runs here in the notebook: "
               "open the notebook in JupyterLab to use it.</p>")
DROPPED_NOTE = ("<p class=\"labkit-note\">This output is left out of the student version: "
                "it shows part of a solution.</p>")

MATHJAX_CONFIG = r"""MathJax.Hub.Config({
  tex2jax: {inlineMath: [["$", "$"], ["\\(", "\\)"]], displayMath: [["$$", "$$"], ["\\[", "\\]"]],
            processEscapes: true, processEnvironments: true},
  TeX: {equationNumbers: {autoNumber: "AMS", useLabelIds: true}},
  MMLorHTML: {prefer: "HTML"},
  "HTML-CSS": {availableFonts: [], preferredFont: null, webFont: "STIX-Web", imageFont: null,
               linebreaks: {automatic: true}},
  displayAlign: "center", messageStyle: "none"
});
MathJax.Hub.Register.StartupHook("End", function () {  // the first typesetting is over (tests wait for this)
  document.documentElement.setAttribute("data-mathjax", "typeset");
});"""

# Math inside a <details> is typeset while it is closed, so it is measured again when it opens.
RERENDER_ON_OPEN = """document.addEventListener("toggle", function (event) {
  if (event.target.open && window.MathJax && MathJax.Hub) {
    MathJax.Hub.Queue(["Rerender", MathJax.Hub, event.target]);
  }
}, true);"""

PAGE_CSS = """
main { max-width: 1040px; margin: 0 auto; padding: 0 16px 48px; }
.labkit-bar { max-width: 1040px; margin: 0 auto; padding: 12px 16px; font-family: var(--jp-ui-font-family);
  font-size: 14px; display: flex; gap: 16px; align-items: baseline; flex-wrap: wrap; }
.labkit-bar a { color: #1a5fb4; }
.labkit-bar .labkit-version { font-weight: 600; }
.labkit-banner { max-width: 1008px; margin: 0 auto 8px; padding: 8px 16px; border-radius: 6px;
  font-family: var(--jp-ui-font-family); font-size: 14px; background: #fff4e0; border: 1px solid #f0c36d; }
details.labkit-solution { margin: 4px 0; border: 1px solid #9ccc9c; border-left: 5px solid #2e7d32;
  border-radius: 4px; background: #f5faf5; }
details.labkit-solution > summary { cursor: pointer; padding: 4px 10px; font-family: var(--jp-ui-font-family);
  font-size: 14px; font-weight: 600; color: #1b5e20; }
details.labkit-solution[open] > summary { border-bottom: 1px solid #cfe3cf; }
details.labkit-answer { margin: 4px var(--jp-cell-padding) 4px
  calc(var(--jp-cell-prompt-width) + var(--jp-cell-padding) + 12px); }  /* lined up with the code cells */
details.labkit-answer .jp-InputPrompt { display: none; }
details.labkit-solution > .jp-Cell-outputWrapper { padding: 0 6px; }
.labkit-parts .highlight pre { margin: 0; }
.labkit-parts details.labkit-solution .highlight { background: transparent; }
.labkit-note { font-family: var(--jp-ui-font-family); font-size: 13px; font-style: italic; color: #555; }
.jp-OutputArea-output img { max-width: 100%; height: auto; }
"""

TEMPLATE = """{%- extends 'index.html.j2' -%}
{#- nbconvert's lab page, with nothing fetched from the internet and solutions folded for instructors -#}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_js_mathjax -%}
<script type="text/x-mathjax-config">
{{ resources.labkit.mathjax_config }}
</script>
<script src="{{ resources.labkit.mathjax_url }}"></script>
<script>
{{ resources.labkit.rerender }}
</script>
{%- endblock html_head_js_mathjax -%}
{%- block extra_css -%}
<style type="text/css">{{ resources.labkit.css }}</style>
{%- endblock extra_css -%}

{%- block body_header -%}
{{ super() }}
<nav class="labkit-bar">{{ resources.labkit.nav }}</nav>
{%- if resources.labkit.banner %}<div class="labkit-banner">{{ resources.labkit.banner }}</div>{% endif -%}
{%- endblock body_header -%}

{% block markdowncell scoped %}
{%- if resources.labkit.instructor and 'solution' in cell.metadata.get('tags', []) -%}
<details class="labkit-solution labkit-answer"><summary>Solution (written answer)</summary>
{{ super() }}
</details>
{%- else -%}
{{ super() }}
{%- endif -%}
{% endblock markdowncell %}

{% block input %}
{%- if cell.metadata.get('labkit_parts') -%}
<div class="jp-CodeMirrorEditor jp-Editor jp-InputArea-editor labkit-parts" data-type="inline">
<div class="cm-editor cm-s-jupyter">
{%- for kind, code in cell.metadata.labkit_parts -%}
{%- if kind == 'solution' %}
<details class="labkit-solution"><summary>Solution</summary>
{{ code | highlight_code(metadata=cell.metadata) | clean_html }}
</details>
{%- else %}
{{ code | highlight_code(metadata=cell.metadata) | clean_html }}
{%- endif -%}
{%- endfor %}
</div>
</div>
{%- else -%}
{{ super() }}
{%- endif -%}
{% endblock input %}

{% block output_group %}
{%- if cell.metadata.get('labkit_parts') and cell.outputs -%}
<details class="labkit-solution"><summary>Output of the solution</summary>
{{ super() }}
</details>
{%- else -%}
{{ super() }}
{%- endif -%}
{% endblock output_group %}
"""

INDEX_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color: #1f2328; background: #fafafa; margin: 0; line-height: 1.5; }
main { max-width: 860px; margin: 0 auto; padding: 32px 20px 64px; }
h1 { font-size: 28px; margin: 0 0 4px; }
p.lead { color: #555; margin: 0 0 28px; }
ol.notebooks { list-style: none; padding: 0; margin: 0; }
ol.notebooks li { background: #fff; border: 1px solid #d8dee4; border-radius: 8px; padding: 14px 18px;
  margin: 0 0 12px; }
ol.notebooks .title { font-size: 18px; font-weight: 600; margin: 0 0 6px; }
ol.notebooks .links a { display: inline-block; margin-right: 18px; color: #1a5fb4; text-decoration: none; }
ol.notebooks .links a:hover { text-decoration: underline; }
ol.notebooks .links { margin: 0 0 4px; }
ol.notebooks .facts { color: #57606a; font-size: 14px; margin: 0; }
footer { color: #57606a; font-size: 13px; margin-top: 32px; }
"""


class ExportLeakError(assignments.LeakError):
    """The student pages would contain solution content; nothing was written."""

    def __init__(self, leaks: list[assignments.Leak]):
        super().__init__(leaks, "the student pages would leak {n} piece(s) of solution, so nothing was written")


@dataclass
class PageSummary:
    """What the export did with one notebook."""

    notebook: str
    title: str
    exercises: int
    answers: int
    dropped_outputs: list[int] = field(default_factory=list)  # cells whose outputs students do not see

    @property
    def stem(self) -> str:
        return Path(self.notebook).stem

    def __str__(self) -> str:
        text = f"{self.notebook}: {self.exercises} exercise(s) and {self.answers} written answer(s)"
        if self.dropped_outputs:
            cells = ", ".join(map(str, self.dropped_outputs))
            text += f"; student page leaves out the outputs of cell(s) {cells} (they show part of a solution)"
        return text


def student_page_name(stem: str) -> str:
    return f"{stem}.student.html"


def instructor_page_name(stem: str) -> str:
    return f"{stem}.instructor.html"


# -- the two versions of a notebook --------------------------------------------------------------------


def title_of(nb, default: str) -> str:
    """The first Markdown heading of the notebook (never one of a written answer), without its #s; else ``default``."""
    for cell in nb.cells:
        if cell.cell_type != "markdown" or assignments.is_answer(cell):
            continue
        for line in cell.source.splitlines():
            if match := re.match(r"\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", line):
                return re.sub(r"[*_`]", "", match.group(1)) or default
    return default


def _is_solution_cell(cell) -> bool:
    return assignments.is_exercise(cell) or assignments.is_answer(cell)


def _static_outputs(outputs: list) -> list:
    """Outputs as a static page can show them: a widget becomes a note to open the notebook."""
    shown = []
    for output in outputs:
        if WIDGET_VIEW in output.get("data", {}):
            output = nbformat.v4.new_output("display_data", data={"text/html": WIDGET_NOTE})
        shown.append(output)
    return shown


def _runs_solutions(cell) -> bool:
    """A check, or a cell that runs the exercises' code (``with uses(...)``): its output is what the instructors'
    solutions produce, and under a student's stub it would claim a result the student has not reached."""
    return assignments.is_check(cell) or "with uses(" in cell.source


def student_notebook(nb, path) -> tuple[nbformat.NotebookNode, int, int]:
    """The student release of nb, with the outputs and prompts of every cell that neither is a solution nor runs one."""
    student, exercises, answers = assignments.student_version(nb, path)
    for kept, source in zip(student.cells, nb.cells):
        if source.cell_type == "code" and not _is_solution_cell(source) and not _runs_solutions(source):
            kept.outputs = copy.deepcopy(source.outputs)
            kept.execution_count = source.execution_count
    return student, exercises, answers


def drop_outputs(student, cells: set[int]) -> None:
    """Replace the outputs of the given cells by a note saying why they are missing."""
    for index in cells:
        student.cells[index].outputs = [nbformat.v4.new_output("display_data", data={"text/html": DROPPED_NOTE})]


def instructor_notebook(nb, path) -> nbformat.NotebookNode:
    """nb with each exercise's source cut into public code and solution regions (markers dropped) for the page."""
    nb = copy.deepcopy(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        regions = assignments.solution_regions(cell.source, path, index)
        if not regions:
            continue
        lines = cell.source.splitlines()
        parts, start = [], 0
        for begin, end in regions:
            parts += [("code", lines[start:begin]), ("solution", lines[begin + 1 : end])]
            start = end + 1
        parts.append(("code", lines[start:]))
        cell.metadata["labkit_parts"] = [(kind, "\n".join(chunk)) for kind, chunk in parts if chunk]
    return nb


def _for_the_page(nb, title: str) -> nbformat.NotebookNode:
    """Widget outputs as notes, no widget state (a static page cannot run it), the title set."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    nb.metadata["title"] = title
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = _static_outputs(cell.outputs)
    return nb


# -- rendering ------------------------------------------------------------------------------------------


def mathjax_folder() -> Path:
    """MathJax's static files, as the ``jupyter-server-mathjax`` package installs them."""
    spec = importlib.util.find_spec("jupyter_server_mathjax")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("MathJax is missing: install the package jupyter-server-mathjax "
                                "(`make install` or `pip install -e .` does).")
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    if not (folder / "MathJax.js").is_file():
        raise FileNotFoundError(f"MathJax.js is missing from {folder}: reinstall jupyter-server-mathjax.")
    return folder


def copy_mathjax(target: Path) -> None:
    """The parts of MathJax the pages use: TeX input, HTML-CSS output, STIX fonts, English only."""
    def ignore(folder: str, names: list[str]) -> set[str]:
        relative = Path(folder).relative_to(source).as_posix()
        skip = {"a11y"} if relative == "extensions" else set()
        if relative == "localization":
            skip = {name for name in names if name != "en"}
        if relative == "jax/output":
            skip = {"SVG"}  # fonts only, without the SVG output jax: unusable
        return skip | {name for name in names if name in ("__pycache__", "tests")}

    source = mathjax_folder()
    shutil.copytree(source, target, ignore=ignore)


class _Renderer:
    """One nbconvert exporter, reused for every page."""

    def __init__(self) -> None:
        from jinja2 import DictLoader
        from nbconvert import HTMLExporter

        self.exporter = HTMLExporter(template_name="lab", template_file="labkit_page.html.j2",
                                     extra_loaders=[DictLoader({"labkit_page.html.j2": TEMPLATE})],
                                     embed_images=True, exclude_anchor_links=True)

    def render(self, nb, path: Path, *, instructor: bool, nav: str, banner: str) -> str:
        resources = {
            "metadata": {"name": path.stem, "path": str(path.parent)},
            "labkit": {
                "instructor": instructor, "nav": nav, "banner": banner, "css": PAGE_CSS,
                "mathjax_config": MATHJAX_CONFIG, "rerender": RERENDER_ON_OPEN,
                "mathjax_url": f"{MATHJAX_DIR}/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe",
            },
        }
        body, _ = self.exporter.from_notebook_node(nb, resources=resources)
        return body


def _nav(summary: PageSummary, current: str, student_only: bool) -> str:
    links = ['<a href="index.html">&larr; All notebooks</a>']
    versions = [("student", "Student version", student_page_name(summary.stem))]
    if not student_only:
        versions.append(("instructor", "Instructor version (with solutions)", instructor_page_name(summary.stem)))
    for name, label, href in versions:
        if name == current:
            links.append(f'<span class="labkit-version">{label}</span>')
        else:
            links.append(f'<a href="{quote(href)}">{label}</a>')
    return " ".join(links)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def index_page(summaries: list[PageSummary], student_only: bool) -> str:
    items = []
    for s in summaries:
        links = f'<a href="{quote(student_page_name(s.stem))}">Student version</a>'
        if not student_only:
            links += f'<a href="{quote(instructor_page_name(s.stem))}">Instructor version (with solutions)</a>'
        facts = f"{_count(s.exercises, 'exercise')}, {_count(s.answers, 'written answer')} &middot; " \
                f"{html.escape(s.notebook)}"
        items.append(f'<li><p class="title">{html.escape(s.title)}</p>\n<p class="links">{links}</p>\n'
                     f'<p class="facts">{facts}</p></li>')
    audience = ("the student versions: exercises to fill in, written answers to give"
                if student_only else "a student version (exercises to fill in) and an instructor version "
                "(solutions folded, click to open)")
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="labkit export html">
<title>labkit notebooks: backpropagation and regularization</title>
<style>{INDEX_CSS}</style>
</head>
<body>
<main>
<h1>Backpropagation and regularization, by hand</h1>
<p class="lead">The labkit notebooks, each as {audience}. To run a notebook, open it in JupyterLab.</p>
<ol class="notebooks">
{chr(10).join(items)}
</ol>
<footer>Written by <code>labkit export html</code>. MathJax is included, so these pages work offline.</footer>
</main>
</body>
</html>
"""


# -- the leak scan ------------------------------------------------------------------------------------------


class _VisibleText(HTMLParser):
    """The text a reader sees on a page (tags gone, entities decoded), for the leak scan."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _VisibleText()
    parser.feed(page)
    parser.close()
    return "".join(parser.parts)


def _leaking_outputs(leaks: list[assignments.Leak], students: dict[str, nbformat.NotebookNode]) -> dict:
    """{notebook file: cells} whose outputs (not their source) hold what the scan found."""
    found: dict[str, set[int]] = {}
    for leak in leaks:
        nb = students.get(leak.file)
        if nb is None or leak.cell is None:
            continue
        cell = nb.cells[leak.cell]
        if cell.cell_type == "code" and cell.outputs and leak.text not in cell.source:
            found.setdefault(leak.file, set()).add(leak.cell)
    return found


# -- the site -------------------------------------------------------------------------------------------------


def export_html(paths, out, *, student_only: bool = False) -> list[PageSummary]:
    """Write the site for the notebooks in ``paths`` into ``out``; returns one summary per notebook.

    The site is built in a temporary folder next to ``out`` and replaces ``out`` only when the student
    pages pass the leak scan. ``out`` must be missing, empty, or a site written by this function.
    """
    out = Path(out)
    sources = {path: assignments.read_notebook(path) for path in assignments.notebook_paths(paths)}
    if not sources:
        raise ValueError("no notebooks to export.")
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise ValueError(f"{out} exists and is not a site written by labkit: choose a new or empty folder.")
    mathjax_folder()  # fail early, before any work

    staging = _new_folder(out, "staging")
    try:
        summaries = _build(sources, staging, student_only)
        (staging / MARKER).write_text("written by `labkit export html`; the next export replaces this folder\n")
        _replace(out, staging)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return summaries


def _build(sources: dict, staging: Path, student_only: bool) -> list[PageSummary]:
    scan = staging / ".scan"  # what the scan reads: student notebooks, their pages and text, the index
    scan.mkdir()
    students, summaries = {}, []
    for path, nb in sources.items():
        student, exercises, answers = student_notebook(nb, path)
        students[path.name] = student
        summaries.append(PageSummary(path.name, title_of(nb, path.stem), exercises, answers))
        nbformat.write(student, scan / path.name)

    # First pass: outputs of cells that are not solutions, but show a piece of one, are left out.
    leaking = _leaking_outputs(assignments.scan_for_leaks(scan, sources), students)
    for summary in summaries:
        if cells := leaking.get(summary.notebook):
            drop_outputs(students[summary.notebook], cells)
            nbformat.write(students[summary.notebook], scan / summary.notebook)
            summary.dropped_outputs = sorted(cells)

    renderer = _Renderer()
    for (path, nb), summary in zip(sources.items(), summaries):
        student = _for_the_page(students[path.name], f"{summary.title} (student version)")
        page = renderer.render(student, path, instructor=False, nav=_nav(summary, "student", student_only),
                               banner="")
        name = student_page_name(summary.stem)
        (staging / name).write_text(page, encoding="utf-8")
        (scan / name).write_text(page, encoding="utf-8")
        (scan / f"{name}.txt").write_text(visible_text(page), encoding="utf-8")
        if not student_only:
            instructor = _for_the_page(instructor_notebook(nb, path), f"{summary.title} (instructor version)")
            banner = ("Instructor version: every solution is folded below a <b>Solution</b> bar; click it to open. "
                      "Publish only the student pages to students.")
            page = renderer.render(instructor, path, instructor=True,
                                   nav=_nav(summary, "instructor", student_only), banner=banner)
            (staging / instructor_page_name(summary.stem)).write_text(page, encoding="utf-8")

    index = index_page(summaries, student_only)
    (staging / "index.html").write_text(index, encoding="utf-8")
    (scan / "index.html").write_text(index, encoding="utf-8")
    leaks = assignments.scan_for_leaks(scan, sources)
    if leaks:
        raise ExportLeakError(leaks)
    shutil.rmtree(scan)
    copy_mathjax(staging / MATHJAX_DIR)
    return summaries


def _replace(out: Path, staging: Path) -> None:
    """Put the staged site in the place of ``out`` (an earlier site or an empty folder)."""
    if not out.exists():
        os.replace(staging, out)
        return
    old = _new_folder(out, "old")
    os.replace(out, old / out.name)
    try:
        os.replace(staging, out)
    except BaseException:
        os.replace(old / out.name, out)
        raise
    finally:
        shutil.rmtree(old, ignore_errors=True)


def _new_folder(out: Path, purpose: str) -> Path:
    """A hidden folder next to ``out``, made with mkdir so that it follows the umask (mkdtemp's is private)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    folder = out.parent / f".{out.name}.{purpose}-{secrets.token_hex(6)}"
    folder.mkdir()
    return folder

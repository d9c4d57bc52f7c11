"""The notebooks as a static web site: an index, and each notebook as a student and an instructor page.

- A **student page** is the student release of the notebook (``assignments.student_version``: solution
  regions stubbed, written answers replaced by the placeholder) with the outputs of every other cell put
  back, except those of checks and of cells that run the exercises' code (``with uses(...)``). One leak
  scan searches each student notebook and each page, in memory, for the solutions: an output that shows a
  piece of one is left out, with a note, and any other leak stops the export before anything is written.
- An **instructor page** shows the notebook as it is, outputs included, with each solution region and
  each written answer folded in a ``<details>`` block ("Solution"), closed until clicked.

nbconvert renders the cells, with the template, CSS and scripts in ``site/`` beside this module (package
data). The maths is typeset in the browser by MathJax 2.7, copied into the site from the
``jupyter-server-mathjax`` package; pictures are embedded as data URIs and every link is relative, so the
site needs no internet and works from ``file://``.
"""

from __future__ import annotations

import copy
import importlib.util
import os
import re
import secrets
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import nbformat

from . import assignments, figures
from .figures import Figure

MARKER = ".labkit-site"  # in every site folder, so that an export replaces only a folder it wrote itself
MATHJAX_DIR = "mathjax"
SITE_FILES = "site"  # the templates, CSS and scripts of the pages, beside this module
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_NOTE = ("<p class=\"labkit-note\">An interactive explorer runs here in the notebook: "
               "open the notebook in JupyterLab to use it.</p>")
DROPPED_NOTE = ("<p class=\"labkit-note\">This output is left out of the student version: "
                "it shows part of a solution.</p>")


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
    figures: list[Figure] = field(default_factory=list)  # the pictures among the notebook's outputs

    @property
    def stem(self) -> str:
        return Path(self.notebook).stem

    @property
    def undescribed(self) -> list[Figure]:
        return [figure for figure in self.figures if figure.description is None]

    def __str__(self) -> str:
        text = f"{self.notebook}: {self.exercises} exercise(s) and {self.answers} written answer(s)"
        if self.dropped_outputs:
            cells = ", ".join(map(str, self.dropped_outputs))
            text += f"; student page leaves out the outputs of cell(s) {cells} (they show part of a solution)"
        if self.figures:
            text += f"; {len(self.figures) - len(self.undescribed)} of {len(self.figures)} figure(s) described"
        for figure in self.undescribed:
            text += (f"\n  warning: {self.notebook}, {figure}: a figure without a description (its alt text is "
                     "nbconvert's placeholder); set output.metadata['image/png']['alt'] where it is drawn")
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
    """Widget outputs as notes, no widget state (a static page cannot run it), every figure a PNG output with its
    description in the metadata (the one form the template draws), the title set."""
    nb = copy.deepcopy(nb)
    nb.metadata.pop("widgets", None)
    nb.metadata["title"] = title
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [figures.as_image_output(output) for output in _static_outputs(cell.outputs)]
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


def _site_files():
    """The site's templates, CSS and scripts (``labkit/tools/site/``), wherever the package is installed."""
    from jinja2 import PackageLoader

    return PackageLoader(__package__, SITE_FILES)


class _Renderer:
    """One nbconvert exporter with labkit's page template (``site/page.html.j2``), reused for every page."""

    def __init__(self) -> None:
        from jinja2 import PrefixLoader
        from nbconvert import HTMLExporter

        # under a prefix, so that no file of ours can stand in for one of nbconvert's templates
        loader = PrefixLoader({"labkit": _site_files()})
        self.exporter = HTMLExporter(template_name="lab", template_file="labkit/page.html.j2",
                                     extra_loaders=[loader], embed_images=True, exclude_anchor_links=True)

    def render(self, nb, path: Path, links: dict) -> str:
        """The page of nb; ``links`` are what the template's ``resources.labkit`` holds besides MathJax's address."""
        resources = {
            "metadata": {"name": path.stem, "path": str(path.parent)},
            "labkit": {**links, "mathjax_url": f"{MATHJAX_DIR}/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full,Safe"},
        }
        body, _ = self.exporter.from_notebook_node(nb, resources=resources)
        return finish_page(body)


def _links(summaries: list[PageSummary], number: int, version: str, student_only: bool) -> dict:
    """What a page links to: the versions of its notebook (its own without a link), and the same version's pages
    of the notebooks before and after it, as (title, href) (None at either end)."""
    names = {"student": student_page_name, "instructor": instructor_page_name}
    labels = {"student": "Student version", "instructor": "Instructor version (with solutions)"}
    shown = ["student"] if student_only else ["student", "instructor"]
    stem = summaries[number].stem
    neighbours = {side: (summaries[i].title, names[version](summaries[i].stem)) if 0 <= i < len(summaries) else None
                  for side, i in (("previous", number - 1), ("next", number + 1))}
    return {"instructor": version == "instructor", **neighbours,
            "versions": [(labels[v], None if v == version else names[v](stem)) for v in shown]}


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def index_page(summaries: list[PageSummary], student_only: bool) -> str:
    from jinja2 import Environment

    environment = Environment(loader=_site_files(), autoescape=True, keep_trailing_newline=True)
    pages = [{"title": s.title, "notebook": s.notebook, "student": student_page_name(s.stem),
              "instructor": instructor_page_name(s.stem),
              "facts": f"{_count(s.exercises, 'exercise')}, {_count(s.answers, 'written answer')}"}
             for s in summaries]
    return environment.get_template("index.html.j2").render(pages=pages, student_only=student_only)


# -- what nbconvert's page lacks ---------------------------------------------------------------------------


def finish_page(page: str) -> str:
    """The rendered page with an anchor on each section heading and its table of contents filled in, each Markdown
    table in a box of its own that scrolls sideways on a narrow screen, and no header cell that is empty."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(page, "html.parser")
    _fill_contents(soup)
    for table in soup.select(".jp-RenderedMarkdown table"):
        table.wrap(soup.new_tag("div", attrs={"class": "labkit-scroll"}))  # page.js makes it focusable if it scrolls
    for cell in soup.select("th"):
        if not cell.get_text(strip=True) and not cell.find(True):
            cell.name = "td"  # the corner of a table labels nothing: a header cell there is announced empty
    return str(soup)


def _fill_contents(soup) -> None:
    """Give each section heading (levels 2 and 3 of the notebook's own Markdown, not of a folded answer or an
    output) an id, and list them in nav.labkit-toc, level 3 nested under level 2; no headings, no contents."""
    nav = soup.select_one("nav.labkit-toc")
    headings = [h for h in soup.select("main .jp-MarkdownCell h2, main .jp-MarkdownCell h3")
                if h.find_parent("details") is None]
    if not headings:
        nav.decompose()
        return
    details = soup.new_tag("details")
    details.append(soup.new_tag("summary", string=f"Contents ({len(headings)} sections)"))
    outer = soup.new_tag("ol")
    details.append(outer)
    nav.append(details)
    taken = {tag["id"] for tag in soup.select("[id]")}
    section = None  # the item of the last level-2 heading, which a level-3 one goes under
    for heading in headings:
        heading["id"] = _anchor(heading.get_text(" ", strip=True), taken)
        link = soup.new_tag("a", href=f"#{heading['id']}")
        link.extend([copy.copy(child) for child in heading.contents])
        item = soup.new_tag("li")
        item.append(link)
        if heading.name == "h3" and section is not None:
            if section.ol is None:
                section.append(soup.new_tag("ol"))
            section.ol.append(item)
        else:
            outer.append(item)
            section = item


def _anchor(text: str, taken: set[str]) -> str:
    """An id made of the heading's words, unique on the page."""
    base = "-".join(re.findall(r"[a-z0-9]+", text.lower())) or "section"
    anchor, n = base, 1
    while anchor in taken:
        n += 1
        anchor = f"{base}-{n}"
    taken.add(anchor)
    return anchor


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
    """Write the pages into ``staging``; raise ExportLeakError, having written only there, if a student page leaks.

    Each student notebook and each page it becomes is searched once, in memory, by one ``LeakScan``. An output that
    shows a piece of a solution (in a cell that is none) is left out of the page; any other leak stops the export.
    """
    scan = assignments.LeakScan(sources)
    leaks, summaries, students = [], [], []
    for path, nb in sources.items():
        student, exercises, answers = student_notebook(nb, path)
        summary = PageSummary(path.name, title_of(nb, path.stem), exercises, answers, figures=figures.figures(nb))
        found = scan.notebook(path.name, student)
        summary.dropped_outputs = sorted({leak.cell for leak in found if leak.in_output and leak.cell is not None})
        drop_outputs(student, set(summary.dropped_outputs))
        leaks += [leak for leak in found if not leak.in_output]
        summaries.append(summary)
        students.append(student)

    renderer = _Renderer()
    for number, ((path, nb), summary, student) in enumerate(zip(sources.items(), summaries, students)):
        page = renderer.render(_for_the_page(student, f"{summary.title} (student version)"), path,
                               _links(summaries, number, "student", student_only))
        name = student_page_name(summary.stem)
        leaks += scan.text(name, page) + scan.text(f"{name}.txt", visible_text(page))
        (staging / name).write_text(page, encoding="utf-8")
        if not student_only:
            instructor = _for_the_page(instructor_notebook(nb, path), f"{summary.title} (instructor version)")
            page = renderer.render(instructor, path, _links(summaries, number, "instructor", student_only))
            (staging / instructor_page_name(summary.stem)).write_text(page, encoding="utf-8")

    index = index_page(summaries, student_only)
    leaks += scan.text("index.html", index)
    if leaks:
        raise ExportLeakError(leaks)
    (staging / "index.html").write_text(index, encoding="utf-8")
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

"""The text alternatives of the notebooks' figures, as the web site needs them.

A figure's description is written where the figure is drawn, and reaches a notebook output in one of two forms:

- an ``image/png`` output whose metadata carries it, ``output.metadata["image/png"]["alt"]`` (the key nbconvert's
  classic template reads);
- a ``text/html`` output that is one ``<img alt="..." src="data:image/png;base64,...">`` (JupyterLab's PNG
  renderer sets no alt text, its HTML renderer keeps it), often with the description as ``text/plain`` beside it.

``as_image_output`` turns the second form into the first, so that the page template draws every figure one way.
A figure with neither has no description; ``figures`` lists every figure of a notebook with its description, for
the export to count and report.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from html.parser import HTMLParser

import nbformat

PNG_URI = "data:image/png;base64,"


@dataclass
class Figure:
    """One picture among a notebook's outputs."""

    cell: int
    output: int
    description: str | None  # None when the notebook gives none

    def __str__(self) -> str:
        return f"cell {self.cell}, output {self.output}"


class _LoneImage(HTMLParser):
    """The attributes of an HTML fragment that is exactly one <img> and nothing else (else None)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.attributes: dict[str, str] | None = None
        self.other = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and self.attributes is None:
            self.attributes = {name: value or "" for name, value in attrs}
        else:
            self.other = True

    def handle_endtag(self, tag: str) -> None:
        self.other = True

    def handle_data(self, data: str) -> None:
        self.other = self.other or bool(data.strip())


def _html_image(output) -> dict[str, str] | None:
    """The <img>'s attributes when the output's HTML is one PNG picture embedded as a data URI."""
    html = output.get("data", {}).get("text/html")
    if html is None:
        return None
    parser = _LoneImage()
    parser.feed(html if isinstance(html, str) else "".join(html))
    parser.close()
    image = parser.attributes
    if parser.other or image is None or not image.get("src", "").startswith(PNG_URI):
        return None
    return image


def _clean(text) -> str | None:
    """The text on one line, or None when there is none (an empty alt describes nothing)."""
    if not isinstance(text, str):
        return None
    return " ".join(text.split()) or None


def description(output) -> str | None:
    """The figure's text alternative, from the metadata of a PNG output or the alt of an HTML <img>; None if empty."""
    if (image := _html_image(output)) is not None:
        return _clean(image.get("alt"))
    return _clean(output.get("metadata", {}).get("image/png", {}).get("alt"))


def png_data(output) -> str | None:
    """The base64 PNG the output shows, as a PNG output or as an HTML <img>; None if it shows no picture."""
    if (image := _html_image(output)) is not None:
        return image["src"].removeprefix(PNG_URI)
    return output.get("data", {}).get("image/png")


def is_figure(output) -> bool:
    return png_data(output) is not None


def as_image_output(output):
    """An HTML output that is one embedded PNG, as the PNG output it stands for (description, size kept)."""
    image = _html_image(output)
    if image is None:
        return output
    png = {key: image[key] for key in ("width", "height") if image.get(key)}
    if alt := description(output):
        png["alt"] = alt
    converted = copy.deepcopy(output)  # its output type, and an execute_result's execution count, stay
    converted.data = nbformat.from_dict({"image/png": png_data(output)})
    converted.metadata = nbformat.from_dict({"image/png": png})
    return converted


def figures(nb) -> list[Figure]:
    """Every figure among the outputs of nb's code cells, in order, with its description."""
    return [Figure(index, number, description(output)) for index, cell in enumerate(nb.cells)
            if cell.cell_type == "code" for number, output in enumerate(cell.outputs) if is_figure(output)]


"""Drawing a recorded step: the network diagram with the step's layers highlighted, and its arrays.

Every array is a heat map (vermillion > 0, blue < 0) at one cell size for the whole trace, so shapes
compare at a glance (dE/dW_l is the size of W_l), with its values written in when it is small.
``step_description`` says the same in words: the figure's description (``labkit.plots.description``) is it.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from ..plots import BLUE, CLASS_CMAP, GREEN_TEXT, GREY, GREY_TEXT, VERMILLION, VERMILLION_TEXT, describe, node_positions
from .record import Step, Trace, shape_text

HIGHLIGHT, HIGHLIGHT_NODE = "#FFEDB3", "#F5C242"
MAX_WRITTEN = 64  # arrays with at most this many entries get their values written in
MONO_ADVANCE = 0.602  # width of a character of DejaVu Sans Mono, in ems: a 7-character field spans one cell
LABEL_PX, GAP_PX = 92, 24  # the narrowest slot a panel gets (room for its title), the gap for an operator


def as_grid(value: np.ndarray) -> np.ndarray:
    """Any array as the 2-D grid a heat map shows: a vector (n,) as one row, a scalar as one cell."""
    value = np.asarray(value, dtype=np.float64)
    return value.reshape(1, -1) if value.ndim < 2 else value.reshape(value.shape[0], -1)


def number(v: float) -> str:
    """A value in at most five characters, for a heat-map cell: -0.12, 3.40, -12.3, 2e-3."""
    if not np.isfinite(v):
        return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")
    if v == 0 or 0.01 <= abs(v) < 10:
        return f"{v:.2f}"
    if 10 <= abs(v) < 100:
        return f"{v:.1f}"
    return f"{v:.0e}".replace("e-0", "e-").replace("e+0", "e")


def _gap(op: str) -> float:
    """Pixels between two panels: room for the operator drawn there ("·", "tanh →", "Σ rows →")."""
    return GAP_PX + 7.0 * max(len(op) - 2, 0)


def step_description(trace: Trace, index: int, gradients: bool = False) -> str:
    """Step ``index`` in words: where it is, what it computes, the arrays it shows with their shapes (and values when
    they are few), and its check."""
    step = trace[index]
    first, last = step.columns
    L = len(trace.layer_sizes) - 1
    names = ["the inputs"] + [f"layer {l}" for l in range(1, L + 1)] + ["the loss"]
    lit = names[first] if first == last else f"{names[first]} to {names[last]}"

    def array(term) -> str:
        value = np.asarray(term.value, dtype=np.float64)
        shown = f" = [{', '.join(number(v) for v in value.ravel())}]" if value.size <= 4 else ""
        return f"{term.label} {shape_text(term.value)}{shown}"

    check = ""
    if step.checked:
        verdict = ("the shape is wrong" if step.error == np.inf else
                   f"relative error {step.error:.0e}, " + ("parts" if step.wrong else "agrees"))
        check = (f" Checked against {step.against}: {verdict}"
                 + ("; the first step that parts." if index == trace.first_wrong else "."))
    edges = "dE/dW, dotted where not yet computed" if gradients else "W, vermillion > 0, blue < 0"
    return (f"Step {index + 1} of {len(trace)}, {step.phase}, {step.where}: {step.title}. The network diagram "
            f"highlights {lit}; its edges show {edges}. Arrays: {'; '.join(array(t) for t in step.terms)}.{check}")


def readout(step: Step) -> tuple[str, str]:
    """The check readout under a step's counterpart panel, and its colour (a shade dark enough for text)."""
    if step.error is None:
        return "", GREY_TEXT
    if step.error == np.inf:
        return "wrong shape ✗", VERMILLION_TEXT
    return (f"rel. error {step.error:.0e} " + ("✗" if step.wrong else "✓"),
            VERMILLION_TEXT if step.wrong else GREEN_TEXT)


class StepView:
    """Draws the steps of a trace into a rectangle (left, bottom, width, height) of a figure, in figure fractions;
    with ``header``, the step's title and equation above the picture (the widget shows them as HTML). The artists
    are laid out for the first trace shown and then only updated: a trace of other shapes needs a new StepView."""

    def __init__(self, figure: Figure, rect: tuple[float, float, float, float] = (0, 0, 1, 1),
                 header: bool = False):
        self.figure, self.rect, self.header, self.built = figure, rect, header, False

    def show(self, trace: Trace, index: int, gradients: bool = False) -> None:
        """Show step ``index`` of ``trace``; ``gradients``: the edges show dE/dW_l instead of W_l."""
        if not self.built:
            self._build(trace)
            self.built = True
        step = trace[index]
        self._show_diagram(trace, index, step, gradients)
        self._show_panels(step)
        self.sentence.text = step_description(trace, index, gradients)
        first = index == trace.first_wrong
        self.frame.set_visible(first)
        if self.header:
            self.title.set(text=f"{index + 1}. {step.phase}, {step.where}", color=VERMILLION if first else "k")
            self.equation.set_text(f"${step.equation}$")
            self.marker.set_text(f"✗ the first step that parts from {step.against}" if first else "")

    # -- building ------------------------------------------------------------------------------

    def _build(self, trace: Trace) -> None:
        left, bottom, width, height = self.rect
        self.sentence = describe(self.figure, "")
        body = height * (0.8 if self.header else 1.0)
        self._build_diagram(trace, (left + 0.005 * width, bottom + 0.03 * body, 0.22 * width, 0.94 * body))
        self._build_panels(trace, left + 0.235 * width, 0.76 * width, bottom, body)
        self.frame = self.figure.add_artist(Rectangle((left + 0.001, bottom + 0.002), width - 0.002, height - 0.004,
                                                      transform=self.figure.transFigure, fill=False, ec=VERMILLION,
                                                      lw=2.5, visible=False))
        if self.header:
            y, text = bottom + height * 0.9, self.figure.text
            self.title = text(left + 0.01 * width, y, "", fontsize=10, weight="bold", va="center")
            self.equation = text(left + 0.25 * width, y, "", fontsize=11, va="center")
            self.marker = text(left + 0.99 * width, y, "", fontsize=10, weight="bold", va="center", ha="right",
                               color=VERMILLION)
            self.figure.add_artist(Line2D([left, left + width], [bottom + height] * 2, color=GREY, lw=0.5,
                                          transform=self.figure.transFigure))

    def _build_diagram(self, trace: Trace, rect: tuple[float, float, float, float]) -> None:
        ax = self.figure.add_axes(rect)
        ax.axis("off")
        sizes, L = trace.layer_sizes, len(trace.layer_sizes) - 1
        positions = node_positions(sizes)
        self.tallest = max(sizes)
        ax.set(xlim=(-0.4, L + 1.15), ylim=(-self.tallest / 2 - 0.75, self.tallest / 2 + 0.45))
        self.highlight = Rectangle((0, 0), 1, 1, fc=HIGHLIGHT, ec="none", zorder=0)
        ax.add_patch(self.highlight)
        self.edges: list[list[Line2D]] = [
            [ax.add_line(Line2D(*zip(positions[l][i], positions[l + 1][j]), color=GREY, lw=1, zorder=1))
             for i in range(sizes[l]) for j in range(sizes[l + 1])] for l in range(L)]
        everything = np.vstack(positions)
        self.nodes = ax.scatter(everything[:, 0], everything[:, 1], s=200, c="white", edgecolors="k", zorder=3)
        names = ["X"] + [f"{l}: {name[:4]}" for l, name in enumerate(trace.activation_names, start=1)]
        for l, name in enumerate(names):  # one label per column (a label per node would cost more to draw)
            ax.text(l, -self.tallest / 2 - 0.1, name, ha="center", va="top", fontsize=8)
        ax.add_line(Line2D([L, L + 0.62], [0, 0], color=GREY, lw=1, ls=":", zorder=1))
        self.loss_node = ax.text(L + 0.8, 0, "E", ha="center", va="center", fontsize=10, zorder=4,
                                 bbox={"boxstyle": "round", "fc": "white", "ec": "k"})
        self.diagram_title = ax.text(0, 1, "", transform=ax.transAxes, ha="left", va="top", fontsize=8)

    def _build_panels(self, trace: Trace, start: float, width: float, bottom: float, body: float) -> None:
        """One axes for all the panels, in pixel coordinates; a cell size at which the widest step fits;
        then for each panel slot its image, title, rows of numbers, operator and readout."""
        fig_w, fig_h = self.figure.get_size_inches() * self.figure.dpi
        room_w, height = width * fig_w, body * fig_h
        room_h = height - 50  # a title line above the tallest array, a readout below it
        ax = self.canvas = self.figure.add_axes((start, bottom, width, body))
        ax.axis("off")
        ax.set(xlim=(0, room_w), ylim=(0, height))
        ax.set_autoscale_on(False)
        grids = [[(as_grid(term.value).shape, _gap(term.op)) for term in step.terms] for step in trace]
        rows = max(r for terms in grids for (r, _), _ in terms)
        widest = max(sum(LABEL_PX + gap for _, gap in terms) for terms in grids)
        self.squeeze = min(1.0, room_w / widest)  # a narrow figure: narrower slots and gaps
        self.label_px = LABEL_PX * self.squeeze
        cell = min(room_h / rows, 48.0)
        while cell > 1 and any(sum(max(c * cell, self.label_px) + gap * self.squeeze for (_, c), gap in terms)
                               > room_w for terms in grids):
            cell *= 0.94
        self.cell, self.middle = cell, 20 + room_h / 2
        font_px = min(cell / (7 * MONO_ADVANCE), 10.0 * self.figure.dpi / 72)
        font_pt = font_px * 72 / self.figure.dpi
        written = max(r * c for terms in grids for (r, c), _ in terms) <= MAX_WRITTEN and font_pt >= 4.5
        n_panels = max(len(terms) for terms in grids)
        self.images = [ax.imshow(np.zeros((1, 1)), cmap=CLASS_CMAP, vmin=-1, vmax=1, aspect="auto",
                                 interpolation="nearest", extent=(0, 1, 0, 1)) for _ in range(n_panels)]
        self.titles = [ax.text(0, 0, "", ha="center", va="bottom", fontsize=9) for _ in range(n_panels)]
        self.values = [[ax.text(0, 0, "", ha="center", va="center", family="DejaVu Sans Mono", fontsize=font_pt)
                        for _ in range(rows if written else 0)] for _ in range(n_panels)]
        self.ops = [ax.text(0, self.middle, "", ha="center", va="center", fontsize=11) for _ in range(n_panels)]
        self.readouts = [ax.text(0, 0, "", ha="center", va="top", fontsize=8.5) for _ in range(n_panels)]

    # -- updating ------------------------------------------------------------------------------

    def _show_diagram(self, trace: Trace, index: int, step: Step, gradients: bool) -> None:
        L, tallest = len(trace.layer_sizes) - 1, self.tallest
        first, last = step.columns
        self.highlight.set_bounds(first - 0.3, -tallest / 2 - 0.7, last - first + 0.6, tallest + 0.95)
        weights, _ = trace.diagram_values(index, gradients)
        known = [float(np.abs(W).max()) for W in weights if W is not None and W.size and np.isfinite(W).all()]
        biggest = max(known, default=1.0) or 1.0
        active = last if last == first + 1 and last <= L else None  # the layer whose weights the step uses
        for l, (layer, W) in enumerate(zip(self.edges, weights), start=1):
            values = list(W.ravel()) if W is not None and W.size == len(layer) else [None] * len(layer)
            for line, value in zip(layer, values):
                if value is None or not np.isfinite(value):
                    line.set(color=GREY, lw=0.6, alpha=0.6, linestyle=":")
                else:
                    line.set(color=VERMILLION if value > 0 else BLUE, lw=0.4 + 3.6 * min(abs(value) / biggest, 1),
                             alpha=0.25 if active not in (None, l) else 1.0, linestyle="-")
        self.nodes.set_facecolor([HIGHLIGHT_NODE if first <= column <= last else "white"
                                  for column, n in enumerate(trace.layer_sizes) for _ in range(n)])
        loss_box = self.loss_node.get_bbox_patch()
        if loss_box is not None:
            loss_box.set_facecolor(HIGHLIGHT_NODE if last == L + 1 else "white")
        self.diagram_title.set_text("edges: ∂E/∂W, width ~ size (dotted: not yet computed)" if gradients else
                                    "edges: W, vermillion > 0, blue < 0, width ~ |w|")

    def _show_panels(self, step: Step) -> None:
        x, cell = 0.0, self.cell
        for k, (image, title, rows, op, read) in enumerate(zip(self.images, self.titles, self.values, self.ops,
                                                               self.readouts)):
            term = step.terms[k] if k < len(step.terms) else None
            for artist in (image, title, op, read, *rows):
                artist.set_visible(term is not None)
            if term is None:
                continue
            grid = as_grid(term.value)
            r, c = grid.shape
            gap, slot = _gap(term.op) * self.squeeze, max(c * cell, self.label_px)
            op.set(text=term.op, x=x + gap / 2)
            centre, top, bottom = x + gap + slot / 2, self.middle + r * cell / 2, self.middle - r * cell / 2
            x += gap + slot
            finite = np.isfinite(grid)
            limit = (float(np.abs(grid[finite]).max()) if finite.any() else 0.0) or 1.0
            image.set_data(grid)
            image.set_extent((centre - c * cell / 2, centre + c * cell / 2, bottom, top))
            image.set_clim(-1.5 * limit, 1.5 * limit)  # no colour so deep that black text gets hard to read
            title.set(text=f"{term.label} {shape_text(term.value)}", x=centre, y=top + 3,
                      color=VERMILLION if term.role == "check" and step.wrong else "k")
            for i, text in enumerate(rows):
                text.set(text="".join(f" {number(v):>5} " for v in grid[i]) if i < r else "", x=centre,
                         y=top - (i + 0.5) * cell, visible=i < r)
            words, colour = readout(step) if term.role == "check" else ("", "k")
            read.set(text=words, color=colour, x=centre, y=bottom - 4)


def step_strip(trace: Trace, gradients: bool = False, width: float = 13.0, row_height: float = 2.6) -> Figure:
    """Every step of ``trace`` as one row of a tall figure (title, equation, diagram, arrays), for static pages;
    the first step that parts from its counterpart is framed in red. Returns a pyplot figure."""
    n = len(trace)
    height = row_height * n + 0.5
    figure = plt.figure(figsize=(width, height), dpi=80)
    describe(figure, f"Every step of one training step, one row each, in order. {trace.verdict()}")
    for i in range(n):
        top = 1 - (0.5 + i * row_height) / height
        StepView(figure, (0, top - row_height / height, 1, row_height / height), header=True).show(trace, i, gradients)
    figure.text(0.01, 1 - 0.25 / height, trace.verdict(), fontsize=11, va="center",
                color=VERMILLION if trace.first_wrong is not None else "k")
    return figure

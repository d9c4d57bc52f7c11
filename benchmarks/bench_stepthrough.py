"""How long the step-through takes to draw a step it has not drawn before (target: at most 150 ms).

The numbers written in the heat maps are hundreds of glyphs per step. matplotlib 3.11 draws a Text
glyph by glyph in Python, so labkit draws each panel's numbers as one path of glyph outlines made
once per character. This benchmark walks a whole training step of the widget three times with
labkit's drawing and three times with the readable alternative (one Text per row of numbers), and
prints the redraw times of both and their ratio, measured in one run.

Run: python -m benchmarks.bench_stepthrough  (also part of `make bench`)
"""

from __future__ import annotations

import numpy as np

from labkit.stepthrough import StepThrough, StepView

PASSES = 3


class TextRowsView(StepView):
    """The same picture with each row of numbers as a Text artist (what the glyph paths replace)."""

    def _build_panels(self, trace, start, width, bottom, body):
        super()._build_panels(trace, start, width, bottom, body)
        rows = max(max(np.atleast_2d(term.value).shape[0] for term in step.terms) for step in trace)
        size = self.font_px * 72 / self.figure.dpi
        self.rows = [[self.canvas.text(0, 0, "", ha="center", va="center", family="DejaVu Sans Mono", fontsize=size)
                      for _ in range(rows)] for _ in self.values]

    def _show_panels(self, step):
        super()._show_panels(step)
        for values, texts, written, image in zip(self.values, self.rows, self.written, self.images):
            values.set_visible(False)
            left, right, bottom, top = image.get_extent()
            for i, text in enumerate(texts):
                text.set(text=written[i] if i < len(written) else "", x=(left + right) / 2,
                         y=top - (i + 0.5) * self.cell, visible=i < len(written) and image.get_visible())


def walk(view_class: type[StepView]) -> tuple[np.ndarray, StepView]:
    """Wall and CPU seconds of each first redraw in one pass through a training step, shape (steps - 1, 2),
    and the view that drew them (left on the last step)."""
    widget = StepThrough()
    if view_class is not StepView:  # the same figure, drawn by the other view only
        widget.figure.clear()
        widget.view = view_class(widget.figure)
        widget.recompute()
    widget.redraw_times.clear()  # the first draw also builds the figure
    for _ in range(len(widget.trace) - 1):
        widget.next()
    return np.array(widget.redraw_times), widget.view


def main() -> None:
    times = {name: [] for name in ("glyph paths", "Text rows")}
    for _ in range(PASSES):  # alternate, so that a noisy moment hits both
        times["glyph paths"].append(walk(StepView)[0])
        times["Text rows"].append(walk(TextRowsView)[0])
    print(f"step-through redraw of a step not drawn before, {PASSES} passes of the 2-3-2-1 XOR network:")
    medians = {}
    for name, runs in times.items():
        ms = 1000 * np.concatenate(runs)
        medians[name] = np.median(ms[:, 0])
        print(f"  {name:<12} median {medians[name]:4.0f} ms (CPU {np.median(ms[:, 1]):3.0f}), "
              f"max {ms[:, 0].max():4.0f} ms (CPU {ms[:, 1].max():3.0f})")
    print(f"Text rows / glyph paths, median redraw: {medians['Text rows'] / medians['glyph paths']:.1f}x"
          "  (target: a redraw at most 150 ms)")


if __name__ == "__main__":
    main()

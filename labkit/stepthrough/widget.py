"""The step-through widget: back, next, reset and play through one recorded training step."""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Sequence
from typing import Any

import ipywidgets as w
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

from ..checks import explain
from ..datasets import xor
from ..network import DenseNetwork, build_network
from ..optim import GradientDescent
from ..plots import GREY_TEXT, VERMILLION_TEXT, description, png_bytes
from ..widgets import Picture, Player, choice, serialized, style
from .record import MISTAKES, SWITCHES, BackpropFn, ForwardFn, Step, Trace, known_mistakes, shape_text, trace
from .view import StepView, readout, step_strip


def example_network(seed: int = 0) -> DenseNetwork:
    """The step-through's default: 2 inputs -> 3 tanh -> 2 tanh -> 1 sigmoid, BCE, learning rate 0.5."""
    return build_network(2, [3, "tanh", 2, "tanh", 1, "sigmoid"], "bce", GradientDescent(0.5), seed=seed)


_CHIP = ("display:inline-block;margin:1px 2px;padding:0 5px;border-radius:3px;font-size:12px;"
         "line-height:18px;border:{border};background:{background};color:{colour}")


def _short(name: str) -> str:
    """A step's name in a chip or the step menu: 'Delta_3' -> 'Δ3', 'update W_2, b_2' -> '↓W_2, b_2'."""
    return name.replace("Delta_", "Δ").replace("update ", "↓")


class StepThrough:
    """Watch one training step of a small network, one equation at a time: forward, loss, backward, update.

    Buttons step back and forth (play walks on by itself, the step box jumps to a step); each step shows its
    equation, the network diagram with the step's layers highlighted, and the arrays it combines with their
    shapes; the row of steps below the equation turns red where the numbers first part from their
    counterparts. net, X, y: the network (float64) and the batch, by default ``example_network()``
    on the four XOR points. weight_decay, mistakes (each has a checkbox), forward, backprop,
    student_activations, student_loss: as for ``trace``; with a student's code the mistake switches
    are off. interval: ms per step when playing. ``strip()`` draws every step into one figure.
    In a notebook, tag the cell ``nbval-ignore-output``, as every widget cell.
    """

    def __init__(self, net: DenseNetwork | None = None, X: ArrayLike | None = None, y: ArrayLike | None = None,
                 *, weight_decay: float = 0.0, mistakes: Sequence[str] = (), forward: ForwardFn | None = None,
                 backprop: BackpropFn | None = None, student_activations: Sequence[Any] | None = None,
                 student_loss: Any = None, interval: int = 1500):
        if X is None or y is None:
            X, y = xor()
        self.net, self.X, self.y = net if net is not None else example_network(), X, y
        self.student = {"forward": forward, "backprop": backprop, "student_activations": student_activations,
                        "student_loss": student_loss}
        yours = forward is not None or backprop is not None
        self._lock = threading.RLock()
        button = w.Layout(width="86px")
        self.back_button = w.Button(description="back", icon="step-backward", layout=button)
        self.next_button = w.Button(description="next", icon="step-forward", layout=button)
        self.reset_button = w.Button(description="reset", icon="refresh", layout=button)
        self.play = Player(self._play_on, interval)
        self.play.button.layout = button
        self.step_box = w.BoundedIntText(value=1, min=1, max=1, description="step", layout=w.Layout(width="110px"),
                                         style={"description_width": "36px"})
        self.gradients = w.Checkbox(description="edges show ∂E/∂W instead of W", indent=False,
                                    layout=w.Layout(width="auto"))
        mistakes = known_mistakes(mistakes)
        self.mistakes = {name: w.Checkbox(value=name in mistakes, description=label, indent=False, disabled=yours,
                                          tooltip=MISTAKES[name].message, layout=w.Layout(width="auto"))
                         for name, label in SWITCHES.items()}
        self.weight_decay = choice("λ (decay)", [0.0, 0.01, 0.1, 1.0], weight_decay, disabled=yours,
                                   layout=w.Layout(width="170px"), style={"description_width": "64px"})
        self.header, self.equation, self.timeline = w.HTML(), w.HTMLMath(), w.HTML()
        # 72 dpi: drawn at the size it is shown (936 px wide), in fewer pixels to fill and encode than at 80
        self.figure = Figure(figsize=(13, 3.3), dpi=72)
        # as wide as the column allows (no margin: with one, 100% would overflow it), never wider than drawn
        self.image = Picture(style=f"width:100%;max-width:{13 * 72}px;height:auto",
                             layout=w.Layout(width="100%", margin="0"))
        self.trace: Trace | None = None
        self.error = ""
        self._relabelling = False  # the step box is being given a new range: no redraw until it is done
        self.redraw_times: list[tuple[float, float]] = []  # (wall, CPU) seconds of each redraw, for the curious

        self.back_button.on_click(lambda _: self.back())
        self.next_button.on_click(lambda _: self.next())
        self.reset_button.on_click(lambda _: self.reset())
        self.step_box.observe(lambda change: self._stepped(), names="value")
        self.gradients.observe(lambda change: self.redraw(), names="value")
        for control in (*self.mistakes.values(), self.weight_decay):
            control.observe(lambda change: self.recompute(), names="value")
        rows = w.Layout(flex_flow="row wrap", align_items="center")
        self.widget = w.VBox([
            w.HBox([self.back_button, self.next_button, self.reset_button, self.play.button, self.step_box,
                    self.header], layout=rows),
            w.HBox([self.gradients, w.HTML("<b>plant a mistake:</b>"), *self.mistakes.values(), self.weight_decay],
                   layout=rows),
            self.equation, self.timeline, self.image.widget, style(),
        ], layout=w.Layout(width="100%", max_width="100%"))
        self.widget.add_class("labkit-stepthrough")
        self.widget.add_class("labkit-widget")
        self.recompute()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    @property
    def index(self) -> int:
        """The step on show, from 0."""
        return int(self.step_box.value) - 1

    @property
    def last(self) -> int:
        """The index of the last step."""
        return int(self.step_box.max) - 1

    def _stepped(self) -> None:
        if not self._relabelling:
            self.redraw()

    def _play_on(self) -> bool:
        """One tick of play: the next step; False (stop) at the last."""
        self.next()
        return self.index < self.last

    @serialized
    def recompute(self) -> None:
        """Trace the step again with the current switches (the step on show stays), then redraw."""
        mistakes = [name for name, box in self.mistakes.items() if box.value]
        try:
            self.trace = trace(self.net, self.X, self.y, weight_decay=float(self.weight_decay.value), mistakes=mistakes,
                               **self.student)
            self.error = ""
        except Exception as error:  # the student's code raised, or returned something unusable: say so
            self.trace, self.error = None, explain(error)
        self.figure.clear()  # the new trace's arrays may have other shapes: a new layout
        self.view = StepView(self.figure)
        steps = len(self.trace) if self.trace is not None else 1
        if steps != self.step_box.max:
            index, self._relabelling = min(self.index, steps - 1), True
            self.step_box.max = steps
            self.step_box.value = index + 1
            self._relabelling = False
        self.redraw()

    def go(self, index: int) -> None:
        """Show step ``index`` (from 0; clipped to the steps there are)."""
        self.step_box.value = max(0, min(int(index), self.last)) + 1

    def next(self) -> None:
        self.go(self.index + 1)

    def back(self) -> None:
        self.go(self.index - 1)

    def reset(self) -> None:
        """Stop playing and go back to the first step."""
        self.play.playing = False
        self.go(0)

    def strip(self) -> Figure:
        """Every step in one figure: ``step_strip`` of the current trace (raises if the student's code failed)."""
        if self.trace is None:
            raise RuntimeError(self.error)
        return step_strip(self.trace, gradients=self.gradients.value)

    @serialized
    def redraw(self) -> None:
        """Show the current step: the header, the equation and its check, the row of steps, the picture."""
        started, cpu = time.perf_counter(), time.process_time()
        if self.trace is None:
            self.header.value = f"<b style='color:{VERMILLION_TEXT}'>cannot trace this step</b>"
            self.equation.value = f"<span style='color:{VERMILLION_TEXT}'>{html.escape(self.error)}</span>"
            self.timeline.value = ""
            return
        step = self.trace[self.index]
        self.view.show(self.trace, self.index, self.gradients.value)
        self.image.show(png_bytes(self.figure), description(self.figure))
        self.equation.value = self._equation_html(self.trace, step)
        self.timeline.value = self._timeline_html(self.trace)
        self.header.value = (f"<b>Step {self.index + 1} of {len(self.trace)}</b> · {step.phase} · "
                             f"<span class='labkit-layer'>{step.where}</span>")
        self.redraw_times.append((time.perf_counter() - started, time.process_time() - cpu))

    def _equation_html(self, trace: Trace, step: Step) -> str:
        shapes = " ".join(f"{html.escape(t.op)} {shape_text(t.value)}" for t in step.terms if t.role != "check")
        lines = [f"<div style='font-size:13px'>{html.escape(step.title)}</div>", f"$${step.equation}$$",
                 f"<div style='font-size:12px;color:{GREY_TEXT}'>shapes: {shapes.strip()}</div>"]
        if step.checked:
            text, colour = readout(step)
            first = (f" <b>— the first step that parts from {step.against}</b>"
                     if self.index == trace.first_wrong else "")
            lines.append(f"<div style='color:{colour}'>{html.escape(step.name)} against {step.against}: "
                         f"{html.escape(text)}{first}</div>")
        if step.note:
            lines.append(f"<div style='font-size:12px;color:{GREY_TEXT}'>{html.escape(step.note)}</div>")
        colour = VERMILLION_TEXT if trace.first_wrong is not None else "#333"
        lines.append(f"<div style='font-size:12px;color:{colour}'>{html.escape(trace.verdict())}</div>")
        return "\n".join(lines)

    def _timeline_html(self, trace: Trace) -> str:
        """A chip per step: grey unchecked, green agrees, pink parts, red the first to part; outlined: on show."""
        chips, first_wrong = [], trace.first_wrong
        for i, step in enumerate(trace):
            first = i == first_wrong
            background = (VERMILLION_TEXT if first else "#eee" if not step.checked else "#FBE3D6" if step.wrong
                          else "#DFF2EA")
            chip = _CHIP.format(border="2px solid " + ("#000" if i == self.index else "transparent"),
                                 background=background, colour="white" if first else "#333")
            label = html.escape(_short(step.name)) + (" ✗" if first else "")
            chips.append(f"<span style='{chip}' title='{html.escape(step.title)}'>{i + 1}. {label}</span>")
        return f"<div style='display:flex;flex-wrap:wrap;max-width:100%'>{''.join(chips)}</div>"

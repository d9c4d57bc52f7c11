"""Interactive explorers for the notebooks (ipywidgets).

``TrainingExplorer`` trains a small network on a 2-D toy set while you
watch. Its play button (a ``Player``) trains a short chunk of steps per tick, in
the kernel, and waits between ticks, so the kernel stays free and the controls
keep answering. The figure is made once, with fixed margins; each redraw
repaints its two axes and sends a PNG to a ``Picture``.

Every control has a name a screen reader reads and works from the keyboard (a
text box, a checkbox, a button with words on it), with a focus ring
(``style``); every picture is an <img> whose alt text is its description
(``labkit.plots``), renewed at each redraw, and the state is also written out
as text (the readout). ipywidgets' sliders, Play and Image are not used: the
sliders' handles and Play's icon buttons have no accessible name, and an Image
no alt text, and ipywidgets offers no way to give them one. Nor are dropdowns:
in JupyterLab's command mode the arrow keys on a focused <select> move between
cells instead (ipywidgets issue 3912), while a text box keeps them; a choice is
a text box (``choice``) that suggests its options and takes only those.
"""

from __future__ import annotations

import asyncio
import functools
import struct
import threading
from collections.abc import Callable, Sequence
from importlib import resources

import ipywidgets as w
import numpy as np
from matplotlib.figure import Figure

from . import plots
from .datasets import TOY_DATASETS
from .network import DivergenceError, build_network
from .optim import GradientDescent
from .weight_decay import eigen_view, quadratic_error, shrinkage_factors

ACTIVATION_CHOICES = ["tanh", "relu", "sigmoid"]
LEARNING_RATES = [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
WEIGHT_DECAYS = [1e-5, 1e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0]
INPUT_NOISES = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0]


def style() -> w.HTML:
    """labkit's widget stylesheet (a focus ring the keyboard can see) in an HTML widget that takes no room; a widget
    that holds it and has the class ``labkit-widget`` gets it."""
    css = resources.files("labkit").joinpath("widgets.css").read_text(encoding="utf-8")
    return w.HTML(f"<style>{css}</style>", layout=w.Layout(display="none"))


def choice(description: str, options: Sequence[str | float], value: str | float, **kwargs) -> w.Combobox:
    """A named text box that takes one of ``options`` (numbers written as ``f"{v:g}"``, ``value`` added if missing),
    typed or picked from its suggestions, once Enter is pressed or the box is left. Its value is text."""
    def text(option: str | float) -> str:
        return option if isinstance(option, str) else f"{option:g}"

    labels = list(dict.fromkeys(map(text, options)))
    if text(value) not in labels:
        labels = sorted([*labels, text(value)], key=float) if not isinstance(value, str) else [*labels, value]
    return w.Combobox(value=text(value), options=labels, ensure_option=True, continuous_update=False,
                      description=description, **kwargs)


class Picture:
    """A figure in a widget, as an <img> with its description as alt text (an HTML widget holding it embedded).

    The <img> carries the PNG's pixel size, so that the next picture takes its room before it is decoded (the page does
    not jump at each redraw); ``style``: its CSS (by default it shrinks to fit). ``value``: the PNG on show.
    """

    def __init__(self, style: str = "max-width:100%;height:auto", layout: w.Layout | None = None):
        self.widget = w.HTML(layout=layout if layout is not None else w.Layout())
        self.widget.add_class("labkit-picture")
        self.style, self.value, self.description = style, b"", ""

    def show(self, png: bytes, description: str) -> None:
        width, height = struct.unpack(">II", png[16:24])  # from the PNG's header
        self.value, self.description = png, description
        self.widget.value = plots.img_html(png, description, f'width="{width}" height="{height}" style="{self.style}"')


class Player:
    """A play / pause button that says which it is, and a clock in the kernel: while it is on, ``tick()`` runs every
    ``interval`` ms, until it returns False or the button is pressed again.

    The clock is a task on the kernel's event loop: between ticks the kernel handles the other controls' messages.
    ipywidgets' Play counts in the browser instead, but its buttons are icons with no name. Where no event loop
    runs (a script, a test), pressing play starts nothing: call ``tick`` yourself. ipykernel 7 may hand a widget's
    messages to a subshell, another thread with a loop of its own: pause stops the clock on the clock's own loop
    (no tick starts after it), and a widget whose ``tick`` shares state with its other controls serializes them
    (``serialized``).
    """

    def __init__(self, tick: Callable[[], bool], interval: int, on_pause: Callable[[], None] | None = None):
        self.tick, self.interval, self.on_pause = tick, interval, on_pause
        self.button = w.ToggleButton(description="play", icon="play", tooltip="", layout=w.Layout(width="90px"))
        self.button.observe(self._toggled, names="value")
        self._task: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def playing(self) -> bool:
        return bool(self.button.value)

    @playing.setter
    def playing(self, value: bool) -> None:
        self.button.value = bool(value)

    def _toggled(self, change) -> None:
        self.button.description = self.button.icon = "pause" if change.new else "play"
        if self._task is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
            self._task = None
        if change.new:
            try:
                self._loop = asyncio.get_running_loop()
            except RuntimeError:  # no event loop
                return
            self._task = self._loop.create_task(self._run())
        elif self.on_pause is not None:
            self.on_pause()

    async def _run(self) -> None:
        while self.playing:
            await asyncio.sleep(self.interval / 1000)
            if self.playing and not self.tick():
                self._task = None  # done: the toggle below must not cancel this task while it runs
                self.playing = False


def serialized(method):
    """A widget's method that runs one at a time (``self._lock``, an RLock): a tick of play on one thread and a
    control's message on another (a subshell's) never change or draw the widget at once."""
    @functools.wraps(method)
    def one_at_a_time(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return one_at_a_time


def parse_widths(text: str) -> list[int]:
    """'4, 4' -> [4, 4]; raises ValueError with a hint on anything else."""
    try:
        widths = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        widths = []
    if not widths or min(widths) < 1:
        raise ValueError(f"hidden layers {text!r}: write positive widths separated by commas, e.g. '4, 4'.")
    return widths


class TrainingExplorer:
    """Pick data, architecture and training settings; play, pause, step or reset the training."""

    def __init__(self, dataset: str = "xor", hidden: str = "4", activation: str = "tanh",
                 learning_rate: float = 0.3, weight_decay: float = 0.0, input_noise: float = 0.0,
                 seed: int = 0, steps_per_tick: int = 25, resolution: int = 60):
        self._lock = threading.RLock()
        labels = {"description_width": "110px"}
        self.dataset = choice("data", list(TOY_DATASETS), dataset, style=labels)
        self.hidden = w.Text(value=hidden, description="hidden widths", style=labels)
        self.activation = choice("activation", ACTIVATION_CHOICES, activation, style=labels)
        self.learning_rate = choice("learning rate", LEARNING_RATES, learning_rate, style=labels)
        decay = weight_decay if weight_decay > 0 else WEIGHT_DECAYS[0]
        self.weight_decay = choice("weight decay", WEIGHT_DECAYS, decay, style=labels)
        self.decay_on = w.Checkbox(value=weight_decay > 0, description="use weight decay")
        self.input_noise = choice("input noise", INPUT_NOISES, input_noise, style=labels)
        self.seed = w.IntText(value=seed, description="seed", style=labels)
        self.play = Player(self.tick, interval=150)
        self.step_button = w.Button(description="step", icon="step-forward", layout=w.Layout(width="90px"))
        self.reset_button = w.Button(description="reset", icon="refresh", layout=w.Layout(width="90px"))
        self.readout = w.HTML()
        # the picture shrinks to the room the notebook leaves it, and wraps below the controls when narrow
        self.image = Picture(layout=w.Layout(flex="1 1 480px", min_width="0", max_width="720px"))
        self.steps_per_tick = steps_per_tick
        self.resolution = resolution

        self.figure = Figure(figsize=(9, 3.6), dpi=80)
        self.surface_ax, self.loss_ax = self.figure.subplots(
            1, 2, gridspec_kw=dict(left=0.07, right=0.985, bottom=0.14, top=0.91, wspace=0.22))
        self.reset()

        self.step_button.on_click(lambda _: self.advance())
        self.reset_button.on_click(lambda _: self.reset())
        for control in (self.dataset, self.hidden, self.activation, self.seed):
            control.observe(lambda change: self.reset(), names="value")

        controls = w.VBox([self.dataset, self.hidden, self.activation, self.learning_rate, self.decay_on,
                           self.weight_decay, self.input_noise, self.seed,
                           w.HBox([self.play.button, self.step_button, self.reset_button]), self.readout],
                          layout=w.Layout(min_width="360px"))
        self.widget = w.HBox([controls, self.image.widget, style()],
                             layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))
        self.widget.add_class("labkit-widget")

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # -- model ---------------------------------------------------------------

    @serialized
    def reset(self) -> None:
        """New data and a freshly initialised network from the current settings."""
        self.X, self.y = TOY_DATASETS[self.dataset.value](seed=self.seed.value)
        self.rng = np.random.default_rng(self.seed.value)
        self.history: list[float] = []
        self.error = ""
        try:
            layers = [x for width in parse_widths(self.hidden.value) for x in (width, self.activation.value)]
        except ValueError as err:
            self.net, self.error = None, str(err)
        else:
            optimizer = GradientDescent(float(self.learning_rate.value))
            self.net = build_network(2, layers + [1, "sigmoid"], "bce", optimizer, seed=self.seed.value)
        self.redraw()

    @serialized
    def advance(self, steps: int | None = None) -> None:
        """Train ``steps`` more steps (default: one tick's worth) and redraw."""
        self.train(steps)
        self.redraw()

    def tick(self) -> bool:
        """One tick of play: train a tick's worth of steps and redraw; False (stop) once training cannot go on."""
        self.advance()
        return self.net is not None and not self.error

    @serialized
    def train(self, steps: int | None = None) -> None:
        """Train ``steps`` more steps (default: one tick's worth); a divergence pauses and is reported."""
        if self.net is None:
            return
        self.net.optimizer.learning_rate = float(self.learning_rate.value)
        decay = float(self.weight_decay.value) if self.decay_on.value else 0.0
        noise = float(self.input_noise.value)
        try:
            for _ in range(steps or self.steps_per_tick):
                X = self.X + noise * self.rng.standard_normal(self.X.shape)
                self.history.append(self.net.train_on_batch(X, self.y, weight_decay=decay))
        except DivergenceError as err:
            self.error = f"{err} Press reset to start again."
            self.play.playing = False

    # -- view ----------------------------------------------------------------

    @serialized
    def redraw(self) -> None:
        self.surface_ax.clear()
        self.loss_ax.clear()
        if self.net is not None:
            with np.errstate(over="ignore", invalid="ignore"):  # a diverged net draws as blank, the readout says why
                plots.decision_surface(self.net, self.X, self.y, ax=self.surface_ax,
                                       resolution=self.resolution, colorbar=False)
        else:
            plots.scatter_classes(self.X, self.y, ax=self.surface_ax)
        if self.history:
            plots.loss_curve(self.history, ax=self.loss_ax)
        self.loss_ax.set(title="Training loss", xlabel="training step", ylabel="loss")
        status = self._status()
        empty = "" if self.history else "The loss panel stays empty until training starts."
        words = plots.description(self.figure, f"{empty} Status: {status}.".strip())
        self.image.show(plots.png_bytes(self.figure), words)
        self.readout.value = f"<b style='color:{plots.VERMILLION_TEXT}'>{status}</b>" if self.error else status

    def _status(self) -> str:
        """The state in words: the step, the loss and the training accuracy, or what went wrong."""
        if self.error:
            return self.error
        if not self.history or self.net is None:
            return "step 0: press play or step to train"
        accuracy = np.mean((self.net.predict(self.X) > 0.5) == (self.y > 0.5))
        return f"step {len(self.history)}: loss {self.history[-1]:.4f}, training accuracy {accuracy:.0%}"


class WeightDecayExplorer:
    """A tau slider that moves w~ along its path in the 2-D weight-decay picture.

    The readout gives d_1, d_2, the effective number of parameters d_1 + d_2, the length of w~ and the
    error it costs, E(w~) - E(w*). Type tau into its box and press Enter (or leave the box); the arrow keys
    step it by 0.1.
    """

    def __init__(self, H, b, tau: float = 1.0):
        self.H, self.b = np.asarray(H, float), np.asarray(b, float)
        self.tau = w.BoundedFloatText(value=tau, min=1e-3, max=1e3, step=0.1, description="tau",
                                      continuous_update=False)
        self.readout = w.HTML()
        self.image = Picture()
        self.figure = Figure(figsize=(8.6, 5.5), dpi=80)
        self.ax = self.figure.subplots(gridspec_kw=dict(left=0.08, right=0.62, bottom=0.09, top=0.94))
        self.tau.observe(lambda change: self.redraw(), names="value")
        self.widget = w.VBox([self.tau, self.readout, self.image.widget, style()])
        self.widget.add_class("labkit-widget")
        self.redraw()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def redraw(self) -> None:
        self.ax.clear()
        plots.weight_decay_picture(self.H, self.b, self.tau.value, ax=self.ax, legend={"bbox_to_anchor": (1.03, 1)})
        self.image.show(plots.png_bytes(self.figure), plots.description(self.figure))
        view = eigen_view(self.H, self.b, self.tau.value)
        d = shrinkage_factors(view.eigenvalues, self.tau.value)
        gap = quadratic_error(self.H, self.b, view.w_tilde) - quadratic_error(self.H, self.b, view.w_star)
        self.readout.value = (
            f"tau = {self.tau.value:.3g}: d<sub>1</sub> = {d[0]:.3f} (flat, lambda<sub>1</sub> = "
            f"{view.eigenvalues[0]:.2f}), d<sub>2</sub> = {d[1]:.3f} (steep, lambda<sub>2</sub> = "
            f"{view.eigenvalues[1]:.2f}), d<sub>1</sub> + d<sub>2</sub> = {d.sum():.3f}<br>"
            f"w~ = {np.round(view.w_tilde, 3).tolist()}, |w~| = {np.linalg.norm(view.w_tilde):.3f}, "
            f"E(w~) - E(w*) = {gap:.4f}")

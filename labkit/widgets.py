"""Interactive explorers for the notebooks (ipywidgets).

``TrainingExplorer`` trains a small network on a 2-D toy set while you
watch. The Play button advances a counter in the browser; each tick trains a
short chunk of steps, so the kernel stays free between ticks and the controls
keep answering. Drawing costs far more than training, so a tick redraws only
if the last picture is at least one tick interval old: on a slow machine ticks
never pile up behind the drawing (pause would otherwise wait for the backlog).
The figure is made once, with fixed margins; each redraw repaints its two axes
and sends a PNG to an Image widget, which also shows the initial state on a static page.
"""

from __future__ import annotations

import time

import ipywidgets as w
import numpy as np
from matplotlib.figure import Figure

from . import plots
from .datasets import TOY_DATASETS
from .network import DivergenceError, build_network
from .optim import GradientDescent
from .weight_decay import eigen_view, quadratic_error, shrinkage_factors

ACTIVATION_CHOICES = ["tanh", "relu", "sigmoid"]


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
        style = {"description_width": "110px"}
        self.dataset = w.Dropdown(options=list(TOY_DATASETS), value=dataset, description="data", style=style)
        self.hidden = w.Text(value=hidden, description="hidden widths", style=style)
        self.activation = w.Dropdown(options=ACTIVATION_CHOICES, value=activation, description="activation",
                                     style=style)
        self.learning_rate = w.FloatLogSlider(value=learning_rate, base=10, min=-3, max=1, step=0.1,
                                              description="learning rate", style=style)
        self.weight_decay = w.FloatLogSlider(value=max(weight_decay, 1e-5), base=10, min=-5, max=0, step=0.25,
                                             description="weight decay", style=style)
        self.decay_on = w.Checkbox(value=weight_decay > 0, description="use weight decay")
        self.input_noise = w.FloatSlider(value=input_noise, min=0, max=1, step=0.05, description="input noise",
                                         style=style)
        self.seed = w.IntText(value=seed, description="seed", style=style)
        self.play = w.Play(interval=150, min=0, max=10**9, step=1, description="play / pause",
                           show_repeat=False)
        self.step_button = w.Button(description="step", icon="step-forward", layout=w.Layout(width="90px"))
        self.reset_button = w.Button(description="reset", icon="refresh", layout=w.Layout(width="90px"))
        self.readout = w.HTML()
        # the picture shrinks to the room the notebook leaves it, and wraps below the controls when narrow
        self.image = w.Image(format="png", layout=w.Layout(flex="1 1 480px", min_width="0", max_width="720px",
                                                          height="auto", object_fit="contain"))
        self.steps_per_tick = steps_per_tick
        self.resolution = resolution

        self.figure = Figure(figsize=(9, 3.6), dpi=80)
        self.surface_ax, self.loss_ax = self.figure.subplots(
            1, 2, gridspec_kw=dict(left=0.07, right=0.985, bottom=0.14, top=0.91, wspace=0.22))
        self._drawn_at = -float("inf")  # time.monotonic() when the last picture was sent
        self.reset()

        self.play.observe(lambda change: self.tick(), names="value")
        self.play.observe(self._on_play_or_pause, names="playing")
        self.step_button.on_click(lambda _: self.advance())
        self.reset_button.on_click(lambda _: self.reset())
        for control in (self.dataset, self.hidden, self.activation, self.seed):
            control.observe(lambda change: self.reset(), names="value")

        controls = w.VBox([self.dataset, self.hidden, self.activation, self.learning_rate, self.decay_on,
                           self.weight_decay, self.input_noise, self.seed,
                           w.HBox([self.play, self.step_button, self.reset_button]), self.readout],
                          layout=w.Layout(min_width="360px"))
        self.widget = w.HBox([controls, self.image], layout=w.Layout(flex_flow="row wrap", align_items="flex-start"))

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    # -- model ---------------------------------------------------------------

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
            self.net = build_network(2, layers + [1, "sigmoid"], "bce", GradientDescent(self.learning_rate.value),
                                     seed=self.seed.value)
        self.redraw()

    def advance(self, steps: int | None = None) -> None:
        """Train ``steps`` more steps (default: one tick's worth) and redraw."""
        self.train(steps)
        self.redraw()

    def tick(self) -> None:
        """One Play tick: train, and redraw unless the last picture is newer than one tick interval."""
        self.train()
        if self.error or time.monotonic() - self._drawn_at >= self.play.interval / 1000:
            self.redraw()

    def _on_play_or_pause(self, change) -> None:
        if not change.new:  # paused: show the latest state, which a skipped redraw may have left out
            self.redraw()

    def train(self, steps: int | None = None) -> None:
        """Train ``steps`` more steps (default: one tick's worth); a divergence pauses and is reported."""
        if self.net is None:
            return
        self.net.optimizer.learning_rate = self.learning_rate.value
        decay = self.weight_decay.value if self.decay_on.value else 0.0
        try:
            for _ in range(steps or self.steps_per_tick):
                X = self.X + self.input_noise.value * self.rng.standard_normal(self.X.shape)
                self.history.append(self.net.train_on_batch(X, self.y, weight_decay=decay))
        except DivergenceError as err:
            self.error = f"{err} Press reset to start again."
            self.play.playing = False

    # -- view ----------------------------------------------------------------

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
        self.image.value = plots.png_bytes(self.figure)
        self.readout.value = self._status()
        self._drawn_at = time.monotonic()

    def _status(self) -> str:
        if self.error:
            return f"<b style='color:#D55E00'>{self.error}</b>"
        if not self.history or self.net is None:
            return "step 0: press play or step to train"
        accuracy = np.mean((self.net.predict(self.X) > 0.5) == (self.y > 0.5))
        return f"step {len(self.history)}: loss {self.history[-1]:.4f}, training accuracy {accuracy:.0%}"


class WeightDecayExplorer:
    """A tau slider that moves w~ along its path in the 2-D weight-decay picture.

    The readout gives d_1, d_2, the effective number of parameters d_1 + d_2, the length of w~ and the
    error it costs, E(w~) - E(w*). Type a value into the box beside the slider to set tau exactly.
    """

    def __init__(self, H, b, tau: float = 1.0):
        self.H, self.b = np.asarray(H, float), np.asarray(b, float)
        self.tau = w.FloatLogSlider(value=tau, base=10, min=-3, max=3, step=0.05, description="tau",
                                    continuous_update=False)
        self.readout = w.HTML()
        self.image = w.Image(format="png")
        self.figure = Figure(figsize=(8.6, 5.5), dpi=80)
        self.ax = self.figure.subplots(gridspec_kw=dict(left=0.08, right=0.62, bottom=0.09, top=0.94))
        self.tau.observe(lambda change: self.redraw(), names="value")
        self.widget = w.VBox([self.tau, self.readout, self.image])
        self.redraw()

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def redraw(self) -> None:
        self.ax.clear()
        plots.weight_decay_picture(self.H, self.b, self.tau.value, ax=self.ax, legend={"bbox_to_anchor": (1.03, 1)})
        self.image.value = plots.png_bytes(self.figure)
        view = eigen_view(self.H, self.b, self.tau.value)
        d = shrinkage_factors(view.eigenvalues, self.tau.value)
        gap = quadratic_error(self.H, self.b, view.w_tilde) - quadratic_error(self.H, self.b, view.w_star)
        self.readout.value = (
            f"tau = {self.tau.value:.3g}: d<sub>1</sub> = {d[0]:.3f} (flat, lambda<sub>1</sub> = "
            f"{view.eigenvalues[0]:.2f}), d<sub>2</sub> = {d[1]:.3f} (steep, lambda<sub>2</sub> = "
            f"{view.eigenvalues[1]:.2f}), d<sub>1</sub> + d<sub>2</sub> = {d.sum():.3f}<br>"
            f"w~ = {np.round(view.w_tilde, 3).tolist()}, |w~| = {np.linalg.norm(view.w_tilde):.3f}, "
            f"E(w~) - E(w*) = {gap:.4f}")

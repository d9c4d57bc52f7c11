"""Figures the notebooks draw. Every function takes an optional ``ax`` and returns it.

Colours come from the Okabe-Ito palette, which stays distinguishable for
colour-blind readers: blue for class 0 and negative weights, vermillion for
class 1 and positive weights; markers and dashes say it again.

Every function also says in words what it drew, from the same data: ``describe`` attaches a sentence to the axes
(or figure) it drew into, as an artist that draws nothing, so ``ax.clear()`` forgets it with the rest.
``description(figure)`` reads a figure's sentences back; ``show(extra)`` ends a notebook cell in place of
``plt.show()``: it shows the figure with its description (and the cell's ``extra`` sentence) as the picture's alt
text, which JupyterLab and the web site both read.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure, SubFigure
from matplotlib.lines import Line2D

from .network import DenseNetwork
from .weight_decay import eigen_view, quadratic_error, quadratic_minimizer

BLUE, VERMILLION, ORANGE, GREEN, GREY = "#0072B2", "#D55E00", "#E69F00", "#009E73", "#777777"
# Darker shades of the same hues for text, which needs 4.5:1 against white (WCAG 2.1 AA): vermillion 6.0:1, green 5.5:1
VERMILLION_TEXT, GREEN_TEXT, GREY_TEXT = "#A84500", "#00785A", "#555555"
CLASS_CMAP = LinearSegmentedColormap.from_list("class01", [BLUE, "#f7f7f7", VERMILLION])


class _Sentence(Artist):
    """A sentence of a figure's description, kept among the artists it describes; it draws nothing."""

    def __init__(self, text: str):
        super().__init__()
        self.text = text
        self.set_visible(False)
        self.set_in_layout(False)

    def draw(self, renderer) -> None:
        pass


def describe(target: Axes | Figure | SubFigure, sentence: str) -> _Sentence:
    """Add a sentence to the description of what ``target`` (an axes or a whole figure) shows; returns it, so that a
    figure that is updated in place rather than drawn again can change its ``text``."""
    text = _Sentence(" ".join(sentence.split()))
    target.add_artist(text)
    return text


def _sentences(target) -> list[str]:
    return [artist.text for artist in target.artists if isinstance(artist, _Sentence)]


def plain(text: str) -> str:
    """A title in words: mathtext's dollars, braces and styling dropped, Greek letters named ('$\\tilde w$' -> 'w')."""
    text = re.sub(r"\\(mathbf|mathrm|mathcal|tilde|hat|left|right)\b", "", text)
    text = re.sub(r"\\([a-zA-Z]+)", r"\1", text)
    return " ".join(text.translate(str.maketrans("", "", "${}\\")).split())


def description(figure: Figure | SubFigure, extra: str = "") -> str:
    """What the figure shows, in words: its title, the sentences of the figure and of each axes, then ``extra``."""
    parts = []
    suptitle = getattr(figure, "_suptitle", None)  # matplotlib keeps it there, and has no getter before 3.10
    title = suptitle.get_text() if suptitle is not None else ""
    if title:
        parts.append(plain(title).rstrip(".") + ".")
    parts += _sentences(figure)
    for ax in figure.axes:
        parts += _sentences(ax)
    if extra:
        parts.append(" ".join(extra.split()))
    return " ".join(parts)


def show(extra: str = "", figure: Figure | None = None) -> None:
    """Show the current figure (or ``figure``) once, with its description as alt text and as plain text, and close it.

    ``extra``: the cell's own sentence, with the key numbers of what it drew that the plotting functions do not know
    (a cell that draws with raw matplotlib writes its whole description here). The output is one
    ``<img alt="..." src="data:image/png;base64,...">`` (JupyterLab's PNG renderer would drop the alt text; its HTML
    renderer keeps it, and the web site reads it, ``labkit.tools.figures``), beside the description as text/plain.
    """
    from IPython.core.pylabtools import print_figure
    from IPython.display import display

    figure = plt.gcf() if figure is None else figure
    text = description(figure, extra)
    if not text:
        raise ValueError("this figure has no description: say what it shows, plots.show('The loss falls from ...')")
    img = img_html(print_figure(figure, "png", bbox_inches="tight"), text)
    plt.close(figure)
    display({"text/html": img, "text/plain": text}, raw=True)


def img_html(png: bytes, alt: str, attributes: str = "") -> str:
    """A PNG as one HTML <img> with its alt text, the picture embedded; ``attributes``: more of them (a size)."""
    data = base64.b64encode(png).decode("ascii")
    more = f" {attributes}" if attributes else ""
    return f'<img alt="{html.escape(alt, quote=True)}"{more} src="data:image/png;base64,{data}">'



def number(value: float) -> str:
    """A number for a description: 3 significant digits and at most 3 decimals ('0.693', '12.3', '6.64e-02').

    A number with 4 or more decimals is what the leak scan takes for a solution's output.
    """
    if abs(value) >= 1000:
        return f"{value:.0f}"
    text = f"{value:.3g}"
    return f"{value:.2e}" if re.search(r"\.\d{4}", text) else text


def _numbers(values: Sequence[float]) -> str:
    return ", ".join(number(v) for v in values)


def _linear(w: Sequence[float] | np.ndarray, b: float) -> str:
    """w . x + b written out: '1.61 x1 - 1.79 x2 + 1.42'."""
    terms = [f"{number(w[0])} x1"] + [f"{'-' if v < 0 else '+'} {number(abs(v))} x{i + 1}" for i, v in enumerate(w)
                                      if i > 0]
    return " ".join(terms + [f"{'-' if b < 0 else '+'} {number(abs(b))}"])


def png_bytes(figure) -> bytes:
    """The figure as PNG, compressed lightly: encoding costs a tenth of a widget's redraw, and its pictures are small.

    The widgets' figures have fixed margins rather than a layout engine, with which every savefig would draw
    the whole figure twice.
    """
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def node_positions(sizes) -> list[np.ndarray]:
    """Where a network diagram puts its neurons: one column per layer (x = its index), first unit on top, centred
    on y = 0; positions[l] is (sizes[l], 2)."""
    return [np.column_stack([np.full(n, i), np.linspace((n - 1) / 2, -(n - 1) / 2, n)]) for i, n in enumerate(sizes)]


def _axes(ax, figsize=(5, 4)):
    return plt.subplots(figsize=figsize)[1] if ax is None else ax


def loss_curve(history, ax=None, label: str | None = None, log: bool = False, xlabel: str = "training step"):
    """The loss after every step (history: (steps,))."""
    ax = _axes(ax)
    history = np.asarray(history, dtype=float)
    ax.plot(np.arange(1, len(history) + 1), history, label=label, lw=1.5)
    ax.set(xlabel=xlabel, ylabel="loss", title="Training loss", yscale="log" if log else "linear")
    if len(history):
        scale = " (log scale)" if log else ""
        describe(ax, f"Training loss{f' of {label}' if label else ''}{scale}: {number(history[0])} at {xlabel} 1, "
                     f"{number(history[-1])} at {xlabel} {len(history)}, lowest {number(history.min())}.")
    if label:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax


def scatter_classes(X, y, ax=None):
    """Points X (N, 2) coloured by their 0/1 label y (N, 1)."""
    ax = _axes(ax)
    _scatter(np.asarray(X), y, ax)
    describe(ax, _points_sentence(np.asarray(X), y))
    return ax


def _points_sentence(X, y) -> str:
    labels = np.asarray(y).ravel() > 0.5
    lo, hi = X.min(axis=0), X.max(axis=0)
    return (f"{len(X)} points: {np.sum(~labels)} of class 0 (blue circles), {np.sum(labels)} of class 1 "
            f"(vermillion squares), x1 from {number(lo[0])} to {number(hi[0])}, x2 from {number(lo[1])} to "
            f"{number(hi[1])}.")


def _scatter(X, y, ax):
    labels = np.asarray(y).ravel() > 0.5
    for value, colour, marker in ((False, BLUE, "o"), (True, VERMILLION, "s")):
        pts = X[labels == value]
        ax.scatter(pts[:, 0], pts[:, 1], c=colour, marker=marker, edgecolor="k", s=40, label=f"class {int(value)}",
                   zorder=3)
    ax.set(xlabel="$x_1$", ylabel="$x_2$")


def _grid(X, resolution: int, margin: float = 0.5):
    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xs, ys = np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    return xs, ys, np.column_stack([g.ravel() for g in np.meshgrid(xs, ys)])


def decision_surface(model: DenseNetwork | Callable, X, y, ax=None, resolution: int = 150, colorbar: bool = True):
    """The predicted probability over the plane, the 0.5 boundary, and the data (X: (N, 2), y: (N, 1))."""
    ax = _axes(ax)
    predict = model.predict if hasattr(model, "predict") else model
    xs, ys, grid = _grid(np.asarray(X), resolution)
    prob = np.asarray(predict(grid)).reshape(len(ys), len(xs))
    image = ax.pcolormesh(xs, ys, prob, cmap=CLASS_CMAP, vmin=0, vmax=1, shading="auto")
    ax.contour(xs, ys, prob, levels=[0.5], colors="k", linewidths=1.5)
    X = np.asarray(X)
    _scatter(X, y, ax)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="P(class 1)")
    ax.set_title("Decision surface (black line: P = 0.5)")
    labels = np.asarray(y).ravel() > 0.5
    with np.errstate(invalid="ignore"):
        right = int(np.sum((np.asarray(predict(X)).ravel() > 0.5) == labels))
        share = float(np.mean(prob > 0.5))
    describe(ax, f"Decision surface: the predicted probability of class 1 over the plane, blue near 0, vermillion near "
                 f"1, a black line where it is 0.5; {share:.0%} of the plane shown is on the class-1 side. "
                 f"{_points_sentence(X, y)[:-1]}; {right} of the {len(X)} are on their class's side.")
    return ax


def hidden_unit_lines(net: DenseNetwork, X, y, ax=None):
    """Each first-layer unit's line w . x + b = 0 in the input plane, an arrow pointing to where z > 0."""
    ax = _axes(ax)
    X = np.asarray(X)
    _scatter(X, y, ax)
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    W, b = net.weights[0], net.biases[0]
    positive = X @ W + b > 0

    def side(j: int) -> str:
        if len(X) > 8:
            return f"{np.sum(positive[:, j])} of the {len(X)} points"
        return ", ".join("(" + _numbers(x) + ")" for x in X[positive[:, j]]) or "no point"

    units = "; ".join(f"unit {j + 1}: {_linear(W[:, j], b[j])} = 0, positive for {side(j)}" for j in range(W.shape[1]))
    describe(ax, f"Each hidden unit's line z = 0 in the input plane, an arrow towards its positive side, over the "
                 f"{len(X)} points; {units}.")
    colours = [GREEN, ORANGE, "#CC79A7", "#56B4E9", "k"]
    for j in range(W.shape[1]):
        w, c = W[:, j], colours[j % len(colours)]
        point = -b[j] * w / (w @ w)  # the point of the line closest to the origin
        direction = np.array([-w[1], w[0]]) / np.linalg.norm(w)
        ends = point + np.outer([-10, 10], direction)
        ax.plot(ends[:, 0], ends[:, 1], color=c, lw=2, label=f"unit {j + 1}: z = 0")
        ax.annotate("", xy=point + 0.4 * w / np.linalg.norm(w), xytext=point,
                    arrowprops={"arrowstyle": "->", "color": c, "lw": 2})
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), title="Hidden units: lines and positive sides")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1), fontsize="small")
    ax.set_aspect("equal")
    return ax


def network_diagram(net: DenseNetwork, ax=None):
    """Neurons in columns, edges coloured by the sign of the weight and as wide as its size; biases beside nodes."""
    ax = _axes(ax, figsize=(6, 4))
    sizes = net.layer_sizes
    pos = node_positions(sizes)
    biggest = max(np.abs(W).max() for W in net.weights)
    for l, W in enumerate(net.weights):
        for i in range(W.shape[0]):
            for j in range(W.shape[1]):
                (x0, y0), (x1, y1) = pos[l][i], pos[l + 1][j]
                ax.plot([x0, x1], [y0, y1], color=VERMILLION if W[i, j] > 0 else BLUE,
                        lw=0.5 + 5 * abs(W[i, j]) / biggest, zorder=1)
                ax.text(x0 + 0.3 * (x1 - x0), y0 + 0.3 * (y1 - y0), f"{W[i, j]:.1f}", fontsize=8,
                        ha="center", va="center", bbox={"fc": "white", "ec": "none", "pad": 0.5}, zorder=2)
    for l, p in enumerate(pos):
        ax.scatter(p[:, 0], p[:, 1], s=600, c="white", edgecolor="k", zorder=3)
        for k, (x, yy) in enumerate(p):
            label = f"$x_{k + 1}$" if l == 0 else net.activations[l - 1].name
            ax.text(x, yy, label, ha="center", va="center", fontsize=7, zorder=4)
            if l > 0:
                ax.text(x, yy - 0.32, f"b={net.biases[l - 1][k]:.1f}", ha="center", va="top", fontsize=8)
    ax.set(xlim=(-0.4, len(sizes) - 0.6), ylim=(-max(sizes) / 2 - 0.4, max(sizes) / 2 + 0.2),
           title="Weights (vermillion > 0, blue < 0, width ~ |w|)")
    ax.axis("off")
    def rounded(values) -> str:
        return ", ".join(f"{v:.1f}" for v in values)

    layers = "; ".join(
        f"layer {l + 1} ({net.activations[l].name}): "
        + ", ".join(f"from {'x' if l == 0 else 'unit '}{i + 1} {rounded(row)}" for i, row in enumerate(W))
        + f", biases {rounded(net.biases[l])}" for l, W in enumerate(net.weights))
    describe(ax, f"Network diagram of a {'-'.join(map(str, sizes))} network, each edge a weight, vermillion if "
                 f"positive, blue if negative, as wide as its size; {layers}.")
    return ax


def image_grid(images, titles=None, ncols: int = 8, cmap: str = "gray_r", size: float = 1.3, symmetric=False):
    """Small images (n, h, w) in a grid, each with an optional title; returns the figure."""
    images = np.asarray(images)
    nrows = int(np.ceil(len(images) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 1.15), squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if k < len(images):
            limit = float(np.abs(images[k]).max()) if symmetric else None
            ax.imshow(images[k], cmap=cmap, vmin=None if limit is None else -limit, vmax=limit)
            if titles is not None:
                ax.set_title(titles[k], fontsize=8)
    fig.tight_layout()
    scale = "blue negative, vermillion positive" if symmetric else "dark high"
    named = f", titled {'; '.join(map(str, titles))}" if titles is not None else ""
    describe(fig, f"{len(images)} images of {images.shape[1]} by {images.shape[2]} pixels in a grid of {ncols} "
                  f"columns ({scale}){named}.")
    return fig


def confusion_matrix_plot(counts, ax=None, labels=None):
    """A (k, k) confusion matrix (rows: true class, columns: predicted), errors emphasised.

    The diagonal is shown in grey so that the colour scale is spent on the mistakes.
    """
    ax = _axes(ax, figsize=(5.5, 5))
    counts = np.asarray(counts)
    k = len(counts)
    errors = np.where(np.eye(k, dtype=bool), np.nan, counts)
    image = ax.imshow(errors, cmap="Oranges")
    for i in range(k):
        for j in range(k):
            ax.text(j, i, counts[i, j], ha="center", va="center", fontsize=7,
                    color="k" if i != j else GREY)
    ticks = range(k)
    ax.set(xticks=ticks, yticks=ticks, xticklabels=labels or ticks, yticklabels=labels or ticks,
           xlabel="predicted class", ylabel="true class", title="Confusion matrix (colour: mistakes)")
    ax.figure.colorbar(image, ax=ax, label="misclassified test images", shrink=0.8)
    off = np.where(np.eye(k, dtype=bool), -1, counts)
    worst = np.dstack(np.unravel_index(np.argsort(off, axis=None, kind="stable")[::-1][:3], counts.shape))[0]
    names = list(labels or range(k))
    describe(ax, f"Confusion matrix of {counts.sum()} images in {k} classes, every count written in its cell: "
                 f"{np.trace(counts)} on the diagonal (right), {counts.sum() - np.trace(counts)} off it; the most "
                 f"frequent mistakes: " + ", ".join(f"true {names[i]} predicted as {names[j]} ({counts[i, j]})"
                                                   for i, j in worst) + ".")
    return ax


def weight_decay_picture(H, b, tau: float, ax=None, taus=None, legend: bool | dict = True):
    """2-D weight decay: why w~ sits where it does, for E(w) = b.w + (1/2) w^T H w and E' = E + (tau/2) ||w||^2.

    Thin contours of E (blue, around w*) and of E' (vermillion, dashed, around w~); the contour of E through w~
    and the penalty's circle through w~ (thick: they touch at w~); the path of w~(tau) from w* (tau = 0) to the
    origin (tau -> infinity); and each eigenvector of H drawn from w* as the half-axis of one contour of E,
    labelled flat or steep (length 1/sqrt(lambda): the flat one is the long one).
    H: (2, 2) symmetric positive definite, b: (2,). legend: False for none, or a dict of keyword arguments
    for ``ax.legend`` to place it (default: upper left, inside). Returns the axes.
    """
    ax = _axes(ax, figsize=(6, 6))
    H, b = np.asarray(H, float), np.asarray(b, float)
    view = eigen_view(H, b, tau)
    w_star, w_tilde = view.w_star, view.w_tilde
    taus = np.geomspace(1e-3, 1e3, 200) * view.eigenvalues.max() if taus is None else taus
    path = np.array([w_star] + [quadratic_minimizer(H, b, s) for s in taus] + [np.zeros(2)])
    size = float(np.linalg.norm(w_star))
    centre, half = w_star / 2, np.abs(w_star).max() / 2 + 0.6 * max(size, 1e-3)  # the origin, w* and room around
    W1, W2 = np.meshgrid(np.linspace(centre[0] - half, centre[0] + half, 300),
                         np.linspace(centre[1] - half, centre[1] + half, 300))

    def error(w):
        return quadratic_error(H, b, w)

    E = error(np.stack([W1, W2], axis=-1))
    E_prime = E + tau / 2 * (W1**2 + W2**2)
    steps = np.linspace(0.04, 0.8, 9) ** 2  # denser near the minimum
    lowest, lowest_prime = error(w_star), error(w_tilde) + tau / 2 * w_tilde @ w_tilde
    ax.contour(W1, W2, E, levels=lowest + (E.max() - lowest) * steps, colors=BLUE, linewidths=0.8, alpha=0.5,
               linestyles="solid")
    ax.contour(W1, W2, E_prime, levels=lowest_prime + (E_prime.max() - lowest_prime) * steps[::2],
               colors=VERMILLION, linewidths=0.9, linestyles="dashed", alpha=0.8)
    if tau > 0:  # at tau = 0, w~ = w*: the contour through it is a point
        ax.contour(W1, W2, E, levels=[error(w_tilde)], colors=BLUE, linewidths=2.2, linestyles="solid")
    angle = np.linspace(0, 2 * np.pi, 300)
    ax.plot(np.linalg.norm(w_tilde) * np.cos(angle), np.linalg.norm(w_tilde) * np.sin(angle), color=GREY, lw=2.2)
    ax.plot(path[:, 0], path[:, 1], color=GREEN, lw=2.2)
    scale = 0.45 * size * np.sqrt(view.eigenvalues[0])
    for lam, u, name in zip(view.eigenvalues, view.eigenvectors.T, ("flat", "steep")):
        u = u if u @ w_star >= 0 else -u  # away from the origin, clear of the path
        tip = w_star + scale / np.sqrt(lam) * u
        ax.annotate("", xy=tip, xytext=w_star, arrowprops={"arrowstyle": "->", "color": ORANGE, "lw": 2})
        ax.annotate(f"{name}, $\\lambda = {lam:.2g}$", tip, xytext=(0, 6 if u[1] >= 0 else -6),
                    textcoords="offset points", color="#9a6a00", fontsize=9, ha="center",
                    va="bottom" if u[1] >= 0 else "top")
    ax.plot(*w_star, "o", color=BLUE, ms=8, zorder=5)
    ax.plot(*w_tilde, "s", color=VERMILLION, ms=8, zorder=5)
    ax.plot(0, 0, "k+", ms=10, mew=2)
    box = {"fc": "white", "ec": "none", "alpha": 0.85, "pad": 1}
    ax.annotate("$w^*$", w_star, xytext=(8, -16), textcoords="offset points", color=BLUE, fontsize=12, bbox=box)
    ax.annotate(r"$\tilde w$", w_tilde, xytext=(10, -16), textcoords="offset points", color=VERMILLION,
                fontsize=12, bbox=box)
    ax.annotate("0", (0, 0), xytext=(-12, -14), textcoords="offset points", fontsize=11)
    if legend:
        handles = [Line2D([], [], color=BLUE, lw=0.8, label="contours of E"),
                   Line2D([], [], color=VERMILLION, lw=0.9, ls="--",
                          label=r"contours of $E' = E + \frac{\tau}{2}\|w\|^2$"),
                   Line2D([], [], color=BLUE, lw=2.2, label=r"the contour of E through $\tilde w$"),
                   Line2D([], [], color=GREY, lw=2.2, label=r"the penalty's circle through $\tilde w$"),
                   Line2D([], [], color=GREEN, lw=2.2, label=r"path of $\tilde w(\tau)$, $\tau: 0\to\infty$"),
                   Line2D([], [], color=ORANGE, lw=2, label="eigenvectors of H, drawn from $w^*$")]
        ax.legend(handles=handles, **({"loc": "upper left", "fontsize": "small", "framealpha": 0.9}
                                      | (legend if isinstance(legend, dict) else {})))
    ax.set(xlim=(W1[0, 0], W1[0, -1]), ylim=(W2[0, 0], W2[-1, 0]), xlabel="$w_1$", ylabel="$w_2$", aspect="equal",
           title=rf"$\tau = {tau:.4g}$: a contour of E touches a circle at $\tilde w$")
    flat, steep = view.eigenvalues
    describe(ax, f"Weight decay at tau = {number(tau)}: contours of E (blue, solid) around w* = "
                 f"({w_star[0]:.2f}, {w_star[1]:.2f}), a blue circle, and of E' (vermillion, dashed) around w~ = "
                 f"({w_tilde[0]:.2f}, {w_tilde[1]:.2f}), a vermillion square; the thick contour of E through w~ "
                 f"touches the grey circle of the penalty there, radius {np.linalg.norm(w_tilde):.2f}; the green path "
                 f"of w~(tau) runs from w* to the origin; orange arrows from w* along the eigenvectors of H: flat "
                 f"(lambda = {number(flat)}, the long one) and steep (lambda = {number(steep)}).")
    return ax


def computation_graph(ax=None):
    """The forward pass of a two-layer network as a chain of nodes (black, left to right) and
    backprop's messages flowing back along it (vermillion), with where each gradient branches off.
    Each message and gradient is named, not written out: working them out is notebook 01's exercise.
    """
    ax = _axes(ax, figsize=(12, 4.2))
    nodes = {"x": 0.0, "z1": 2.0, "y1": 3.6, "z2": 5.6, "y2": 7.2, "E": 9.0}
    labels = {"x": r"$\mathbf{x} = \mathbf{y}^0$", "z1": r"$\mathbf{z}^1$", "y1": r"$\mathbf{y}^1$",
              "z2": r"$\mathbf{z}^2$", "y2": r"$\mathbf{y}^2$", "E": r"$\mathcal{E}(\mathbf{y}^2, \mathbf{t})$"}
    box = {"boxstyle": "round,pad=0.35", "fc": "white", "ec": "k"}
    for key, x in nodes.items():
        ax.text(x, 0, labels[key], ha="center", va="center", fontsize=13, bbox=box, zorder=3)
    forward = [("x", "z1", r"$W^1\,\cdot + \mathbf{b}^1$"), ("z1", "y1", r"$\phi_1$"),
               ("y1", "z2", r"$W^2\,\cdot + \mathbf{b}^2$"), ("z2", "y2", r"$\phi_2$"), ("y2", "E", "")]
    for a, b, text in forward:
        ax.annotate("", xy=(nodes[b] - 0.45, 0.12), xytext=(nodes[a] + 0.45, 0.12),
                    arrowprops={"arrowstyle": "->", "lw": 1.8, "color": "k"})
        ax.text((nodes[a] + nodes[b]) / 2, 0.42, text, ha="center", fontsize=11)
    messages = [("E", "y2", r"$\partial\mathcal{E}/\partial\mathbf{y}^2$"), ("y2", "z2", ""),
                ("z2", "y1", r"$\partial\mathcal{E}/\partial\mathbf{y}^1$"),
                ("y1", "z1", "")]
    for a, b, text in messages:
        ax.annotate("", xy=(nodes[b] + 0.45, -0.12), xytext=(nodes[a] - 0.45, -0.12),
                    arrowprops={"arrowstyle": "->", "lw": 1.8, "color": VERMILLION})
        ax.text((nodes[a] + nodes[b]) / 2, -0.45, text, ha="center", fontsize=10.5, color=VERMILLION)
    deltas = {2: r"$\delta^2 = \partial\mathcal{E}/\partial\mathbf{z}^2$",
              1: r"$\delta^1 = \partial\mathcal{E}/\partial\mathbf{z}^1$"}
    for layer, text in deltas.items():
        x = nodes[f"z{layer}"]
        ax.text(x, -0.95, text, ha="center", fontsize=10.5, color=VERMILLION)
        ax.annotate("", xy=(x, -1.75), xytext=(x, -1.05),
                    arrowprops={"arrowstyle": "->", "lw": 1.4, "color": BLUE, "ls": "--"})
        gradients = (rf"$\nabla_{{W^{layer}}}\mathcal{{E}},\ \nabla_{{\mathbf{{b}}^{layer}}}\mathcal{{E}}$"
                     rf" from $\delta^{layer}$ and $\mathbf{{y}}^{layer - 1}$")
        ax.text(x, -1.82, gradients, ha="center", va="top", fontsize=10.5, color=BLUE)
    ax.text(-0.4, 0.95, "forward: compute and keep every z and y", fontsize=10.5, color="k")
    ax.text(-0.4, -2.45, "backward: one delta per layer, from the output back; each gradient branches off its delta",
            fontsize=10.5, color=VERMILLION)
    ax.set(xlim=(-0.8, 9.9), ylim=(-2.6, 1.2))
    ax.axis("off")
    describe(ax, "Computation graph of a two-layer network. Forward, left to right in black: x = y0, then z1 = W1 x "
                 "+ b1, y1 = phi1(z1), z2 = W2 y1 + b2, y2 = phi2(z2), and the loss E(y2, t); every z and y is kept. "
                 "Backward, right to left in vermillion: the message dE/dy2 from the loss, delta2 = dE/dz2 at z2, the "
                 "message dE/dy1, delta1 = dE/dz1 at z1. From each delta a dashed blue arrow branches off to the "
                 "gradients of that layer's W and b, which need the delta and the y of the layer below.")
    return ax

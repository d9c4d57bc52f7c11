"""Figures the notebooks draw. Every function takes an optional ``ax`` and returns it.

Colours come from the Okabe-Ito palette, which stays distinguishable for
colour-blind readers: blue for class 0 and negative weights, vermillion for
class 1 and positive weights.
"""

from __future__ import annotations

from collections.abc import Callable

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.colors import LinearSegmentedColormap

from .network import DenseNetwork
from .weight_decay import eigen_view, quadratic_minimizer

BLUE, VERMILLION, ORANGE, GREEN, GREY = "#0072B2", "#D55E00", "#E69F00", "#009E73", "#777777"
CLASS_CMAP = LinearSegmentedColormap.from_list("class01", [BLUE, "#f7f7f7", VERMILLION])


def _axes(ax, figsize=(5, 4)):
    return plt.subplots(figsize=figsize)[1] if ax is None else ax


def loss_curve(history, ax=None, label: str | None = None, log: bool = False, xlabel: str = "training step"):
    """The loss after every step (history: (steps,))."""
    ax = _axes(ax)
    ax.plot(np.arange(1, len(history) + 1), history, label=label, lw=1.5)
    ax.set(xlabel=xlabel, ylabel="loss", title="Training loss", yscale="log" if log else "linear")
    if label:
        ax.legend()
    ax.grid(alpha=0.3)
    return ax


def scatter_classes(X, y, ax=None):
    """Points X (N, 2) coloured by their 0/1 label y (N, 1)."""
    ax = _axes(ax)
    labels = np.asarray(y).ravel() > 0.5
    for value, colour, marker in ((False, BLUE, "o"), (True, VERMILLION, "s")):
        pts = X[labels == value]
        ax.scatter(pts[:, 0], pts[:, 1], c=colour, marker=marker, edgecolor="k", s=40, label=f"class {int(value)}",
                   zorder=3)
    ax.set(xlabel="$x_1$", ylabel="$x_2$")
    return ax


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
    scatter_classes(np.asarray(X), y, ax)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, label="P(class 1)")
    ax.set_title("Decision surface (black line: P = 0.5)")
    return ax


def hidden_unit_lines(net: DenseNetwork, X, y, ax=None):
    """Each first-layer unit's line w . x + b = 0 in the input plane, an arrow pointing to where z > 0."""
    ax = _axes(ax)
    X = np.asarray(X)
    scatter_classes(X, y, ax)
    lo, hi = X.min(axis=0) - 0.5, X.max(axis=0) + 0.5
    W, b = net.weights[0], net.biases[0]
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
    # one column per layer, first unit on top
    pos = [np.column_stack([np.full(n, i), np.linspace((n - 1) / 2, -(n - 1) / 2, n)]) for i, n in enumerate(sizes)]
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
    return ax


def weight_decay_picture(H, b, tau: float, ax=None, taus=None):
    """2-D weight decay: contours of E, circles of the penalty, w*, w~(tau), its path over tau, eigenvectors.

    H: (2, 2) symmetric positive definite, b: (2,). Each eigenvector is drawn from w*, scaled by its
    eigenvalue (long arrow = steep direction). Returns the axes.
    """
    ax = _axes(ax, figsize=(6, 6))
    H, b = np.asarray(H, float), np.asarray(b, float)
    view = eigen_view(H, b, tau)
    taus = np.geomspace(1e-3, 1e3, 200) * view.eigenvalues.max() if taus is None else taus
    path = np.array([view.w_star] + [quadratic_minimizer(H, b, s) for s in taus] + [np.zeros(2)])
    radius = 1.4 * max(np.abs(view.w_star).max(), 1.0)
    xs = np.linspace(-radius, radius, 200)
    W1, W2 = np.meshgrid(xs, xs)
    grid = np.stack([W1, W2], axis=-1)
    E = grid @ b + 0.5 * np.einsum("...i,ij,...j->...", grid, H, grid)
    lowest = E.min()
    levels = lowest + (E.max() - lowest) * np.linspace(0.03, 0.7, 10) ** 2  # denser near the minimum
    ax.contour(W1, W2, E, levels=levels, colors=BLUE, linewidths=1, alpha=0.8, linestyles="solid")
    ax.contour(W1, W2, np.hypot(W1, W2), levels=np.linspace(0.25, 2, 8) * radius / 2, colors=GREY,
               linewidths=0.8, linestyles="--")
    ax.plot(path[:, 0], path[:, 1], color=GREEN, lw=2, label=r"path of $\tilde w(\tau)$, $\tau: 0 \to \infty$")
    scale = 0.4 * radius / view.eigenvalues.max()
    for i, (lam, u) in enumerate(zip(view.eigenvalues, view.eigenvectors.T)):
        u = u if u @ view.w_star <= 0 else -u  # point towards the origin side, where the picture has room
        ax.annotate("", xy=view.w_star + scale * lam * u, xytext=view.w_star,
                    arrowprops={"arrowstyle": "->", "color": ORANGE, "lw": 2})
        ax.annotate(f"$\\lambda_{i + 1}={lam:.2f}$", view.w_star + scale * lam * u, color=ORANGE,
                    xytext=(4, 4), textcoords="offset points", annotation_clip=True)
    ax.plot(*view.w_star, "o", color=BLUE, ms=9, label="$w^*$ (minimum of E)")
    ax.plot(*view.w_tilde, "s", color=VERMILLION, ms=9, label=rf"$\tilde w$ for $\tau = {tau:.3g}$")
    ax.plot(0, 0, "k+", ms=10)
    ax.set(xlim=(-radius, radius), ylim=(-radius, radius), xlabel="$w_1$", ylabel="$w_2$", aspect="equal",
           title="Contours of E (blue) and of the penalty (grey)")
    ax.legend(loc="lower left", fontsize="small")
    return ax


def computation_graph(ax=None, formulas: bool = False):
    """The forward pass of a two-layer network as a chain of nodes (black, left to right) and
    backprop's messages flowing back along it (vermillion), with where each gradient branches off.

    formulas: write out what each message and gradient equals (the answers of notebook 01), or only name them.
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
                ("z2", "y1", r"$(W^2)^{\mathsf{T}}\delta^2$" if formulas
                 else r"$\partial\mathcal{E}/\partial\mathbf{y}^1$"),
                ("y1", "z1", "")]
    for a, b, text in messages:
        ax.annotate("", xy=(nodes[b] + 0.45, -0.12), xytext=(nodes[a] - 0.45, -0.12),
                    arrowprops={"arrowstyle": "->", "lw": 1.8, "color": VERMILLION})
        ax.text((nodes[a] + nodes[b]) / 2, -0.45, text, ha="center", fontsize=10.5, color=VERMILLION)
    deltas = {2: r"$\delta^2 = \partial\mathcal{E}/\partial\mathbf{y}^2 \odot \phi_2'(\mathbf{z}^2)$",
              1: r"$\delta^1 = (W^2)^{\mathsf{T}}\delta^2 \odot \phi_1'(\mathbf{z}^1)$"} if formulas else {
        2: r"$\delta^2 = \partial\mathcal{E}/\partial\mathbf{z}^2$",
        1: r"$\delta^1 = \partial\mathcal{E}/\partial\mathbf{z}^1$"}
    for layer, text in deltas.items():
        x = nodes[f"z{layer}"]
        ax.text(x, -0.95, text, ha="center", fontsize=10.5, color=VERMILLION)
        ax.annotate("", xy=(x, -1.75), xytext=(x, -1.05),
                    arrowprops={"arrowstyle": "->", "lw": 1.4, "color": BLUE, "ls": "--"})
        gradients = (rf"$\nabla_{{W^{layer}}}\mathcal{{E}} = \delta^{layer}(\mathbf{{y}}^{layer - 1})^{{\mathsf{{T}}}}$"
                     rf"$,\ \ \nabla_{{\mathbf{{b}}^{layer}}}\mathcal{{E}} = \delta^{layer}$") if formulas else (
            rf"$\nabla_{{W^{layer}}}\mathcal{{E}},\ \nabla_{{\mathbf{{b}}^{layer}}}\mathcal{{E}}$"
            rf" from $\delta^{layer}$ and $\mathbf{{y}}^{layer - 1}$")
        ax.text(x, -1.82, gradients, ha="center", va="top", fontsize=10.5, color=BLUE)
    ax.text(-0.4, 0.95, "forward: compute and keep every z and y", fontsize=10.5, color="k")
    ax.text(-0.4, -2.45, "backward: one delta per layer, from the output back; each gradient branches off its delta",
            fontsize=10.5, color=VERMILLION)
    ax.set(xlim=(-0.8, 9.9), ylim=(-2.6, 1.2))
    ax.axis("off")
    return ax

"""A dense feed-forward network trained with batched backpropagation.

Rows are samples. Layer l computes

    Z_l = Y_{l-1} @ W_l + b_l        W_l: (fan_in, fan_out), b_l: (fan_out,)
    Y_l = phi_l(Z_l)                 Y_0 = X: (N, input_size)

and backprop walks the layers in reverse with Delta_l = dE/dZ_l, shape (N, fan_out):

    Delta_L     = phi_L'(Z_L) * dE/dY_L        (a vector-Jacobian product in general)
    Delta_{l-1} = phi_{l-1}'(Z_{l-1}) * (Delta_l @ W_l.T)
    dE/dW_l     = Y_{l-1}.T @ Delta_l  (+ weight_decay * W_l)
    dE/db_l     = Delta_l.sum(axis=0)

E is the mean over the batch, so the 1/N already sits in Delta_L and the sums
over samples above are exactly the averaged gradient: one matrix product per
layer, no loop over samples.
"""

from __future__ import annotations

from collections.abc import Sequence
from numbers import Integral

import numpy as np
from tqdm.auto import tqdm

from .activations import Activation, Softmax, get_activation
from .losses import CategoricalCrossEntropy, Loss, fused_softmax_delta, get_loss
from .optim import GradientDescent
from .validate import as_matrix, non_negative_number, positive_int


class DivergenceError(FloatingPointError):
    """Training produced a nan or inf loss."""


class DenseNetwork:
    """Weights, biases and activations of a dense network, plus its loss and optimizer.

    weights[l]: (fan_in, fan_out); biases[l]: (fan_out,); activations[l] maps Z_l to Y_l.
    """

    def __init__(
        self,
        weights: list[np.ndarray],
        biases: list[np.ndarray],
        activations: list[Activation],
        loss: Loss,
        optimizer: GradientDescent,
    ):
        if not (len(weights) == len(biases) == len(activations)) or not weights:
            raise ValueError(
                f"need one weight matrix, bias vector and activation per layer; got {len(weights)}, "
                f"{len(biases)} and {len(activations)}."
            )
        self.weights = weights
        self.biases = biases
        self.activations = activations
        self.loss = loss
        self.optimizer = optimizer
        self.steps_trained = 0

    @property
    def input_size(self) -> int:
        return self.weights[0].shape[0]

    @property
    def dtype(self) -> np.dtype:
        return self.weights[0].dtype

    @property
    def layer_sizes(self) -> list[int]:
        return [self.input_size] + [w.shape[1] for w in self.weights]

    def __repr__(self) -> str:
        layers = ", ".join(f"{w.shape[1]} {a.name}" for w, a in zip(self.weights, self.activations))
        return (
            f"DenseNetwork({self.input_size} inputs -> {layers}; loss={self.loss.name}, "
            f"{self.optimizer!r}, dtype={self.dtype})"
        )

    # -- forward --------------------------------------------------------------

    def _inputs(self, X) -> np.ndarray:
        return as_matrix(X, "X", columns=self.input_size, dtype=self.dtype)

    def _targets(self, y, n_rows: int) -> np.ndarray:
        y = as_matrix(y, "y", columns=self.weights[-1].shape[1], dtype=self.dtype)
        if len(y) != n_rows:
            raise ValueError(f"X has {n_rows} rows but y has {len(y)}; they need one target row per sample.")
        return y

    def _forward(self, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
        return forward_pass(self.weights, self.biases, self.activations, X)

    def predict(self, X) -> np.ndarray:
        """Network output for X (N, input_size); returns (N, n_outputs)."""
        return self._forward(self._inputs(X))[1][-1]

    def penalty(self, weight_decay: float) -> float:
        """(weight_decay / 2) * sum of squared weights (biases are not decayed)."""
        return float(decay_penalty(self.weights, weight_decay))

    def evaluate_loss(self, X, y, weight_decay: float = 0.0) -> float:
        """Mean loss over the rows of X (N, input_size) and y (N, n_outputs), plus the decay penalty."""
        X = self._inputs(X)
        y = self._targets(y, len(X))
        return self.loss.forward(y, self._forward(X)[1][-1]) + self.penalty(weight_decay)

    # -- backward -------------------------------------------------------------

    def _backprop(self, X, y, weight_decay, scale=1.0, out=None):
        """Loss and gradients of checked arrays; see the module docstring for the formulas."""
        Zs, Ys = self._forward(X)
        loss = float(self.loss.loss_per_batch(y, Ys[-1])) + self.penalty(weight_decay)  # inputs already checked
        if not np.isfinite(loss):  # also catches a nan or inf anywhere in the output
            self._diverged(f"the loss is {loss}")
        grad_W, grad_b = backward_pass(self.weights, self.activations, self.loss, Zs, Ys, y, weight_decay, scale, out)
        return loss, grad_W, grad_b

    def gradients(self, X, y, weight_decay: float = 0.0) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Gradients of the mean loss (+ decay) w.r.t. every weights[l] and biases[l], same shapes."""
        X = self._inputs(X)
        y = self._targets(y, len(X))
        weight_decay = non_negative_number(weight_decay, "weight_decay")
        return self._backprop(X, y, weight_decay)[1:]

    # -- training -------------------------------------------------------------

    def _diverged(self, what: str):
        raise DivergenceError(
            f"{what} at training step {self.steps_trained + 1}: training diverged. "
            f"Try a smaller learning rate (now {self.optimizer.learning_rate:g}), "
            "e.g. ten times smaller, and rebuild the network."
        )

    def _step(self, X, y, weight_decay, gradient_buffers) -> float:
        """One step on checked arrays; callers silence overflow warnings (divergence is reported instead).

        gradient_buffers: arrays shaped like the weights, reused by every step of a training run
        (allocating fresh weight-sized arrays each step makes the allocator map and unmap memory).
        """
        scale = self.optimizer.gradient_scale
        loss, grad_W, grad_b = self._backprop(X, y, weight_decay, scale, gradient_buffers)
        self.optimizer.update(self.weights + self.biases, grad_W + grad_b, scaled=scale != 1.0)
        self.steps_trained += 1
        return loss

    def train_on_batch(self, X, y, weight_decay: float = 0.0) -> float:
        """One gradient step on the batch; returns the loss before the step (a float)."""
        X = self._inputs(X)
        y = self._targets(y, len(X))
        weight_decay = non_negative_number(weight_decay, "weight_decay")
        with np.errstate(over="ignore", invalid="ignore"):
            return self._step(X, y, weight_decay, [np.empty_like(W) for W in self.weights])

    def fit(
        self,
        X,
        y,
        epochs: int,
        batch_size: int | None = None,
        shuffle: bool = True,
        seed: int | np.random.Generator | None = None,
        weight_decay: float = 0.0,
        progress: bool | None = None,
    ) -> np.ndarray:
        """Minibatch gradient descent; returns the loss of every step, shape (steps,).

        X: (N, input_size), y: (N, n_outputs). batch_size None means the full
        batch. Each epoch visits every row once, in a new random order if
        ``shuffle``. progress: True shows a progress bar, False hides it, None
        (default) shows it only for runs that last more than two seconds.
        """
        X = self._inputs(X)
        y = self._targets(y, len(X))
        epochs = positive_int(epochs, "epochs")
        batch_size = len(X) if batch_size is None else min(positive_int(batch_size, "batch_size"), len(X))
        weight_decay = non_negative_number(weight_decay, "weight_decay")
        rng = np.random.default_rng(seed)
        starts = range(0, len(X), batch_size)
        history = np.empty(epochs * len(starts))
        shuffled = shuffle and batch_size < len(X)
        if shuffled:  # each step gathers its shuffled rows into these two buffers
            X_batch, y_batch = np.empty((batch_size, X.shape[1]), X.dtype), np.empty((batch_size, y.shape[1]), y.dtype)
        gradient_buffers = [np.empty_like(W) for W in self.weights]
        bar = tqdm(range(epochs), desc="training", unit="epoch", disable=progress is False,
                   delay=0 if progress else 2.0)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported as divergence instead
            for epoch in bar:
                order = rng.permutation(len(X)) if shuffled else None
                for i, start in enumerate(starts):
                    if order is None:
                        Xb, yb = X[start:start + batch_size], y[start:start + batch_size]
                    else:  # "clip" cannot trigger (rows is a permutation) and spares take a staging copy
                        rows = order[start:start + batch_size]
                        Xb = np.take(X, rows, axis=0, out=X_batch[: len(rows)], mode="clip")
                        yb = np.take(y, rows, axis=0, out=y_batch[: len(rows)], mode="clip")
                    history[epoch * len(starts) + i] = self._step(Xb, yb, weight_decay, gradient_buffers)
                bar.set_postfix(loss=f"{history[(epoch + 1) * len(starts) - 1]:.4f}", refresh=False)
        bar.close()
        return history


def forward_pass(weights, biases, activations, X) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Pre-activations Zs[l] and outputs Ys[l] of every layer (Ys[0] = X), unchecked.

    Works for one network (W: (fan_in, fan_out), b: (fan_out,), X: (N, D)) and
    for a stack of S networks (W: (S, fan_in, fan_out), b: (S, fan_out)), see labkit.sweep.
    """
    Zs, Ys = [], [X]
    for W, b, act in zip(weights, biases, activations):
        Z = Ys[-1] @ W
        Z += b[..., None, :]  # adds the bias to every row, in place (no second array)
        Zs.append(Z)
        Ys.append(act.forward(Zs[-1]))
    return Zs, Ys


def decay_penalty(weights, weight_decay: float):
    """(weight_decay / 2) * sum ||W||^2 over the weight matrices (one value per network in a stack)."""
    if not weight_decay:
        return 0.0
    return 0.5 * weight_decay * sum((W**2).sum(axis=(-2, -1)) for W in weights)


def output_delta(activation: Activation, loss: Loss, Z, Y, T) -> np.ndarray:
    """Delta_L = dE/dZ_L: the fused (P - T) / N for softmax with categorical cross entropy, else the chain rule."""
    if isinstance(activation, Softmax) and isinstance(loss, CategoricalCrossEntropy):
        return fused_softmax_delta(T, Y)
    return activation.backward(Z, loss.gradient(T, Y))


def backward_pass(weights, activations, loss, Zs, Ys, T, weight_decay: float = 0.0, scale: float = 1.0,
                  out: list[np.ndarray] | None = None):
    """Backprop for targets T; returns the lists grad_W, grad_b (formulas at the top of this module).

    Every gradient comes out multiplied by ``scale``: a plain gradient step passes its learning
    rate here, which costs one multiplication of Delta_L instead of a pass over every weight matrix.
    ``swapaxes(-1, -2)`` is the transpose ``.T`` of each matrix, also in a stack of networks.
    out: arrays shaped like the weights to write the weight gradients into (a training loop
    reuses them: allocating fresh weight-sized arrays every step makes the allocator map and
    unmap memory over and over, which costs more than the arithmetic).
    """
    delta = output_delta(activations[-1], loss, Zs[-1], Ys[-1], T)
    if scale != 1.0:
        delta *= scale  # in place: output_delta returns a new array
    grad_W, grad_b = [None] * len(weights), [None] * len(weights)
    for l in reversed(range(len(weights))):
        grad_W[l] = np.matmul(Ys[l].swapaxes(-1, -2), delta, out=None if out is None else out[l])
        if weight_decay:
            grad_W[l] += (scale * weight_decay) * weights[l]
        grad_b[l] = delta.sum(axis=-2)
        if l > 0:
            delta = activations[l - 1].backward(Zs[l - 1], delta @ weights[l].swapaxes(-1, -2))
    return grad_W, grad_b


def build_network(
    input_size: int,
    layers: Sequence[int | str | Activation],
    loss: str | Loss = "binary_crossentropy",
    optimizer: GradientDescent | None = None,
    seed: int | np.random.Generator | None = None,
    dtype=np.float64,
) -> DenseNetwork:
    """Build a network from a layer list in the lab's style, e.g. ``[2, "tanh", 1, "sigmoid"]``.

    Each integer adds a dense layer of that width, and the activation that
    follows it (a name or an Activation object) is applied to its output.
    Weights are drawn from N(0, 2 / (fan_in + fan_out)) clipped at +-2 standard
    deviations, biases start at zero. optimizer defaults to GradientDescent(0.1).
    """
    input_size = positive_int(input_size, "input_size")
    layers = list(layers)
    if not layers or len(layers) % 2:
        raise ValueError(
            f"layers must alternate widths and activations, like [2, 'tanh', 1, 'sigmoid']; got {layers}."
        )
    rng = np.random.default_rng(seed)
    weights, biases, activations = [], [], []
    fan_in = input_size
    for width, act in zip(layers[::2], layers[1::2]):
        if isinstance(width, bool) or not isinstance(width, Integral) or width < 1:
            raise ValueError(
                f"layer widths must be integers >= 1, alternating with activations; got {width!r} in {layers}."
            )
        sd = np.sqrt(2.0 / (fan_in + width))
        weights.append(np.clip(rng.normal(0.0, sd, size=(fan_in, width)), -2 * sd, 2 * sd).astype(dtype))
        biases.append(np.zeros(width, dtype=dtype))
        activations.append(get_activation(act))
        fan_in = int(width)
    return DenseNetwork(weights, biases, activations, get_loss(loss), optimizer or GradientDescent(0.1))

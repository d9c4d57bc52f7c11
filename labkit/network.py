"""A dense feed-forward network trained with batched backpropagation.

Rows are samples. Layer l computes

    Z_l = Y_{l-1} @ W_l + b_l        W_l: (fan_in, fan_out), b_l: (fan_out,)
    Y_l = phi_l(Z_l)                 Y_0 = X: (N, input_size)

and backprop walks the layers in reverse with Delta_l = dE/dZ_l, shape (N, fan_out):

    Delta_L     = phi_L'(Z_L) * dE/dY_L       (softmax + cross entropy: (Y_L - T) / N)
    Delta_{l-1} = phi_{l-1}'(Z_{l-1}) * (Delta_l @ W_l.T)
    dE/dW_l     = Y_{l-1}.T @ Delta_l  (+ weight_decay * W_l)
    dE/db_l     = Delta_l summed over the rows

E is the mean over the batch, so the 1/N already sits in Delta_L and the sums over
samples above are exactly the averaged gradient: one matrix product per layer, no
loop over samples. These are the equations of notebook 01, in its code convention.
In code a transpose is ``.mT``, the transpose of the last two axes: for a matrix it is
``.T``, and it lets the same lines run a stack of S networks at once (``labkit.sweep``:
W_l (S, fan_in, fan_out), Y_l (S, N, fan_out)), the rows summed over axis -2.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from numbers import Integral

import numpy as np
from numpy.typing import ArrayLike, DTypeLike
from tqdm.auto import tqdm

from .activations import Activation, Softmax, get_activation
from .losses import CategoricalCrossEntropy, Loss, get_loss, softmax_cross_entropy_delta
from .optim import GradientDescent
from .validate import as_matrix, non_negative_number, positive_int

Arrays = list[np.ndarray]
Seed = int | np.random.Generator | None


class DivergenceError(FloatingPointError):
    """Training produced a nan or inf loss."""


# -- the equations ------------------------------------------------------------------


def forward_pass(weights: Arrays, biases: Arrays, activations: Sequence[Activation],
                 X: np.ndarray) -> tuple[Arrays, Arrays]:
    """Pre-activations Zs[l] (N, fan_out) and outputs Ys[l] of every layer, Ys[0] = X (N, input_size)."""
    Zs, Ys = [], [X]
    for W, b, phi in zip(weights, biases, activations):
        Zs.append(Ys[-1] @ W + b)
        Ys.append(phi.forward(Zs[-1]))
    return Zs, Ys


def output_delta(phi: Activation, loss: Loss, Z: np.ndarray, Y: np.ndarray, y_true: np.ndarray) -> np.ndarray:
    """Delta_L = dE/dZ_L, (N, n_outputs): the chain rule, or the fused (Y - T) / N for softmax + cross entropy."""
    if isinstance(phi, Softmax) and isinstance(loss, CategoricalCrossEntropy):
        return softmax_cross_entropy_delta(y_true, Y)
    return phi.backward(Z, loss.backward(y_true, Y))


def backward_pass(weights: Arrays, activations: Sequence[Activation], Zs: Arrays, delta: np.ndarray) -> Arrays:
    """Delta_l = dE/dZ_l of every layer, from the output layer's ``delta`` backwards; deltas[l] is (N, fan_out)."""
    deltas = [delta]
    for l in reversed(range(1, len(weights))):
        delta = activations[l - 1].backward(Zs[l - 1], delta @ weights[l].mT)  # Delta_{l-1}
        deltas.insert(0, delta)
    return deltas


def parameter_gradients(weights: Arrays, Ys: Arrays, deltas: Arrays,
                        weight_decay: float = 0.0) -> tuple[Arrays, Arrays]:
    """dE/dW_l = Y_{l-1}.mT @ Delta_l + weight_decay * W_l and dE/db_l = sum of Delta_l's rows, for every layer."""
    grad_W = [Y.mT @ delta for Y, delta in zip(Ys, deltas)]
    if weight_decay:  # the penalty (weight_decay / 2) ||W||^2 adds weight_decay * W, with no backprop
        grad_W = [grad + weight_decay * W for grad, W in zip(grad_W, weights)]
    grad_b = [delta.sum(axis=-2) for delta in deltas]
    return grad_W, grad_b


def decay_penalty(weights: Arrays, weight_decay: float) -> float:
    """(weight_decay / 2) * sum of ||W_l||^2 over the weight matrices (biases are not decayed)."""
    if not weight_decay:
        return 0.0
    return 0.5 * weight_decay * sum(float((W**2).sum()) for W in weights)


# -- the network ------------------------------------------------------------------------


class DenseNetwork:
    """Weights, biases and activations of a dense network, plus its loss and optimizer.

    weights[l]: (fan_in, fan_out); biases[l]: (fan_out,); activations[l] maps Z_l to Y_l.
    """

    def __init__(self, weights: Arrays, biases: Arrays, activations: Sequence[Activation],
                 loss: str | Loss, optimizer: GradientDescent):
        check_layers(weights, biases, activations)
        self.weights = list(weights)
        self.biases = list(biases)
        self.activations = list(activations)
        self.loss = get_loss(loss)
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
        return [self.input_size] + [W.shape[1] for W in self.weights]

    def __repr__(self) -> str:
        layers = ", ".join(f"{W.shape[1]} {phi.name}" for W, phi in zip(self.weights, self.activations))
        return (f"DenseNetwork({self.input_size} inputs -> {layers}; loss={self.loss.name}, "
                f"{self.optimizer!r}, dtype={self.dtype})")

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Network output for X (N, input_size); returns (N, n_outputs)."""
        Zs, Ys = forward_pass(self.weights, self.biases, self.activations, self._inputs(X))
        return Ys[-1]

    def evaluate_loss(self, X: ArrayLike, y_true: ArrayLike, weight_decay: float = 0.0) -> float:
        """Mean loss over the rows of X (N, input_size) and y_true (N, n_outputs), plus the decay penalty."""
        X, y_true = self._inputs(X), self._targets(y_true, len(X))
        weight_decay = non_negative_number(weight_decay, "weight_decay")
        Zs, Ys = forward_pass(self.weights, self.biases, self.activations, X)
        return self.loss.forward(y_true, Ys[-1]) + decay_penalty(self.weights, weight_decay)

    def gradients(self, X: ArrayLike, y_true: ArrayLike, weight_decay: float = 0.0) -> tuple[Arrays, Arrays]:
        """Gradients of the mean loss (+ decay) for every weights[l] and biases[l], same shapes."""
        X, y_true = self._inputs(X), self._targets(y_true, len(X))
        return self._backprop(X, y_true, non_negative_number(weight_decay, "weight_decay"))[1:]

    def train_on_batch(self, X: ArrayLike, y_true: ArrayLike, weight_decay: float = 0.0) -> float:
        """One gradient step on the batch X (N, input_size), y_true (N, n_outputs); returns the loss before it."""
        X, y_true = self._inputs(X), self._targets(y_true, len(X))
        weight_decay = non_negative_number(weight_decay, "weight_decay")
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported as divergence instead
            return self._step(X, y_true, weight_decay)

    def fit(self, X: ArrayLike, y_true: ArrayLike, epochs: int, batch_size: int | None = None, shuffle: bool = True,
            seed: Seed = None, weight_decay: float = 0.0, progress: bool | None = None) -> np.ndarray:
        """Minibatch gradient descent; returns the loss of every step, shape (steps,).

        X: (N, input_size), y_true: (N, n_outputs). batch_size None means the whole batch.
        Each epoch visits every row once, in a new random order if ``shuffle``. progress:
        True shows a progress bar, False hides it, None shows it for runs longer than 2 s.
        """
        X, y_true = self._inputs(X), self._targets(y_true, len(X))
        epochs = positive_int(epochs, "epochs")
        batch_size = len(X) if batch_size is None else positive_int(batch_size, "batch_size")
        weight_decay = non_negative_number(weight_decay, "weight_decay")
        rng = np.random.default_rng(seed)
        history = []
        bar = tqdm(range(epochs), desc="training", unit="epoch", disable=progress is False,
                   delay=0 if progress else 2.0)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported as divergence instead
            for _ in bar:
                for rows in batches(len(X), batch_size, rng if shuffle else None):
                    history.append(self._step(X[rows], y_true[rows], weight_decay))
                bar.set_postfix(loss=f"{history[-1]:.4f}", refresh=False)
        return np.array(history)

    # -- inside a step --------------------------------------------------------------

    def _backprop(self, X: np.ndarray, y_true: np.ndarray, weight_decay: float) -> tuple[float, Arrays, Arrays]:
        """Loss and gradients for checked arrays: the equations at the top of this module."""
        Zs, Ys = forward_pass(self.weights, self.biases, self.activations, X)
        loss = self.loss.forward(y_true, Ys[-1]) + decay_penalty(self.weights, weight_decay)
        if not np.isfinite(loss):  # also catches a nan or inf anywhere in the output
            raise DivergenceError(
                f"the loss is {loss} at training step {self.steps_trained + 1}: training diverged. Try a smaller "
                f"learning rate (now {self.optimizer.learning_rate:g}), e.g. ten times smaller, "
                "and rebuild the network."
            )
        deltas = backward_pass(self.weights, self.activations, Zs,
                               output_delta(self.activations[-1], self.loss, Zs[-1], Ys[-1], y_true))
        grad_W, grad_b = parameter_gradients(self.weights, Ys, deltas, weight_decay)
        return loss, grad_W, grad_b

    def _step(self, X: np.ndarray, y_true: np.ndarray, weight_decay: float) -> float:
        loss, grad_W, grad_b = self._backprop(X, y_true, weight_decay)
        self.optimizer.update(self.weights + self.biases, grad_W + grad_b)
        self.steps_trained += 1
        return loss

    def _inputs(self, X: ArrayLike) -> np.ndarray:
        return as_matrix(X, "X", columns=self.input_size, dtype=self.dtype)

    def _targets(self, y_true: ArrayLike, n_rows: int) -> np.ndarray:
        y_true = as_matrix(y_true, "y_true", columns=self.weights[-1].shape[1], dtype=self.dtype)
        if len(y_true) != n_rows:
            raise ValueError(f"X has {n_rows} rows but y_true has {len(y_true)}; they need one target row per sample.")
        return y_true


def batches(n_rows: int, batch_size: int, rng: np.random.Generator | None = None) -> Iterator[np.ndarray]:
    """The row indices of each minibatch of one epoch over n_rows rows, in a new random order if rng is given.

    The last batch is shorter when batch_size does not divide n_rows.
    """
    order = rng.permutation(n_rows) if rng is not None else np.arange(n_rows)
    for start in range(0, n_rows, batch_size):
        yield order[start:start + batch_size]


def check_layers(weights: Arrays, biases: Arrays, activations: Sequence[Activation]) -> None:
    """Raise a ValueError unless the layers fit together: W_l (fan_in, fan_out) chained, b_l (fan_out,), one dtype."""
    if not (len(weights) == len(biases) == len(activations)) or not weights:
        raise ValueError(f"need one weight matrix, bias vector and activation per layer; got {len(weights)}, "
                         f"{len(biases)} and {len(activations)}.")
    for l, (W, b, phi) in enumerate(zip(weights, biases, activations), start=1):
        if not isinstance(W, np.ndarray) or W.ndim != 2 or not isinstance(b, np.ndarray):
            raise ValueError(f"layer {l}: the weights must be a 2-D array (fan_in, fan_out) and the biases a "
                             f"1-D array (fan_out,); got {type(W).__name__} and {type(b).__name__}.")
        if b.shape != (W.shape[1],):
            raise ValueError(f"layer {l}: the weights have shape {W.shape}, so the biases need shape "
                             f"({W.shape[1]},); got {b.shape}.")
        if l > 1 and W.shape[0] != weights[l - 2].shape[1]:
            raise ValueError(f"layer {l - 1} has {weights[l - 2].shape[1]} outputs but the weights of layer {l} "
                             f"have shape {W.shape}, which takes {W.shape[0]} inputs; they must chain.")
        if W.dtype != weights[0].dtype or b.dtype != weights[0].dtype:
            raise ValueError(f"layer {l}: every weight and bias needs the same float dtype; got {W.dtype} and "
                             f"{b.dtype} where layer 1 has {weights[0].dtype}.")
        if not isinstance(phi, Activation):
            raise ValueError(f"layer {l}: {phi!r} is not an Activation; use get_activation('tanh') or similar.")


def build_network(input_size: int, layers: Sequence[int | str | Activation], loss: str | Loss = "binary_crossentropy",
                  optimizer: GradientDescent | None = None, seed: Seed = None,
                  dtype: DTypeLike = np.float64) -> DenseNetwork:
    """Build a network from a layer list in the lab's style, e.g. ``[2, "tanh", 1, "sigmoid"]``.

    Each integer adds a dense layer of that width, and the activation that follows it
    (a name or an Activation object) is applied to its output. Weights are drawn from
    N(0, 2 / (fan_in + fan_out)) clipped at +-2 standard deviations, biases start at zero.
    optimizer defaults to GradientDescent(0.1).
    """
    input_size = positive_int(input_size, "input_size")
    layers = list(layers)
    if not layers or len(layers) % 2:
        raise ValueError(f"layers must alternate widths and activations, like [2, 'tanh', 1, 'sigmoid']; got {layers}.")
    rng = np.random.default_rng(seed)
    weights, biases, activations = [], [], []
    fan_in = input_size
    for width, phi in zip(layers[::2], layers[1::2]):
        if isinstance(width, bool) or not isinstance(width, Integral) or width < 1:
            raise ValueError(f"layer widths must be integers >= 1, alternating with activations; got {width!r} "
                             f"in {layers}.")
        if not isinstance(phi, (str, Activation)):
            raise ValueError(f"expected an activation name (like 'tanh') or an Activation after the width {width}; "
                             f"got {phi!r} in {layers}.")
        width = int(width)
        sd = np.sqrt(2.0 / (fan_in + width))
        weights.append(np.clip(rng.normal(0.0, sd, size=(fan_in, width)), -2 * sd, 2 * sd).astype(dtype))
        biases.append(np.zeros(width, dtype=dtype))
        activations.append(get_activation(phi))
        fan_in = width
    return DenseNetwork(weights, biases, activations, get_loss(loss), optimizer or GradientDescent(0.1))

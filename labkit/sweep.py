"""Train many copies of a small network at once, one per seed.

"How often does this set-up learn XOR?" needs hundreds of trainings of a tiny
network, and a tiny network leaves numpy idle: the time goes into Python
overhead, not arithmetic. Stacking the S networks' weights into arrays of
shape (S, fan_in, fan_out) runs all S trainings as one, with exactly the
batched backprop of ``labkit.network`` (matmul broadcasts over the stack).
Each copy starts from the weights ``build_network`` gives for its seed, so a
copy trained here ends where a single network trained with ``fit`` would.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .activations import Activation
from .losses import Loss
from .network import backward_pass, build_network, decay_penalty, forward_pass
from .optim import GradientDescent
from .validate import as_matrix, non_negative_number, positive_int, positive_number


@dataclass
class SweepResult:
    """The S trained copies: weights[l] (S, fan_in, fan_out), biases[l] (S, fan_out), losses (steps, S).

    losses include the decay penalty, like ``DenseNetwork.fit``."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    activations: list[Activation]
    losses: np.ndarray

    def predict(self, X) -> np.ndarray:
        """Outputs of every copy for X (N, D); shape (S, N, n_outputs)."""
        X = as_matrix(X, "X", columns=self.weights[0].shape[1])
        with np.errstate(over="ignore", invalid="ignore"):  # diverged copies give nan, which counts as wrong
            return forward_pass(self.weights, self.biases, self.activations, X)[1][-1]

    def solved(self, X, y, threshold: float = 0.5) -> np.ndarray:
        """(S,) booleans: every output of the copy is on the same side of ``threshold`` as y."""
        y = as_matrix(y, "y")
        return np.all((self.predict(X) > threshold) == (y > threshold), axis=(-2, -1))


def train_many(
    input_size: int,
    layers: Sequence[int | str | Activation],
    X,
    y,
    seeds: Sequence[int],
    learning_rate: float,
    steps: int,
    loss: str | Loss = "binary_crossentropy",
    init_scale: float = 1.0,
    weight_decay: float = 0.0,
) -> SweepResult:
    """Full-batch gradient descent on X (N, input_size), y (N, k) for one network per seed.

    init_scale multiplies the initial weights (1.0 is the lab's initialization).
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds is empty; give at least one seed, e.g. range(100).")
    X = as_matrix(X, "X", columns=positive_int(input_size, "input_size"))
    y = as_matrix(y, "y")
    steps = positive_int(steps, "steps")
    optimizer = GradientDescent(learning_rate)  # the same update as DenseNetwork.fit's steps
    init_scale = positive_number(init_scale, "init_scale")
    weight_decay = non_negative_number(weight_decay, "weight_decay")
    nets = [build_network(input_size, layers, loss, seed=seed) for seed in seeds]
    weights = [init_scale * np.stack(ws) for ws in zip(*(net.weights for net in nets))]
    biases = [np.stack(bs) for bs in zip(*(net.biases for net in nets))]
    activations, loss = nets[0].activations, nets[0].loss
    if y.shape != (len(X), weights[-1].shape[-1]):
        raise ValueError(f"y has shape {y.shape} but {(len(X), weights[-1].shape[-1])} was expected.")
    losses = np.empty((steps, len(seeds)))
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging copy must not stop the others
        for step in range(steps):
            Zs, Ys = forward_pass(weights, biases, activations, X)
            losses[step] = loss.loss_per_batch(y, Ys[-1]) + decay_penalty(weights, weight_decay)
            grad_W, grad_b = backward_pass(weights, activations, loss, Zs, Ys, y, weight_decay,
                                           optimizer.gradient_scale)
            optimizer.update(weights + biases, grad_W + grad_b, scaled=True)
    return SweepResult(weights, biases, activations, losses)

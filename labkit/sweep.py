"""Train many copies of a small network at once, one per seed (the success-rate studies of notebook 02).

"How often does this set-up learn XOR?" needs hundreds of trainings of a tiny
network, and a tiny network leaves numpy idle: the time goes into Python
overhead, not arithmetic. Stacking the S copies' weights into arrays of shape
(S, fan_in, fan_out) runs all S trainings as one: matmul broadcasts over the
stack, and ``labkit.network``'s equations transpose with ``.mT`` and sum rows over
axis -2, so its forward pass and backprop serve a stack unchanged. Each copy starts
from the weights ``build_network`` gives its seed and ends where ``fit`` would take
that network (tests/test_sweep.py checks it); ``benchmarks.bench_sweep`` measures the gain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .activations import Activation
from .losses import Loss
from .network import backward_pass, build_network, forward_pass, output_delta, parameter_gradients
from .optim import GradientDescent
from .validate import as_matrix, non_negative_number, positive_int, positive_number


@dataclass
class SweepResult:
    """The S trained copies: weights[l] (S, fan_in, fan_out), biases[l] (S, fan_out)."""

    weights: list[np.ndarray]
    biases: list[np.ndarray]
    activations: list[Activation]

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Outputs of every copy for X (N, D); shape (S, N, n_outputs)."""
        X = as_matrix(X, "X", columns=self.weights[0].shape[1])
        biases = [b[:, None, :] for b in self.biases]  # (S, 1, fan_out): one bias row per copy
        with np.errstate(over="ignore", invalid="ignore"):  # diverged copies give nan, which counts as wrong
            return forward_pass(self.weights, biases, self.activations, X)[1][-1]

    def solved(self, X: ArrayLike, y_true: ArrayLike, threshold: float = 0.5) -> np.ndarray:
        """(S,) booleans: every output of the copy is on the same side of ``threshold`` as y_true."""
        y_true = as_matrix(y_true, "y_true")
        return np.all((self.predict(X) > threshold) == (y_true > threshold), axis=(-2, -1))


def train_many(input_size: int, layers: Sequence[int | str | Activation], X: ArrayLike, y_true: ArrayLike,
               seeds: Sequence[int],
               learning_rate: float, steps: int, loss: str | Loss = "binary_crossentropy", init_scale: float = 1.0,
               weight_decay: float = 0.0) -> SweepResult:
    """Full-batch gradient descent on X (N, input_size), y_true (N, k) for one network per seed.

    init_scale multiplies the initial weights (1.0 is the lab's initialization).
    """
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeds is empty; give at least one seed, e.g. range(100).")
    X = as_matrix(X, "X", columns=positive_int(input_size, "input_size"))
    y_true = as_matrix(y_true, "y_true")
    steps = positive_int(steps, "steps")
    optimizer = GradientDescent(learning_rate)  # the same update as DenseNetwork.fit's steps
    init_scale = positive_number(init_scale, "init_scale")
    weight_decay = non_negative_number(weight_decay, "weight_decay")
    nets = [build_network(input_size, layers, loss, seed=seed) for seed in seeds]
    weights = [init_scale * np.stack(ws) for ws in zip(*(net.weights for net in nets))]
    biases = [np.stack(bs)[:, None, :] for bs in zip(*(net.biases for net in nets))]
    activations, loss = nets[0].activations, nets[0].loss
    if y_true.shape != (len(X), weights[-1].shape[-1]):
        raise ValueError(f"y_true has shape {y_true.shape} but {(len(X), weights[-1].shape[-1])} was expected.")
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging copy must not stop the others
        for _ in range(steps):
            Zs, Ys = forward_pass(weights, biases, activations, X)
            deltas = backward_pass(weights, activations, Zs, output_delta(activations[-1], loss, Zs[-1], Ys[-1],
                                                                          y_true))
            grad_W, grad_b = parameter_gradients(weights, Ys, deltas, weight_decay)
            optimizer.update(weights + biases, grad_W + [g[:, None, :] for g in grad_b])  # biases: (S, 1, fan_out)
    return SweepResult(weights, [b[:, 0, :] for b in biases], activations)

"""Loss functions E(y_true, y_pred): how wrong a batch of predictions is.

Both arrays are (N, k), one row per sample. Every loss has two methods:

- ``forward(y_true, y_pred)``: the loss summed over a row's k outputs and averaged
  over the N rows, a float;
- ``backward(y_true, y_pred)``: dE/dy_pred of that mean, shape (N, k). The 1/N of the
  mean is inside it, so every gradient backprop derives from it is a gradient of the mean.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .validate import matching_targets


class Loss:
    """Interface of a loss; subclasses implement forward and backward."""

    name = "loss"

    def forward(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        """Mean over the rows of the per-sample loss."""
        raise NotImplementedError

    def backward(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """dE/dy_pred, shape (N, k)."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class BinaryCrossEntropy(Loss):
    """E = -(1/N) sum_n sum_j [t log(p + eps) + (1 - t) log(1 - p + eps)], t = y_true, p = y_pred.

    ``eps`` keeps the logs finite for predictions of exactly 0 or 1; the gradient is the
    exact derivative of this expression, eps included:
    dE/dp = -(1/N) [t / (p + eps) - (1 - t) / (1 - p + eps)].
    """

    name = "binary_crossentropy"

    def __init__(self, eps: float = 1e-9):
        self.eps = eps

    def forward(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        t, p = probabilities(y_true, y_pred)
        per_entry = t * np.log(p + self.eps) + (1 - t) * np.log(1 - p + self.eps)
        return float(-per_entry.sum() / len(t))

    def backward(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        t, p = probabilities(y_true, y_pred)
        return -(t / (p + self.eps) - (1 - t) / (1 - p + self.eps)) / len(t)


class MeanSquaredError(Loss):
    """E = (1/N) sum_n ||y_pred_n - y_true_n||^2 (summed over outputs, mean over rows).

    dE/dy_pred = (2/N) (y_pred - y_true).
    """

    name = "mse"

    def forward(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        t, p = matching_targets(y_true, y_pred)
        return float(((p - t) ** 2).sum() / len(t))

    def backward(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        t, p = matching_targets(y_true, y_pred)
        return 2 * (p - t) / len(t)


class CategoricalCrossEntropy(Loss):
    """E = -(1/N) sum_n sum_j t_nj log(p_nj + eps), for one-hot (or soft) targets t and probabilities p.

    dE/dp = -(1/N) t / (p + eps). After a softmax the two combine into the much simpler
    dE/dz = (p - t) / N, which the network uses (see ``softmax_cross_entropy_delta``).
    """

    name = "categorical_crossentropy"

    def __init__(self, eps: float = 1e-9):
        self.eps = eps

    def forward(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        t, p = probabilities(y_true, y_pred)
        return float(-(t * np.log(p + self.eps)).sum() / len(t))

    def backward(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        t, p = probabilities(y_true, y_pred)
        return -t / (p + self.eps) / len(t)


def softmax_cross_entropy_delta(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """dE/dZ for softmax outputs y_pred and categorical cross entropy: (y_pred - y_true) / N, shape (N, k).

    The softmax Jacobian times -t/p collapses to p - t when each row of t sums to 1:
    shorter, and exact (no division by a tiny probability).
    """
    return (y_pred - y_true) / len(y_true)


def probabilities(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Targets and predictions of matching shapes, the predictions checked to lie in [0, 1]."""
    t, p = matching_targets(y_true, y_pred)
    if p.min() < 0 or p.max() > 1:
        raise ValueError(
            f"expected predicted probabilities in [0, 1]; got values in [{p.min():.3g}, {p.max():.3g}]. "
            "Use a sigmoid (or softmax) output layer."
        )
    return t, p


LOSSES: dict[str, type[Loss]] = {
    "binary_crossentropy": BinaryCrossEntropy,
    "bce": BinaryCrossEntropy,
    "mse": MeanSquaredError,
    "mean_squared_error": MeanSquaredError,
    "categorical_crossentropy": CategoricalCrossEntropy,
    "cce": CategoricalCrossEntropy,
}


def get_loss(spec: str | Loss) -> Loss:
    """A loss object from a name such as ``"bce"`` or ``"mse"`` (or the object itself)."""
    if isinstance(spec, Loss):
        return spec
    if isinstance(spec, str) and spec.lower() in LOSSES:
        return LOSSES[spec.lower()]()
    raise ValueError(f"unknown loss {spec!r}; valid names are {sorted(LOSSES)} (or pass a Loss object).")

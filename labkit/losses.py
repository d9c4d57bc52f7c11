"""Loss functions E(Y_true, Y_pred): how wrong a batch of predictions is.

Both arrays are (N, k), one row per sample. ``forward`` returns the loss
summed over a row's k outputs and averaged over the N rows, as a Python float;
``backward`` returns dE/dY_pred of that mean, shape (N, k), so the 1/N of the
mean is already inside every gradient that backprop derives from it.

The checked public methods call ``loss_per_batch`` and ``gradient``, which do
the maths alone and also accept a stack of batches (..., N, k): that is how
``labkit.sweep`` trains many networks at once.
"""

from __future__ import annotations

import numpy as np

from .validate import as_matrix, same_shape


class Loss:
    """Interface of a loss; subclasses implement forward and backward."""

    name = "loss"

    def forward(self, y_true, y_pred) -> float:
        """Mean over rows of the per-sample loss."""
        return float(self.loss_per_batch(*self._checked(y_true, y_pred)))

    def backward(self, y_true, y_pred) -> np.ndarray:
        """dE/dY_pred, shape (N, k)."""
        return self.gradient(*self._checked(y_true, y_pred))

    def loss_per_batch(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Unchecked: the mean loss of each batch in a stack (..., N, k); shape (...)."""
        raise NotImplementedError

    def gradient(self, t: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Unchecked: dE/dp for a stack of batches (..., N, k), same shape."""
        raise NotImplementedError

    def _checked(self, y_true, y_pred) -> tuple[np.ndarray, np.ndarray]:
        y_pred = as_matrix(y_pred, "y_pred", dtype=None)
        if not np.issubdtype(y_pred.dtype, np.floating):
            y_pred = y_pred.astype(np.float64)
        y_true = as_matrix(y_true, "y_true", dtype=y_pred.dtype)  # float32 in, float32 out
        same_shape(y_true, y_pred, "y_true", "y_pred")
        return y_true, y_pred

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class BinaryCrossEntropy(Loss):
    """E = -(1/N) sum_i sum_j [t log(p + eps) + (1 - t) log(1 - p + eps)].

    ``eps`` keeps the logs finite for predictions of exactly 0 or 1; the
    gradient is the exact derivative of this expression, eps included:
    dE/dp = -(1/N) [t / (p + eps) - (1 - t) / (1 - p + eps)].
    """

    name = "binary_crossentropy"

    def __init__(self, eps: float = 1e-9):
        self.eps = eps

    def _checked(self, y_true, y_pred):
        y_true, y_pred = super()._checked(y_true, y_pred)
        if y_pred.min() < 0 or y_pred.max() > 1:
            raise ValueError(
                "BinaryCrossEntropy expects predicted probabilities in [0, 1]; got values in "
                f"[{y_pred.min():.3g}, {y_pred.max():.3g}]. Use a sigmoid output layer."
            )
        return y_true, y_pred

    def loss_per_batch(self, t, p):
        per_entry = t * np.log(p + self.eps) + (1 - t) * np.log(1 - p + self.eps)
        return -per_entry.sum(axis=(-2, -1)) / t.shape[-2]

    def gradient(self, t, p):
        return -(t / (p + self.eps) - (1 - t) / (1 - p + self.eps)) / t.shape[-2]


class MeanSquaredError(Loss):
    """E = (1/N) sum_i ||y_i - t_i||^2 (squared error summed over outputs, mean over rows).

    dE/dy = (2/N) (y - t).
    """

    name = "mse"

    def loss_per_batch(self, t, p):
        return ((p - t) ** 2).sum(axis=(-2, -1)) / t.shape[-2]

    def gradient(self, t, p):
        return 2 * (p - t) / t.shape[-2]


class CategoricalCrossEntropy(Loss):
    """E = -(1/N) sum_i sum_j t_ij log(p_ij + eps), for one-hot (or soft) targets t and probabilities p.

    dE/dp = -(1/N) t / (p + eps). After a softmax the two combine into the much simpler
    dE/dz = (p - t) / N, which the network uses automatically (see ``fused_softmax_delta``).
    """

    name = "categorical_crossentropy"

    def __init__(self, eps: float = 1e-9):
        self.eps = eps

    def loss_per_batch(self, t, p):
        return -(t * np.log(p + self.eps)).sum(axis=(-2, -1)) / t.shape[-2]

    def gradient(self, t, p):
        return -t / (p + self.eps) / t.shape[-2]


def fused_softmax_delta(t: np.ndarray, p: np.ndarray) -> np.ndarray:
    """dE/dZ for softmax outputs p and categorical cross entropy: (p - t) / N, shape (..., N, k).

    The softmax Jacobian times -t/p collapses to p - t when each row of t sums to 1:
    cheaper and exact (no division by a tiny probability).
    """
    return (p - t) / t.shape[-2]


LOSSES: dict[str, type[Loss]] = {
    "binary_crossentropy": BinaryCrossEntropy,
    "bce": BinaryCrossEntropy,
    "mse": MeanSquaredError,
    "categorical_crossentropy": CategoricalCrossEntropy,
    "cce": CategoricalCrossEntropy,
    "mean_squared_error": MeanSquaredError,
}


def get_loss(spec: str | Loss) -> Loss:
    """A loss object from a name such as ``"bce"`` or ``"mse"`` (or the object itself)."""
    if isinstance(spec, Loss):
        return spec
    if isinstance(spec, str) and spec.lower() in LOSSES:
        return LOSSES[spec.lower()]()
    raise ValueError(f"unknown loss {spec!r}; valid names are {sorted(LOSSES)} (or pass a Loss object).")

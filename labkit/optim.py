"""Optimizers: how a parameter moves given its gradient."""

from __future__ import annotations

import numpy as np

from .validate import positive_number


class GradientDescent:
    """Plain gradient descent: x <- x - learning_rate * gradient."""

    def __init__(self, learning_rate: float):
        self.learning_rate = positive_number(learning_rate, "learning_rate")

    def step(self, x, gradient):
        """Return the updated value (x is left unchanged), any shape."""
        return x - self.learning_rate * gradient

    def update(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Apply one step to every array in ``params`` in place.

        The gradients are used as scratch space: each is scaled by the learning
        rate in place. Allocating a fresh ``learning_rate * g`` the size of every
        weight matrix at every step would cost more than the step's matrix products.
        """
        for p, g in zip(params, grads):
            g *= self.learning_rate
            p -= g

    def __repr__(self) -> str:
        return f"GradientDescent(learning_rate={self.learning_rate:g})"

"""Optimizers: how a parameter moves given its gradient."""

from __future__ import annotations

import weakref

import numpy as np
from numpy.typing import ArrayLike

from .validate import positive_number


class GradientDescent:
    """Gradient descent, x <- x - learning_rate * gradient, optionally with momentum.

    With momentum mu every parameter keeps a velocity, v <- mu v - learning_rate * gradient,
    and moves by it, x <- x + v: steps that keep pointing the same way add up, zig-zags cancel.
    Each parameter array has its own velocity, so one optimizer may serve several networks.
    """

    def __init__(self, learning_rate: float, momentum: float = 0.0):
        self.learning_rate = positive_number(learning_rate, "learning_rate")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1); got {momentum!r}.")
        self.momentum = float(momentum)
        self._velocities: dict[int, np.ndarray] = {}

    def step(self, x: ArrayLike, gradient: ArrayLike) -> np.ndarray:
        """One step on any value, returned as a new value (x is left unchanged)."""
        return np.asarray(x) - self.learning_rate * np.asarray(gradient)

    def update(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        """Move every array in ``params`` in place by one step along its gradient in ``grads``."""
        for p, g in zip(params, grads):
            if self.momentum:
                v = self._velocity(p)
                v *= self.momentum
                v -= self.learning_rate * g
                p += v
            else:
                p -= self.learning_rate * g

    def _velocity(self, p: np.ndarray) -> np.ndarray:
        """The velocity of parameter array p, zero on its first step; forgotten when p is deleted."""
        key = id(p)
        if key not in self._velocities:
            self._velocities[key] = np.zeros_like(p)
            weakref.finalize(p, self._velocities.pop, key)
        return self._velocities[key]

    def __repr__(self) -> str:
        momentum = f", momentum={self.momentum:g}" if self.momentum else ""
        return f"GradientDescent(learning_rate={self.learning_rate:g}{momentum})"

"""Optimizers: how a parameter moves given its gradient."""

from __future__ import annotations

import numpy as np

from .validate import positive_number


class GradientDescent:
    """Gradient descent, x <- x - learning_rate * gradient, optionally with momentum.

    With momentum mu each parameter keeps a velocity v <- mu v - learning_rate * gradient
    and moves by it, x <- x + v: steps that keep pointing the same way add up, zig-zags cancel.
    """

    def __init__(self, learning_rate: float, momentum: float = 0.0):
        self.learning_rate = positive_number(learning_rate, "learning_rate")
        if not 0 <= momentum < 1:
            raise ValueError(f"momentum must be in [0, 1); got {momentum!r}.")
        self.momentum = float(momentum)
        self._velocity: list[np.ndarray] = []

    def step(self, x, gradient):
        """One plain step on any value (x is left unchanged): x - learning_rate * gradient."""
        return x - self.learning_rate * gradient

    @property
    def gradient_scale(self) -> float:
        """What backprop may multiply the gradients by for ``update(..., scaled=True)``.

        For a plain step that is the learning rate: scaling the small Delta matrices during
        backprop is much cheaper than scaling every weight-sized gradient afterwards.
        """
        return 1.0 if self.momentum else self.learning_rate

    def update(self, params: list[np.ndarray], grads: list[np.ndarray], scaled: bool = False) -> None:
        """Apply one step to every array in ``params`` in place.

        scaled: the gradients were already multiplied by ``gradient_scale``. Otherwise
        they are used as scratch space and scaled here, in place (a fresh
        ``learning_rate * g`` for every weight matrix would cost a pass and an allocation).
        """
        if scaled and not self.momentum:
            for p, g in zip(params, grads):
                p -= g
            return
        if self.momentum and [v.shape for v in self._velocity] != [p.shape for p in params]:
            self._velocity = [np.zeros_like(p) for p in params]
        for i, (p, g) in enumerate(zip(params, grads)):
            g *= self.learning_rate
            if self.momentum:
                v = self._velocity[i]
                v *= self.momentum
                v -= g
                p += v
            else:
                p -= g

    def __repr__(self) -> str:
        momentum = f", momentum={self.momentum:g}" if self.momentum else ""
        return f"GradientDescent(learning_rate={self.learning_rate:g}{momentum})"

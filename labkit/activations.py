"""Activation functions: Y = phi(Z), applied after each dense layer.

Every activation offers three methods on a batch of pre-activations Z (N, n):

- ``forward(z)``: Y = phi(Z), shape (N, n).
- ``derivative(z)``: phi'(Z) element-wise, evaluated at the pre-activation Z
  (not at the output Y: that was the original lab's bug).
- ``backward(z, grad_out)``: given dE/dY, return dE/dZ (the vector-Jacobian
  product). For an element-wise phi the Jacobian is diagonal, so this is just
  ``grad_out * derivative(z)``. Softmax mixes a row's entries and
  overrides ``backward`` instead.
"""

from __future__ import annotations

import numpy as np


class Activation:
    """Interface of an activation; subclasses implement forward and derivative."""

    name = "activation"

    def forward(self, z: np.ndarray) -> np.ndarray:
        """phi(Z), same shape as Z."""
        raise NotImplementedError

    def derivative(self, z: np.ndarray) -> np.ndarray:
        """phi'(Z) element-wise, same shape as Z."""
        raise NotImplementedError

    def backward(self, z: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
        """dE/dZ from dE/dY = grad_out, both (N, n); chain rule with a diagonal Jacobian."""
        return grad_out * self.derivative(z)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Identity(Activation):
    """phi(z) = z, phi'(z) = 1: a linear output layer."""

    name = "identity"

    def forward(self, z):
        return np.asarray(z)

    def derivative(self, z):
        return np.ones_like(z)

    def backward(self, z, grad_out):
        return grad_out


class ReLU(Activation):
    """phi(z) = max(z, 0), phi'(z) = 1 for z > 0 else 0 (we take 0 at the kink)."""

    name = "relu"

    def __init__(self):
        self._zeros = np.zeros(0)

    def forward(self, z):
        return np.maximum(z, self._zeros_like(z))

    def _zeros_like(self, z) -> np.ndarray:
        """Zeros shaped like z, kept for the next call: numpy's maximum runs its vectorized loop
        against a whole array of zeros, but a loop about four times slower against the scalar 0."""
        z = np.asarray(z)
        if self._zeros.shape != z.shape or self._zeros.dtype != z.dtype:
            self._zeros = np.zeros_like(z)
        return self._zeros

    def derivative(self, z):
        return (np.asarray(z) > 0).astype(np.result_type(z, np.float32))

    def backward(self, z, grad_out):
        return grad_out * (z > 0)  # a boolean mask multiplies faster than np.where selects


class Sigmoid(Activation):
    """phi(z) = 1 / (1 + e^-z), phi'(z) = phi(z) (1 - phi(z)).

    Computed from e^-|z|, which is at most 1, so no overflow for large |z|.
    """

    name = "sigmoid"

    def forward(self, z):
        z = np.asarray(z)
        e = np.exp(-np.abs(z))  # in (0, 1]
        return np.where(z >= 0, 1 / (1 + e), e / (1 + e))

    def derivative(self, z):
        s = self.forward(z)
        return s * (1 - s)


class Tanh(Activation):
    """phi(z) = tanh(z), phi'(z) = 1 - tanh(z)^2."""

    name = "tanh"

    def forward(self, z):
        return np.tanh(z)

    def derivative(self, z):
        return 1 - np.tanh(z) ** 2


class Softmax(Activation):
    """phi(z)_j = e^{z_j} / sum_k e^{z_k} over each row: turns scores into class probabilities.

    Subtracting the row maximum first changes nothing mathematically and keeps e^z <= 1.
    Its Jacobian is not diagonal, d phi_j / d z_k = phi_j (delta_jk - phi_k), so backward is
    the full vector-Jacobian product: dE/dz = phi * (g - sum_k g_k phi_k), row by row.
    """

    name = "softmax"

    def forward(self, z):
        e = z - np.max(z, axis=-1, keepdims=True)
        np.exp(e, out=e)  # in place, like the division below: e is our own new array
        e /= e.sum(axis=-1, keepdims=True)
        return e

    def derivative(self, z):
        raise TypeError(
            "softmax has no element-wise derivative: each output depends on the whole row. "
            "Use backward(z, grad_out) for the chain rule."
        )

    def backward(self, z, grad_out):
        s = self.forward(z)
        return s * (grad_out - (grad_out * s).sum(axis=-1, keepdims=True))


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Identity, ReLU, Sigmoid, Tanh, Softmax)
}


def get_activation(spec: str | Activation) -> Activation:
    """An activation object from a name such as ``"tanh"`` (or the object itself)."""
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str) and spec.lower() in ACTIVATIONS:
        return ACTIVATIONS[spec.lower()]()
    raise ValueError(
        f"unknown activation {spec!r}; valid names are {sorted(ACTIVATIONS)} "
        "(or pass an Activation object)."
    )

"""Activation functions: Y = phi(Z), applied after each dense layer.

Every activation works on a batch of pre-activations Z, shape (N, n):

- ``forward(z)``: Y = phi(Z), shape (N, n).
- ``derivative(z)``: phi'(Z), element by element, evaluated at the pre-activation Z
  (not at the output Y: that was the original lab's bug).
- ``backward(z, grad_out)``: dE/dZ from grad_out = dE/dY (the vector-Jacobian product).
  For an element-wise phi the Jacobian is diagonal, so this is ``grad_out * phi'(Z)``.
  Softmax mixes the entries of a row and overrides ``backward`` instead.
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
        """phi'(Z) element by element, same shape as Z."""
        raise NotImplementedError

    def backward(self, z: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
        """dE/dZ = dE/dY * phi'(Z), both (N, n): the chain rule with a diagonal Jacobian."""
        return grad_out * self.derivative(z)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Identity(Activation):
    """phi(z) = z, phi'(z) = 1: a linear output layer."""

    name = "identity"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return np.asarray(z)

    def derivative(self, z: np.ndarray) -> np.ndarray:
        return np.ones_like(z)


class ReLU(Activation):
    """phi(z) = max(z, 0), phi'(z) = 1 for z > 0 else 0 (we take 0 at the kink)."""

    name = "relu"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return np.maximum(z, 0)

    def derivative(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z)
        return (z > 0).astype(np.result_type(z, np.float32))  # float32 stays float32


class Sigmoid(Activation):
    """phi(z) = 1 / (1 + e^-z), phi'(z) = phi(z) (1 - phi(z)).

    Computed from e^-|z|, which is at most 1, so nothing overflows for large |z|:
    phi(z) = 1 / (1 + e^-|z|) for z >= 0 and e^-|z| / (1 + e^-|z|) for z < 0.
    """

    name = "sigmoid"

    def forward(self, z: np.ndarray) -> np.ndarray:
        e = np.exp(-np.abs(z))
        return np.where(np.asarray(z) >= 0, 1 / (1 + e), e / (1 + e))

    def derivative(self, z: np.ndarray) -> np.ndarray:
        s = self.forward(z)
        return s * (1 - s)


class Tanh(Activation):
    """phi(z) = tanh(z), phi'(z) = 1 - tanh(z)^2."""

    name = "tanh"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return np.tanh(z)

    def derivative(self, z: np.ndarray) -> np.ndarray:
        return 1 - np.tanh(z) ** 2


class Softmax(Activation):
    """phi(z)_j = e^{z_j} / sum_k e^{z_k} over each row: scores into class probabilities.

    Subtracting the row maximum first changes nothing mathematically and keeps e^z <= 1.
    The Jacobian is not diagonal, d phi_j / d z_k = phi_j (delta_jk - phi_k), so backward is
    the whole vector-Jacobian product: dE/dz = phi * (g - sum_k g_k phi_k), row by row.
    """

    name = "softmax"

    def forward(self, z: np.ndarray) -> np.ndarray:
        e = np.exp(z - np.max(z, axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def derivative(self, z: np.ndarray) -> np.ndarray:
        raise TypeError(
            "softmax has no element-wise derivative: each output depends on the whole row. "
            "Use backward(z, grad_out) for the chain rule."
        )

    def backward(self, z: np.ndarray, grad_out: np.ndarray) -> np.ndarray:
        s = self.forward(z)
        return s * (grad_out - (grad_out * s).sum(axis=-1, keepdims=True))


ACTIVATIONS: dict[str, type[Activation]] = {cls.name: cls for cls in (Identity, ReLU, Sigmoid, Tanh, Softmax)}


def get_activation(spec: str | Activation) -> Activation:
    """An activation object from a name such as ``"tanh"`` (or the object itself)."""
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str) and spec.lower() in ACTIVATIONS:
        return ACTIVATIONS[spec.lower()]()
    raise ValueError(
        f"unknown activation {spec!r}; valid names are {sorted(ACTIVATIONS)} (or pass an Activation object)."
    )

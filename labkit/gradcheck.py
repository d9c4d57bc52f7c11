"""Numerical gradient checks: compare backprop with central finite differences.

df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2h) has error O(h^2), so in
float64 with h = 1e-5 a correct gradient agrees to a relative error of about
1e-8 or better; 1e-2 means a bug.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from .network import DenseNetwork


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of the scalar function f at x (any shape; same shape out).

    x is perturbed in place one entry at a time and restored, so f may also
    read x through a closure (as a network's loss reads its weights).
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("numerical_gradient needs a float64 numpy array x (float32 is too coarse for h = 1e-5).")
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        original = x[i]
        x[i] = original + h
        f_plus = f(x)
        x[i] = original - h
        f_minus = f(x)
        x[i] = original
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def rel_error(a: ArrayLike, b: ArrayLike) -> float:
    """Relative error ||a - b|| / (||a|| + ||b||) of two arrays (0 when both are zero).

    Taken over the whole array rather than entry by entry, so entries that are
    zero in both (a dead ReLU) do not blow up the ratio.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"cannot compare arrays of shapes {a.shape} and {b.shape}.")
    scale = np.linalg.norm(a) + np.linalg.norm(b)
    return 0.0 if scale == 0 else float(np.linalg.norm(a - b) / scale)  # nan stays nan


def network_gradient_errors(net: DenseNetwork, X: ArrayLike, y_true: ArrayLike, weight_decay: float = 0.0,
                            h: float = 1e-5) -> dict[str, float]:
    """Relative error of backprop against finite differences for each parameter, e.g. {"W1": 3e-10, "b1": ...}."""
    if net.dtype != np.float64:
        raise TypeError(f"gradient checks need a float64 network; this one is {net.dtype}.")
    grad_W, grad_b = net.gradients(X, y_true, weight_decay=weight_decay)
    errors = {}
    for l, (W, b) in enumerate(zip(net.weights, net.biases), start=1):
        for name, param, analytic in ((f"W{l}", W, grad_W[l - 1]), (f"b{l}", b, grad_b[l - 1])):
            numeric = numerical_gradient(lambda _: net.evaluate_loss(X, y_true, weight_decay), param, h)
            errors[name] = rel_error(analytic, numeric)
    return errors


def check_network_gradients(net: DenseNetwork, X: ArrayLike, y_true: ArrayLike, weight_decay: float = 0.0,
                            h: float = 1e-5) -> float:
    """Largest relative error between backprop and finite differences over all parameters."""
    return max(network_gradient_errors(net, X, y_true, weight_decay, h).values())

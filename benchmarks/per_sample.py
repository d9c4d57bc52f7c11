"""The lab's original training step, written the slow way for comparison.

For every sample: run the forward pass, backpropagate a single delta vector
and add the outer product y_{l-1} (x) delta_l to the weight gradient (phi' at
Z, corrected). Dividing the sums by N gives the gradient of the mean loss, so
this must agree with labkit's batched backprop; the benchmark times both.
"""

from __future__ import annotations

import numpy as np

from labkit import DenseNetwork
from labkit.network import output_delta


def per_sample_gradients(net: DenseNetwork, X: np.ndarray, y: np.ndarray):
    """Gradients of the mean loss, one sample at a time. X: (N, D), y: (N, k)."""
    grad_W = [np.zeros_like(W) for W in net.weights]
    grad_b = [np.zeros_like(b) for b in net.biases]
    n = len(X)
    for i in range(n):
        zs, ys = [], [X[i]]
        for W, b, act in zip(net.weights, net.biases, net.activations):
            zs.append(ys[-1] @ W + b)
            ys.append(act.forward(zs[-1]))
        # delta of one row, scaled so that the sum over rows is the gradient of the batch mean
        delta = output_delta(net.activations[-1], net.loss, zs[-1][None, :], ys[-1][None, :], y[i : i + 1])[0] / n
        for l in reversed(range(len(net.weights))):
            grad_W[l] += np.outer(ys[l], delta)
            grad_b[l] += delta
            if l > 0:
                delta = net.activations[l - 1].backward(zs[l - 1], net.weights[l] @ delta)
    return grad_W, grad_b


def per_sample_step(net: DenseNetwork, X: np.ndarray, y: np.ndarray) -> None:
    """One gradient-descent step using the per-sample gradients."""
    grad_W, grad_b = per_sample_gradients(net, X, y)
    net.optimizer.update(net.weights + net.biases, grad_W + grad_b)

"""Independent reference implementations the tests (and benchmarks) compare labkit with.

Nothing here imports labkit's maths: the activations, loss gradients, the per-sample
backprop loop and the textbook training loop are written out again from the formulas,
the slow and obvious way, so that a wrong line in labkit cannot hide in both.
"""

from __future__ import annotations

import numpy as np


def _sigmoid(z):
    return 0.5 * (1 + np.tanh(z / 2))  # an identity, and a different formula from labkit's


PHI = {  # name: (phi, phi')
    "identity": (lambda z: z, np.ones_like),
    "relu": (lambda z: np.where(z > 0, z, 0), lambda z: (z > 0).astype(z.dtype)),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 / np.cosh(z) ** 2),
}


def loss_gradient(loss: str, t: np.ndarray, p: np.ndarray, n: int, eps: float = 1e-9) -> np.ndarray:
    """dE/dp of one sample's term of the mean loss over n samples."""
    if loss == "binary_crossentropy":
        return -(t / (p + eps) - (1 - t) / (1 - p + eps)) / n
    if loss == "mse":
        return 2 * (p - t) / n
    raise ValueError(loss)


def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def per_sample_gradients(weights, biases, activations, loss, X, y):
    """Gradients of the mean loss, one sample at a time, as the original lab computed them (phi' at Z).

    activations: names, e.g. ["tanh", "sigmoid"]; "softmax" only as the last, with loss
    "categorical_crossentropy". For every sample: forward, one delta vector per layer, and the
    outer product y_{l-1} (x) delta_l added to the weight gradient.
    """
    grad_W = [np.zeros_like(W) for W in weights]
    grad_b = [np.zeros_like(b) for b in biases]
    n = len(X)
    for x, t in zip(X, y):
        zs, ys = [], [x]
        for W, b, name in zip(weights, biases, activations):
            zs.append(ys[-1] @ W + b)
            ys.append(_softmax(zs[-1]) if name == "softmax" else PHI[name][0](zs[-1]))
        if activations[-1] == "softmax":
            delta = (ys[-1] - t) / n
        else:
            delta = loss_gradient(loss, t, ys[-1], n) * PHI[activations[-1]][1](zs[-1])
        for l in reversed(range(len(weights))):
            grad_W[l] += np.outer(ys[l], delta)
            grad_b[l] += delta
            if l > 0:
                delta = (weights[l] @ delta) * PHI[activations[l - 1]][1](zs[l - 1])
    return grad_W, grad_b


def textbook_fit(weights, biases, activations, loss, X, y, epochs, batch_size, learning_rate, momentum=0.0,
                 weight_decay=0.0, seed=None):
    """Minibatch SGD the textbook way, updating copies of the weights; returns (weights, biases).

    Each epoch takes rows in the order ``np.random.default_rng(seed).permutation`` gives (the
    order labkit's fit uses), the gradient of the batch's mean loss from the per-sample loop
    plus weight_decay * W, and the step p <- p + v, v <- momentum v - learning_rate g.
    """
    weights, biases = [W.copy() for W in weights], [b.copy() for b in biases]
    velocity = [np.zeros_like(p) for p in weights + biases]
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            rows = order[start:start + batch_size]
            grad_W, grad_b = per_sample_gradients(weights, biases, activations, loss, X[rows], y[rows])
            grad_W = [g + weight_decay * W for g, W in zip(grad_W, weights)]
            for p, v, g in zip(weights + biases, velocity, grad_W + grad_b):
                v *= momentum
                v -= learning_rate * g
                p += v
    return weights, biases


def per_sample_step(net, X, y) -> None:
    """One plain gradient step on a labkit network with the per-sample gradients (for the benchmark)."""
    names = [phi.name for phi in net.activations]
    grad_W, grad_b = per_sample_gradients(net.weights, net.biases, names, net.loss.name, X, y)
    for p, g in zip(net.weights + net.biases, grad_W + grad_b):
        p -= net.optimizer.learning_rate * g

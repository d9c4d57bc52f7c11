"""Noise as a regularizer (notebook 05): input noise on a linear model, noise on a network's inputs or weights.

Gaussian noise on the inputs of a linear model with the error (1/2N) sum (t - w.x)^2 is,
on average, exactly weight decay with tau = sigma^2 (notebook 05 measures it with the
student's own Monte Carlo estimator). For a nonlinear model y(x) and squared error
(y - t)^2, noise of variance v on the inputs (or on the weights) adds, to second order,

    v ||grad y||^2  +  v (y - t) tr(Hessian of y),

where the gradient and Hessian are taken with respect to what is perturbed. The first
term is a penalty (Tikhonov); the second is often dropped, and its average vanishes
where the residual y - t is uncorrelated with the curvature, as at y(x) = E[t | x].
``noise_terms`` measures both against Monte Carlo.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .network import DenseNetwork, Seed, backward_pass, forward_pass
from .validate import as_matrix, as_vector, positive_int, positive_number


@dataclass
class NoiseTerms:
    """Excess squared error caused by noise of variance ``variance``, averaged over the data.

    monte_carlo (+- monte_carlo_se): measured; gradient_term: v E||grad y||^2 (the penalty);
    curvature_term (+- curvature_se, its sampling error over the data): v E[(y - t) tr(Hessian of y)] (the
    term that is often dropped).
    """

    variance: float
    monte_carlo: float
    monte_carlo_se: float
    gradient_term: float
    curvature_term: float
    curvature_se: float

    @property
    def second_order(self) -> float:
        return self.gradient_term + self.curvature_term


def _single_output(net: DenseNetwork) -> None:
    if net.weights[-1].shape[1] != 1:
        outputs = net.weights[-1].shape[1]
        raise ValueError(f"the noise analysis is for networks with one output; this one has {outputs}.")


def _sensitivities(net: DenseNetwork, X: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Per-sample dy/dZ_l of every layer ((N, fan_out) each) and the layer inputs Ys[l].

    This is backprop with dE/dy = 1 for every row: the same backward recursion as training, but each
    row keeps its own derivative instead of being averaged into a loss.
    """
    Zs, Ys = forward_pass(net.weights, net.biases, net.activations, X)
    delta = net.activations[-1].backward(Zs[-1], np.ones_like(Zs[-1]))
    return backward_pass(net.weights, net.activations, Zs, delta), Ys


def weight_gradient_sqnorm(net: DenseNetwork, X: np.ndarray) -> np.ndarray:
    """||grad_W y(x_n)||^2 over all weight matrices, per sample (N,).

    grad_{W_l} y = y_{l-1} delta_l^T is an outer product, so its squared norm is ||y_{l-1}||^2 ||delta_l||^2.
    """
    deltas, Ys = _sensitivities(net, X)
    return sum((Ys[l] ** 2).sum(1) * (deltas[l] ** 2).sum(1) for l in range(len(deltas)))


def input_gradient(net: DenseNetwork, X: np.ndarray) -> np.ndarray:
    """dy/dx per sample, (N, D): one more backprop step, into the inputs."""
    deltas, _ = _sensitivities(net, X)
    return deltas[0] @ net.weights[0].T


def _second_difference_trace(output: Callable[[], np.ndarray], array: np.ndarray, groups: Sequence[Any],
                             h: float) -> np.ndarray:
    """sum over groups of d^2 y / d(group)^2 per sample, by central second differences in place."""
    centre = output()
    total = np.zeros_like(centre)
    for group in groups:
        original = array[group].copy()
        array[group] = original + h
        up = output()
        array[group] = original - h
        down = output()
        array[group] = original
        total += (up - 2 * centre + down) / h**2
    return total


Trace = Callable[[Callable[[np.ndarray], np.ndarray], np.ndarray, float], np.ndarray]
"""trace(f, x, h): for each output of f, the sum of its second derivatives by the entries of the array x (which f may
read from outside), by second differences of step h: notebook 05's hessian_trace."""


def noise_terms(net: DenseNetwork, X: ArrayLike, t: ArrayLike, variance: float, where: str = "weights",
                samples: int = 2000, seed: Seed = 0, h: float = 1e-3, trace: Trace | None = None) -> NoiseTerms:
    """Excess of E[(y - t)^2] under Gaussian noise of ``variance`` on the weights or the inputs.

    X: (N, D), t: (N, 1) or (N,), one network output. Monte Carlo uses ``samples`` antithetic pairs
    (noise e and -e), which cancels the odd terms of the expansion and most of the variance. trace:
    the second derivatives for the curvature term (a student's hessian_trace, say); labkit's own by default.
    """
    _single_output(net)
    X = as_matrix(X, "X", columns=net.input_size)
    t = as_vector(t, "t", len(X))
    variance = positive_number(variance, "variance")
    samples = positive_int(samples, "samples")
    if samples < 2:
        raise ValueError(f"samples must be an integer >= 2 (a standard error needs two pairs); got {samples}.")
    if where not in ("weights", "inputs"):
        raise ValueError(f"where must be 'weights' or 'inputs'; got {where!r}.")
    rng = np.random.default_rng(seed)
    y = net.predict(X)[:, 0]
    clean = np.mean((y - t) ** 2)
    sd = np.sqrt(variance)

    def mean_error(weights: list[np.ndarray], inputs: np.ndarray) -> np.ndarray:
        # weights or inputs are a stack of `samples` noisy copies: matmul broadcasts over it
        out = forward_pass(weights, net.biases, net.activations, inputs)[1][-1][..., 0]
        return ((out - t) ** 2).mean(axis=-1)  # (samples,)

    if where == "weights":
        noise = [sd * rng.standard_normal((samples, *W.shape)) for W in net.weights]
        plus = mean_error([W + e for W, e in zip(net.weights, noise)], X)
        minus = mean_error([W - e for W, e in zip(net.weights, noise)], X)
        gradient_sq = weight_gradient_sqnorm(net, X)
        if trace is None:
            curvature = sum(_second_difference_trace(lambda: net.predict(X)[:, 0], W, list(np.ndindex(W.shape)), h)
                            for W in net.weights)
        else:  # each weight matrix in turn, which the network reads from outside f
            curvature = sum(np.asarray(trace(lambda _: net.predict(X)[:, 0], W, h)) for W in net.weights)
    else:
        noise = sd * rng.standard_normal((samples, *X.shape))
        plus, minus = mean_error(net.weights, X + noise), mean_error(net.weights, X - noise)
        gradient_sq = (input_gradient(net, X) ** 2).sum(1)
        Xc = X.copy()
        if trace is None:  # each row's output depends on its own row only: one column of entries at a time
            curvature = _second_difference_trace(lambda: net.predict(Xc)[:, 0], Xc,
                                                 [(slice(None), j) for j in range(X.shape[1])], h)
        else:
            curvature = np.asarray(trace(lambda inputs: net.predict(inputs)[:, 0], Xc, h))
    excess = (plus + minus) / 2 - clean
    per_sample = variance * (y - t) * curvature
    return NoiseTerms(variance, float(excess.mean()), float(excess.std(ddof=1) / np.sqrt(samples)),
                      float(variance * gradient_sq.mean()), float(per_sample.mean()),
                      float(per_sample.std(ddof=1) / np.sqrt(len(per_sample))))

"""Weight decay and noise as regularizers, in closed form and by Monte Carlo (notebooks 04 and 05).

Weight decay on a quadratic error. With E(w) = E0 + b.w + (1/2) w^T H w and
E'(w) = E(w) + (tau/2) ||w||^2, the minimizers are w* = -H^-1 b and
w~ = -(H + tau I)^-1 b. In the eigenbasis of H = U diag(lambda) U^T every
coordinate of w* is multiplied by d_i = lambda_i / (lambda_i + tau):
w~ = U diag(d) U^T w* = (H + tau I)^-1 H w*.

Noise. Gaussian noise on the inputs of a linear model with the error
(1/2N) sum (t - w.x)^2 is, on average, exactly weight decay with tau = sigma^2.
For a nonlinear model y(x) and squared error (y - t)^2, noise of variance v on
the inputs (or on the weights) adds, to second order,

    v ||grad y||^2  +  v (y - t) tr(Hessian of y),

where the gradient and Hessian are taken with respect to what is perturbed.
The first term is a penalty (Tikhonov); the second is often dropped because it
vanishes where y = t. ``noise_terms`` measures both against Monte Carlo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .network import DenseNetwork, forward_pass
from .validate import as_matrix, non_negative_number, positive_int, positive_number

# -- quadratic error and weight decay ------------------------------------------------


def check_hessian(H, name: str = "H") -> np.ndarray:
    """H as a float array after checking it is square, finite, symmetric and positive semi-definite."""
    H = as_matrix(H, name)
    if H.shape[0] != H.shape[1]:
        raise ValueError(f"{name} must be square; got shape {H.shape}.")
    if not np.allclose(H, H.T, rtol=1e-10, atol=1e-12 * np.abs(H).max()):
        raise ValueError(f"{name} must be symmetric (a Hessian is); largest |H - H^T| is {np.abs(H - H.T).max():.3g}.")
    smallest = np.linalg.eigvalsh(H)[0]
    if smallest < -1e-10 * max(1.0, np.abs(H).max()):
        raise ValueError(f"{name} must be positive semi-definite; it has the eigenvalue {smallest:.3g} < 0.")
    return H


def _vector(b, name: str, size: int) -> np.ndarray:
    b = as_matrix(np.reshape(b, (-1, 1)) if np.ndim(b) == 1 else b, name)
    if b.shape != (size, 1):
        raise ValueError(f"{name} must be a vector of length {size}; got shape {np.shape(b)}.")
    return b[:, 0]


def quadratic_minimizer(H, b, tau: float = 0.0) -> np.ndarray:
    """argmin of E0 + b.w + (1/2) w^T H w + (tau/2) ||w||^2: solves (H + tau I) w = -b. H: (D, D), b: (D,)."""
    H = check_hessian(H)
    b = _vector(b, "b", len(H))
    tau = non_negative_number(tau, "tau")
    A = H + tau * np.eye(len(H))
    if np.linalg.eigvalsh(A)[0] <= 1e-12 * max(1.0, np.abs(A).max()):
        raise ValueError("H + tau I is singular, so the minimizer is not unique; use tau > 0 or a positive definite H.")
    return np.linalg.solve(A, -b)


def shrinkage_factors(eigenvalues, tau: float) -> np.ndarray:
    """d_i = lambda_i / (lambda_i + tau): how much of w* survives along each eigenvector."""
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    tau = non_negative_number(tau, "tau")
    if tau == 0:
        return np.ones_like(eigenvalues)
    return eigenvalues / (eigenvalues + tau)


def effective_parameters(eigenvalues, tau: float) -> float:
    """sum_i lambda_i / (lambda_i + tau): the number of directions the data still determine."""
    return float(shrinkage_factors(eigenvalues, tau).sum())


@dataclass
class EigenView:
    """w* and w~ seen in the eigenbasis of H: eigenvalues (D,) ascending, eigenvectors U (D, D) as columns."""

    eigenvalues: np.ndarray
    eigenvectors: np.ndarray
    w_star: np.ndarray
    w_tilde: np.ndarray

    @property
    def alpha(self) -> np.ndarray:
        """Coordinates of w* along the eigenvectors, U^T w*."""
        return self.eigenvectors.T @ self.w_star

    @property
    def beta(self) -> np.ndarray:
        """Coordinates of w~ along the eigenvectors, U^T w~."""
        return self.eigenvectors.T @ self.w_tilde


def eigen_view(H, b, tau: float) -> EigenView:
    """Eigen-decomposition of H with the unregularized and regularized minimizers.

    Each eigenvector's sign is fixed (largest entry positive), so printed coordinates do not
    depend on the linear-algebra library.
    """
    H = check_hessian(H)
    eigenvalues, U = np.linalg.eigh(H)
    U = U * np.sign(U[np.abs(U).argmax(axis=0), range(len(U))])  # fix each sign: largest entry positive
    return EigenView(eigenvalues, U, quadratic_minimizer(H, b), quadratic_minimizer(H, b, tau))


def ridge_regression(X, t, tau: float) -> np.ndarray:
    """argmin of (1/2N) sum_n (t_n - w.x_n)^2 + (tau/2) ||w||^2; X: (N, D), t: (N,) or (N, 1); returns (D,).

    Its Hessian is X^T X / N, so this is ``quadratic_minimizer`` with H = X^T X / N and b = -X^T t / N.
    """
    X = as_matrix(X, "X")
    t = _vector(t, "t", len(X))
    tau = non_negative_number(tau, "tau")
    return quadratic_minimizer(X.T @ X / len(X), -X.T @ t / len(X), tau)


def train_with_input_noise(X, t, sigma: float, steps: int, learning_rate: float,
                           seed: int | np.random.Generator | None = None) -> np.ndarray:
    """Gradient descent on (1/2N) sum (t - w.x~)^2 with fresh noise x~ = x + N(0, sigma^2 I) at every step.

    X: (N, D), t: (N,). The learning rate decays as learning_rate / (1 + step / 100) so that the
    iterates settle instead of jittering forever. Returns the path of w, shape (steps + 1, D), from w = 0.
    """
    X = as_matrix(X, "X")
    t = _vector(t, "t", len(X))
    sigma = non_negative_number(sigma, "sigma")
    steps = positive_int(steps, "steps")
    learning_rate = positive_number(learning_rate, "learning_rate")
    rng = np.random.default_rng(seed)
    path = np.zeros((steps + 1, X.shape[1]))
    w = path[0].copy()
    for step in range(steps):
        noisy = X + sigma * rng.standard_normal(X.shape)
        w -= learning_rate / (1 + step / 100) * noisy.T @ (noisy @ w - t) / len(X)
        if not np.all(np.isfinite(w)):
            raise FloatingPointError(
                f"w diverged at step {step + 1}; use a smaller learning_rate (now {learning_rate})."
            )
        path[step + 1] = w
    return path


# -- noise on a network: the second-order terms against Monte Carlo --------------------


@dataclass
class NoiseTerms:
    """Excess squared error caused by noise of variance ``variance``, averaged over the data.

    monte_carlo (+- monte_carlo_se): measured; gradient_term: v E||grad y||^2 (the penalty);
    curvature_term: v E[(y - t) tr(Hessian of y)] (the term that is often dropped).
    """

    variance: float
    monte_carlo: float
    monte_carlo_se: float
    gradient_term: float
    curvature_term: float

    @property
    def second_order(self) -> float:
        return self.gradient_term + self.curvature_term


def _single_output(net: DenseNetwork) -> None:
    if net.weights[-1].shape[1] != 1:
        outputs = net.weights[-1].shape[1]
        raise ValueError(f"the noise analysis is for networks with one output; this one has {outputs}.")


def _sensitivities(net: DenseNetwork, X: np.ndarray):
    """Per-sample dy/dZ_l of every layer (a list, (N, fan_out) each) and the layer inputs Ys[l]."""
    Zs, Ys = forward_pass(net.weights, net.biases, net.activations, X)
    deltas = [net.activations[-1].backward(Zs[-1], np.ones_like(Zs[-1]))]
    for l in range(len(net.weights) - 1, 0, -1):
        deltas.insert(0, net.activations[l - 1].backward(Zs[l - 1], deltas[0] @ net.weights[l].T))
    return deltas, Ys


def weight_gradient_sqnorm(net: DenseNetwork, X) -> np.ndarray:
    """||grad_W y(x_n)||^2 over all weight matrices, per sample (N,).

    grad_{W_l} y = y_{l-1} delta_l^T is an outer product, so its squared norm is ||y_{l-1}||^2 ||delta_l||^2.
    """
    deltas, Ys = _sensitivities(net, X)
    return sum((Ys[l] ** 2).sum(1) * (deltas[l] ** 2).sum(1) for l in range(len(deltas)))


def input_gradient(net: DenseNetwork, X) -> np.ndarray:
    """dy/dx per sample, (N, D): one more backprop step, into the inputs."""
    deltas, _ = _sensitivities(net, X)
    return deltas[0] @ net.weights[0].T


def _second_difference_trace(output, array: np.ndarray, groups, h: float) -> np.ndarray:
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


def noise_terms(net: DenseNetwork, X, t, variance: float, where: str = "weights", samples: int = 2000,
                seed: int | np.random.Generator | None = 0, h: float = 1e-3) -> NoiseTerms:
    """Excess of E[(y - t)^2] under Gaussian noise of ``variance`` on the weights or the inputs.

    X: (N, D), t: (N, 1), one network output. Monte Carlo uses ``samples`` antithetic pairs
    (noise e and -e), which cancels the odd terms of the expansion and most of the variance.
    """
    _single_output(net)
    X = as_matrix(X, "X", columns=net.input_size)
    t = as_matrix(t, "t", columns=1)[:, 0]
    variance = positive_number(variance, "variance")
    samples = positive_int(samples, "samples")
    if where not in ("weights", "inputs"):
        raise ValueError(f"where must be 'weights' or 'inputs'; got {where!r}.")
    rng = np.random.default_rng(seed)
    y = net.predict(X)[:, 0]
    clean = np.mean((y - t) ** 2)
    sd = np.sqrt(variance)

    def mean_error(weights, inputs):
        biases = [np.broadcast_to(b, (samples, len(b))) for b in net.biases]
        out = forward_pass(weights, biases, net.activations, inputs)[1][-1][..., 0]
        return ((out - t) ** 2).mean(axis=-1)  # (samples,)

    if where == "weights":
        noise = [sd * rng.standard_normal((samples, *W.shape)) for W in net.weights]
        plus = mean_error([W + e for W, e in zip(net.weights, noise)], X)
        minus = mean_error([W - e for W, e in zip(net.weights, noise)], X)
        gradient_sq = weight_gradient_sqnorm(net, X)
        trace = sum(_second_difference_trace(lambda: net.predict(X)[:, 0], W, list(np.ndindex(W.shape)), h)
                    for W in net.weights)
    else:
        noise = sd * rng.standard_normal((samples, *X.shape))
        stacked = [np.broadcast_to(W, (samples, *W.shape)) for W in net.weights]
        plus, minus = mean_error(stacked, X + noise), mean_error(stacked, X - noise)
        gradient_sq = (input_gradient(net, X) ** 2).sum(1)
        Xc = X.copy()
        trace = _second_difference_trace(lambda: net.predict(Xc)[:, 0], Xc,
                                         [(slice(None), j) for j in range(X.shape[1])], h)
    excess = (plus + minus) / 2 - clean
    return NoiseTerms(variance, float(excess.mean()), float(excess.std(ddof=1) / np.sqrt(samples)),
                      float(variance * gradient_sq.mean()), float(variance * ((y - t) * trace).mean()))

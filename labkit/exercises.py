"""The checks of the notebooks' exercises that would show an answer if they stood in the notebook.

A check compares the student's result with the right one and with what the usual mistakes
give. Written in a check cell, those wrong variants (the right formula with one thing
changed) would hand the student the formula; here they stay out of the cells a student
keeps. Each function takes the student's function and the notebook's data, raises
AssertionError naming the mistake (``labkit.checks.check`` turns it into one line), and
returns the relative error against finite differences where there is one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .activations import Activation
from .checks import expect_array, expect_close, expect_gradient, expect_no_overflow
from .network import DenseNetwork, backward_pass, forward_pass, output_delta
from .weight_decay import quadratic_minimizer, ridge_regression, shrinkage_factors

# -- notebook 01 ------------------------------------------------------------------------------


def delta_output(student: Callable[..., Any], net: DenseNetwork, x: np.ndarray, t: np.ndarray) -> float:
    """Notebook 01, exercise 1: ``student(dE_dyL, zL, phi)`` gives delta^L of one sample x (n_0,), t (n_L,)."""
    Zs, Ys = forward_pass(net.weights, net.biases, net.activations, x[None, :])
    z, y, phi = Zs[-1][0], Ys[-1][0], net.activations[-1]
    dE_dy = net.loss.backward(t[None, :], Ys[-1])[0]
    return expect_gradient(student(dE_dy, z, phi), lambda zz: net.loss.forward(t[None, :], phi.forward(zz)[None, :]),
                           z.copy(), "delta^L", mistakes=[
        ("phi' was evaluated at the output y^L instead of at z^L.", dE_dy * phi.derivative(y)),
        ("the factor phi_L'(z^L) is missing: z^L reaches the error through y^L = phi_L(z^L).", dE_dy),
        ("it has the wrong sign.", -dE_dy * phi.derivative(z))])


def batched_layer(student: Callable[..., Any], net: DenseNetwork, X: np.ndarray, T: np.ndarray) -> dict[str, float]:
    """Notebook 01, exercise 3: ``student(Delta, Y_prev, W, Z_prev, phi_prev)`` (maths convention, rows are samples)
    for every layer with a layer below, fed the true Delta; returns each layer's weight-gradient error."""
    Zs, Ys = forward_pass(net.weights, net.biases, net.activations, X)
    deltas = backward_pass(net.weights, net.activations, Zs, output_delta(net.activations[-1], net.loss, Zs[-1],
                                                                         Ys[-1], T))
    errors = {}
    for l in reversed(range(1, len(net.weights))):
        W = net.weights[l].T  # W^(l+1), (n_(l+1), n_l): a view, so finite differences through it reach the network
        grad_W, grad_b, Delta_prev = student(deltas[l], Ys[l], W, Zs[l - 1], net.activations[l - 1])
        name = f"layer {l + 1}"
        sums = np.einsum("ni,nj->ij", deltas[l], Ys[l])  # the per-sample outer products, added up
        errors[name] = expect_gradient(grad_W, lambda _: net.evaluate_loss(X, T), W, f"grad W of {name}", mistakes=[
            ("it is N times too small: the 1/N of the mean is already inside Delta.", sums / len(X)),
            ("it is N times too large.", sums * len(X))])
        expect_array(grad_W, sums, f"grad W of {name} against the sum of per-sample outer products")
        expect_array(grad_b, deltas[l].sum(axis=0), f"grad b of {name}", mistakes=[
            ("it is the mean over the rows; the 1/N is already inside Delta, so sum them.", deltas[l].mean(axis=0))])
        phi: Activation = net.activations[l - 1]
        expect_array(Delta_prev, deltas[l - 1], f"Delta of layer {l}", mistakes=[
            ("phi' was evaluated at the output Y = phi(Z) instead of at Z.",
             (deltas[l] @ W) * phi.derivative(phi.forward(Zs[l - 1]))),
            ("the factor phi'(Z^(l-1)) is missing.", deltas[l] @ W)])
    return errors


# -- notebook 03 ------------------------------------------------------------------------------


def softmax(student: Callable[[np.ndarray], np.ndarray], reference: Activation) -> None:
    """Notebook 03, exercise 1: ``student(z)`` for scores z (N, k), against ``reference`` (labkit's Softmax)."""
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    mistakes = []
    for e in (np.exp(z), np.exp(z - z.max(axis=1, keepdims=True))):  # with each row's maximum subtracted, or not
        mistakes += [("it normalizes each column; each row (axis=1) is one sample's scores.",
                      e / e.sum(axis=0, keepdims=True)),
                     ("it divides by the sum of the whole array; divide each row by its own sum.", e / e.sum())]
    expect_close(student(z), reference.forward(z), "softmax of two rows", mistakes=mistakes)
    expect_no_overflow(student, [[1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, -3000.0]],
                       [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]], "softmax", "subtract each row's own maximum before np.exp.")
    z = np.random.default_rng(0).normal(size=(5, 10)) * 4
    expect_close(student(z).sum(axis=1), np.ones(5), "the row sums")
    expect_close(student(z + 7.5), reference.forward(z), "softmax after adding 7.5 to every score (it must not change)")


# -- notebook 04 ------------------------------------------------------------------------------


def minimizer(student: Callable[..., Any], H: np.ndarray, b: np.ndarray, tau: float) -> None:
    """Notebook 04, exercise 1: ``student(H, b, tau)`` minimizes E0 + b.w + (1/2) w^T H w + (tau/2) ||w||^2."""
    right = quadratic_minimizer(H, b, tau)
    expect_close(student(H, b, tau), right, "minimizer(H, b, tau)", mistakes=[
        ("it has the wrong sign: at the minimum the gradient of E' is zero; look at the sign of b in it.", -right),
        ("tau was added to every entry of H; weight decay adds it to the diagonal only (tau times the identity).",
         quadratic_minimizer(H + tau, b)),
        ("it is the minimizer for tau / 2: the gradient of (tau/2) ||w||^2 is tau w.",
         quadratic_minimizer(H, b, tau / 2)),
        ("the gradient of (1/2) w^T H w is H w for a symmetric H, not (1/2) H w.",
         quadratic_minimizer(H / 2, b, tau)),
        ("tau is ignored: this is w*, the minimizer of E without the penalty.", quadratic_minimizer(H, b))])
    expect_close(student(H, b, 0.0), quadratic_minimizer(H, b), "minimizer(H, b, 0), which is w*")


def shrink(student: Callable[..., Any], H: np.ndarray, b: np.ndarray, tau: float) -> None:
    """Notebook 04, exercise 2: ``student(H, w_star, tau)`` gives w~ through the eigenbasis of H (fed labkit's w*)."""
    right_star = quadratic_minimizer(H, b)  # labkit's w*, so that this check grades shrink alone
    lam, V = np.linalg.eigh(H)  # the eigenvectors the student's code gets too, to recognize the usual mistakes
    kept = shrinkage_factors(lam, tau)
    expect_close(student(H, right_star, tau), quadratic_minimizer(H, b, tau), "shrink(H, w*, tau)", mistakes=[
        ("it is d * w* element by element in the original coordinates, the original lab's shortcut. The factors "
         "d_i belong to the coordinates alpha_i = u_i . w* along the eigenvectors (Question 2).", kept * right_star),
        ("U and U.T are swapped, or the rows of U were used as the eigenvectors: eigh returns them as the columns.",
         V.T @ (kept * (V @ right_star))),
        ("the coordinates alpha_i = u_i . w* were taken with U instead of its transpose.",
         V @ (kept * (V @ right_star))),
        ("the way back to the original axes, w~ = sum_i beta_i u_i, uses U itself, not its transpose.",
         V.T @ (kept * (V.T @ right_star))),
        ("the factor is tau / (lambda + tau), the part that weight decay removes; the part kept is "
         "lambda / (lambda + tau).", V @ ((1 - kept) * (V.T @ right_star))),
        ("it is beta, the coordinates of w~ along the eigenvectors: map them back to the original axes.",
         kept * (V.T @ right_star))])
    expect_close(student(H, right_star, 0.0), right_star, "shrink(H, w*, 0) (no decay: w* itself)")


def ridge_fit(student: Callable[..., Any], student_minimizer: Callable[..., Any], H: np.ndarray, b: np.ndarray,
              tau: float) -> None:
    """Notebook 04, exercise 3: ``student(Phi, t, tau)``, which calls the student's minimizer (checked if it fails)."""
    data = np.random.default_rng(5)
    Phi, t = data.normal(size=(8, 3)), data.normal(size=8)  # 8 samples, 3 features
    right = ridge_regression(Phi, t, 0.3)
    try:
        expect_close(student(Phi, t, 0.3), right, "ridge_fit for 8 samples and tau = 0.3", mistakes=[
            ("it is the fit for tau / N: the error is a mean over the N samples, and both H and b carry its 1/N.",
             ridge_regression(Phi, t, 0.3 / 8)),
            ("it is N = 8 times too large: b carries the 1/N of the mean as well as H.", 8 * right),
            ("it is the fit for tau / 2: the 2 from differentiating the square cancels the error's 1/2.",
             ridge_regression(Phi, t, 0.15)),
            ("it has the wrong sign: look at the sign of b, the linear term of the error.", -right)])
    except AssertionError:
        expect_close(student_minimizer(H, b, tau), quadratic_minimizer(H, b, tau),
                     "your minimizer, which ridge_fit uses (fix Exercise 1 first),")
        raise


# -- notebook 05 ------------------------------------------------------------------------------


def monte_carlo(student: Callable[..., Any], X: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, float]:
    """Notebook 05, exercise 1: ``student(X, t, w, sigma, samples, rng)`` returns the Monte Carlo mean gradient of the
    noisy error and its standard error. Returns the standard errors with 16000 samples and how much they shrank."""
    N, D = X.shape
    w = np.full(D, 0.5)
    clean = -X.T @ (t - X @ w) / N  # the gradient of E without noise
    mean, se = student(X, t, w, 0.0, 10, np.random.default_rng(1))
    expect_close(mean, clean, "the mean for sigma = 0 (no noise: the gradient of E itself)", mistakes=[
        ("it is N times too large: E is a mean over the N samples, so its gradient carries a 1/N.", N * clean),
        ("it has the wrong sign: the gradient of (1/2)(t - w.x)^2 with respect to w is -(t - w.x) x.", -clean)])
    expect_close(se, np.zeros(D), "the standard error for sigma = 0 (all samples are the same)")
    sigma = 0.8
    _, se_1000 = student(X, t, w, sigma, 1000, np.random.default_rng(2))
    mean, se = student(X, t, w, sigma, 16000, np.random.default_rng(3))
    if np.all(se < 1e-12):
        raise AssertionError("the standard error is 0 with noise: every sample saw the same noise. Draw new noise "
                             "for each sample (an array of shape (samples, N, D)), not one noise matrix for all.")
    shrinks = float(np.median(se_1000 / se))  # 16 times more samples: the standard error must shrink 4 times
    if shrinks < 1.5:
        raise AssertionError("the standard error does not shrink with more samples: it is the standard deviation of "
                             "the samples. The standard error of their mean divides it by sqrt(samples).")
    if shrinks > 10:
        raise AssertionError(f"the standard error shrinks {shrinks:.0f} times from 1000 to 16000 samples instead of "
                             "sqrt(16) = 4 times: divide the standard deviation by sqrt(samples), not by samples.")
    expect_close(shrinks, 4.0, "how much the standard error shrinks from 1000 to 16000 samples", atol=1.0)
    expect_close(mean, clean + sigma**2 * w, "the mean for sigma = 0.8 (within 5 standard errors of Question 1's "
                 "answer)", atol=5 * se.max(), mistakes=[
                     ("it is the gradient without noise: the noisy gradient has x~ = x + noise both in the residual "
                      "and in the factor that multiplies it.", clean),
                     ("it is the expectation for noise of standard deviation sigma^2: scale the standard normal draws "
                      "by sigma, the standard deviation (sigma^2 is the variance).", clean + sigma**4 * w)])
    return se, shrinks


def hessian_trace(student: Callable[..., Any]) -> None:
    """Notebook 05, exercise 2: ``student(f, x)`` sums d^2 f / dx_k^2 over the entries of x by second differences."""
    data = np.random.default_rng(6)
    A, c, v = data.normal(size=(4, 3)), data.normal(size=4), data.normal(size=3)

    def f(u: np.ndarray) -> np.ndarray:  # four outputs: sin(a_n . u) + c_n ||u||^2
        return np.sin(A @ u) + c * (u @ u)

    exact = -(A**2).sum(axis=1) * np.sin(A @ v) + 6 * c  # its trace, output by output
    before = v.copy()
    got = student(f, v)
    if not np.allclose(v, before, rtol=0, atol=1e-9):
        raise AssertionError("hessian_trace changed x: put each entry back after perturbing it.")
    ones = np.ones(3) * 1e-3
    expect_array(got, exact, "the trace for f(u) = sin(A u) + c ||u||^2", tol=1e-5, mistakes=[
        ("the division by h^2 is missing.", exact * 1e-6),
        ("it is divided by (2h)^2: the second difference spans 2h but divides by h^2.", exact / 4),
        ("it is divided by h instead of h^2.", exact * 1e-3),
        ("all entries were moved at once: perturb one entry at a time and add up the second differences.",
         (f(v + ones) - 2 * f(v) + f(v - ones)) / 1e-6)])
    Y, a = data.normal(size=(5, 2)), data.normal(size=3)
    weights = data.normal(size=(2, 3))

    def g(W: np.ndarray) -> np.ndarray:  # five outputs: sin(y_n . W a)
        return np.sin(Y @ W @ a)

    got = student(lambda _: g(weights), weights)  # f reads the array from outside, as a network does
    exact = -np.sin(Y @ weights @ a) * (Y**2).sum(axis=1) * (a @ a)
    rows = [np.outer(np.eye(2)[i], np.full(3, 1e-3)) for i in range(2)]  # a whole row moved at once
    expect_array(got, exact, "the trace with respect to a (2, 3) array read from outside f", tol=1e-5, mistakes=[
        ("it is 0: f never saw the perturbation. f reads the array from outside, so change the entries of x itself, "
         "not of a copy.", np.zeros(5)),
        ("x[k] with a single index moves a whole row of a 2-D array: perturb one entry at a time "
         "(np.ndindex(x.shape) gives every index).",
         sum((g(weights + step) - 2 * g(weights) + g(weights - step)) / 1e-6 for step in rows))])

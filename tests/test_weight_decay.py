"""Closed forms of weight decay against numerical optimisation and the ridge hat matrix."""

import numpy as np
import pytest

from labkit import numerical_gradient
from labkit.weight_decay import (
    check_hessian,
    effective_parameters,
    eigen_view,
    quadratic_minimizer,
    ridge_regression,
    shrinkage_factors,
)


def random_spd(seed, d=4):
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d))
    return A @ A.T + 0.1 * np.eye(d), rng.normal(size=d)


def gradient_descent(H, b, tau, steps=20000):
    w = np.zeros(len(b))
    lr = 1 / (np.linalg.eigvalsh(H)[-1] + tau)
    for _ in range(steps):
        w -= lr * (b + H @ w + tau * w)
    return w


@pytest.mark.parametrize("seed", range(3))
def test_closed_form_minimizers_match_gradient_descent(seed):
    H, b = random_spd(seed)
    for tau in (0.0, 0.5, 3.0):
        np.testing.assert_allclose(quadratic_minimizer(H, b, tau), gradient_descent(H, b, tau), atol=1e-8)


def test_regularized_minimizer_is_shrinkage_in_the_eigenbasis():
    H, b = random_spd(5)
    view = eigen_view(H, b, tau=0.7)
    d = shrinkage_factors(view.eigenvalues, 0.7)
    np.testing.assert_allclose(view.beta, d * view.alpha)
    U = view.eigenvectors
    np.testing.assert_allclose(view.w_tilde, U @ np.diag(d) @ U.T @ view.w_star)
    np.testing.assert_allclose(view.w_tilde, np.linalg.solve(H + 0.7 * np.eye(4), H @ view.w_star))
    np.testing.assert_allclose(U.T @ U, np.eye(4), atol=1e-12)  # H symmetric: orthonormal eigenvectors
    assert not np.allclose(view.w_tilde, d * view.w_star)  # the element-wise formula is wrong for a general H


def test_elementwise_shrinkage_is_right_when_h_is_diagonal():
    H, b = np.diag([0.5, 2.0, 9.0]), np.array([1.0, -1.0, 2.0])
    w_star, w_tilde = quadratic_minimizer(H, b), quadratic_minimizer(H, b, 1.0)
    np.testing.assert_allclose(w_tilde, shrinkage_factors(np.diag(H), 1.0) * w_star)


def test_effective_parameters_is_the_trace_of_the_ridge_hat_matrix():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 6)) * [3, 2, 1, 0.5, 0.1, 0.01]
    H = X.T @ X / len(X)
    for tau in (0.0, 0.01, 1.0, 100.0):
        hat = X @ np.linalg.solve(H + tau * np.eye(6), X.T) / len(X)
        assert effective_parameters(np.linalg.eigvalsh(H), tau) == pytest.approx(np.trace(hat))
    assert effective_parameters([1.0, 4.0], 0.0) == 2.0


def test_ridge_regression_minimizes_its_objective():
    rng = np.random.default_rng(1)
    X, t = rng.normal(size=(30, 3)), rng.normal(size=30)
    w = ridge_regression(X, t, 0.4)
    objective = lambda v: float(((t - X @ v) ** 2).mean() / 2 + 0.2 * v @ v)  # noqa: E731
    assert np.abs(numerical_gradient(objective, w.copy())).max() < 1e-8
    np.testing.assert_allclose(ridge_regression(X, t.reshape(-1, 1), 0.0), np.linalg.lstsq(X, t, rcond=None)[0])


def test_bad_inputs_are_explained():
    with pytest.raises(ValueError, match="must be square"):
        check_hessian(np.ones((2, 3)))
    with pytest.raises(ValueError, match="must be symmetric"):
        check_hessian([[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="positive semi-definite; it has the eigenvalue -1"):
        check_hessian(np.diag([1.0, -1.0]))
    with pytest.raises(ValueError, match="tau must be a finite number >= 0"):
        quadratic_minimizer(np.eye(2), [1.0, 1.0], tau=-1)
    with pytest.raises(ValueError, match="H \\+ tau I is singular"):
        quadratic_minimizer(np.diag([1.0, 0.0]), [1.0, 1.0])
    with pytest.raises(ValueError, match="b must be a vector of length 2"):
        quadratic_minimizer(np.eye(2), [1.0, 1.0, 1.0])

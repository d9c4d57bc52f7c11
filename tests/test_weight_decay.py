"""Closed forms of weight decay against numerical optimisation and the ridge hat matrix."""

import numpy as np
import pytest

from labkit import numerical_gradient
from labkit.weight_decay import (
    check_hessian,
    effective_parameters,
    eigen_view,
    quadratic_descent,
    quadratic_error,
    quadratic_minimizer,
    ridge_regression,
    shrinkage_factors,
)
from tests.messages import exactly


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


def test_quadratic_error_has_its_gradient_and_its_minimum_where_the_closed_form_says():
    H, b = random_spd(7)
    w = np.random.default_rng(7).normal(size=len(b))
    gradient = numerical_gradient(lambda v: float(quadratic_error(H, b, v)), w.copy())
    np.testing.assert_allclose(gradient, b + H @ w, rtol=1e-7)  # dE/dw = b + H w
    w_star = quadratic_minimizer(H, b)
    assert quadratic_error(H, b, w_star) == pytest.approx(-0.5 * b @ np.linalg.solve(H, b), rel=1e-12)
    points = np.stack([w, w_star, np.zeros_like(w)])[None]  # a stack (1, 3, D) gives the errors (1, 3)
    errors = quadratic_error(H, b, points)
    assert errors.shape == (1, 3)
    np.testing.assert_allclose(errors[0], [quadratic_error(H, b, v) for v in points[0]], rtol=1e-12)
    assert errors[0, 2] == 0.0


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


@pytest.mark.parametrize("seed", range(5))
def test_each_eigenvector_has_its_largest_entry_positive(seed):
    # so the printed coordinates alpha and beta do not depend on the linear-algebra library
    H, b = random_spd(seed)
    U = eigen_view(H, b, tau=0.5).eigenvectors
    np.testing.assert_allclose(H @ U, U * np.linalg.eigvalsh(H), atol=1e-12)
    assert all(U[np.abs(U[:, j]).argmax(), j] > 0 for j in range(len(U)))


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


def test_shrinkage_factors_are_fractions_even_for_integer_eigenvalues():
    for tau in (0, 2):
        d = shrinkage_factors([1, 4], tau)
        assert d.dtype == np.float64
        np.testing.assert_allclose(d, [1 / (1 + tau), 4 / (4 + tau)])


def test_ridge_regression_minimizes_its_objective():
    rng = np.random.default_rng(1)
    X, t = rng.normal(size=(30, 3)), rng.normal(size=30)
    w = ridge_regression(X, t, 0.4)
    objective = lambda v: float(((t - X @ v) ** 2).mean() / 2 + 0.2 * v @ v)  # noqa: E731
    assert np.abs(numerical_gradient(objective, w.copy())).max() < 1e-8
    np.testing.assert_allclose(ridge_regression(X, t.reshape(-1, 1), 0.0), np.linalg.lstsq(X, t, rcond=None)[0])


def test_ridge_regression_with_a_duplicated_feature_in_large_units():
    # X^T X / N is singular; rounding makes its smallest eigenvalue about -1e-10 at this scale, which
    # is still positive semi-definite relative to entries of 1e6 to 1e8. With tau > 0 the two copies share the weight.
    for seed in range(5):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(30, 2)) * 1e4
        X, t = np.hstack([x, x[:, :1]]), rng.normal(size=30)
        w = ridge_regression(X, t, tau=1.0)
        assert w[0] == pytest.approx(w[2], rel=1e-6)


def test_symmetry_is_judged_relative_to_the_size_of_h():
    check_hessian([[2.0, 1.0], [1.0 + 1e-15, 2.0]])  # rounding in a computed Hessian is fine
    for H in ([[2.0, 1.0], [1.0 + 1e-6, 2.0]], 1e-6 * np.array([[2.0, 1.0], [1.001, 2.0]])):
        with pytest.raises(ValueError, match="^H must be symmetric"):
            check_hessian(H)


def test_a_nearly_singular_h_is_refused():
    # smallest eigenvalue 1e-15 of the largest: the solve would be mostly rounding error
    with pytest.raises(ValueError, match=exactly(
        "H + tau I is singular, so the minimizer is not unique; use tau > 0 or a positive definite H."
    )):
        quadratic_minimizer(np.diag([1e6, 1e-9]), [1.0, 1.0])


def test_bad_inputs_are_explained():
    with pytest.raises(ValueError, match=exactly("H must be square; got shape (2, 3).")):
        check_hessian(np.ones((2, 3)))
    with pytest.raises(ValueError, match=exactly("H must be symmetric (a Hessian is); largest |H - H^T| is 2.")):
        check_hessian([[1.0, 3.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match=exactly(
        "H is empty (shape (0, 0)); it needs at least one row and one column."
    )):
        check_hessian(np.zeros((0, 0)))
    with pytest.raises(ValueError, match="positive semi-definite; it has the eigenvalue -1"):
        check_hessian(np.diag([1.0, -1.0]))
    with pytest.raises(ValueError, match="tau must be a finite number >= 0"):
        quadratic_minimizer(np.eye(2), [1.0, 1.0], tau=-1)
    with pytest.raises(ValueError, match="H \\+ tau I is singular"):
        quadratic_minimizer(np.diag([1.0, 0.0]), [1.0, 1.0])
    with pytest.raises(ValueError, match="b must be a vector of length 2"):
        quadratic_minimizer(np.eye(2), [1.0, 1.0, 1.0])


@pytest.mark.parametrize("function, arguments, message", [
    (ridge_regression, (np.zeros((0, 2)), [], 1.0),
     "X is empty (shape (0, 2)); it needs at least one row and one column."),
    (ridge_regression, (np.ones((3, 2)), [1.0, 2.0], 1.0), "t must be a vector of length 3; got shape (2,)."),
    (ridge_regression, (np.ones((3, 2)), np.zeros((3, 0)), 1.0),
     "t is empty (shape (3, 0)); it needs at least one row and one column."),
    (ridge_regression, (np.ones((3, 2)), [1.0, 2.0, 3.0], -1.0), "tau must be a finite number >= 0; got -1.0."),
    (quadratic_descent, (np.eye(2), [1.0], 0.0, 5), "b must be a vector of length 2; got shape (1,)."),
    (quadratic_descent, (np.eye(2), [1.0, 1.0], -1.0, 5), "tau must be a finite number >= 0; got -1.0."),
    (quadratic_descent, (np.eye(2), [1.0, 1.0], 0.0, 0), "steps must be an integer >= 1; got 0."),
], ids=["ridge X", "ridge t length", "ridge t empty", "ridge tau", "descent b", "descent tau", "descent steps"])
def test_bad_arguments_are_named(function, arguments, message):
    with pytest.raises(ValueError, match=exactly(message)):
        function(*arguments)


def test_negative_tau_is_named_in_the_eigen_picture():
    with pytest.raises(ValueError, match=exactly("tau must be a finite number >= 0; got -1.")):
        shrinkage_factors([1.0, 4.0], -1)


def test_the_tolerances_on_eigenvalues_are_relative_to_the_largest_entry_but_at_least_absolute():
    # check_hessian allows a smallest eigenvalue down to -1e-10 max(1, max |H|) (rounding, not negative curvature);
    # quadratic_minimizer needs the smallest eigenvalue of A = H + tau I above 1e-12 max(1, max |A|)
    check_hessian(np.diag([1.0, -1e-10]))  # exactly at the bound
    check_hessian(np.diag([0.5, -0.75e-10]))  # small entries: the bound stays 1e-10, not half of it
    with pytest.raises(ValueError, match="positive semi-definite"):
        check_hessian(np.diag([0.5, -1.5e-10]))
    with pytest.raises(ValueError, match="H \\+ tau I is singular"):
        quadratic_minimizer(np.diag([1.0, 1e-12]), [1.0, 1.0])  # exactly at the bound counts as singular
    with pytest.raises(ValueError, match="H \\+ tau I is singular"):
        quadratic_minimizer(np.diag([0.5, 0.75e-12]), [1.0, 1.0])  # small entries: the bound stays 1e-12
    np.testing.assert_allclose(quadratic_minimizer(np.diag([0.5, 1.5e-12]), [1.0, 1.5e-12]), [-2.0, -1.0])

"""Weight decay on a quadratic error, in closed form (notebook 04).

With E(w) = E0 + b.w + (1/2) w^T H w and E'(w) = E(w) + (tau/2) ||w||^2, the
minimizers are w* = -H^-1 b and w~ = -(H + tau I)^-1 b. In the eigenbasis of H = U diag(lambda) U^T every
coordinate of w* is multiplied by d_i = lambda_i / (lambda_i + tau):
w~ = U diag(d) U^T w* = (H + tau I)^-1 H w*.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .validate import as_matrix, as_vector, non_negative_number, positive_int


def check_hessian(H: ArrayLike, name: str = "H") -> np.ndarray:
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


def quadratic_minimizer(H: ArrayLike, b: ArrayLike, tau: float = 0.0) -> np.ndarray:
    """argmin of E0 + b.w + (1/2) w^T H w + (tau/2) ||w||^2: solves (H + tau I) w = -b. H: (D, D), b: (D,)."""
    H = check_hessian(H)
    b = as_vector(b, "b", len(H))
    tau = non_negative_number(tau, "tau")
    A = H + tau * np.eye(len(H))
    if np.linalg.eigvalsh(A)[0] <= 1e-12 * max(1.0, np.abs(A).max()):
        raise ValueError("H + tau I is singular, so the minimizer is not unique; use tau > 0 or a positive definite H.")
    return np.linalg.solve(A, -b)


def quadratic_descent(H: ArrayLike, b: ArrayLike, tau: float, steps: int) -> np.ndarray:
    """Gradient descent on E' from w = 0 with the step 1 / (largest eigenvalue of H + tau): w after ``steps`` steps.

    That step is the largest for which every direction converges without overshooting; the error along
    the flattest direction shrinks by a factor 1 - (lambda_1 + tau) / (lambda_D + tau) per step.
    """
    H = check_hessian(H)
    b = as_vector(b, "b", len(H))
    tau = non_negative_number(tau, "tau")
    step = 1 / (np.linalg.eigvalsh(H)[-1] + tau)
    w = np.zeros(len(b))
    for _ in range(positive_int(steps, "steps")):
        w = w - step * (b + H @ w + tau * w)
    return w


def quadratic_error(H: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """E(w) - E0 = b.w + (1/2) w^T H w at a point w (D,), or at each point of a stack (..., D); shape (...)."""
    return w @ b + 0.5 * np.einsum("...i,ij,...j->...", w, H, w)


def shrinkage_factors(eigenvalues: ArrayLike, tau: float) -> np.ndarray:
    """d_i = lambda_i / (lambda_i + tau): how much of w* survives along each eigenvector."""
    eigenvalues = np.asarray(eigenvalues, dtype=float)
    tau = non_negative_number(tau, "tau")
    if tau == 0:
        return np.ones_like(eigenvalues)
    return eigenvalues / (eigenvalues + tau)


def effective_parameters(eigenvalues: ArrayLike, tau: float) -> float:
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


def eigen_view(H: ArrayLike, b: ArrayLike, tau: float) -> EigenView:
    """Eigen-decomposition of H with the unregularized and regularized minimizers.

    Each eigenvector's sign is fixed (largest entry positive), so printed coordinates do not
    depend on the linear-algebra library.
    """
    H = check_hessian(H)
    eigenvalues, U = np.linalg.eigh(H)
    U = U * np.sign(U[np.abs(U).argmax(axis=0), range(len(U))])  # fix each sign: largest entry positive
    return EigenView(eigenvalues, U, quadratic_minimizer(H, b), quadratic_minimizer(H, b, tau))


def ridge_regression(X: ArrayLike, t: ArrayLike, tau: float) -> np.ndarray:
    """argmin of (1/2N) sum_n (t_n - w.x_n)^2 + (tau/2) ||w||^2; X: (N, D), t: (N,) or (N, 1); returns (D,).

    Its Hessian is X^T X / N, so this is ``quadratic_minimizer`` with H = X^T X / N and b = -X^T t / N.
    """
    X = as_matrix(X, "X")
    t = as_vector(t, "t", len(X))
    tau = non_negative_number(tau, "tau")
    return quadratic_minimizer(X.T @ X / len(X), -X.T @ t / len(X), tau)

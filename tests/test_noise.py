"""Noise as a regularizer: training with input noise, the second-order terms, against Monte Carlo."""

import numpy as np
import pytest

from labkit import build_network, numerical_gradient, rel_error
from labkit.noise import input_gradient, noise_terms, train_with_input_noise, weight_gradient_sqnorm
from labkit.weight_decay import ridge_regression


def test_input_noise_training_converges_to_ridge_with_tau_sigma_squared():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(400, 3))
    t = X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=400)
    path = train_with_input_noise(X, t, sigma=0.6, steps=3000, learning_rate=0.1, seed=3)
    assert path.shape == (3001, 3)
    to_ridge = np.linalg.norm(path[-1] - ridge_regression(X, t, 0.36))
    to_plain = np.linalg.norm(path[-1] - ridge_regression(X, t, 0.0))
    assert to_ridge < 0.03 < 0.5 < to_plain
    assert np.linalg.norm(path[-1] - ridge_regression(X, t, 0.72)) > 5 * to_ridge  # tau = 2 sigma^2 is wrong here


def test_gradient_norms_and_input_gradients_match_finite_differences():
    rng = np.random.default_rng(4)
    net = build_network(3, [5, "tanh", 4, "sigmoid", 1, "identity"], "mse", seed=4)
    X = rng.normal(size=(6, 3))
    for n in range(len(X)):
        xn = X[n : n + 1]
        grads = [numerical_gradient(lambda _, xn=xn: float(net.predict(xn)[0, 0]), W) for W in net.weights]
        assert weight_gradient_sqnorm(net, xn)[0] == pytest.approx(sum((g**2).sum() for g in grads), rel=1e-7)
    numeric = numerical_gradient(lambda x: float(net.predict(x).sum()), X.copy())  # rows are independent
    assert rel_error(input_gradient(net, X), numeric) < 1e-7


@pytest.mark.parametrize("where", ["weights", "inputs"])
def test_second_order_expansion_agrees_with_monte_carlo_for_small_noise(where):
    rng = np.random.default_rng(5)
    net = build_network(2, [6, "tanh", 1, "identity"], "mse", seed=5)
    X, t = rng.normal(size=(100, 2)), rng.normal(size=(100, 1))
    terms = noise_terms(net, X, t, variance=1e-3, where=where, samples=4000, seed=6)
    assert abs(terms.monte_carlo - terms.second_order) < 4 * terms.monte_carlo_se + 0.02 * abs(terms.second_order)
    near_fit = noise_terms(net, X, net.predict(X), variance=1e-3, where=where, samples=500)
    assert near_fit.curvature_term == pytest.approx(0.0, abs=1e-12)  # y = t: the dropped term vanishes


def test_bad_inputs_are_explained():
    net = build_network(2, [3, "tanh", 2, "identity"], "mse", seed=0)
    with pytest.raises(ValueError, match="one output; this one has 2"):
        noise_terms(net, np.zeros((3, 2)), np.zeros((3, 1)), 0.1)

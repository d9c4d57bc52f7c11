"""Noise as a regularizer: the second-order terms of input and weight noise, against Monte Carlo."""


import numpy as np
import pytest

from labkit import build_network, numerical_gradient, rel_error
from labkit.noise import input_gradient, noise_terms, weight_gradient_sqnorm
from tests import students
from tests.messages import exactly


@pytest.mark.parametrize("output", ["identity", "sigmoid"])
def test_gradient_norms_and_input_gradients_match_finite_differences(output):
    rng = np.random.default_rng(4)
    net = build_network(3, [5, "tanh", 4, "sigmoid", 1, output], "mse", seed=4)
    X = rng.normal(size=(6, 3))
    assert weight_gradient_sqnorm(net, X).dtype == input_gradient(net, X).dtype == np.float64
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


@pytest.mark.parametrize("where", ["weights", "inputs"])
def test_on_a_linear_model_noise_costs_exactly_the_penalty(where):
    # y = x.w + b: noise a on y gives ((y + a - t)^2 + (y - a - t)^2) / 2 - (y - t)^2 = a^2 for each antithetic
    # pair, however far y is from t. Weight noise: a = x.e, E a^2 = v ||x||^2; input noise: a = e.w, E a^2 = v ||w||^2.
    # The pairs' excesses are sums of squared normals, so their standard error is known too.
    rng = np.random.default_rng(7)
    X = rng.normal(size=(50, 3))
    net = build_network(3, [1, "identity"], "mse", seed=1)
    w, v, samples = net.weights[0][:, 0], 0.01, 2000
    t = net.predict(X) + 100.0  # far from the targets: the odd terms are large, the pairs must cancel them
    terms = noise_terms(net, X, t, v, where=where, samples=samples, seed=3)
    if where == "weights":
        S = X.T @ X / len(X)
        penalty, standard_error = v * np.trace(S), v * np.sqrt(2 * np.trace(S @ S) / samples)
    else:
        penalty, standard_error = v * (w @ w), v * (w @ w) * np.sqrt(2 / (len(X) * samples))
    assert terms.variance == v
    assert terms.gradient_term == pytest.approx(penalty, rel=1e-12)
    assert abs(terms.curvature_term) < 1e-8  # no curvature: only rounding in the second differences
    assert abs(terms.monte_carlo - penalty) < 4 * standard_error
    assert terms.monte_carlo_se == pytest.approx(standard_error, rel=0.1)


@pytest.mark.parametrize("where", ["weights", "inputs"])
def test_second_order_expansion_holds_for_a_deeper_network_with_a_sigmoid_output(where):
    rng = np.random.default_rng(8)
    net = build_network(2, [3, "tanh", 4, "tanh", 1, "sigmoid"], "mse", seed=8)
    X, t = rng.normal(size=(40, 2)), rng.random(size=(40, 1))
    terms = noise_terms(net, X, t, variance=1e-3, where=where, samples=2000, seed=9)
    assert abs(terms.monte_carlo - terms.second_order) < 4 * terms.monte_carlo_se + 0.02 * abs(terms.second_order)


def test_noise_terms_default_to_weight_noise_and_are_reproducible():
    rng = np.random.default_rng(10)
    net = build_network(2, [3, "tanh", 1, "identity"], "mse", seed=10)
    X, t = rng.normal(size=(10, 2)), rng.normal(size=(10, 1))
    assert noise_terms(net, X, t, 1e-3) == noise_terms(net, X, t, 1e-3, where="weights", samples=2000, seed=0, h=1e-3)


def test_two_pairs_are_enough_for_a_standard_error():
    net = build_network(2, [3, "tanh", 1, "identity"], "mse", seed=0)
    X, t = np.random.default_rng(0).normal(size=(5, 2)), np.zeros((5, 1))
    assert np.isfinite(noise_terms(net, X, t, 0.01, samples=2).monte_carlo_se)


def test_bad_inputs_are_explained():
    net = build_network(2, [3, "tanh", 4, "tanh", 2, "identity"], "mse", seed=0)
    message = "the noise analysis is for networks with one output; this one has 2."
    with pytest.raises(ValueError, match=exactly(message)):
        noise_terms(net, np.zeros((3, 2)), np.zeros((3, 1)), 0.1)


NET = build_network(2, [3, "tanh", 1, "identity"], "mse", seed=0)
X3, T3 = np.zeros((3, 2)), np.zeros((3, 1))


@pytest.mark.parametrize("arguments, message", [
    ((NET, np.zeros((3, 3)), T3, 0.1), "X has 3 columns (shape (3, 3)) but 2 were expected."),
    ((NET, np.zeros((0, 2)), T3, 0.1), "X is empty (shape (0, 2)); it needs at least one row and one column."),
    ((NET, X3, np.zeros((3, 2)), 0.1), "t must be a vector of length 3; got shape (3, 2)."),
    ((NET, X3, np.zeros((4, 1)), 0.1), "t must be a vector of length 3; got shape (4, 1)."),
    ((NET, X3.T, np.zeros((3, 1)), 0.1), "X has 3 columns (shape (2, 3)) but 2 were expected."),  # not t's fault
    ((NET, X3, np.zeros((0, 1)), 0.1), "t is empty (shape (0, 1)); it needs at least one row and one column."),
    ((NET, X3, T3, 0.0), "variance must be a finite number > 0; got 0.0."),
    ((NET, X3, T3, 0.1, "biases"), "where must be 'weights' or 'inputs'; got 'biases'."),
    ((NET, X3, T3, 0.1, "weights", 0), "samples must be an integer >= 1; got 0."),
    ((NET, X3, T3, 0.1, "weights", 1), "samples must be an integer >= 2 (a standard error needs two pairs); got 1."),
], ids=["X columns", "X empty", "t columns", "t rows", "X transposed", "t empty", "variance", "where", "samples",
        "one sample"])
def test_bad_noise_terms_arguments_are_named(arguments, message):
    with pytest.raises(ValueError, match=exactly(message)):
        noise_terms(*arguments)


@pytest.mark.parametrize("where", ["weights", "inputs"])
def test_a_given_hessian_trace_gives_the_curvature_term_and_its_standard_error(where):
    rng = np.random.default_rng(11)
    net = build_network(2, [4, "tanh", 1, "sigmoid"], "mse", seed=11)
    X, t, v, h = rng.normal(size=(12, 2)), rng.random(size=(12, 1)), 1e-3, 1e-3
    if where == "weights":
        curvature = sum(students.hessian_trace(lambda _: net.predict(X)[:, 0], W, h) for W in net.weights)
    else:
        curvature = students.hessian_trace(lambda inputs: net.predict(inputs)[:, 0], X.copy(), h)
    per_sample = v * (net.predict(X)[:, 0] - t[:, 0]) * curvature
    own = noise_terms(net, X, t, v, where=where, samples=50, h=h)
    given = noise_terms(net, X, t, v, where=where, samples=50, h=h, trace=students.hessian_trace)
    for terms in (own, given):
        assert terms.curvature_term == pytest.approx(per_sample.mean(), rel=1e-9)
        assert terms.curvature_se == pytest.approx(per_sample.std(ddof=1) / np.sqrt(len(X)), rel=1e-9)
    assert (given.monte_carlo, given.gradient_term) == (own.monte_carlo, own.gradient_term)

"""The gradient checker itself: central differences, the relative error, the per-parameter report."""

import numpy as np
import pytest

from labkit import build_network, check_network_gradients, network_gradient_errors, numerical_gradient, rel_error
from tests.messages import exactly

NEEDS_FLOAT64 = "numerical_gradient needs a float64 numpy array x (float32 is too coarse for h = 1e-5)."


def test_central_differences_of_a_known_function():
    x = np.array([[0.3, -1.2], [2.0, 0.0]])
    grad = numerical_gradient(lambda v: float((np.sin(v) * v[0, 0]).sum()), x.copy())
    expected = np.cos(x) * x[0, 0]
    expected[0, 0] += np.sin(x).sum()  # x[0, 0] also appears as the factor
    np.testing.assert_allclose(grad, expected, rtol=1e-8, atol=1e-10)


def test_central_differences_are_second_order_accurate():
    # f(x) = x^3 at 1: the central difference is 3 + h^2 exactly; a one-sided one would be off by 3h.
    for h in (1e-2, 1e-3):
        assert numerical_gradient(lambda v: float(v[0] ** 3), np.array([1.0]), h=h)[0] == pytest.approx(3 + h**2)


def test_numerical_gradient_restores_the_array_it_perturbs():
    x = np.array([1.0, 2.0, 3.0])
    numerical_gradient(lambda v: float(v @ v), x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])


def test_numerical_gradient_needs_float64():
    with pytest.raises(TypeError, match=exactly(NEEDS_FLOAT64)):
        numerical_gradient(lambda v: float(v.sum()), np.zeros(2, dtype=np.float32))
    with pytest.raises(TypeError, match=exactly(NEEDS_FLOAT64)):
        numerical_gradient(lambda v: float(sum(v)), [1.0, 2.0])


def test_relative_error_is_scale_free_and_zero_for_two_zeros():
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.2])
    expected = np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))
    assert rel_error(a, b) == pytest.approx(expected)
    assert rel_error(1000 * a, 1000 * b) == pytest.approx(expected)
    assert rel_error(b, a) == pytest.approx(expected)
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error(a, -a) == pytest.approx(1.0)


def test_relative_error_of_float32_arrays_is_computed_in_float64():
    # Squares of float32 entries above ~2e19 overflow: a diverging float32 network's gradients still compare.
    a, b = np.array([3e19, 0.0], dtype=np.float32), np.array([3e19, 3e19], dtype=np.float32)
    assert rel_error(a, b) == pytest.approx(1 / (1 + np.sqrt(2)), rel=1e-12)  # 3e19 / (3e19 + 3e19 sqrt(2))
    assert rel_error(b, a) == pytest.approx(1 / (1 + np.sqrt(2)), rel=1e-12)


def test_network_gradient_errors_names_every_parameter_from_the_input_up():
    net = build_network(3, [4, "tanh", 2, "sigmoid"], seed=0)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(5, 3)), (rng.random((5, 2)) > 0.5).astype(float)
    errors = network_gradient_errors(net, X, y, weight_decay=0.2)
    assert list(errors) == ["W1", "b1", "W2", "b2"]
    assert max(errors.values()) < 1e-7
    assert check_network_gradients(net, X, y, weight_decay=0.2) == max(errors.values())


def test_network_gradient_errors_see_a_wrong_bias_gradient():
    net = build_network(2, [3, "tanh", 1, "sigmoid"], seed=1)
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(4, 2)), np.array([[0.0], [1.0], [1.0], [0.0]])
    right = net.gradients

    def wrong(*args, **kwargs):
        grad_W, grad_b = right(*args, **kwargs)
        return grad_W, [grad_b[0] * 2, grad_b[1]]

    net.gradients = wrong
    errors = network_gradient_errors(net, X, y)
    assert errors["b1"] > 0.1 and max(errors["W1"], errors["W2"], errors["b2"]) < 1e-7


def test_without_weight_decay_the_check_is_of_the_plain_loss():
    # A student's backprop that leaves out the decay term passes the default check and fails the check with decay.
    net = build_network(3, [4, "tanh", 2, "sigmoid"], seed=0)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(5, 3)), (rng.random((5, 2)) > 0.5).astype(float)
    plain = net.gradients
    net.gradients = lambda X, y_true, weight_decay=0.0: plain(X, y_true)  # ignores weight_decay
    assert max(network_gradient_errors(net, X, y).values()) < 1e-7
    assert check_network_gradients(net, X, y) < 1e-7
    with_decay = network_gradient_errors(net, X, y, weight_decay=0.5)
    assert min(with_decay["W1"], with_decay["W2"]) > 0.1 and max(with_decay["b1"], with_decay["b2"]) < 1e-7
    assert check_network_gradients(net, X, y, weight_decay=0.5) > 0.1


def test_the_step_h_reaches_the_finite_differences():
    # The central difference errs by O(h^2): h = 1e-2 shows it (~1e-4), the default 1e-5 does not.
    net = build_network(3, [4, "tanh", 2, "sigmoid"], seed=0)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(5, 3)), (rng.random((5, 2)) > 0.5).astype(float)
    assert check_network_gradients(net, X, y) < 1e-8
    assert 1e-5 < check_network_gradients(net, X, y, h=1e-2) < 1e-3
    assert 1e-5 < max(network_gradient_errors(net, X, y, h=1e-2).values()) < 1e-3

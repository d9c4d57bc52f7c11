"""Softmax, categorical cross entropy, their fused gradient, momentum and the metrics used on MNIST."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from labkit import (
    CategoricalCrossEntropy,
    GradientDescent,
    Softmax,
    build_network,
    check_network_gradients,
    numerical_gradient,
    rel_error,
)
from labkit.losses import softmax_cross_entropy_delta
from labkit.metrics import accuracy, confusion_matrix
from tests.messages import exactly


def one_hot(labels, k):
    return np.eye(k)[labels]


def test_softmax_rows_are_probabilities_even_for_huge_scores():
    z = np.array([[1000.0, 1000.0, -1000.0], [1.0, 2.0, 3.0]])
    before = z.copy()
    with np.errstate(over="raise", invalid="raise"):
        p = Softmax().forward(z)
    np.testing.assert_array_equal(z, before)  # computed in its own array, the input is left alone
    np.testing.assert_allclose(p.sum(axis=1), 1)
    np.testing.assert_allclose(p[0], [0.5, 0.5, 0])
    np.testing.assert_allclose(p[1], np.exp([1, 2, 3]) / np.exp([1, 2, 3]).sum())


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 5), cols=st.integers(2, 6))
def test_softmax_backward_is_the_vector_jacobian_product(seed, rows, cols):
    rng = np.random.default_rng(seed)
    z, g = rng.normal(size=(rows, cols)) * 3, rng.normal(size=(rows, cols))
    assume(np.abs(Softmax().backward(z, g)).max() > 1e-4)  # saturated rows: below finite-difference noise
    numeric = numerical_gradient(lambda zz: float((Softmax().forward(zz) * g).sum()), z.copy())
    assert rel_error(Softmax().backward(z, g), numeric) < 1e-6


def test_softmax_of_a_stack_of_networks_is_each_networks_softmax():
    # labkit.sweep stacks S networks: scores (S, N, k); every row of every copy is normalized on its own
    rng = np.random.default_rng(3)
    z, g = rng.normal(size=(2, 3, 4)) * 3, rng.normal(size=(2, 3, 4))
    p, dz = Softmax().forward(z), Softmax().backward(z, g)
    for s in range(2):
        np.testing.assert_allclose(p[s], Softmax().forward(z[s]), rtol=1e-15)
        np.testing.assert_allclose(dz[s], Softmax().backward(z[s], g[s]), rtol=1e-13)
    np.testing.assert_allclose(p.sum(axis=-1), 1)


def test_softmax_has_no_elementwise_derivative():
    with pytest.raises(TypeError, match=exactly(
        "softmax has no element-wise derivative: each output depends on the whole row. "
        "Use backward(z, grad_out) for the chain rule."
    )):
        Softmax().derivative(np.zeros((1, 3)))


def test_cce_value_gradient_and_finiteness():
    t = one_hot([0, 2], 3)
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    cce = CategoricalCrossEntropy()
    assert cce.forward(t, p) == pytest.approx(-(np.log(0.7) + np.log(0.8)) / 2, abs=1e-8)
    numeric = numerical_gradient(lambda pp: cce.forward(t, pp), p.copy())
    assert rel_error(cce.backward(t, p), numeric) < 1e-6
    with np.errstate(divide="raise", invalid="raise"):
        assert np.isfinite(cce.forward(t, np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])))


def test_fused_delta_equals_the_chain_rule():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(4, 5))
    t = one_hot(rng.integers(0, 5, 4), 5)
    p = Softmax().forward(z)
    chain = Softmax().backward(z, CategoricalCrossEntropy(eps=0).backward(t, p))
    np.testing.assert_allclose(softmax_cross_entropy_delta(t, p), chain, atol=1e-12)


@pytest.mark.parametrize("hidden", ["relu", "tanh"])
def test_softmax_network_gradients_match_finite_differences(hidden):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(7, 4)), one_hot(rng.integers(0, 3, 7), 3)
    net = build_network(4, [6, hidden, 3, "softmax"], "cce", seed=1)
    assert check_network_gradients(net, X, y, weight_decay=0.01) < 1e-6


def test_momentum_accumulates_velocity():
    w, opt = np.array([0.0]), GradientDescent(0.1, momentum=0.5)
    for _ in range(2):
        opt.update([w], [np.array([1.0])])
    np.testing.assert_allclose(w, [-0.1 - 0.15])  # v1 = -0.1, v2 = 0.5 * v1 - 0.1
    with pytest.raises(ValueError, match=r"momentum must be in \[0, 1\)"):
        GradientDescent(0.1, momentum=1.0)


def test_accuracy_and_confusion_matrix():
    truth = np.array([0, 1, 2, 2])
    scores = one_hot([0, 2, 2, 1], 3)
    assert accuracy(truth, scores) == 0.5
    assert accuracy(one_hot(truth, 3), scores) == 0.5
    np.testing.assert_array_equal(confusion_matrix(truth, scores, 3), [[1, 0, 0], [0, 0, 1], [0, 1, 1]])
    with pytest.raises(ValueError, match="gives 4 labels but y_pred gives 2"):
        accuracy(truth, scores[:2])


def test_softmax_network_learns_three_blobs():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 300)
    X = np.eye(3)[labels][:, :2] * 3 + rng.normal(size=(300, 2)) * 0.5
    net = build_network(2, [8, "relu", 3, "softmax"], "cce", GradientDescent(0.2, momentum=0.9), seed=0,
                        dtype=np.float32)
    net.fit(X, one_hot(labels, 3), epochs=20, batch_size=32, seed=0, progress=False)
    assert accuracy(labels, net.predict(X)) > 0.95

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from labkit import (
    DivergenceError,
    GradientDescent,
    Tanh,
    build_network,
    check_network_gradients,
    network_gradient_errors,
    rel_error,
)
from tests.oracles import per_sample_gradients, textbook_fit


def random_problem(seed, n_in, n_out, rows=6):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, n_in))
    y = (rng.random((rows, n_out)) > 0.5).astype(float)
    return X, y


def test_shapes_of_parameters_and_output():
    net = build_network(3, [5, "relu", 4, "tanh", 2, "sigmoid"], seed=0)
    assert [W.shape for W in net.weights] == [(3, 5), (5, 4), (4, 2)]
    assert [b.shape for b in net.biases] == [(5,), (4,), (2,)]
    assert net.predict(np.zeros((7, 3))).shape == (7, 2)
    assert "3 inputs -> 5 relu, 4 tanh, 2 sigmoid" in repr(net)


def test_initialization_is_clipped_normal_with_zero_biases_and_seeded():
    net = build_network(300, [200, "tanh", 1, "sigmoid"], seed=42)
    W = net.weights[0]
    sd = np.sqrt(2 / 500)
    assert np.abs(W).max() <= 2 * sd + 1e-15
    assert np.mean(np.abs(W) == 2 * sd) == pytest.approx(0.0455, abs=0.005)  # P(|N(0,1)| > 2)
    assert W.std() == pytest.approx(sd * 0.9595, rel=0.02)  # sd of N(0,1) clipped at +-2 is 0.9595
    assert all((b == 0).all() for b in net.biases)
    again = build_network(300, [200, "tanh", 1, "sigmoid"], seed=42)
    np.testing.assert_array_equal(W, again.weights[0])


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    widths=st.lists(st.integers(1, 6), min_size=0, max_size=3),
    hidden=st.sampled_from(["tanh", "sigmoid", "identity"]),
    weight_decay=st.sampled_from([0.0, 0.3]),
    rows=st.integers(1, 8),
)
def test_backprop_matches_finite_differences(seed, widths, hidden, weight_decay, rows):
    layers = [x for w in widths for x in (w, hidden)] + [2, "sigmoid"]
    net = build_network(3, layers, "bce", seed=seed)
    X, y = random_problem(seed, 3, 2, rows)
    # A relative error needs a gradient well above the finite-difference noise (~1e-11): skip saturated draws.
    assume(min(np.linalg.norm(g) for grads in net.gradients(X, y) for g in grads) > 1e-4)
    assert check_network_gradients(net, X, y, weight_decay=weight_decay) < 1e-6


def test_relu_and_mse_network_gradients():
    net = build_network(4, [8, "relu", 8, "relu", 3, "identity"], "mse", seed=3)
    X, y = random_problem(3, 4, 3, rows=10)
    errors = network_gradient_errors(net, X, y, weight_decay=0.05)
    assert set(errors) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert max(errors.values()) < 1e-6


def test_weight_decay_adds_lambda_w_to_weights_only():
    net = build_network(2, [3, "tanh", 1, "sigmoid"], seed=0)
    X, y = random_problem(0, 2, 1)
    gW0, gb0 = net.gradients(X, y)
    gW, gb = net.gradients(X, y, weight_decay=0.7)
    for a, b, W in zip(gW, gW0, net.weights):
        np.testing.assert_allclose(a - b, 0.7 * W)
    for a, b in zip(gb, gb0):
        np.testing.assert_array_equal(a, b)


class TanhDerivativeAtOutput(Tanh):
    """The original lab's bug: phi' evaluated at Y = phi(Z) instead of at Z."""

    def backward(self, z, grad_out):
        return grad_out * self.derivative(self.forward(z))


def test_gradient_check_catches_derivative_at_output():
    X, y = random_problem(1, 2, 1)
    good = build_network(2, [3, "tanh", 1, "sigmoid"], seed=1)
    bad = build_network(2, [3, TanhDerivativeAtOutput(), 1, "sigmoid"], seed=1)
    assert check_network_gradients(good, X, y) < 1e-6
    assert check_network_gradients(bad, X, y) > 1e-2


def test_batched_gradients_equal_the_per_sample_loop():
    net = build_network(5, [7, "relu", 4, "tanh", 3, "sigmoid"], seed=9)
    X, y = random_problem(9, 5, 3, rows=20)
    batched = net.gradients(X, y, weight_decay=0.3)
    looped = per_sample_gradients(net.weights, net.biases, ["relu", "tanh", "sigmoid"], "binary_crossentropy", X, y)
    looped = ([g + 0.3 * W for g, W in zip(looped[0], net.weights)], looped[1])
    for a, b in zip(batched[0] + batched[1], looped[0] + looped[1]):
        assert rel_error(a, b) < 1e-12


def test_train_on_batch_returns_loss_before_the_step_and_updates():
    net = build_network(2, [3, "tanh", 1, "sigmoid"], seed=0)
    X, y = random_problem(0, 2, 1)
    before = net.evaluate_loss(X, y)
    assert net.train_on_batch(X, y) == pytest.approx(before)
    assert net.evaluate_loss(X, y) < before
    assert net.steps_trained == 1


def test_fit_history_has_one_loss_per_step_and_decreases():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(100, 2))
    y = (X[:, :1] + X[:, 1:] > 0).astype(float)
    net = build_network(2, [8, "tanh", 1, "sigmoid"], "bce", GradientDescent(0.5), seed=0)
    history = net.fit(X, y, epochs=30, batch_size=32, seed=1, progress=False)
    assert history.shape == (30 * 4,)
    assert history[-10:].mean() < 0.6 * history[:4].mean()


def test_fit_is_reproducible_with_a_seed():
    X, y = random_problem(0, 3, 1, rows=40)
    runs = []
    for _ in range(2):
        net = build_network(3, [4, "tanh", 1, "sigmoid"], seed=5)
        runs.append(net.fit(X, y, epochs=3, batch_size=8, seed=11, progress=False))
    np.testing.assert_array_equal(*runs)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
@pytest.mark.parametrize("weight_decay", [0.0, 0.05])
def test_fit_takes_the_steps_of_the_textbook_loop(momentum, weight_decay):
    X, y = random_problem(3, 3, 2, rows=23)  # 23 rows in batches of 5: a short last batch
    layers = [6, "tanh", 2, "sigmoid"]
    net = build_network(3, layers, "bce", GradientDescent(0.3, momentum), seed=4)
    expected = textbook_fit(net.weights, net.biases, ["tanh", "sigmoid"], "binary_crossentropy", X, y, epochs=3,
                            batch_size=5, learning_rate=0.3, momentum=momentum, weight_decay=weight_decay, seed=8)
    net.fit(X, y, epochs=3, batch_size=5, seed=8, weight_decay=weight_decay, progress=False)
    for a, b in zip(net.weights + net.biases, expected[0] + expected[1]):
        assert rel_error(a, b) < 1e-12


def test_fit_without_shuffling_takes_the_rows_in_order():
    X, y = random_problem(5, 3, 1, rows=12)
    net = build_network(3, [4, "tanh", 1, "sigmoid"], "bce", GradientDescent(0.5), seed=0)
    ref = build_network(3, [4, "tanh", 1, "sigmoid"], "bce", GradientDescent(0.5), seed=0)
    history = net.fit(X, y, epochs=2, batch_size=5, shuffle=False, progress=False)
    expected = [ref.train_on_batch(X[start:start + 5], y[start:start + 5]) for _ in range(2) for start in (0, 5, 10)]
    np.testing.assert_array_equal(history, expected)
    for a, b in zip(net.weights + net.biases, ref.weights + ref.biases):
        np.testing.assert_array_equal(a, b)


def test_one_optimizer_with_momentum_keeps_a_velocity_per_network():
    X, y = random_problem(6, 3, 1, rows=10)
    shared = GradientDescent(0.2, momentum=0.9)
    a, b = (build_network(3, [4, "tanh", 1, "sigmoid"], "bce", shared, seed=s) for s in (1, 2))
    a_alone, b_alone = (build_network(3, [4, "tanh", 1, "sigmoid"], "bce", GradientDescent(0.2, 0.9), seed=s)
                        for s in (1, 2))
    for _ in range(5):  # interleaved steps: a shared velocity would leak one network's steps into the other
        a.train_on_batch(X, y), b.train_on_batch(X, y)
        a_alone.train_on_batch(X, y), b_alone.train_on_batch(X, y)
    for net, alone in ((a, a_alone), (b, b_alone)):
        for p, q in zip(net.weights + net.biases, alone.weights + alone.biases):
            np.testing.assert_array_equal(p, q)


def test_float32_network_trains_in_float32():
    net = build_network(3, [4, "relu", 1, "sigmoid"], seed=0, dtype=np.float32)
    X, y = random_problem(0, 3, 1)
    net.fit(X, y, epochs=2, progress=False)
    assert net.predict(X).dtype == np.float32
    assert all(W.dtype == np.float32 for W in net.weights)
    with pytest.raises(TypeError, match="float64"):
        check_network_gradients(net, X, y)


def test_divergence_stops_with_a_helpful_message():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3)) * 10
    y = rng.normal(size=(50, 1))
    net = build_network(3, [16, "relu", 1, "identity"], "mse", GradientDescent(10.0), seed=0)
    with pytest.raises(DivergenceError, match=r"training step \d+: training diverged.*smaller learning rate"):
        net.fit(X, y, epochs=200, progress=False)


def test_divergence_in_train_on_batch_raises_without_warnings():
    # pytest turns warnings into errors here, so an overflow warning would fail this test.
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 3)) * 10, rng.normal(size=(50, 1))
    net = build_network(3, [16, "relu", 1, "identity"], "mse", GradientDescent(10.0), seed=0)
    with pytest.raises(DivergenceError, match=r"the loss is (nan|inf) at training step \d+"):
        for _ in range(200):
            net.train_on_batch(X, y)

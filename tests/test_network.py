import re
import threading

import numpy as np
import pytest
import tqdm.std
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from labkit import (
    DivergenceError,
    GradientDescent,
    Tanh,
    build_network,
    check_network_gradients,
    network,
    network_gradient_errors,
    rel_error,
    xor,
)
from labkit.network import backward_pass, forward_pass, output_delta, parameter_gradients
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


def test_a_network_prints_its_layers_loss_optimizer_and_dtype():
    # also the defaults: binary cross entropy, GradientDescent(0.1), float64
    assert repr(build_network(2, [3, "tanh", 1, "sigmoid"], seed=0)) == (
        "DenseNetwork(2 inputs -> 3 tanh, 1 sigmoid; loss=binary_crossentropy, GradientDescent(learning_rate=0.1), "
        "dtype=float64)"
    )


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


@pytest.mark.parametrize("output, loss", [("softmax", "mse"), ("sigmoid", "cce")])
def test_the_fused_softmax_delta_is_only_for_softmax_with_cross_entropy(output, loss):
    # any other pairing takes the chain rule through the output activation
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(6, 3)), np.eye(3)[rng.integers(0, 3, 6)]
    net = build_network(3, [4, "tanh", 3, output], loss, seed=2)
    assert check_network_gradients(net, X, y) < 1e-6


def test_the_equations_without_weight_decay_give_the_per_sample_gradients():
    # notebook 01's equations, called one by one as the notebook does (parameter_gradients' default: no decay)
    net = build_network(4, [5, "tanh", 2, "sigmoid"], seed=7)
    X, y = random_problem(7, 4, 2)
    Zs, Ys = forward_pass(net.weights, net.biases, net.activations, X)
    delta = output_delta(net.activations[-1], net.loss, Zs[-1], Ys[-1], y)
    grad_W, grad_b = parameter_gradients(net.weights, Ys, backward_pass(net.weights, net.activations, Zs, delta))
    looped = per_sample_gradients(net.weights, net.biases, ["tanh", "sigmoid"], "binary_crossentropy", X, y)
    for a, b in zip(grad_W + grad_b, looped[0] + looped[1]):
        assert rel_error(a, b) < 1e-12


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


def test_train_on_batch_with_weight_decay_returns_the_penalized_loss_and_steps_along_its_gradient():
    net = build_network(2, [3, "tanh", 1, "sigmoid"], "bce", GradientDescent(0.5), seed=0)
    X, y = random_problem(0, 2, 1)
    penalized = net.evaluate_loss(X, y) + 0.1 / 2 * sum((W**2).sum() for W in net.weights)
    grad_W, grad_b = net.gradients(X, y, weight_decay=0.1)
    before = [p.copy() for p in net.weights + net.biases]
    assert net.train_on_batch(X, y, weight_decay=0.1) == pytest.approx(penalized, rel=1e-12)
    for p, p_before, g in zip(net.weights + net.biases, before, grad_W + grad_b):
        np.testing.assert_allclose(p, p_before - 0.5 * g, rtol=1e-12)


def test_steps_trained_counts_every_step_of_fit_and_train_on_batch():
    X, y = random_problem(0, 3, 1, rows=6)
    net = build_network(3, [4, "tanh", 1, "sigmoid"], seed=0)
    history = net.fit(X, y, epochs=3, batch_size=4, progress=False)  # batches of 4 and 2 rows
    assert net.steps_trained == len(history) == 6
    net.train_on_batch(X, y)
    assert net.steps_trained == 7


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


@pytest.mark.parametrize("output, loss", [("sigmoid", "bce"), ("softmax", "cce")])
def test_float32_network_trains_in_float32(output, loss):
    # float64 data and targets are taken in the network's dtype: nothing is computed in float64 (MNIST's speed)
    net = build_network(3, [4, "relu", 2, output], loss, seed=0, dtype=np.float32)
    X, y = random_problem(0, 3, 2)
    y = np.eye(2)[y[:, 0].astype(int)]
    assert all(g.dtype == np.float32 for grads in net.gradients(X, y) for g in grads)
    net.fit(X, y, epochs=2, progress=False)
    assert net.predict(X).dtype == np.float32
    assert all(p.dtype == np.float32 for p in net.weights + net.biases)
    with pytest.raises(TypeError, match="float64"):
        check_network_gradients(net, X, y)


@pytest.fixture
def diverging():
    """A ReLU regression with a learning rate of 10 on large inputs: its loss blows up within a few steps."""
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(50, 3)) * 10, rng.normal(size=(50, 1))
    return build_network(3, [16, "relu", 1, "identity"], "mse", GradientDescent(10.0), seed=0), X, y


def test_divergence_stops_with_a_helpful_message(diverging):
    net, X, y = diverging
    with pytest.raises(DivergenceError, match=r"training step \d+: training diverged.*smaller learning rate"):
        net.fit(X, y, epochs=200, progress=False)


def test_divergence_message_names_the_step_that_failed(diverging):
    net, X, y = diverging
    step = 0
    with pytest.raises(DivergenceError) as failure:
        while step < 200:
            step += 1
            net.train_on_batch(X, y)
    assert step > 2 and net.steps_trained == step - 1  # the failing step is not taken
    assert re.fullmatch(
        rf"the loss is (nan|inf) at training step {step}: training diverged\. Try a smaller learning rate "
        r"\(now 10\), e\.g\. ten times smaller, and rebuild the network\.", str(failure.value))


def softmax_diverging():
    """A softmax network whose scores overflow: the max-shift then computes inf - inf."""
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(30, 4)) * 10, np.eye(3)[rng.integers(0, 3, 30)]
    return build_network(4, [16, "relu", 3, "softmax"], "cce", GradientDescent(50.0), seed=0), X, y


def test_diverging_softmax_stops_with_divergence_error_and_no_warning():
    # pytest turns warnings into errors here: an "invalid value" warning would fail this test
    net, X, y = softmax_diverging()
    with pytest.raises(DivergenceError, match=r"^the loss is nan at training step \d+: training diverged"):
        for _ in range(500):
            net.train_on_batch(X, y)
    net, X, y = softmax_diverging()
    with pytest.raises(DivergenceError, match=r"^the loss is nan at training step \d+: training diverged"):
        net.fit(X, y, epochs=500, progress=False)


def test_divergence_in_train_on_batch_raises_without_warnings(diverging):
    # pytest turns warnings into errors here, so an overflow warning would fail this test.
    net, X, y = diverging
    with pytest.raises(DivergenceError, match=r"the loss is (nan|inf) at training step \d+"):
        for _ in range(200):
            net.train_on_batch(X, y)


# -- the progress bar -------------------------------------------------------------------------


class StepClock:
    """tqdm's clock, moved on by the network's training steps: each step takes ``seconds`` of pretend time."""

    def __init__(self, seconds):
        self.now, self.seconds = 1000.0, seconds

    def __call__(self):
        return self.now


def network_on_a_clock(monkeypatch, seconds_per_step):
    clock = StepClock(seconds_per_step)
    monkeypatch.setattr(tqdm.std, "time", clock)  # the clock tqdm reads
    # tqdm's default lock is shared between processes and mutmut forks one per mutant: a process stopped while
    # drawing a bar would leave it locked for all the others. These bars get a lock of their own and no monitor thread.
    monkeypatch.setattr(network.tqdm, "_lock", threading.RLock(), raising=False)
    monkeypatch.setattr(network.tqdm, "monitor_interval", 0)

    class TimedGradientDescent(GradientDescent):
        def update(self, params, grads):
            super().update(params, grads)
            clock.now += clock.seconds

    return build_network(2, [2, "tanh", 1, "sigmoid"], "bce", TimedGradientDescent(0.25), seed=2)


def test_progress_true_shows_a_training_bar_counting_epochs_with_the_last_loss(monkeypatch, capsys):
    net = network_on_a_clock(monkeypatch, 0.1)
    history = net.fit(*xor(), epochs=3, progress=True)
    last_line = capsys.readouterr().err.split("\r")[-1]
    assert re.fullmatch(rf"training: 100%\|.*\| 3/3 \[.*epoch/s, loss={history[-1]:.4f}\]\n", last_line)


@pytest.mark.parametrize("epochs, shown", [(10, False), (25, True)])
def test_progress_none_shows_the_bar_only_for_runs_longer_than_two_seconds(monkeypatch, capsys, epochs, shown):
    net = network_on_a_clock(monkeypatch, 0.1)
    net.fit(*xor(), epochs=epochs)
    assert (f"| {epochs}/{epochs} [" in capsys.readouterr().err) == shown


def test_progress_false_never_shows_a_bar(monkeypatch, capsys):
    net = network_on_a_clock(monkeypatch, 0.1)
    net.fit(*xor(), epochs=50, progress=False)
    assert capsys.readouterr().err == ""


def test_the_bar_is_redrawn_at_tqdms_pace_not_after_every_epoch(monkeypatch, capsys):
    # a redraw per epoch would cost more than a short epoch; tqdm redraws at most every 0.1 s
    net = network_on_a_clock(monkeypatch, 0.01)
    net.fit(*xor(), epochs=100, progress=True)
    assert capsys.readouterr().err.count("\r") < 20

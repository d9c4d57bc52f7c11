"""The self-check helpers: one line on success, one message that names the mistake on failure."""

import numpy as np
import pytest

import labkit as lk
from labkit.checks import (
    CheckFailed,
    DerivativeAtOutput,
    check,
    expect_array,
    expect_backprop,
    expect_close,
    expect_forward,
    expect_gradient,
    expect_no_overflow,
    expect_training,
    magnitude,
    uses,
)
from labkit.network import forward_pass


def test_passing_check_prints_one_line(capsys):
    with check("addition"):
        expect_close(1 + 1, 2, "1 + 1")
    assert capsys.readouterr().out == "✔ addition: all checks passed.\n"


def test_uses_prints_nothing_on_success(capsys):
    with uses("your loop"):
        pass
    assert capsys.readouterr().out == ""


def test_stub_is_reported_as_not_done_yet():
    def stub():
        raise NotImplementedError()

    for block, where in ((check, "the exercise above"), (uses, "an exercise above")):
        with pytest.raises(CheckFailed, match=rf"^sigmoid: not done yet: {where} still holds `raise "
                                              r"NotImplementedError\(\)`. Replace it with your code"):
            with block("sigmoid"):
                stub()


def test_missing_name_says_to_run_the_exercise_cell():
    with pytest.raises(CheckFailed, match="name 'undefined_thing' is not defined: run the cells above this one first"):
        with check("forward"):
            undefined_thing  # noqa: B018, F821


def test_an_error_in_student_code_shows_the_students_line_and_the_shapes_hint():
    def forward(W, X):
        return X @ W.T  # the student's mistake: shapes (4, 2) @ (3, 2) do not fit

    with pytest.raises(CheckFailed) as failure:
        with check("forward"):
            forward(np.zeros((2, 3)), np.zeros((4, 2)))
    message = str(failure.value)
    assert message.startswith("forward: your code raised ValueError in forward, at `return X @ W.T  # the student")
    assert "Compare the shapes of the arrays on that line" in message and "Traceback" not in message


def test_a_cell_that_runs_exercises_says_so_when_it_stops():
    def train():
        return np.zeros(3).reshape(2, 2)

    with pytest.raises(CheckFailed, match=r"^your network: this cell runs your code from the exercises above and "
                                          r"stopped with ValueError in train, at `return np.zeros\(3\)"):
        with uses("your network"):
            train()


def test_keyboard_interrupt_is_not_turned_into_a_check_failure():
    with pytest.raises(KeyboardInterrupt):
        with check("anything"):
            raise KeyboardInterrupt


def test_wrong_value_shows_expected_and_got():
    with pytest.raises(CheckFailed, match=r"tanh: tanh\(0\) is wrong.\n  expected: \[1.0\]\n  got:      \[0.0\]"):
        with check("tanh"):
            expect_close([0.0], [1.0], "tanh(0)")
    with pytest.raises(CheckFailed, match=r"has shape \(2,\), expected \(3,\)"):
        with check("shape"):
            expect_close(np.zeros(2), np.zeros(3), "x")


def test_a_value_that_matches_a_known_mistake_is_named():
    with pytest.raises(AssertionError, match="^sum is wrong: divide by N$"):
        expect_close(6.0, 2.0, "sum", mistakes=[("not this one", 5.0), ("divide by N", 6.0)])
    with pytest.raises(AssertionError, match=r"^grad is off \(relative error ~1e0\): sign$"):
        expect_array(-np.ones(3), np.ones(3), "grad", mistakes=[("sign", -np.ones(3))])
    with pytest.raises(AssertionError, match=r"has shape \(3, 2\) but should have \(2, 3\): it is transposed"):
        expect_array(np.zeros((3, 2)), np.zeros((2, 3)), "grad")
    with pytest.raises(AssertionError, match="contains nan or inf: look for log"):
        expect_array([np.nan, 1.0], np.ones(2), "loss")
    with pytest.raises(AssertionError, match="should be numbers"):
        expect_array("abc", np.ones(2), "loss")


def test_magnitude_rounds_to_the_nearest_power_of_ten():
    assert [magnitude(e) for e in (3e-11, 3.3e-11, 1e-7, 0.22, 0.5, 1.0, 0.0)] == [
        "~1e-11", "~1e-10", "~1e-7", "~1e-1", "~1e0", "~1e0", "0"]


def test_relative_error_of_a_nan_is_nan_not_zero():
    assert np.isnan(lk.rel_error([np.nan, 1.0], [1.0, 1.0]))
    with pytest.raises(AssertionError, match="contains nan or inf"):
        expect_array([np.nan], np.ones(1), "g")


def test_expect_gradient_accepts_right_and_rejects_wrong_derivatives():
    x = np.array([0.3, -1.2])
    assert expect_gradient(np.cos(x), lambda v: float(np.sin(v).sum()), x, "sin'") < 1e-8
    with pytest.raises(AssertionError, match=r"sin' \(against finite differences\) is off: relative error ~1e"):
        expect_gradient(np.sin(x), lambda v: float(np.sin(v).sum()), x, "sin'")


def test_expect_gradient_perturbs_arrays_read_through_a_closure():
    w = np.array([1.0, -2.0])
    assert expect_gradient(2 * w, lambda _: float((w**2).sum()), w, "d|w|^2/dw") < 1e-8
    np.testing.assert_array_equal(w, [1.0, -2.0])  # restored


def test_a_naive_sigmoid_is_reported_as_an_overflow():
    naive = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    with pytest.raises(AssertionError, match=r"sigmoid overflows at z = \[-1000.0\].*use exp\(-\|z\|\)"):
        expect_no_overflow(naive, [-1000.0], [0.0], "sigmoid", "use exp(-|z|).")
    expect_no_overflow(lk.Sigmoid().forward, [-1000.0, 1000.0], [0.0, 1.0], "sigmoid", "")


@pytest.fixture
def problem():
    rng = np.random.default_rng(3)
    net = lk.build_network(3, [4, "tanh", 3, "sigmoid", 2, "sigmoid"], "bce", seed=3)
    X, y = rng.normal(size=(5, 3)), (rng.random((5, 2)) > 0.5).astype(float)
    return net, X, y


def test_right_gradients_pass_with_their_errors_from_the_output_down(problem):
    net, X, y = problem
    errors = expect_backprop(net.gradients(X, y, 0.3), net, X, y, weight_decay=0.3)
    assert list(errors) == ["W3", "b3", "W2", "b2", "W1", "b1"] and max(errors.values()) < 1e-7
    column = ([G.T for G in net.gradients(X, y)[0]], net.gradients(X, y)[1])
    assert max(expect_backprop(column, net, X, y, column=True).values()) < 1e-7


def planted(net, X, y, activations=None, weight_decay=0.0):
    wrong = lk.DenseNetwork(net.weights, net.biases, activations or net.activations, net.loss, net.optimizer)
    return wrong.gradients(X, y, weight_decay)


@pytest.mark.parametrize("how, expected", [
    ("output", "the gradient of W3 (the output layer) is off (relative error ~1e-2): it matches phi' evaluated at"),
    ("hidden", "the gradient of W2 (layers above it: right) is off (relative error ~1e-2): it matches phi' evaluated"),
    ("sum", "it is the gradient of the *sum* over the batch: the loss is the mean, so a factor 1/N (N = 5)"),
    ("half decay", "the weight-decay term is lambda/2 * W, but the derivative of (lambda/2) ||W||^2 is lambda * W."),
    ("no decay", "the weight-decay term lambda * W is missing."),
    ("sign", "it has the wrong sign"),
    ("transposed", "the gradient of W3 (the output layer) has shape (2, 3) but W3 has (3, 2): it is transposed"),
    ("off by one", "it looks like the layer's output Ys[3] was used where its input Ys[2] belongs"),
])
def test_each_classic_backprop_mistake_is_named(problem, how, expected):
    net, X, y = problem
    grad_W, grad_b = net.gradients(X, y, 0.3)
    if how == "output":
        grad_W, grad_b = planted(net, X, y, [*net.activations[:2], DerivativeAtOutput(net.activations[2])], 0.3)
    elif how == "hidden":
        grad_W, grad_b = planted(net, X, y, [net.activations[0], DerivativeAtOutput(net.activations[1]),
                                              net.activations[2]], 0.3)
    elif how == "sum":
        data = net.gradients(X, y)
        grad_W = [5 * G + 0.3 * W for G, W in zip(data[0], net.weights)]
        grad_b = [5 * g for g in data[1]]
    elif how == "half decay":
        grad_W = [G - 0.15 * W for G, W in zip(grad_W, net.weights)]
    elif how == "no decay":
        grad_W = [G - 0.3 * W for G, W in zip(grad_W, net.weights)]
    elif how == "sign":
        grad_W, grad_b = [-G for G in grad_W], [-g for g in grad_b]
    elif how == "transposed":
        grad_W = [G.T for G in grad_W]
    elif how == "off by one":
        Zs, Ys = forward_pass(net.weights, net.biases, net.activations, X)
        grad_W = [*grad_W[:2], Ys[3].T @ (Ys[3] - y)]
    with pytest.raises(AssertionError) as failure:
        expect_backprop((grad_W, grad_b), net, X, y, weight_decay=0.3)
    assert expected in str(failure.value)


def test_gradients_too_close_to_zero_for_finite_differences_are_compared_exactly():
    X, y = lk.xor()
    net = lk.build_network(2, [2, "tanh", 1, "sigmoid"], seed=2)  # XOR's symmetry: dE/db2 is about 1e-10
    with pytest.raises(AssertionError, match="b2"):
        expect_backprop(net.gradients(X, y), net, X, y)
    assert max(expect_backprop(net.gradients(X, y), net, X, y, exact=True).values()) < 1e-10


def test_forward_mistakes_are_named(problem):
    net, X, _ = problem
    net.biases = [np.full(b.shape, 0.5) for b in net.biases]
    Zs, Ys = forward_pass(net.weights, net.biases, net.activations, X)
    expect_forward((Zs, Ys), net, X)
    with pytest.raises(AssertionError, match="Ys starts with the input itself"):
        expect_forward((Zs, Ys[1:]), net, X)
    no_bias = forward_pass(net.weights, [0 * b for b in net.biases], net.activations, X)
    with pytest.raises(AssertionError, match=r"Zs\[0\], the pre-activation of layer 1 is off .*the bias is missing"):
        expect_forward(no_bias, net, X)
    with pytest.raises(AssertionError, match=r"Ys\[1\], the output of layer 1 is off .*the activation is missing"):
        expect_forward((Zs, [X, Zs[0], *Ys[2:]]), net, X)


def reference_train(forward, backprop, mistake=None):
    def train(weights, biases, activations, loss, optimizer, X, y_true, steps):
        history = []
        for _ in range(steps):
            Zs, Ys = forward(weights, biases, activations, X)
            if mistake != "after":
                history.append(loss.forward(y_true, Ys[-1]))
            grad_W, grad_b = backprop(weights, activations, loss, Zs, Ys, y_true)
            scale = len(X) if mistake == "sum" else 1
            for l in range(len(weights)):
                weights[l] = optimizer.step(weights[l], scale * grad_W[l])
                if mistake != "frozen biases":
                    biases[l] = optimizer.step(biases[l], scale * grad_b[l])
            if mistake == "after":
                history.append(loss.forward(y_true, forward(weights, biases, activations, X)[1][-1]))
        return np.array(history)
    return train


def labkit_forward(weights, biases, activations, X):
    return forward_pass(weights, biases, activations, X)


def labkit_backprop(weights, activations, loss, Zs, Ys, y_true):
    net = lk.DenseNetwork(weights, [np.zeros(W.shape[1]) for W in weights], activations, loss, lk.GradientDescent(1))
    from labkit.network import backward_pass, output_delta, parameter_gradients
    deltas = backward_pass(weights, activations, Zs, output_delta(activations[-1], loss, Zs[-1], Ys[-1], y_true))
    return parameter_gradients(net.weights, Ys, deltas)


@pytest.mark.parametrize("mistake, expected", [
    (None, None),
    ("sum", "it is the curve of a learning rate 4 times larger: the gradients are summed over the N = 4 samples"),
    ("after", "each loss is recorded after its step; record it before the step, as fit does."),
    ("frozen biases", "it is the curve of a network whose biases never move: step the biases too."),
])
def test_the_training_loop_check_names_its_mistakes(mistake, expected):
    X, y = lk.xor()
    net = lk.build_network(2, [2, "tanh", 1, "sigmoid"], "bce", lk.GradientDescent(0.25), seed=2)
    train = reference_train(labkit_forward, labkit_backprop, mistake)
    if expected is None:
        assert expect_training(train, labkit_forward, labkit_backprop, net, X, y, steps=40) < 1e-12
    else:
        with pytest.raises(AssertionError, match=expected):
            expect_training(train, labkit_forward, labkit_backprop, net, X, y, steps=40)


def test_the_training_loop_check_blames_a_wrong_backprop_first():
    X, y = lk.xor()
    net = lk.build_network(2, [2, "tanh", 1, "sigmoid"], "bce", lk.GradientDescent(0.25), seed=2)

    def wrong_backprop(*args):
        grad_W, grad_b = labkit_backprop(*args)
        return [2 * G for G in grad_W], grad_b

    train = reference_train(labkit_forward, wrong_backprop)
    with pytest.raises(AssertionError, match="train runs your forward and backprop, which are not right yet"):
        expect_training(train, labkit_forward, wrong_backprop, net, X, y, steps=10)


def test_a_failed_check_shows_in_ipython_as_its_message_alone():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shown = []
    shell._showtraceback = lambda etype, evalue, stb: shown.append("\n".join(stb))
    try:
        shell.run_cell("from labkit.checks import check\nwith check('relu'):\n    raise NotImplementedError()")
    finally:
        InteractiveShell.clear_instance()  # later tests must not find an IPython shell
    assert len(shown) == 1 and "CheckFailed" in shown[0] and "relu: not done yet" in shown[0]
    assert "checks.py" not in shown[0] and "Traceback" not in shown[0]  # no frames from inside labkit

"""The self-check helpers: one line on success, one message that names the mistake on failure.

The messages are what a student reads, so the tests compare them whole (tests/messages.py).
"""

import linecache
import threading

import numpy as np
import pytest
import tqdm.std

import labkit as lk
from labkit import network
from labkit.checks import (
    CheckFailed,
    DerivativeAtOutput,
    check,
    expect_array,
    expect_backprop,
    expect_close,
    expect_epoch,
    expect_forward,
    expect_gradient,
    expect_no_overflow,
    expect_training,
    explain,
    magnitude,
    uses,
)
from labkit.network import backward_pass, forward_pass, output_delta, parameter_gradients
from tests.messages import exactly

STUB = ("not done yet: the exercise above still holds `raise NotImplementedError()`. Replace it with your code, run "
        "that cell, then run this one again.")
SHAPES = ". Compare the shapes of the arrays on that line (print their .shape) with the shapes you expect."


# -- check, uses and explain -------------------------------------------------------------------


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
        with pytest.raises(CheckFailed, match=exactly(f"sigmoid: not done yet: {where} still holds `raise "
                                                      "NotImplementedError()`. Replace it with your code, run that "
                                                      "cell, then run this one again.")):
            with block("sigmoid"):
                stub()
    assert explain(NotImplementedError()) == STUB  # a check, unless told that it runs exercises


def test_missing_name_says_to_run_the_exercise_cell():
    with pytest.raises(CheckFailed, match=exactly("forward: name 'undefined_thing' is not defined: run the cells "
                                                  "above this one first, in order (a cell that stopped with an error "
                                                  "leaves its names undefined).")):
        with check("forward"):
            undefined_thing  # noqa: B018, F821


def test_an_error_in_student_code_shows_the_students_line_and_the_shapes_hint():
    def forward(W, X):
        return X @ W.T  # the student's mistake: shapes (4, 2) @ (3, 2) do not fit

    with pytest.raises(CheckFailed) as failure:
        with check("forward"):
            forward(np.zeros((2, 3)), np.zeros((4, 2)))
    assert str(failure.value) == (
        "forward: your code raised ValueError in forward, at `return X @ W.T  # the student's mistake: shapes (4, 2) "
        "@ (3, 2) do not fit`: matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature "
        f"(n?,k),(k,m?)->(n?,m?) (size 3 is different from 2){SHAPES}")


def test_a_cell_that_runs_exercises_says_so_when_it_stops():
    def train():
        return np.zeros(3).reshape(2, 2)

    with pytest.raises(CheckFailed, match=exactly(
            "your network: this cell runs your code from the exercises above and stopped with ValueError in train, "
            "at `return np.zeros(3).reshape(2, 2)`: cannot reshape array of size 3 into shape (2,2)"
            f"{SHAPES}. Check that the exercises' checks pass.")):
        with uses("your network"):
            train()


def raises(error):
    raise error


@pytest.mark.parametrize("error, message", [
    (ValueError("operands could not be broadcast"), f"operands could not be broadcast{SHAPES}"),
    (ValueError("wrong shape"), f"wrong shape{SHAPES}"),
    (ValueError("could not convert string to float: 'abc'"), "could not convert string to float: 'abc'"),
    (ValueError(), "(no message)"),
    (TypeError("the shapes do not broadcast in matmul"), "the shapes do not broadcast in matmul"),
])
def test_only_a_value_error_about_shapes_gets_the_shapes_hint(error, message):
    with pytest.raises(CheckFailed, match=exactly(f"x: your code raised {type(error).__name__} in raises, at "
                                                  f"`raise error`: {message}")):
        with check("x"):
            raises(error)


def test_the_line_shown_is_the_deepest_one_of_the_students_code():
    def outer():
        return inner() + 1

    def inner():
        return lk.rel_error(np.zeros(2), np.zeros(3))  # raises inside labkit, which the student does not see

    with pytest.raises(CheckFailed, match=exactly(
            "x: your code raised ValueError in inner, at `return lk.rel_error(np.zeros(2), np.zeros(3))  # raises "
            "inside labkit, which the student does not see`: cannot compare arrays of shapes (2,) and (3,)."
            f"{SHAPES}")):
        with check("x"):
            outer()


def test_the_line_shown_is_never_one_of_an_installed_package():
    def solve():
        return np.linalg.solve(np.zeros((2, 2)), np.ones(2))  # numpy raises in its own Python code

    with pytest.raises(CheckFailed, match=exactly("x: your code raised LinAlgError in solve, at `return "
                                                  "np.linalg.solve(np.zeros((2, 2)), np.ones(2))  # numpy raises in "
                                                  "its own Python code`: Singular matrix")):
        with check("x"):
            solve()


@pytest.mark.parametrize("code, filename, where", [
    ("total = 1 / 0\n", "<cell 7>", " at `total = 1 / 0`"),  # a notebook cell: its code runs as <module>
    ("total = 1 / 0\n", "<no source>", ""),
    ("def f():\n    return 1 / 0\nf()\n", "<no source>", " in f"),
])
def test_code_run_as_a_notebook_cell_shows_its_line(code, filename, where):
    if filename == "<cell 7>":  # IPython keeps each cell's source in linecache like this
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
    try:
        with pytest.raises(CheckFailed, match=exactly(f"sum: your code raised ZeroDivisionError{where}: division by "
                                                      "zero")):
            with check("sum"):
                exec(compile(code, filename, "exec"), {})
    finally:
        linecache.cache.pop(filename, None)


def test_keyboard_interrupt_is_not_turned_into_a_check_failure():
    with pytest.raises(KeyboardInterrupt):
        with check("anything"):
            raise KeyboardInterrupt


def test_a_failure_already_explained_passes_unchanged():
    with pytest.raises(CheckFailed, match=exactly("inner: x is wrong: sign")):
        with check("outer"):
            with check("inner"):
                expect_close(-1.0, 1.0, "x", mistakes=[("sign", -1.0)])


def test_pytest_shows_the_students_block_not_the_frame_of_check():
    with pytest.raises(CheckFailed) as failure:
        with check("x"):
            raise ValueError("bad")
    assert len(failure.traceback.filter(failure)) == len(failure.traceback) - 1  # __exit__ is hidden


def test_a_failed_check_shows_in_ipython_as_its_message_alone():
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    shown = []
    shell._showtraceback = lambda etype, evalue, stb: shown.append("\n".join(stb))
    try:
        shell.run_cell("from labkit.checks import check\nwith check('relu'):\n    raise NotImplementedError()")
    finally:
        InteractiveShell.clear_instance()  # later tests must not find an IPython shell
    assert shown == [f"\x1b[0;31mCheckFailed\x1b[0m: relu: {STUB}"]  # no frames from inside labkit


# -- values -----------------------------------------------------------------------------------


def test_magnitude_rounds_to_the_nearest_power_of_ten():
    assert [magnitude(e) for e in (3e-11, 3.3e-11, 1e-7, 0.22, 0.5, 1.0, 0.0)] == [
        "~1e-11", "~1e-10", "~1e-7", "~1e-1", "~1e0", "~1e0", "0"]


def test_wrong_value_shows_expected_and_got():
    with pytest.raises(CheckFailed, match=exactly("tanh: tanh(0) is wrong.\n  expected: [1.0]\n  got:      [0.0]")):
        with check("tanh"):
            expect_close([0.0], [1.0], "tanh(0)")
    with pytest.raises(AssertionError, match=exactly("x is wrong.\n  expected: [1.0, 2.0]\n  got:      [0.5, 2.0]")):
        expect_close([0.5, 2], [1, 2], "x")  # integers are shown as the numbers they are


def test_expect_close_is_absolute_not_relative():
    expect_close(1000.0000005, 1000.0, "x")
    with pytest.raises(AssertionError, match=exactly("x is wrong.\n  expected: 1000.0\n  got:      1000.005")):
        expect_close(1000.005, 1000.0, "x")
    with pytest.raises(AssertionError, match=exactly("x is wrong.\n  expected: 1.0\n  got:      1000.005")):
        expect_close(1000.005, 1.0, "x", mistakes=[("not this one", 1000.0)])
    expect_close(1.5, 1.0, "x", atol=0.5)


@pytest.mark.parametrize("got, expected, message", [
    (np.zeros(2), np.zeros(3), "x has shape (2,), expected (3,)."),
    (np.zeros((3, 2)), np.zeros((2, 3)), "x has shape (3, 2) but should have (2, 3): it is transposed."),
    (np.zeros((2, 3)), np.zeros((4, 5)), "x has shape (2, 3), expected (4, 5)."),
    (np.zeros((2, 3, 4)), np.zeros((4, 3, 2)), "x has shape (2, 3, 4), expected (4, 3, 2)."),
    ([np.nan, 1.0], np.ones(2), "x contains nan or inf: look for log(0), a division by 0 or an overflow."),
    ([1.0, -np.inf], np.ones(2), "x contains nan or inf: look for log(0), a division by 0 or an overflow."),
    ("abc", np.ones(2), "x should be numbers (an array); got str."),
    (None, np.ones(2), "x should be numbers (an array); got None: does your function return its result?"),
])
def test_a_value_of_the_wrong_kind_or_shape_is_named(got, expected, message):
    for expect in (expect_close, expect_array):
        with pytest.raises(AssertionError, match=exactly(message)):
            expect(got, expected, "x")


def test_a_value_that_matches_a_known_mistake_is_named():
    with pytest.raises(AssertionError, match=exactly("sum is wrong: divide by N")):
        expect_close(6.0, 2.0, "sum", mistakes=[("not this one", 5.0), ("divide by N", 6.0)])
    with pytest.raises(AssertionError, match=exactly("grad is off (relative error ~1e0): sign")):
        expect_array(-np.ones(3), np.ones(3), "grad", mistakes=[("shape", np.ones(2)), ("sign", -np.ones(3))])
    with pytest.raises(AssertionError, match=exactly("grad is off: relative error ~1e0 (a right answer is below "
                                                     "1e-07).")):
        expect_array(-np.ones(3), np.ones(3), "grad", mistakes=[("shape", -np.ones(2))])


def test_a_mistake_given_as_a_function_is_computed_only_for_a_wrong_answer():
    calls = []

    def costly_mistake():
        calls.append(1)
        return -np.ones(3)

    for expect in (expect_close, expect_array):
        expect(np.ones(3), np.ones(3), "grad", mistakes=[("sign", costly_mistake)])
        assert calls == []
        with pytest.raises(AssertionError, match="grad is .*: sign$"):
            expect(-np.ones(3), np.ones(3), "grad", mistakes=[("sign", costly_mistake)])
        assert calls == [1]
        calls.clear()


def test_a_mistake_that_is_not_numbers_fails_loudly_instead_of_being_skipped():
    for expect in (expect_close, expect_array):
        with pytest.raises(ValueError, match="could not convert string to float: 'oops'"):
            expect(np.zeros(2), np.ones(2), "x", mistakes=[("typo in the check", "oops")])


def test_an_error_equal_to_the_tolerance_is_not_below_it():
    got, expected, mistake = np.array([1.0, 2.0]), np.array([1.5, 2.0]), np.array([1.001, 2.0])
    tol = lk.rel_error(got, expected)
    with pytest.raises(AssertionError, match=exactly(f"x is off: relative error ~1e-1 (a right answer is below "
                                                     f"{tol:g}).")):
        expect_array(got, expected, "x", tol=tol)
    tol = lk.rel_error(got, mistake)
    with pytest.raises(AssertionError, match=exactly(f"x is off: relative error ~1e-1 (a right answer is below "
                                                     f"{tol:g}).")):
        expect_array(got, expected, "x", mistakes=[("the mistake", mistake)], tol=tol)
    assert expect_array(got, expected, "x", tol=0.2) == lk.rel_error(got, expected)


def test_relative_error_of_a_nan_is_nan_not_zero():
    assert np.isnan(lk.rel_error([np.nan, 1.0], [1.0, 1.0]))


def test_expect_gradient_accepts_right_and_rejects_wrong_derivatives():
    x = np.array([0.3, -1.2])
    assert expect_gradient(np.cos(x), lambda v: float(np.sin(v).sum()), x, "sin'") < 1e-8
    with pytest.raises(AssertionError, match=exactly("sin' (against finite differences) is off: relative error ~1e0 "
                                                     "(a right answer is below 1e-06).")):
        expect_gradient(np.sin(x), lambda v: float(np.sin(v).sum()), x, "sin'")
    with pytest.raises(AssertionError, match=exactly("sin' (against finite differences) is off (relative error ~1e0): "
                                                     "the sign")):
        expect_gradient(-np.cos(x), lambda v: float(np.sin(v).sum()), x, "sin'", mistakes=[("the sign", -np.cos(x))])
    assert expect_gradient(np.cos(x) * (1 + 1e-5), lambda v: float(np.sin(v).sum()), x, "sin'", tol=1e-4) < 1e-4


def test_expect_gradient_perturbs_arrays_read_through_a_closure():
    w = np.array([1.0, -2.0])
    assert expect_gradient(2 * w, lambda _: float((w**2).sum()), w, "d|w|^2/dw") < 1e-8
    np.testing.assert_array_equal(w, [1.0, -2.0])  # restored


def test_expect_gradient_takes_lists_and_integers():
    square = lambda v: float(v @ v)  # noqa: E731
    assert expect_gradient([2.0, 4.0], square, [1, 2], "d|x|^2/dx") < 1e-8
    assert expect_gradient([2.0, 4.0], square, np.array([1, 2]), "d|x|^2/dx") < 1e-8


def test_a_naive_sigmoid_is_reported_as_an_overflow():
    naive = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    with pytest.raises(AssertionError, match=exactly("sigmoid overflows at z = [-1000.0] (overflow encountered in "
                                                     "exp): use exp(-|z|).")):
        expect_no_overflow(naive, [-1000.0], [0.0], "sigmoid", "use exp(-|z|).")
    expect_no_overflow(lk.Sigmoid().forward, [-1000.0, 1000.0], [0.0, 1.0], "sigmoid", "")


def test_a_division_by_zero_or_an_invalid_value_breaks_down():
    with pytest.raises(AssertionError, match=exactly("log breaks down at z = [0.0, 1.0] (divide by zero encountered "
                                                     "in log): add eps.")):
        expect_no_overflow(np.log, [0.0, 1.0], [-30.0, 0.0], "log", "add eps.")
    with pytest.raises(AssertionError, match=exactly("ratio breaks down at z = [0.0] (invalid value encountered in "
                                                     "divide): guard 0 / 0.")):
        expect_no_overflow(lambda z: z / z, [0.0], [1.0], "ratio", "guard 0 / 0.")
    with pytest.raises(AssertionError, match=exactly("sigmoid is wrong.\n  expected: [0.5]\n  got:      [0.0]")):
        expect_no_overflow(lambda z: 0 * z, [0.0], [0.5], "sigmoid", "")


def test_expect_no_overflow_gives_f_floats_even_for_integer_z():
    def sigmoid(z):  # fills an array like z: integers would truncate 0.5 to 0
        out = np.zeros_like(z)
        out[:] = 1 / (1 + np.exp(-z))
        return out

    expect_no_overflow(sigmoid, [0, 20], [0.5, 1.0], "sigmoid", "")


# -- backprop ---------------------------------------------------------------------------------


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
    exact = expect_backprop(net.gradients(X, y, 0.3), net, X, y, weight_decay=0.3, exact=True)
    assert list(exact) == ["W3", "b3", "W2", "b2", "W1", "b1"] and max(exact.values()) == 0


def test_gradients_within_the_tolerance_of_finite_differences_pass(problem):
    net, X, y = problem
    grad_W, grad_b = net.gradients(X, y)
    nearly = ([G * (1 + 3e-7) for G in grad_W], [g * (1 + 3e-7) for g in grad_b])  # a relative error of ~1.5e-7
    assert max(expect_backprop(nearly, net, X, y).values()) < 1e-6


def planted(net, X, y, activations=None, weight_decay=0.0):
    wrong = lk.DenseNetwork(net.weights, net.biases, activations or net.activations, net.loss, net.optimizer)
    return wrong.gradients(X, y, weight_decay)


AT_OUTPUT = "it matches phi' evaluated at the layer's output Y = phi(Z) instead of at Z: use the pre-activation."
SUM = ("it is the gradient of the *sum* over the batch: the loss is the mean, so a factor 1/N (N = 5) belongs in it "
       "(it comes in with dE/dY_L).")
SIGN = "it has the wrong sign: it should point uphill (gradient descent subtracts it)."
NO_PHI = "phi' of the hidden layer is missing when Delta steps back: Delta_{l-1} = (Delta_l @ W_l.T) * phi'(Z_{l-1})."
W3 = "the gradient of W3 (the output layer)"


@pytest.mark.parametrize("how, expected", [
    ("output", f"{W3} is off (relative error ~1e-2): {AT_OUTPUT}"),
    ("hidden", f"the gradient of W2 (layers above it: right) is off (relative error ~1e-2): {AT_OUTPUT}"),
    ("lowest", f"the gradient of W1 (layers above it: right) is off (relative error ~1e-2): {AT_OUTPUT}"),
    ("sum", f"{W3} is off (relative error ~1e0): {SUM}"),
    ("sum in the biases", f"the gradient of b3 (the output layer) is off (relative error ~1e0): {SUM}"),
    ("half decay", f"{W3} is off (relative error ~1e-1): the weight-decay term is lambda/2 * W, but the derivative "
                   "of (lambda/2) ||W||^2 is lambda * W."),
    ("no decay", f"{W3} is off (relative error ~1e0): the weight-decay term lambda * W is missing."),
    ("sign", f"{W3} is off (relative error ~1e0): {SIGN}"),
    ("sign of the biases", f"the gradient of b3 (the output layer) is off (relative error ~1e0): {SIGN}"),
    ("no phi'", f"the gradient of W2 (layers above it: right) is off (relative error ~1e0): {NO_PHI}"),
    ("transposed", f"{W3} has shape (2, 3) but W3 has (3, 2): it is transposed; dE/dW_l = Y_(l-1).T @ Delta_l."),
    ("off by one", f"{W3} has shape (2, 2) but W3 has (3, 2): it looks like the layer's output Ys[3] was used where "
                   "its input Ys[2] belongs (off by one layer)."),
    ("twice", f"{W3} is off: relative error ~1e0 (a right answer is below 1e-06)."),
    ("nan", f"{W3} contains nan or inf: look for log(0), a division by 0 or an overflow."),
])
def test_each_classic_backprop_mistake_is_named(problem, how, expected):
    net, X, y = problem
    grad_W, grad_b = net.gradients(X, y, 0.3)
    phis = net.activations
    if how in ("output", "hidden", "lowest"):
        layer = {"output": 2, "hidden": 1, "lowest": 0}[how]
        grad_W, grad_b = planted(net, X, y, [DerivativeAtOutput(phi) if k == layer else phi
                                             for k, phi in enumerate(phis)], 0.3)
    elif how == "sum":
        data = net.gradients(X, y)
        grad_W = [5 * G + 0.3 * W for G, W in zip(data[0], net.weights)]
        grad_b = [5 * g for g in data[1]]
    elif how == "sum in the biases":
        grad_b = [5 * g for g in grad_b]
    elif how == "half decay":
        grad_W = [G - 0.15 * W for G, W in zip(grad_W, net.weights)]
    elif how == "no decay":
        grad_W = [G - 0.3 * W for G, W in zip(grad_W, net.weights)]
    elif how == "sign":
        grad_W, grad_b = [-G for G in grad_W], [-g for g in grad_b]
    elif how == "sign of the biases":
        grad_b = [-g for g in grad_b]
    elif how == "no phi'":
        grad_W, grad_b = planted(net, X, y, [Linearized(phi) for phi in phis[:2]] + [phis[2]], 0.3)
    elif how == "transposed":
        grad_W = [G.T for G in grad_W]
    elif how == "off by one":
        Zs, Ys = forward_pass(net.weights, net.biases, net.activations, X)
        grad_W = [*grad_W[:2], Ys[3].T @ (Ys[3] - y)]
    elif how == "twice":
        grad_W = [2 * G for G in grad_W]
    elif how == "nan":
        grad_W = [np.full_like(G, np.nan) if l == 2 else G for l, G in enumerate(grad_W)]
    with pytest.raises(AssertionError, match=exactly(expected)):
        expect_backprop((grad_W, grad_b), net, X, y, weight_decay=0.3)


class Linearized(lk.Tanh):
    """phi as it is in the forward pass, with phi' forgotten (taken as 1) in the backward pass."""

    def __init__(self, phi):
        self.phi, self.name = phi, phi.name

    def forward(self, z):
        return self.phi.forward(z)

    def derivative(self, z):
        return np.ones_like(z)


def test_a_missing_phi_prime_is_named_in_a_network_with_one_hidden_layer():
    X, y = lk.xor()
    net = lk.build_network(2, [3, "tanh", 1, "sigmoid"], seed=1)
    grad_W, grad_b = planted(net, X, y, [Linearized(net.activations[0]), net.activations[1]])
    with pytest.raises(AssertionError, match=exactly(f"the gradient of W1 (layers above it: right) is off (relative "
                                                     f"error ~1e-1): {NO_PHI}")):
        expect_backprop((grad_W, grad_b), net, X, y, exact=True)


def test_a_transposed_square_gradient_is_named():
    X, y = lk.xor()
    net = lk.build_network(2, [2, "tanh", 1, "sigmoid"], seed=2)
    grad_W, grad_b = net.gradients(X, y)
    with pytest.raises(AssertionError, match=exactly("the gradient of W1 (layers above it: right) is transposed: "
                                                     "dE/dW_l = Y_(l-1).T @ Delta_l has the shape of W_l.")):
        expect_backprop(([grad_W[0].T, grad_W[1]], grad_b), net, X, y, exact=True)


def test_square_weights_in_the_column_convention_pass():
    X, y = lk.xor()
    net = lk.build_network(2, [2, "tanh", 1, "sigmoid"], seed=2)
    grad_W, grad_b = net.gradients(X, y)
    assert max(expect_backprop(([G.T for G in grad_W], grad_b), net, X, y, column=True, exact=True).values()) < 1e-12


def test_a_gradient_in_the_code_convention_is_named_in_the_column_convention(problem):
    net, X, y = problem
    grad_W, grad_b = net.gradients(X, y)
    with pytest.raises(AssertionError, match=exactly(
            f"{W3} has shape (3, 2), the code convention's; in the column convention grad W^l = delta^l (y^(l-1))^T "
            "has the shape of W^l, (2, 3).")):
        expect_backprop((grad_W, grad_b), net, X, y, column=True)


@pytest.mark.parametrize("weights, biases", [(2, 3), (3, 2), (4, 3)])
def test_one_gradient_per_layer(problem, weights, biases):
    net, X, y = problem
    grad_W, grad_b = net.gradients(X, y)
    grads = ((grad_W * 2)[:weights], (grad_b * 2)[:biases])
    with pytest.raises(AssertionError, match=exactly(f"expected 3 weight and 3 bias gradients, one per layer; got "
                                                     f"{weights} and {biases}.")):
        expect_backprop(grads, net, X, y)


def test_gradients_too_close_to_zero_for_finite_differences_are_compared_exactly():
    X, y = lk.xor()
    net = lk.build_network(2, [2, "tanh", 1, "sigmoid"], seed=2)  # XOR's symmetry: dE/db2 is about 1e-10
    with pytest.raises(AssertionError, match=r"^the gradient of b2 \(the output layer\) is off"):
        expect_backprop(net.gradients(X, y), net, X, y)
    assert max(expect_backprop(net.gradients(X, y), net, X, y, exact=True).values()) < 1e-10


def test_phi_prime_at_the_output_gives_the_same_gradients_as_phi_prime_at_z_for_relu():
    # relu'(relu(z)) = relu'(z), so the lab's bug changes nothing in a ReLU layer: no mistake to name there
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(DerivativeAtOutput(lk.ReLU()).derivative(z), lk.ReLU().derivative(z))
    assert DerivativeAtOutput(lk.Tanh()).name == "tanh (phi' at the output)"


# -- forward pass -----------------------------------------------------------------------------


@pytest.mark.parametrize("how, expected", [
    ("right", None),
    ("no X in Ys", "expected 3 pre-activations Zs and 4 outputs Ys for 3 layers; got 3 and 3. Ys starts with the "
                   "input itself, Ys[0] = X."),
    ("one Z too few", "expected 3 pre-activations Zs and 4 outputs Ys for 3 layers; got 2 and 4."),
    ("one Y too many", "expected 3 pre-activations Zs and 4 outputs Ys for 3 layers; got 3 and 5."),
    ("Ys[0] is not X", "Ys[0] (it should be X itself) is off: relative error ~1e0 (a right answer is below 1e-07)."),
    ("no bias", "Zs[0], the pre-activation of layer 1 is off (relative error ~1e-1): the bias is missing: "
                "Z = Y_prev @ W + b."),
    ("phi before the weights", "Zs[1], the pre-activation of layer 2 is off (relative error ~1e-1): phi was applied "
                               "before the weights: Z = Y_prev @ W + b uses the previous layer's output as it is."),
    ("no activation", "Ys[1], the output of layer 1 is off (relative error ~1e0): the activation is missing: "
                      "Y = phi(Z)."),
    ("twice", "Zs[0], the pre-activation of layer 1 is off: relative error ~1e0 (a right answer is below 1e-07)."),
])
def test_forward_mistakes_are_named(problem, how, expected):
    net, X, _ = problem
    net.biases = [np.full(b.shape, 0.5) for b in net.biases]
    Zs, Ys = forward_pass(net.weights, net.biases, net.activations, X)
    if how == "no X in Ys":
        Ys = Ys[1:]
    elif how == "one Z too few":
        Zs = Zs[1:]
    elif how == "one Y too many":
        Ys = [X, *Ys]
    elif how == "Ys[0] is not X":
        Ys = [2 * X, *Ys[1:]]
    elif how == "no bias":
        Zs, Ys = forward_pass(net.weights, [0 * b for b in net.biases], net.activations, X)
    elif how == "phi before the weights":
        Zs = [Zs[0], net.activations[1].forward(Ys[1]) @ net.weights[1] + net.biases[1], Zs[2]]
    elif how == "no activation":
        Ys = [X, Zs[0], *Ys[2:]]
    elif how == "twice":
        Zs = [2 * Zs[0], *Zs[1:]]
    if expected is None:
        assert expect_forward((Zs, Ys), net, X) is None
    else:
        with pytest.raises(AssertionError, match=exactly(expected)):
            expect_forward((Zs, Ys), net, X)


# -- training loop ----------------------------------------------------------------------------


def labkit_forward(weights, biases, activations, X):
    return forward_pass(weights, biases, activations, X)


def labkit_backprop(weights, activations, loss, Zs, Ys, y_true):
    deltas = backward_pass(weights, activations, Zs, output_delta(activations[-1], loss, Zs[-1], Ys[-1], y_true))
    return parameter_gradients(weights, Ys, deltas)


def reference_train(forward=labkit_forward, backprop=labkit_backprop, mistake=None):
    """A student's train(weights, biases, activations, loss, optimizer, X, y_true, steps), with one planted mistake."""
    def train(weights, biases, activations, loss, optimizer, X, y_true, steps):
        history = []
        for _ in range(steps if mistake != "one step short" else steps - 1):
            Zs, Ys = forward(weights, biases, activations, X)
            if mistake != "after":
                history.append(loss.forward(y_true, Ys[-1]))
            grad_W, grad_b = backprop(weights, activations, loss, Zs, Ys, y_true)
            scale = {"sum": len(X), "uphill": -1}.get(mistake, 1)
            new_W = [optimizer.step(W, scale * G) for W, G in zip(weights, grad_W)]
            new_b = [optimizer.step(b, scale * g) for b, g in zip(biases, grad_b)]
            if mistake == "loop variable":  # W = ... in `for W in weights`: the list never changes
                continue
            if mistake in ("rebinds weights", "rebinds biases"):  # a new local list, not the caller's
                if mistake == "rebinds weights":
                    weights = new_W
                    biases[:] = new_b
                else:
                    weights[:] = new_W
                    biases = new_b
                continue
            weights[:] = new_W
            if mistake != "frozen biases":
                biases[:] = new_b
            if mistake == "after":
                history.append(loss.forward(y_true, forward(weights, biases, activations, X)[1][-1]))
        if mistake == "nudged weights":
            weights[0] = weights[0] * (1 + 3e-7)
        if mistake == "nudged biases":
            biases[0] = biases[0] * (1 + 3e-7)
        if mistake == "nudged losses":
            history = [h * (1 + 3e-7) for h in history]
        if mistake == "scaled losses":
            history = [h * 1.05 for h in history]
        return np.array(history)
    return train


@pytest.fixture
def xor_net():
    return lk.build_network(2, [2, "tanh", 1, "sigmoid"], "bce", lk.GradientDescent(0.25), seed=2), *lk.xor()


@pytest.mark.parametrize("mistake", [None, "nudged weights", "nudged biases", "nudged losses"])
def test_the_training_loop_check_passes_a_right_loop(xor_net, mistake):
    net, X, y = xor_net
    before = [W.copy() for W in net.weights]
    err = expect_training(reference_train(mistake=mistake), labkit_forward, labkit_backprop, net, X, y, steps=40)
    assert err < (1e-12 if mistake is None else 1e-6)
    for W, W_before in zip(net.weights, before):
        np.testing.assert_array_equal(W, W_before)  # trained on a copy


@pytest.mark.parametrize("mistake, expected", [
    ("sum", "the loss curve is off (relative error ~1e-1): it is the curve of a learning rate 4 times larger: the "
            "gradients are summed over the N = 4 samples while the loss is their mean (the original lab's bug)."),
    ("after", "the loss curve is off (relative error ~1e-2): each loss is recorded after its step; record it before "
              "the step, as fit does."),
    ("loop variable", "the loss curve is off (relative error ~1e-1): the network never changes: a new value in a "
                      "loop variable (W = ...) leaves the list alone; put it in the list, weights[l] = ..., as for "
                      "the biases."),
    ("frozen biases", "the loss curve is off (relative error ~1e-1): it is the curve of a network whose biases never "
                      "move: step the biases too."),
    ("uphill", "the loss curve is off (relative error ~1e0): the steps go uphill: a gradient step subtracts "
               "learning_rate * gradient."),
    ("one step short", "train returned 39 losses for 40 steps: record one loss per step, the one before the step."),
    ("rebinds weights", "W1 after training (is it updated in weights[0]?) is off: relative error ~1e-1 (a right "
                        "answer is below 1e-06)."),
    ("rebinds biases", "b1 after training (are the biases updated?) is off: relative error ~1e0 (a right answer is "
                       "below 1e-06)."),
])
def test_the_training_loop_check_names_its_mistakes(xor_net, mistake, expected):
    net, X, y = xor_net
    with pytest.raises(AssertionError, match=exactly(expected)):
        expect_training(reference_train(mistake=mistake), labkit_forward, labkit_backprop, net, X, y, steps=40)


def test_the_training_loop_check_shows_an_unknown_mistake_with_its_error(xor_net):
    net, X, y = xor_net
    with pytest.raises(AssertionError, match=exactly("the loss curve is off: relative error ~1e-2 (a right answer is "
                                                     "below 1e-06).")):
        expect_training(reference_train(mistake="scaled losses"), labkit_forward, labkit_backprop, net, X, y,
                        steps=40)


def test_losses_that_are_not_real_numbers_are_refused(xor_net):
    net, X, y = xor_net
    train = reference_train()
    complex_losses = lambda *args: [complex(h) for h in train(*args)]  # noqa: E731 (say, (-x) ** 0.5 in Python)
    with pytest.raises(TypeError, match=exactly("float() argument must be a string or a real number, not 'complex'")):
        expect_training(complex_losses, labkit_forward, labkit_backprop, net, X, y, steps=5)
    net, X, Y = softmax_problem()
    epoch = train_epoch(net)
    complex_epoch = lambda *args: [complex(h) for h in epoch(*args)]  # noqa: E731
    with pytest.raises(TypeError, match=exactly("float() argument must be a string or a real number, not 'complex'")):
        expect_epoch(complex_epoch, *PIECES, net, X, Y, batch_size=6, seed=1)


def test_the_training_loop_check_works_for_deeper_networks():
    rng = np.random.default_rng(0)
    net = lk.build_network(3, [4, "tanh", 3, "tanh", 2, "sigmoid"], "bce", lk.GradientDescent(0.5), seed=0)
    X, y = rng.normal(size=(6, 3)), (rng.random((6, 2)) > 0.5).astype(float)
    assert expect_training(reference_train(), labkit_forward, labkit_backprop, net, X, y, steps=10) < 1e-12
    with pytest.raises(AssertionError, match=exactly("the loss curve is off (relative error ~1e0): the steps go "
                                                     "uphill: a gradient step subtracts learning_rate * gradient.")):
        expect_training(reference_train(mistake="uphill"), labkit_forward, labkit_backprop, net, X, y, steps=10)


def test_the_training_loop_check_blames_a_wrong_forward_or_backprop_first(xor_net):
    net, X, y = xor_net

    def wrong_backprop(*args):
        grad_W, grad_b = labkit_backprop(*args)
        return [2 * G for G in grad_W], grad_b

    def stub(*args):
        raise NotImplementedError()

    def forgets_to_return(*args):
        labkit_forward(*args)

    blame = ("train runs your forward and backprop, which are not right yet (their checks above fail: {}). Fix them "
             "first.")
    cases = [
        (labkit_forward, wrong_backprop, "the gradient of W2 (the output layer) is off: relative error ~1e0 (a right "
                                         "answer is below 1e-06)."),
        (stub, labkit_backprop, STUB),
        (forgets_to_return, labkit_backprop, "your code raised TypeError: 'NoneType' object is not iterable"),
    ]
    for forward, backprop, why in cases:
        with pytest.raises(AssertionError, match=exactly(blame.format(why))):
            expect_training(reference_train(forward, backprop), forward, backprop, net, X, y, steps=10)


class Clock:
    """tqdm's clock, ten seconds later at every look: a bar that waits 2 s for a long run shows after one epoch."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        self.now += 10.0
        return self.now


@pytest.fixture
def slow_clock(monkeypatch):
    monkeypatch.setattr(tqdm.std, "time", Clock())
    # tqdm's default lock is shared between processes and mutmut forks one per mutant (see tests/test_network.py)
    monkeypatch.setattr(network.tqdm, "_lock", threading.RLock(), raising=False)
    monkeypatch.setattr(network.tqdm, "monitor_interval", 0)


def test_the_training_checks_never_show_a_progress_bar(xor_net, slow_clock, capsys):
    net, X, y = xor_net
    lk.build_network(2, [2, "tanh", 1, "sigmoid"], seed=2).fit(X, y, epochs=1)
    assert "training: 100%" in capsys.readouterr().err  # the clock makes a plain fit show its bar
    expect_training(reference_train(), labkit_forward, labkit_backprop, net, X, y, steps=5)
    epoch_net, X, Y = softmax_problem()
    expect_epoch(train_epoch(epoch_net), *PIECES, epoch_net, X, Y, batch_size=6, seed=1)
    assert capsys.readouterr() == ("", "")


# -- one epoch of minibatch training (notebook 03) ---------------------------------------------


def softmax_problem():
    """A ReLU network with a softmax output, 20 rows of 4 features, 3 classes."""
    rng = np.random.default_rng(7)
    net = lk.build_network(4, [5, "relu", 4, "relu", 3, "softmax"], "categorical_crossentropy",
                           lk.GradientDescent(0.5), seed=7)
    return net, rng.normal(size=(20, 4)), np.eye(3)[rng.integers(0, 3, 20)]


def softmax_delta(y_true, y_pred):
    return (y_pred - y_true) / len(y_true)


PIECES = (lk.Softmax().forward, lk.CategoricalCrossEntropy().forward, softmax_delta)


def train_epoch(net, mistake=None):
    """A student's train_epoch(weights, biases, X, Y, batch_size, learning_rate, rng), with one planted mistake."""
    activations, loss = net.activations, lk.CategoricalCrossEntropy()

    def epoch(weights, biases, X, Y, batch_size, learning_rate, rng):
        if mistake == "no shuffle":
            order = np.arange(len(X))
        elif mistake == "np.random":
            order = np.random.permutation(len(X))  # noqa: NPY002 (the student's mistake)
        else:
            order = rng.permutation(len(X))
        if mistake == "drops the short batch":
            order = order[:len(X) // batch_size * batch_size]
        losses = []
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            Zs, Ys = forward_pass(weights, biases, activations, X[rows])
            if mistake != "after":
                losses.append(loss.forward(Y[rows], Ys[-1]))
            delta = softmax_delta(Ys[-1], Y[rows]) if mistake == "uphill" else softmax_delta(Y[rows], Ys[-1])
            delta = delta * len(rows) if mistake == "sum" else delta
            grad_W, grad_b = parameter_gradients(weights, Ys, backward_pass(weights, activations, Zs, delta))
            for W, b, gW, gb in zip(weights, biases, grad_W, grad_b):
                if mistake == "new arrays":
                    W = W - learning_rate * gW  # noqa: PLW2901 (the student's mistake)
                    b = b - learning_rate * gb  # noqa: PLW2901
                    continue
                W -= learning_rate * gW
                if mistake != "frozen biases":
                    b -= learning_rate * gb
            if mistake == "after":
                losses.append(loss.forward(Y[rows], forward_pass(weights, biases, activations, X[rows])[1][-1]))
        if mistake == "nudged weights":
            weights[1] *= 1 + 3e-7
        if mistake == "nudged biases":
            biases[1] *= 1 + 3e-7
        if mistake == "nudged losses":
            losses = [h * (1 + 3e-7) for h in losses]
        if mistake == "scaled losses":
            losses = [h * 1.05 for h in losses]
        if mistake == "last weights in a copy":
            weights[1] = weights[1] + 0.1
        if mistake == "last biases in a copy":
            biases[1] = biases[1] + 0.1
        return np.array(losses)
    return epoch


@pytest.mark.parametrize("mistake", [None, "nudged weights", "nudged biases", "nudged losses"])
def test_the_epoch_check_passes_a_right_epoch(mistake):
    net, X, Y = softmax_problem()
    before = [W.copy() for W in net.weights]
    err = expect_epoch(train_epoch(net, mistake), *PIECES, net, X, Y, batch_size=6, seed=1)
    assert err < (1e-12 if mistake is None else 1e-6)
    for W, W_before in zip(net.weights, before):
        np.testing.assert_array_equal(W, W_before)  # trained on a copy


EPOCH = "the loss curve of the epoch is off (relative error ~1e{}): "


@pytest.mark.parametrize("mistake, expected", [
    ("no shuffle", EPOCH.format(-2) + "it is that of the rows in their original order: shuffle them with "
                                      "rng.permutation first."),
    ("after", EPOCH.format(-1) + "each loss is recorded after its step; record it before the step."),
    ("sum", EPOCH.format(-1) + "it is that of gradients summed over the batch: the 1/N of the mean belongs in "
                              "Delta_L."),
    ("uphill", EPOCH.format(-1) + "the steps go uphill: look at the order of the arguments of "
                                  "softmax_cross_entropy_delta(y_true, y_pred), and subtract the gradient."),
    ("new arrays", EPOCH.format(-2) + "the network never changes: W = W - ... makes a new array and leaves the one "
                                      "in the list alone; update it in place with W -= ...."),
    ("frozen biases", EPOCH.format(-2) + "it is that of a network whose biases never move: step the biases too."),
    ("np.random", "two epochs from the same rng differ: shuffle with the rng train_epoch is given, "
                  "rng.permutation(len(X)), not with np.random."),
    ("drops the short batch", "train_epoch returned 3 losses, but 20 rows in batches of 6 make 4 steps (the last "
                              "batch is shorter): one loss per step."),
    ("last weights in a copy", "W2 after the epoch (is it updated in place?) is off: relative error ~1e-1 (a right "
                               "answer is below 1e-06)."),
    ("last biases in a copy", "b2 after the epoch (are the biases updated in place?) is off: relative error ~1e0 (a "
                              "right answer is below 1e-06)."),
])
def test_the_epoch_check_names_its_mistakes(mistake, expected):
    net, X, Y = softmax_problem()
    with pytest.raises(AssertionError, match=exactly(expected)):
        expect_epoch(train_epoch(net, mistake), *PIECES, net, X, Y, batch_size=6, seed=1)


def test_the_epoch_check_shows_an_unknown_mistake_with_its_error():
    net, X, Y = softmax_problem()
    with pytest.raises(AssertionError, match=exactly("the loss curve of the epoch is off: relative error ~1e-2 (a "
                                                     "right answer is below 1e-06).")):
        expect_epoch(train_epoch(net, "scaled losses"), *PIECES, net, X, Y, batch_size=6, seed=1)


def test_the_epoch_check_blames_a_wrong_piece_first():
    net, X, Y = softmax_problem()
    softmax, cross_entropy, delta = PIECES

    def stub(*args):
        raise NotImplementedError()

    blame = "train_epoch uses {}, which is not right yet ({}). Fix its exercise first."
    cases = [
        ((lambda z: np.exp(z) / np.exp(z).sum(axis=0), cross_entropy, delta),
         blame.format("softmax", "softmax is off: relative error ~1e0 (a right answer is below 1e-06).")),
        ((softmax, lambda t, p: 2 * cross_entropy(t, p), delta),
         blame.format("the categorical cross entropy", "the categorical cross entropy is off: relative error ~1e0 (a "
                                                       "right answer is below 1e-06).")),
        ((softmax, cross_entropy, lambda t, p: p - t),
         blame.format("the fused delta", "the fused delta is off: relative error ~1e0 (a right answer is below "
                                         "1e-06).")),
        ((softmax, cross_entropy, lambda t, p: (t - p) / len(t)),
         blame.format("the fused delta", "the fused delta is off: relative error ~1e0 (a right answer is below "
                                         "1e-06).")),
        ((softmax, cross_entropy, lambda t, p: (p - t)[:, :2]),
         blame.format("the fused delta", "the fused delta has shape (6, 2), expected (6, 4).")),
        ((softmax, stub, delta), blame.format("the categorical cross entropy", STUB)),
    ]
    for pieces, expected in cases:
        with pytest.raises(AssertionError, match=exactly(expected)):
            expect_epoch(train_epoch(net), *pieces, net, X, Y, batch_size=6, seed=1)


def test_the_epoch_check_tries_the_pieces_on_six_rows_of_four_classes():
    net, X, Y = softmax_problem()
    seen = []

    def softmax(z):
        seen.append(z)
        return PIECES[0](z)

    def cross_entropy(t, p):
        seen.append((t, p))
        return PIECES[1](t, p)

    expect_epoch(train_epoch(net), softmax, cross_entropy, PIECES[2], net, X, Y, batch_size=6, seed=1)
    rng = np.random.default_rng(0)
    Z, T = rng.normal(size=(6, 4)) * 3, np.eye(4)[rng.integers(0, 4, 6)]
    np.testing.assert_array_equal(seen[0], Z)
    np.testing.assert_array_equal(seen[1][0], T)
    np.testing.assert_array_equal(seen[1][1], lk.Softmax().forward(Z))

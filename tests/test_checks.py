"""The self-check helpers: one line on success, one message that names the mistake on failure.

The messages are what a student reads, so the tests compare them whole (tests/messages.py).
"""

import linecache
import numbers
import threading

import numpy as np
import pytest
import tqdm.std

import labkit as lk
from labkit import mistakes, network
from labkit.checks import (
    CheckFailed,
    check,
    expect_backprop,
    expect_close,
    expect_forward,
    expect_gradient,
    expect_no_overflow,
    expect_trained,
    explain,
    lists_of,
    magnitude,
    numbers_of,
    parts_of,
    uses,
)
from labkit.network import backward_pass, forward_pass, output_delta, parameter_gradients
from tests.messages import exactly

STUB = ("not done yet: the exercise above still holds `raise NotImplementedError()`. Replace it with your code, run "
        "that cell, then run this one again.")
SHAPES = ". Compare the shapes of the arrays on that line (print their .shape) with the shapes you expect"


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


def test_a_missing_name_says_that_a_cell_above_did_not_run_to_its_end():
    with pytest.raises(CheckFailed, match=exactly(
            "forward: name 'undefined_thing' is not defined: it comes from a cell above that has not run to its end, "
            "because it was not run or because it stopped with an error (an exercise it uses may not be done yet). "
            "Run the cells above in order.")):
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
        f"(n?,k),(k,m?)->(n?,m?) (size 3 is different from 2){SHAPES}.")


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
    (ValueError("operands could not be broadcast"), f"operands could not be broadcast{SHAPES}."),
    (ValueError("wrong shape."), f"wrong shape{SHAPES}."),
    (ValueError("could not convert string to float: 'abc'"), "could not convert string to float: 'abc'."),
    (ValueError(), "(no message)."),
    (TypeError("the shapes do not broadcast in matmul"), "the shapes do not broadcast in matmul."),
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
            "inside labkit, which the student does not see`: cannot compare arrays of shapes (2,) and (3,)"
            f"{SHAPES}.")):
        with check("x"):
            outer()


def test_the_line_shown_is_never_one_of_an_installed_package():
    def solve():
        return np.linalg.solve(np.zeros((2, 2)), np.ones(2))  # numpy raises in its own Python code

    with pytest.raises(CheckFailed, match=exactly("x: your code raised LinAlgError in solve, at `return "
                                                  "np.linalg.solve(np.zeros((2, 2)), np.ones(2))  # numpy raises in "
                                                  "its own Python code`: Singular matrix.")):
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
                                                      "zero.")):
            with check("sum"):
                exec(compile(code, filename, "exec"), {})
    finally:
        linecache.cache.pop(filename, None)


def test_keyboard_interrupt_is_not_turned_into_a_check_failure():
    with pytest.raises(KeyboardInterrupt):
        with check("anything"):
            raise KeyboardInterrupt


def test_a_failure_already_explained_passes_unchanged():
    with pytest.raises(CheckFailed, match=exactly("inner: x is wrong: sign.")):
        with check("outer"):
            with check("inner"):
                expect_close(-1.0, 1.0, "x", mistakes=[("sign.", -1.0)])


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


def test_expect_close_compares_relative_errors_and_returns_the_error():
    assert expect_close(1000.00005, 1000.0, "x") < 1e-7
    assert expect_close([1.0, 2.0], np.array([1.0, 2.0]), "x") == 0
    with pytest.raises(AssertionError, match=exactly("x is wrong: relative error ~1e-6; the first wrong entry is "
                                                     "1000.005 instead of 1000.")):
        expect_close(1000.005, 1000.0, "x")
    assert expect_close(1.5, 1.0, "x", atol=0.5) == pytest.approx(0.2)
    assert expect_close(1e-17, 0.0, "x", atol=1e-12) == 1.0  # relative error 1, but within atol of 0


def test_an_error_equal_to_the_tolerance_is_not_below_it():
    got, expected = np.array([1.0, 2.0]), np.array([1.5, 2.0])
    tol = lk.rel_error(got, expected)
    with pytest.raises(AssertionError, match=r"^x is wrong: "):
        expect_close(got, expected, "x", tol=tol)
    assert expect_close(got, expected, "x", tol=np.nextafter(tol, 1)) == tol


@pytest.mark.parametrize("got, expected, message", [
    (np.zeros(2), np.zeros(3), "x has shape (2,), expected (3,)."),
    (np.zeros((3, 2)), np.zeros((2, 3)), "x has shape (3, 2) but should have (2, 3): it is transposed."),
    (np.zeros((2, 3, 4)), np.zeros((4, 3, 2)), "x has shape (2, 3, 4), expected (4, 3, 2)."),
    ([np.nan, 1.0], np.ones(2), "x contains nan or inf: look for log(0), a division by 0 or an overflow."),
    ([1.0, -np.inf], np.ones(2), "x contains nan or inf: look for log(0), a division by 0 or an overflow."),
    ("abc", np.ones(2), "x should be numbers (an array); got a str."),
    (None, np.ones(2), "x is None: does your function return its result?"),
    ([np.ones(2), None], np.ones((2, 2)), "x should be numbers (an array); entry 1 is None: does every entry get its "
                                          "value."),
    ([[1.0, None]], np.ones((1, 2)), "x should be numbers (an array); entry 1 of entry 0 is None: does every entry "
                                     "get its value."),
    (np.array(["a"]), np.ones(1), "x should be numbers (an array); got an array of <U1."),
    (np.ones(2, dtype=complex), np.ones(2), "x should be numbers (an array); got an array of complex128."),
    ([1 + 2j], np.ones(1), "x should be numbers (an array); got a complex of entry 0."),
    (np.ma.masked_array([1.0, 2.0]), np.ones(2), "x should be numbers (an array); got a MaskedArray."),
])
def test_a_value_of_the_wrong_kind_or_shape_is_named(got, expected, message):
    with pytest.raises(AssertionError, match=exactly(message)):
        expect_close(got, expected, "x")


class AlwaysEqual:
    """An answer that claims to equal anything, as a student might try."""

    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.ones(2)

    def __float__(self):
        return 1.0


class FakeArray(np.ndarray):
    """An ndarray subclass whose comparisons always say equal."""

    def __array_function__(self, func, types, args, kwargs):
        return True


def test_objects_that_fake_numbers_are_refused_without_being_asked_their_value():
    with pytest.raises(AssertionError, match=exactly("x should be numbers (an array); got a AlwaysEqual.")):
        expect_close(AlwaysEqual(), np.ones(2), "x")
    with pytest.raises(AssertionError, match=exactly("x should be numbers (an array); got a FakeArray.")):
        expect_close(np.zeros(2).view(FakeArray), np.ones(2), "x")
    with pytest.raises(AssertionError, match=exactly("x should be numbers (an array); got a AlwaysEqual of entry 1.")):
        expect_close([1.0, AlwaysEqual()], np.ones(2), "x")


def test_plain_python_and_numpy_numbers_are_taken():
    for value in (2, 2.0, np.float64(2), np.int32(2), np.float32(2), True, [2], (2.0,), np.array(2.0)):
        np.testing.assert_array_equal(numbers_of(value, "x"), np.asarray(value, dtype=float))


def test_a_number_of_the_students_own_class_is_refused_however_it_names_itself():
    class Late:  # computes its value only when asked, after the check's watch has ended
        __module__ = "numpy"

        def __float__(self) -> float:
            return 1.0

    numbers.Real.register(Late)

    class Subclassed(np.float64):
        pass

    for value, kind in ((Late(), "Late"), (Subclassed(1.0), "Subclassed"), ([1.0, Late()], "Late of entry 1")):
        with pytest.raises(AssertionError, match=exactly(f"x should be numbers (an array); got a {kind}.")):
            numbers_of(value, "x")


def test_a_value_that_matches_a_known_mistake_is_named():
    with pytest.raises(AssertionError, match=exactly("sum is wrong: divide by N.")):
        expect_close(6.0, 2.0, "sum", mistakes=[("not this one.", 5.0), ("divide by N.", 6.0)])
    with pytest.raises(AssertionError, match=exactly("grad is wrong: sign.")):
        expect_close(-np.ones(3), np.ones(3), "grad", mistakes=[("shape.", np.ones(2)), ("sign.", -np.ones(3))])
    with pytest.raises(AssertionError, match=exactly("grad is wrong: it has the wrong sign (it is minus the right "
                                                     "value).")):
        expect_close(-np.ones(3), np.ones(3), "grad", mistakes=[("shape.", -np.ones(2))])


def test_a_mistake_given_as_a_function_is_computed_only_for_a_wrong_answer():
    calls = []

    def costly_mistake():
        calls.append(1)
        return -np.ones(3)

    expect_close(np.ones(3), np.ones(3), "grad", mistakes=[("sign.", costly_mistake)])
    assert calls == []
    with pytest.raises(AssertionError, match=exactly("grad is wrong: sign.")):
        expect_close(-np.ones(3), np.ones(3), "grad", mistakes=[("sign.", costly_mistake)])
    assert calls == [1]


def test_a_mistake_that_cannot_be_computed_or_does_not_apply_is_skipped():
    def diverges():
        raise lk.DivergenceError("too far")

    with pytest.raises(AssertionError, match=exactly("x is wrong: it is all zeros.")):
        expect_close(np.zeros(2), np.ones(2), "x", mistakes=[("diverged.", diverges), ("n/a.", lambda: None)])


def test_a_mistake_that_is_not_numbers_fails_loudly_instead_of_being_skipped():
    with pytest.raises(ValueError, match="could not convert string to float: 'oops'"):
        expect_close(np.zeros(2), np.ones(2), "x", mistakes=[("typo in the check", "oops")])


def test_a_mistake_can_be_recognized_within_the_absolute_tolerance():
    with pytest.raises(AssertionError, match=exactly("mean is wrong: noise too small.")):
        expect_close([0.52], [1.0], "mean", mistakes=[("noise too small.", [0.5])], atol=0.05)


def test_relative_error_of_a_nan_is_nan_not_zero():
    assert np.isnan(lk.rel_error([np.nan, 1.0], [1.0, 1.0]))


def test_expect_gradient_accepts_right_and_rejects_wrong_derivatives():
    x = np.array([0.3, -1.2])
    assert expect_gradient(np.cos(x), lambda v: float(np.sin(v).sum()), x, "sin'") < 1e-8
    with pytest.raises(AssertionError, match=exactly("sin' (against finite differences) is wrong: relative error "
                                                     "~1e0; the first wrong entry [0] is 0.2955202 instead of "
                                                     "0.9553365.")):
        expect_gradient(np.sin(x), lambda v: float(np.sin(v).sum()), x, "sin'")
    with pytest.raises(AssertionError, match=exactly("sin' (against finite differences) is wrong: the sign.")):
        expect_gradient(-np.cos(x), lambda v: float(np.sin(v).sum()), x, "sin'", mistakes=[("the sign.", -np.cos(x))])
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
    with pytest.raises(AssertionError, match=exactly("sigmoid overflows at [-1000.0] (overflow encountered in "
                                                     "exp): use exp(-|z|).")):
        expect_no_overflow(naive, [-1000.0], [0.0], "sigmoid", "use exp(-|z|).")
    expect_no_overflow(lk.Sigmoid().forward, [-1000.0, 1000.0], [0.0, 1.0], "sigmoid", "")


def test_a_division_by_zero_or_an_invalid_value_breaks_down():
    with pytest.raises(AssertionError, match=exactly("log breaks down at [0.0, 1.0] (divide by zero encountered "
                                                     "in log): add eps.")):
        expect_no_overflow(np.log, [0.0, 1.0], [-30.0, 0.0], "log", "add eps.")
    with pytest.raises(AssertionError, match=exactly("ratio breaks down at [0.0] (invalid value encountered in "
                                                     "divide): guard 0 / 0.")):
        expect_no_overflow(lambda z: z / z, [0.0], [1.0], "ratio", "guard 0 / 0.")
    with pytest.raises(AssertionError, match=exactly("sigmoid is wrong: it is all zeros.")):
        expect_no_overflow(lambda z: 0 * z, [0.0], [0.5], "sigmoid", "")


def test_a_stable_function_passes_even_where_the_notebook_made_underflow_an_error():
    # exp(-1000) underflows to 0, which is right; a student's np.seterr(all="raise") must not fail the check
    with np.errstate(all="raise"):
        expect_no_overflow(lk.Sigmoid().forward, [-1000.0, 1000.0], [0.0, 1.0], "sigmoid", "")


def test_expect_no_overflow_gives_f_floats_even_for_integer_z():
    def sigmoid(z):  # fills an array like z: integers would truncate 0.5 to 0
        out = np.zeros_like(z)
        out[:] = 1 / (1 + np.exp(-z))
        return out

    expect_no_overflow(sigmoid, [0, 20], [0.5, 1.0], "sigmoid", "")


@pytest.mark.parametrize("result, message", [
    (np.zeros(3), "f should return 2 things, (a, b); it returned a ndarray."),
    ([np.zeros(3)], "f should return 2 things, (a, b); it returned a list of 1 (ndarray)."),
    ((1, 2, 3), "f should return 2 things, (a, b); it returned a tuple of 3 (int, int, int)."),
    (None, "f should return 2 things, (a, b); it returned a NoneType."),
])
def test_a_result_with_the_wrong_number_of_parts_is_named(result, message):
    with pytest.raises(AssertionError, match=exactly(message)):
        parts_of(result, ("a", "b"), "f")
    assert parts_of((1, 2), ("a", "b"), "f") == (1, 2)


def test_lists_must_be_lists_of_the_right_lengths():
    assert lists_of(([1], (2, 3)), ("xs", "ys"), (1, 2), "f") == ([1], [2, 3])
    with pytest.raises(AssertionError, match=exactly("f should return two lists, (xs, ys); it returned a tuple of 2 "
                                                     "(ndarray, list).")):
        lists_of((np.zeros(1), [2, 3]), ("xs", "ys"), (1, 2), "f")
    with pytest.raises(AssertionError, match=exactly("f returned 2 xs and 2 ys; expected 1 and 2.")):
        lists_of(([1, 2], [2, 3]), ("xs", "ys"), (1, 2), "f")


# -- backprop ---------------------------------------------------------------------------------


@pytest.fixture
def problem():
    rng = np.random.default_rng(3)
    net = lk.build_network(3, [4, "tanh", 3, "sigmoid", 2, "sigmoid"], "bce", seed=3)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
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


@pytest.mark.parametrize("mistake", mistakes.BACKPROP, ids=lambda m: m.name)
def test_every_backprop_mistake_of_the_catalogue_is_named(problem, mistake):
    net, X, y = problem
    for planted in mistakes.planted_backprop(mistake, net.weights, net.biases, net.activations, net.loss, X, y, 0.3):
        with pytest.raises(AssertionError, match=exactly(f"the gradients are wrong: {mistake.say(N=5)}")):
            expect_backprop((planted.grad_W, planted.grad_b), net, X, y, weight_decay=0.3)


W3 = "the gradient of W3 (the output layer)"


@pytest.mark.parametrize("how, expected", [
    ("twice", f"{W3} is wrong: it is a factor 2 times the right value."),
    ("W2 off in one entry", "the gradient of W2 is wrong: 1 of its 12 entries are wrong; the first wrong entry [1, 2] "
                            "is 0.5 instead of {}."),
    ("b2 doubled", "the gradient of b2 is wrong: only the bias gradients are wrong; it is a factor 2 times the right "
                   "value."),
    ("transposed", f"{W3} has shape (2, 3) but W3 has (3, 2): it is transposed; dE/dW_l = Y_(l-1).T @ Delta_l."),
    ("off by one", f"{W3} has shape (2, 2) but W3 has (3, 2): it looks like the layer's output Ys[3] was used where "
                   "its input Ys[2] belongs (off by one layer)."),
    ("nan", f"{W3} contains nan or inf: look for log(0), a division by 0 or an overflow."),
    ("None", "the gradient of W1 is None: does your function return its result?"),
])
def test_a_wrong_gradient_that_is_no_known_mistake_is_described(problem, how, expected):
    net, X, y = problem
    grad_W, grad_b = net.gradients(X, y)
    if how == "twice":
        grad_W = [2 * G for G in grad_W]
    elif how == "W2 off in one entry":
        expected = expected.format(f"{grad_W[1][1, 2]:.7g}")
        grad_W[1] = grad_W[1].copy()
        grad_W[1][1, 2] = 0.5
    elif how == "b2 doubled":
        grad_b[1] = 2 * grad_b[1]
    elif how == "transposed":
        grad_W = [G.T for G in grad_W]
    elif how == "off by one":
        Zs, Ys = forward_pass(net.weights, net.biases, net.activations, X)
        grad_W = [*grad_W[:2], Ys[3].T @ (Ys[3] - y)]
    elif how == "nan":
        grad_W = [np.full_like(G, np.nan) if l == 2 else G for l, G in enumerate(grad_W)]
    elif how == "None":
        grad_W = [None, *grad_W[1:]]
    with pytest.raises(AssertionError, match=exactly(expected)):
        expect_backprop((grad_W, grad_b), net, X, y)


def test_a_missing_phi_prime_is_named_in_a_network_with_one_hidden_layer():
    X, y = lk.xor()
    net = lk.build_network(2, [3, "tanh", 1, "sigmoid"], seed=1)
    planted, = mistakes.planted_backprop(mistakes.HIDDEN_PHI_PRIME_MISSING, net.weights, net.biases,
                                         net.activations, net.loss, X, y)
    with pytest.raises(AssertionError, match=exactly(f"the gradients are wrong: "
                                                     f"{mistakes.HIDDEN_PHI_PRIME_MISSING.message}")):
        expect_backprop((planted.grad_W, planted.grad_b), net, X, y, exact=True)


def test_a_transposed_square_gradient_is_described():
    X, y = lk.xor()
    net = lk.build_network(2, [2, "tanh", 1, "sigmoid"], seed=2)
    grad_W, grad_b = net.gradients(X, y)
    with pytest.raises(AssertionError, match=exactly("the gradient of W1 is wrong: it is the transpose of the right "
                                                     "matrix.")):
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
    with pytest.raises(AssertionError, match=exactly(f"backprop returned {weights} weight gradients and {biases} bias "
                                                     "gradients; expected 3 and 3.")):
        expect_backprop(grads, net, X, y)


def test_one_array_where_two_lists_are_expected_is_named(problem):
    net, X, y = problem
    with pytest.raises(AssertionError, match=exactly("backprop should return 2 things, (weight gradients, bias "
                                                     "gradients); it returned a ndarray.")):
        expect_backprop(net.gradients(X, y)[0][0], net, X, y)


def test_gradients_too_close_to_zero_for_finite_differences_are_compared_exactly():
    X, y = lk.xor()
    net = lk.build_network(2, [2, "tanh", 1, "sigmoid"], seed=2)  # XOR's symmetry: dE/db2 is about 1e-10
    with pytest.raises(AssertionError, match=r"^the gradient of b2 \(the output layer\) is wrong"):
        expect_backprop(net.gradients(X, y), net, X, y)
    assert max(expect_backprop(net.gradients(X, y), net, X, y, exact=True).values()) < 1e-10


# -- forward pass -----------------------------------------------------------------------------


@pytest.mark.parametrize("how, expected", [
    ("right", None),
    ("no X in Ys", "forward returned 3 outputs Ys for 3 layers; Ys starts with the input itself, Ys[0] = X, so it "
                   "has 4."),
    ("one Z too few", "forward returned 2 Zs and 4 Ys; expected 3 and 4."),
    ("one Y too many", "forward returned 3 Zs and 5 Ys; expected 3 and 4."),
    ("Ys[0] is not X", "Ys[0] (it should be X itself) is wrong: it is a factor 2 times the right value."),
    ("twice", "Zs[0], the pre-activation of layer 1 is wrong: it is a factor 2 times the right value."),
] + [(m.name, f"{{}} is wrong: {m.message}") for m in mistakes.FORWARD])
def test_forward_mistakes_are_named(problem, how, expected):
    net, X, _ = problem
    Zs, Ys = forward_pass(net.weights, net.biases, net.activations, X)
    planted = {m.name: m for m in mistakes.FORWARD}
    if how == "no X in Ys":
        Ys = Ys[1:]
    elif how == "one Z too few":
        Zs = Zs[1:]
    elif how == "one Y too many":
        Ys = [X, *Ys]
    elif how == "Ys[0] is not X":
        Ys = [2 * X, *Ys[1:]]
    elif how == "twice":
        Zs = [2 * Zs[0], *Zs[1:]]
    elif how in planted:
        Zs, Ys = planted[how].value(net.weights, net.biases, net.activations, X)
        first = next(k for k, (Z, right) in enumerate(zip(Zs, forward_pass(net.weights, net.biases, net.activations,
                                                                           X)[0])) if not np.allclose(Z, right))
        expected = expected.format(f"Zs[{first}], the pre-activation of layer {first + 1}" if how != "forward_no_"
                                   "activation" else "Ys[1], the output of layer 1")
    if expected is None:
        assert expect_forward((Zs, Ys), net, X) is None
    else:
        with pytest.raises(AssertionError, match=exactly(expected)):
            expect_forward((Zs, Ys), net, X)


# -- training ---------------------------------------------------------------------------------


def labkit_forward(weights, biases, activations, X):
    return forward_pass(weights, biases, activations, X)


def labkit_backprop(weights, activations, loss, Zs, Ys, y_true):
    deltas = backward_pass(weights, activations, Zs, output_delta(activations[-1], loss, Zs[-1], Ys[-1], y_true))
    return parameter_gradients(weights, Ys, deltas)


def reference_train(mistake=None):
    """A student's train(weights, biases, activations, loss, optimizer, X, y_true, steps), with one planted mistake."""
    def train(weights, biases, activations, loss, optimizer, X, y_true, steps):
        history = []
        Zs, Ys = labkit_forward(weights, biases, activations, X)
        for _ in range(steps if mistake != "one step short" else steps - 1):
            if mistake != "stale forward":
                Zs, Ys = labkit_forward(weights, biases, activations, X)
            if mistake != "after":
                history.append(loss.forward(y_true, Ys[-1]))
            grad_W, grad_b = labkit_backprop(weights, activations, loss, Zs, Ys, y_true)
            scale = {"sum": len(X), "uphill": -1}.get(mistake, 1)
            new_W = [optimizer.step(W, scale * G) for W, G in zip(weights, grad_W)]
            new_b = [optimizer.step(b, scale * g) for b, g in zip(biases, grad_b)]
            if mistake == "loop variable":  # W = ... in `for W in weights`: the list never changes
                continue
            if mistake == "rebinds weights":  # a new local list, not the caller's
                weights = new_W
                biases[:] = new_b
                continue
            weights[:] = new_W
            if mistake != "frozen biases":
                biases[:] = new_b
            if mistake == "after":
                history.append(loss.forward(y_true, labkit_forward(weights, biases, activations, X)[1][-1]))
        if mistake == "nudged weights":
            weights[0] = weights[0] * (1 + 3e-7)
        if mistake == "nudged losses":
            history = [h * (1 + 3e-7) for h in history]
        if mistake == "scaled losses":
            history = [h * 1.05 for h in history]
        return np.array(history)
    return train


def trained_by(train, net, X, y, steps):
    weights, biases = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
    losses = train(weights, biases, net.activations, net.loss, lk.GradientDescent(net.optimizer.learning_rate), X, y,
                   steps)
    return losses, weights, biases


@pytest.fixture
def xor_net():
    return lk.build_network(2, [2, "tanh", 1, "sigmoid"], "bce", lk.GradientDescent(0.25), seed=2), *lk.xor()


@pytest.mark.parametrize("mistake", [None, "nudged weights", "nudged losses"])
def test_a_right_training_passes(xor_net, mistake):
    net, X, y = xor_net
    before = [W.copy() for W in net.weights]
    err = expect_trained(*trained_by(reference_train(mistake), net, X, y, 40), net, X, y, 40, mistakes.TRAINING)
    assert err < (1e-12 if mistake is None else 1e-6)
    for W, W_before in zip(net.weights, before):
        np.testing.assert_array_equal(W, W_before)  # trained on a copy


CURVE = "the loss curve is wrong: {}"


@pytest.mark.parametrize("mistake, expected", [
    ("sum", CURVE.format(mistakes.SUMMED_GRADIENTS.say(N=4))),
    ("after", CURVE.format(mistakes.LOSS_AFTER_STEP.message)),
    ("loop variable", CURVE.format(mistakes.NOTHING_MOVES.message)),
    ("stale forward", CURVE.format(mistakes.STALE_FORWARD.message)),
    ("frozen biases", CURVE.format(mistakes.BIASES_STAY.message)),
    ("uphill", CURVE.format(mistakes.UPHILL.message)),
    ("one step short", "the loss curve has 39 losses, but the training takes 40 steps: record one loss per step, the "
                       "one before the step."),
    ("rebinds weights", "the loss curve is right, but W1 after training is not: it must hold the trained values "
                        "(update it in place, or write the new array back into the list)."),
    ("scaled losses", CURVE.format("it is a factor 1.05 times the right value.")),
])
def test_each_training_mistake_is_named(xor_net, mistake, expected):
    net, X, y = xor_net
    with pytest.raises(AssertionError, match=exactly(expected)):
        expect_trained(*trained_by(reference_train(mistake), net, X, y, 40), net, X, y, 40, mistakes.TRAINING)


def test_losses_that_are_not_real_numbers_are_refused(xor_net):
    net, X, y = xor_net
    losses, weights, biases = trained_by(reference_train(), net, X, y, 5)
    with pytest.raises(AssertionError, match=exactly("the loss curve should be numbers (an array); got a complex of "
                                                     "entry 0.")):
        expect_trained([complex(h) for h in losses], weights, biases, net, X, y, 5, mistakes.TRAINING)


def softmax_problem():
    """A ReLU network with a softmax output, 20 rows of 4 features, 3 classes."""
    rng = np.random.default_rng(7)
    net = lk.build_network(4, [5, "relu", 4, "relu", 3, "softmax"], "categorical_crossentropy",
                           lk.GradientDescent(0.5), seed=7)
    return net, rng.normal(size=(20, 4)), np.eye(3)[rng.integers(0, 3, 20)]


def softmax_delta(y_true, y_pred):
    return (y_pred - y_true) / len(y_true)


def train_epoch(net, mistake=None):
    """A student's train_epoch(weights, biases, X, Y, batch_size, learning_rate, rng), with one planted mistake."""
    activations, loss = net.activations, lk.CategoricalCrossEntropy()

    def epoch(weights, biases, X, Y, batch_size, learning_rate, rng):
        order = np.arange(len(X)) if mistake == "no shuffle" else rng.permutation(len(X))
        losses = []
        for start in range(0, len(order), batch_size):
            rows = order[start:start + batch_size]
            targets = Y[start:start + batch_size] if mistake == "targets in order" else Y[rows]
            Zs, Ys = forward_pass(weights, biases, activations, X[rows])
            if mistake != "after":
                losses.append(loss.forward(targets, Ys[-1]))
            delta = softmax_delta(Ys[-1], targets) if mistake == "uphill" else softmax_delta(targets, Ys[-1])
            delta = {"sum": len(rows), "1/N twice": 1 / len(rows)}.get(mistake, 1) * delta
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
                losses.append(loss.forward(targets, forward_pass(weights, biases, activations, X[rows])[1][-1]))
        if mistake == "last weights in a copy":
            weights[1] = weights[1] + 0.1
        return np.array(losses)
    return epoch


def epoch_of(epoch, net, X, Y):
    weights, biases = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
    losses = epoch(weights, biases, X, Y, 6, net.optimizer.learning_rate, np.random.default_rng(1))
    return losses, weights, biases


def test_a_right_epoch_passes():
    net, X, Y = softmax_problem()
    assert expect_trained(*epoch_of(train_epoch(net), net, X, Y), net, X, Y, 1, mistakes.EPOCH, 6, 1) < 1e-12


EPOCH_CURVE = "the loss curve is wrong: {}"


@pytest.mark.parametrize("mistake, expected", [
    ("no shuffle", mistakes.NOT_SHUFFLED.message),
    ("targets in order", mistakes.TARGETS_NOT_SHUFFLED.message),
    ("after", mistakes.LOSS_AFTER_STEP.message),
    ("sum", mistakes.SUMMED_GRADIENTS.say(N=6)),
    ("1/N twice", mistakes.GRADIENTS_1_OVER_N_TWICE.say(N=6)),
    ("uphill", mistakes.UPHILL.message),
    ("new arrays", mistakes.NOTHING_MOVES.message),
    ("frozen biases", mistakes.BIASES_STAY.message),
])
def test_each_epoch_mistake_is_named(mistake, expected):
    net, X, Y = softmax_problem()
    with pytest.raises(AssertionError, match=exactly(f"the loss curve is wrong: {expected}")):
        expect_trained(*epoch_of(train_epoch(net, mistake), net, X, Y), net, X, Y, 1, mistakes.EPOCH, 6, 1)


def test_an_epoch_with_right_losses_but_parameters_left_behind_says_so():
    net, X, Y = softmax_problem()
    with pytest.raises(AssertionError, match=exactly("the loss curve is right, but W2 after training is not: it must "
                                                     "hold the trained values (update it in place, or write the new "
                                                     "array back into the list).")):
        expect_trained(*epoch_of(train_epoch(net, "last weights in a copy"), net, X, Y), net, X, Y, 1,
                       mistakes.EPOCH, 6, 1)


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
    expect_trained(*trained_by(reference_train(), net, X, y, 5), net, X, y, 5, mistakes.TRAINING)
    net, X, Y = softmax_problem()
    with pytest.raises(AssertionError):
        expect_trained(*epoch_of(train_epoch(net, "sum"), net, X, Y), net, X, Y, 1, mistakes.EPOCH, 6, 1)
    assert capsys.readouterr() == ("", "")

"""Self-checks for the notebooks' exercises: they pass quietly or name the mistake.

A check cell wraps its assertions in ``with check("what is checked"):``. If they hold it
prints one line saying so; if not, it raises ``CheckFailed`` with one message a student
can act on, never a traceback into labkit:

- the exercise still holds its ``raise NotImplementedError()`` stub: say so;
- the student's code raised (a shape error, say): show the student's own line and the error;
- a value is wrong: if it is what one of the usual mistakes gives (``labkit.mistakes``), name
  that mistake; otherwise say how it differs (``labkit.differences``: a factor, the sign, a
  transpose, the first wrong entry).

Cells that only *use* an exercise (train with it, plot it) wrap themselves in
``with uses("your training loop"):``, which says that the exercise is not done yet
instead of failing with a stub's traceback.
"""

from __future__ import annotations

import linecache
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from . import differences, mistakes
from .differences import magnitude
from .gradcheck import numerical_gradient, rel_error
from .network import Arrays, DenseNetwork, DivergenceError, forward_pass

__all__ = ["CheckFailed", "check", "uses", "explain", "magnitude", "numbers_of", "parts_of", "lists_of", "expect_close",
           "expect_gradient", "expect_no_overflow", "expect_forward", "expect_backprop", "expect_trained"]

LABKIT = str(Path(__file__).resolve().parent)
TOLERANCE = 1e-7
"""A right float64 answer agrees with the reference to a relative error below this."""

# (message, value) pairs; a value may be a function without arguments that computes it (a costly planted
# mistake), called only when the answer is wrong
Mistakes = Sequence[tuple[str, Any]]


class CheckFailed(AssertionError):
    """A self-check did not pass; the message says why."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a traceback: the message is all a student needs,
        # and the frames would only point into labkit. Plain Python and pytest keep the traceback.
        return [f"\x1b[0;31mCheckFailed\x1b[0m: {self}"]


class Check:
    """The block of ``with check(what):``: on success it prints ``passed``, on failure it raises CheckFailed."""

    passed = "✔ {what}: all checks passed."
    runs_exercises = False
    graded = True  # its verdict is what a grading sentinel signs (labkit.tools.sentinel)

    def __init__(self, what: str):
        self.what = what

    def __enter__(self) -> None:
        if self.graded:
            sys.audit("labkit.check.begin", self.what)  # for a grading sentinel, if one is armed

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        __tracebackhide__ = True  # noqa: F841 (pytest then shows the caller's block, not this frame)
        if self.graded:
            sys.audit("labkit.check", self.what, error is None)  # the verdict, which a grading sentinel signs
        if error is None:
            if self.passed:
                print(self.passed.format(what=self.what))
            return False
        if isinstance(error, CheckFailed) or not isinstance(error, Exception):
            return False  # already explained, or KeyboardInterrupt and the like: propagate unchanged
        raise CheckFailed(f"{self.what}: {explain(error, self.runs_exercises)}") from None


class Uses(Check):
    """The block of ``with uses(what):``: success prints nothing; a stub or an error becomes one clear line."""

    passed = ""
    runs_exercises = True
    graded = False


def check(what: str) -> Check:
    """Run the block's assertions: print one line if they hold, or raise CheckFailed naming ``what`` and why."""
    return Check(what)


def uses(what: str) -> Uses:
    """For a cell that runs an exercise's code: it says so in one line if that code is not done or fails."""
    return Uses(what)


def explain(error: Exception, runs_exercises: bool = False) -> str:
    """One line on what went wrong inside a check (or a cell that runs exercises), in the student's terms."""
    if isinstance(error, NotImplementedError):
        where = "an exercise above" if runs_exercises else "the exercise above"
        return (f"not done yet: {where} still holds `raise NotImplementedError()`. "
                "Replace it with your code, run that cell, then run this one again.")
    if isinstance(error, NameError):
        return (f"{error}: it comes from a cell above that has not run to its end, because it was not run or because "
                "it stopped with an error (an exercise it uses may not be done yet). Run the cells above in order.")
    if isinstance(error, AssertionError):
        return str(error)
    where = _student_line(error.__traceback__)
    message = str(error).strip().rstrip(".") or "(no message)"  # every line below ends in one full stop
    if isinstance(error, ValueError) and ("matmul" in message or "broadcast" in message or "shape" in message):
        message += ". Compare the shapes of the arrays on that line (print their .shape) with the shapes you expect"
    if runs_exercises:
        return (f"this cell runs your code from the exercises above and stopped with {type(error).__name__}{where}: "
                f"{message}. Check that the exercises' checks pass.")
    return f"your code raised {type(error).__name__}{where}: {message}."


def _student_line(tb: TracebackType | None) -> str:
    """' in forward, line 5: `Zs.append(...)`' for the deepest frame in notebook code, or ''."""
    frames = [(frame, line) for frame, line in traceback.walk_tb(tb)
              if not frame.f_code.co_filename.startswith(LABKIT) and "site-packages" not in frame.f_code.co_filename]
    if not frames:
        return ""
    frame, line = frames[-1]
    text = linecache.getline(frame.f_code.co_filename, line).strip()
    where = "" if frame.f_code.co_name == "<module>" else f" in {frame.f_code.co_name}"
    return where + (f", at `{text}`" if where and text else f" at `{text}`" if text else "")


# -- values ------------------------------------------------------------------------------------


def numbers_of(value: Any, what: str) -> np.ndarray:
    """A student's result as a finite float array, or AssertionError saying what it is instead.

    Only plain numbers are taken: a numpy array of numbers (not a subclass), a Python or numpy number,
    or lists and tuples of these. Anything else could compute its value when it is compared, so it is
    refused with the type it has.
    """
    if value is None:  # np.asarray would make it nan, and the message would be about log(0)
        raise AssertionError(f"{what} is None: does your function return its result?")
    problem = _not_numbers(value)
    if problem:
        raise AssertionError(f"{what} should be numbers (an array); {problem}.")
    array = np.array(value, dtype=np.float64)
    if not np.isfinite(array).all():
        raise AssertionError(f"{what} contains nan or inf: look for log(0), a division by 0 or an overflow.")
    return array


_PLAIN_SCALARS = frozenset({bool, int, float} | {t for t in set(np.sctypeDict.values()) if np.dtype(t).kind in "biuf"})


def _not_numbers(value: Any, where: str = "") -> str:
    """'' if value is plain numbers, else what it is instead ('entry 1 is None', 'got a MyArray')."""
    if type(value) is np.ndarray:
        return "" if value.dtype.kind in "biuf" else f"got an array of {value.dtype}{where}"
    if type(value) in _PLAIN_SCALARS:  # exact types: a class of the student's own could compute its value late
        return ""
    if type(value) in (list, tuple):
        for k, item in enumerate(value):
            if item is None:
                return f"entry {k}{where} is None: does every entry get its value"
            problem = _not_numbers(item, f" of entry {k}{where}")
            if problem:
                return problem
        return ""
    return f"got a {type(value).__name__}{where}"


def expect_close(got: Any, expected: ArrayLike, what: str, mistakes: Mistakes = (), tol: float = TOLERANCE,
                 atol: float = 0.0, rows: int | None = None) -> float:
    """Assert that ``got`` has the shape of ``expected`` and equals it; return their relative error.

    Equal means a relative error (||got - expected|| / (||got|| + ||expected||)) below ``tol``, or every
    entry within ``atol`` of its expected value. If not, and ``got`` equals one of ``mistakes``, a list
    of (message, value) pairs, that message says what went wrong; otherwise the message says how got
    differs from expected. rows: the batch size N, so that a factor N is called by its name.
    """
    got_array, expected_array = numbers_of(got, what), np.asarray(expected, dtype=np.float64)
    _same_shape(got_array, expected_array, what)
    err = rel_error(got_array, expected_array)
    if err < tol or (atol and np.abs(got_array - expected_array).max() <= atol):
        return err
    message = matching_mistake(got_array, expected_array, mistakes, tol, atol)
    if message:
        raise AssertionError(f"{what} is wrong: {message}")
    raise AssertionError(f"{what} is wrong: {differences.describe(got_array, expected_array, rows)}.")


def matching_mistake(got: np.ndarray, expected: np.ndarray, mistakes: Mistakes, tol: float = TOLERANCE,
                     atol: float = 0.0) -> str:
    """The message of the first mistake whose value ``got`` equals (as expect_close compares), or ''.

    A mistake that gives the right value here (lambda/2 * W without decay, say) is no mistake to name.
    """
    def same(a: np.ndarray, b: np.ndarray) -> bool:
        return a.shape == b.shape and (rel_error(a, b) < tol or bool(atol and np.abs(a - b).max() <= atol))

    for message, value in mistakes:
        try:
            value = value() if callable(value) else value
        except (DivergenceError, FloatingPointError, np.linalg.LinAlgError):
            continue  # the mistake cannot even be computed here, so it is not this one
        if value is None:
            continue
        value = np.asarray(value, dtype=np.float64)
        if same(got, value) and not same(value, expected):
            return message
    return ""


def _same_shape(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    if got.shape == expected.shape:
        return
    if got.ndim == 2 and got.shape == expected.T.shape:
        raise AssertionError(f"{what} has shape {got.shape} but should have {expected.shape}: it is transposed.")
    raise AssertionError(f"{what} has shape {got.shape}, expected {expected.shape}.")


def expect_gradient(analytic: Any, f: Callable[[np.ndarray], float], x: ArrayLike, what: str,
                    tol: float = 1e-6, mistakes: Mistakes = ()) -> float:
    """Assert that ``analytic`` is the gradient of f at x (central finite differences); return the relative error.

    A float64 array x is perturbed in place and restored, so f may also read it through a closure
    (as a loss reads a network's weights).
    """
    if not (isinstance(x, np.ndarray) and x.dtype == np.float64):
        x = np.array(x, dtype=np.float64)
    numeric = numerical_gradient(f, x)
    return expect_close(analytic, numeric, f"{what} (against finite differences)", mistakes, tol)


def expect_no_overflow(f: Callable[[np.ndarray], Any], z: ArrayLike, expected: ArrayLike, what: str,
                       hint: str) -> None:
    """Assert that f(z) equals ``expected`` without any overflow or invalid-value warning; hint says how to fix it."""
    with np.errstate(over="raise", invalid="raise", divide="raise", under="ignore"):  # underflow to 0 is right
        try:
            got = f(np.asarray(z, dtype=float))
        except FloatingPointError as error:
            verb = "overflows" if "overflow" in str(error) else "breaks down"
            raise AssertionError(f"{what} {verb} at {np.asarray(z).tolist()} ({error}): {hint}") from None
    expect_close(got, expected, what, atol=1e-9)


# -- forward pass and backprop ------------------------------------------------------------------


def parts_of(result: Any, names: tuple[str, ...], function: str) -> tuple[Any, ...]:
    """The parts of a student's result that should be a tuple of len(names) things, or AssertionError saying what
    came instead (one array where two are expected, say)."""
    if type(result) not in (tuple, list) or len(result) != len(names):
        raise AssertionError(f"{function} should return {len(names)} things, ({', '.join(names)}); it returned "
                             f"{_kind(result)}.")
    return tuple(result)


def lists_of(result: Any, names: tuple[str, str], lengths: tuple[int, int], function: str) -> tuple[list, list]:
    """A student's pair of lists (say grad_W, grad_b) of the lengths expected, or AssertionError saying what came."""
    parts = parts_of(result, names, function)
    if any(type(part) not in (list, tuple) for part in parts):
        raise AssertionError(f"{function} should return two lists, ({names[0]}, {names[1]}); it returned "
                             f"{_kind(result)}.")
    first, second = (list(part) for part in parts)
    if (len(first), len(second)) != lengths:
        raise AssertionError(f"{function} returned {len(first)} {names[0]} and {len(second)} {names[1]}; "
                             f"expected {lengths[0]} and {lengths[1]}.")
    return first, second


def _kind(value: Any) -> str:
    if type(value) in (tuple, list):
        return f"a {type(value).__name__} of {len(value)} ({', '.join(type(v).__name__ for v in value[:4])})"
    return f"a {type(value).__name__}"


def expect_forward(result: Any, net: DenseNetwork, X: np.ndarray) -> None:
    """Check (Zs, Ys) from a student's forward pass against labkit's, layer by layer from the input up."""
    L = len(net.weights)
    if type(result) in (tuple, list) and len(result) == 2 and type(result[1]) in (list, tuple) \
            and len(result[1]) == L:
        raise AssertionError(f"forward returned {L} outputs Ys for {L} layers; Ys starts with the input itself, "
                             f"Ys[0] = X, so it has {L + 1}.")
    Zs, Ys = lists_of(result, ("Zs", "Ys"), (L, L + 1), "forward")
    right_Zs, right_Ys = forward_pass(net.weights, net.biases, net.activations, X)
    planted = [(m.message, m.value(net.weights, net.biases, net.activations, X)) for m in mistakes.FORWARD]
    expect_close(Ys[0], X, "Ys[0] (it should be X itself)")
    for l in range(L):
        for what, got, right, index in ((f"Zs[{l}], the pre-activation of layer {l + 1}", Zs[l], right_Zs[l], 0),
                                        (f"Ys[{l + 1}], the output of layer {l + 1}", Ys[l + 1], right_Ys[l + 1], 1)):
            layer_mistakes = [(message, value[index][l + index]) for message, value in planted]
            expect_close(got, right, what, layer_mistakes, rows=len(X))


def expect_backprop(grads: Any, net: DenseNetwork, X: np.ndarray, y_true: np.ndarray, weight_decay: float = 0.0,
                    column: bool = False, exact: bool = False,
                    usual: Sequence[mistakes.BackpropMistake] = mistakes.BACKPROP) -> dict[str, float]:
    """Check (grad_W, grad_b) against finite differences of ``net``'s loss, from the output layer down.

    If the gradients are those of one of the ``usual`` mistakes (all of them at once, as one mistake
    makes them), the check names it; if not, it names the first parameter that is wrong, says how it
    differs, and whether only bias gradients are wrong. column: the gradients are in notebook 01's column
    convention (W^l = weights[l].T). exact: compare with labkit's own backprop instead (for gradients too
    close to 0 for finite differences). Returns the relative error of every parameter, {"W2": 3e-11, ...}.
    """
    L = len(net.weights)
    grad_W, grad_b = lists_of(grads, ("weight gradients", "bias gradients"), (L, L), "backprop")
    got = {}
    for l in reversed(range(L)):
        for name, value, param in ((f"W{l + 1}", grad_W[l], net.weights[l]), (f"b{l + 1}", grad_b[l], net.biases[l])):
            what = _parameter(name, l, L)
            array = numbers_of(value, what)
            got[name] = _column_to_code(array, param, what) if column and name[0] == "W" else array
            if name[0] == "W":
                _code_shape_hints(got[name], param, net, l, what)
            _same_shape(got[name], param, what)
    right = _reference_gradients(net, X, y_true, weight_decay, exact)
    errors = {name: rel_error(got[name], right[name]) for name in got}
    wrong = [name for name in got if not errors[name] < 1e-6]
    if not wrong:
        return errors
    message = _matching_backprop_mistake(got, net, X, y_true, weight_decay, usual, exact=right if exact else None)
    if message:
        raise AssertionError(f"the gradients are wrong: {message}")
    first = wrong[0]
    only_biases = "only the bias gradients are wrong; " if all(name[0] == "b" for name in wrong) else ""
    raise AssertionError(f"{_parameter(first, int(first[1:]) - 1, L)} is wrong: {only_biases}"
                         f"{differences.describe(got[first], right[first], len(X))}.")


def _parameter(name: str, l: int, L: int) -> str:
    return f"the gradient of {name}" + (" (the output layer)" if l == L - 1 else "")


def _reference_gradients(net: DenseNetwork, X: np.ndarray, y_true: np.ndarray, weight_decay: float,
                         exact: bool) -> dict[str, np.ndarray]:
    """Every parameter's right gradient, by finite differences of the loss (or labkit's backprop if exact)."""
    if exact:
        grad_W, grad_b = net.gradients(X, y_true, weight_decay)
        return {**{f"W{l + 1}": g for l, g in enumerate(grad_W)}, **{f"b{l + 1}": g for l, g in enumerate(grad_b)}}
    reference = {}
    for l, (W, b) in enumerate(zip(net.weights, net.biases)):
        for name, param in ((f"W{l + 1}", W), (f"b{l + 1}", b)):
            reference[name] = numerical_gradient(lambda _: net.evaluate_loss(X, y_true, weight_decay), param)
    return reference


def _matching_backprop_mistake(got: dict[str, np.ndarray], net: DenseNetwork, X: np.ndarray, y_true: np.ndarray,
                               weight_decay: float, usual: Sequence[mistakes.BackpropMistake],
                               exact: dict[str, np.ndarray] | None = None) -> str:
    """The message of the first usual mistake that gives every one of the gradients ``got``, or ''.

    A mistake whose gradients are the right ones here (a decay mistake without decay) is not named.
    """
    right = exact or _reference_gradients(net, X, y_true, weight_decay, exact=True)

    def same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
        return all(a[name].shape == b[name].shape and rel_error(a[name], b[name]) < 1e-6 for name in a)

    for mistake in usual:
        for planted in mistakes.planted_backprop(mistake, net.weights, net.biases, net.activations, net.loss, X,
                                                 y_true, weight_decay):
            values = {**{f"W{l + 1}": g for l, g in enumerate(planted.grad_W)},
                      **{f"b{l + 1}": g for l, g in enumerate(planted.grad_b)}}
            if same(got, values) and not same(values, right):
                return mistake.say(N=len(X))
    return ""


def _column_to_code(got: np.ndarray, param: np.ndarray, what: str) -> np.ndarray:
    """A weight gradient in the column convention, turned into the code convention of ``param``."""
    if got.shape == param.shape and got.shape != param.T.shape:
        raise AssertionError(f"{what} has shape {got.shape}, the code convention's; in the column convention "
                             f"grad W^l = delta^l (y^(l-1))^T has the shape of W^l, {param.T.shape}.")
    return got.T


def _code_shape_hints(got: np.ndarray, right: np.ndarray, net: DenseNetwork, l: int, what: str) -> None:
    if got.shape == right.shape:
        return
    sizes = net.layer_sizes
    if got.shape == (sizes[l + 1], sizes[l + 1]):
        raise AssertionError(f"{what} has shape {got.shape} but W{l + 1} has {right.shape}: it looks like the layer's "
                             f"output Ys[{l + 1}] was used where its input Ys[{l}] belongs (off by one layer).")
    if got.shape == right.T.shape:
        raise AssertionError(f"{what} has shape {got.shape} but W{l + 1} has {right.shape}: it is transposed; "
                             "dE/dW_l = Y_(l-1).T @ Delta_l.")


# -- training ------------------------------------------------------------------------------------


def expect_trained(got: Any, weights: Arrays, biases: Arrays, net: DenseNetwork, X: np.ndarray, y_true: np.ndarray,
                   epochs: int, usual: Sequence[mistakes.TrainingMistake], batch_size: int | None = None,
                   seed: int | None = None, what: str = "the loss curve") -> float:
    """Compare a student's loss curve ``got`` and the parameters it left (weights, biases) with ``net.fit``
    on a copy of ``net`` (full batch unless batch_size); return the relative difference of the curves.

    If curve and parameters together are those of a usual mistake, the check names it.
    """
    right = mistakes.planted_training(None, net, X, y_true, epochs, batch_size, seed)
    losses = numbers_of(got, what)
    if losses.shape != right.losses.shape:
        raise AssertionError(f"{what} has {losses.size} losses, but the training takes {right.losses.size} steps: "
                             "record one loss per step, the one before the step.")
    mine = ([numbers_of(W, "the weights after training") for W in weights] +
            [numbers_of(b, "the biases after training") for b in biases])
    start = net.weights + net.biases
    if _same_training(losses, mine, right, start):
        return rel_error(losses, right.losses)
    rows = batch_size or len(X)
    for mistake in usual:
        try:
            planted = mistakes.planted_training(mistake, net, X, y_true, epochs, batch_size, seed)
        except DivergenceError:
            continue
        if _same_training(losses, mine, planted, start):
            raise AssertionError(f"{what} is wrong: {mistake.say(N=rows)}")
    if rel_error(losses, right.losses) >= 1e-6:
        raise AssertionError(f"{what} is wrong: {differences.describe(losses, right.losses)}.")
    names = [f"W{l + 1}" for l in range(len(weights))] + [f"b{l + 1}" for l in range(len(biases))]
    assert right.weights is not None and right.biases is not None  # the right training plants nothing
    name = next(name for name, value, expected in zip(names, mine, right.weights + right.biases)
                if value.shape != expected.shape or rel_error(value, expected) >= 1e-6)
    raise AssertionError(f"{what} is right, but {name} after training is not: it must hold the trained values "
                         "(update it in place, or write the new array back into the list).")


def _same_training(losses: np.ndarray, params: Arrays, trained: mistakes.Trained, start: Arrays) -> bool:
    """The same losses, and the same parameters at the end (or, where the training knows none, moved ones)."""
    if not rel_error(losses, trained.losses) < 1e-6:
        return False
    if trained.weights is None or trained.biases is None:
        return any(p.shape != q.shape or not np.array_equal(p, q) for p, q in zip(params, start))
    return all(p.shape == q.shape and rel_error(p, q) < 1e-6 for p, q in zip(params, trained.weights + trained.biases))

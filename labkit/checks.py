"""Self-checks for the notebooks' exercises: they pass quietly or name the mistake.

A check cell wraps its assertions in ``with check("what is checked"):``. If they hold it
prints one line saying so; if not, it raises ``CheckFailed`` with one message a student
can act on, never a traceback into labkit:

- the exercise still holds its ``raise NotImplementedError()`` stub: say so;
- the student's code raised (a shape error, say): show the student's own line and the error;
- a value is wrong: say how, and when the wrong value is what a known mistake produces
  (phi' at the output, a missing 1/N, lambda/2 * W, a transposed or wrong-layer gradient,
  the wrong sign), name that mistake and what to look at.

Cells that only *use* an exercise (train with it, plot it) wrap themselves in
``with uses("your training loop"):``, which says that the exercise is not done yet
instead of failing with a stub's traceback.
"""

from __future__ import annotations

import linecache
import math
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from .activations import Activation
from .gradcheck import numerical_gradient, rel_error
from .network import DenseNetwork, backward_pass, forward_pass, output_delta, parameter_gradients
from .optim import GradientDescent

LABKIT = str(Path(__file__).resolve().parent)
# (hint, value) pairs; a value may be a function without arguments that computes it (a costly planted
# mistake), called only when the answer is wrong
Mistakes = Sequence[tuple[str, ArrayLike | Callable[[], ArrayLike]]]


class CheckFailed(AssertionError):
    """A self-check did not pass; the message says why."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows these lines instead of a traceback: the message is all a student needs,
        # and the frames would only point into labkit. Plain Python and pytest keep the traceback.
        return [f"\x1b[0;31mCheckFailed\x1b[0m: {self}"]


class check:  # noqa: N801 (used as `with check("..."):`, like a function)
    """Run the assertions in the block; print a pass line or raise CheckFailed naming ``what``."""

    passed = "✔ {what}: all checks passed."

    def __init__(self, what: str):
        self.what = what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> Literal[False]:
        __tracebackhide__ = True  # noqa: F841 (pytest then shows the caller's block, not this frame)
        if error is None:
            if self.passed:
                print(self.passed.format(what=self.what))
            return False
        if isinstance(error, CheckFailed) or not isinstance(error, Exception):
            return False  # already explained, or KeyboardInterrupt and the like: propagate unchanged
        raise CheckFailed(f"{self.what}: {explain(error, self.runs_exercises)}") from None

    runs_exercises = False


class uses(check):  # noqa: N801
    """For a cell that runs an exercise's code: a stub or an error becomes one clear line, success prints nothing."""

    passed = ""
    runs_exercises = True


def explain(error: Exception, runs_exercises: bool = False) -> str:
    """One line on what went wrong inside a check (or a cell that runs exercises), in the student's terms."""
    if isinstance(error, NotImplementedError):
        where = "an exercise above" if runs_exercises else "the exercise above"
        return (f"not done yet: {where} still holds `raise NotImplementedError()`. "
                "Replace it with your code, run that cell, then run this one again.")
    if isinstance(error, NameError):
        return (f"{error}: run the cells above this one first, in order (a cell that stopped with an error leaves "
                "its names undefined).")
    if isinstance(error, AssertionError):
        return str(error)
    where = _student_line(error.__traceback__)
    message = str(error).strip() or "(no message)"
    if isinstance(error, ValueError) and ("matmul" in message or "broadcast" in message or "shape" in message):
        message += ". Compare the shapes of the arrays on that line (print their .shape) with the shapes you expect."
    if runs_exercises:
        return (f"this cell runs your code from the exercises above and stopped with {type(error).__name__}{where}: "
                f"{message}. Check that the exercises' checks pass.")
    return f"your code raised {type(error).__name__}{where}: {message}"


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


# -- values ------------------------------------------------------------------------------


def magnitude(err: float) -> str:
    """A relative error rounded to its order of magnitude, '~1e-11': stable across machines, easy to read."""
    if err == 0:
        return "0"
    return f"~1e{round(math.log10(err))}"


def expect_close(got: ArrayLike, expected: ArrayLike, what: str, atol: float = 1e-6,
                 mistakes: Mistakes = ()) -> None:
    """Assert that ``got`` has the shape of ``expected`` and matches it to ``atol``.

    mistakes: (hint, value) pairs; if ``got`` matches one of these values instead, the hint is the message.
    """
    got_array, expected_array = _numeric(got, what), np.asarray(expected, dtype=float)
    _same_shape(got_array, expected_array, what)
    if np.allclose(got_array, expected_array, atol=atol, rtol=0):
        return
    for hint, value in mistakes:
        value = np.asarray(value() if callable(value) else value, dtype=float)
        if value.shape == got_array.shape and np.allclose(got_array, value, atol=atol, rtol=0):
            raise AssertionError(f"{what} is wrong: {hint}")
    raise AssertionError(f"{what} is wrong.\n  expected: {np.round(expected_array, 7).tolist()}\n"
                         f"  got:      {np.round(got_array, 7).tolist()}")


def expect_array(got: ArrayLike, expected: np.ndarray, what: str, mistakes: Mistakes = (),
                 tol: float = 1e-7) -> float:
    """Assert that ``got`` equals ``expected`` to a relative error below ``tol``; return that error.

    If not, and ``got`` equals one of the ``mistakes`` values (hint, value), the hint says what went wrong.
    """
    got_array = _numeric(got, what)
    _same_shape(got_array, expected, what)
    err = rel_error(got_array, expected)
    if err < tol:
        return err
    for hint, value in mistakes:
        value = np.asarray(value() if callable(value) else value, dtype=float)
        if value.shape == got_array.shape and rel_error(got_array, value) < tol:
            raise AssertionError(f"{what} is off (relative error {magnitude(err)}): {hint}")
    raise AssertionError(f"{what} is off: relative error {magnitude(err)} (a right answer is below {tol:g}).")


def expect_gradient(analytic: ArrayLike, f: Callable[[np.ndarray], float], x: ArrayLike, what: str,
                    tol: float = 1e-6, mistakes: Mistakes = ()) -> float:
    """Assert that ``analytic`` is the gradient of f at x (central finite differences); return the relative error.

    A float64 array x is perturbed in place and restored, so f may also read it through a closure
    (as a loss reads a network's weights).
    """
    if not (isinstance(x, np.ndarray) and x.dtype == np.float64):
        x = np.array(x, dtype=np.float64)
    numeric = numerical_gradient(f, x)
    return expect_array(analytic, numeric, f"{what} (against finite differences)", mistakes, tol)


def _numeric(got: ArrayLike, what: str) -> np.ndarray:
    if got is None:  # np.asarray would make it nan, and the message would be about log(0)
        raise AssertionError(f"{what} should be numbers (an array); got None: does your function return its result?")
    try:
        array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(f"{what} should be numbers (an array); got {type(got).__name__}.") from None
    if not np.isfinite(array).all():
        raise AssertionError(f"{what} contains nan or inf: look for log(0), a division by 0 or an overflow.")
    return array


def _same_shape(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    if got.shape == expected.shape:
        return
    if got.ndim == 2 and got.shape == expected.T.shape:
        raise AssertionError(f"{what} has shape {got.shape} but should have {expected.shape}: it is transposed.")
    raise AssertionError(f"{what} has shape {got.shape}, expected {expected.shape}.")


# -- backprop ----------------------------------------------------------------------------


class DerivativeAtOutput(Activation):
    """The original lab's bug, on purpose: phi' evaluated at the output Y = phi(Z) instead of at Z."""

    def __init__(self, phi: Activation):
        self.phi, self.name = phi, f"{phi.name} (phi' at the output)"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return self.phi.forward(z)

    def derivative(self, z: np.ndarray) -> np.ndarray:
        return self.phi.derivative(self.phi.forward(z))


def expect_backprop(grads: tuple[Sequence[ArrayLike], Sequence[ArrayLike]], net: DenseNetwork, X: np.ndarray,
                    y_true: np.ndarray, weight_decay: float = 0.0, column: bool = False,
                    exact: bool = False) -> dict[str, float]:
    """Check (grad_W, grad_b) against finite differences of ``net``'s loss, layer by layer from the output down.

    The first parameter that is wrong is reported, with the mistake its value matches if it is a known
    one. column: the gradients are in notebook 01's column convention (W^l = weights[l].T). exact:
    compare with labkit's own backprop instead (for gradients too close to 0 for finite differences).
    Returns the relative error of every parameter, e.g. {"W2": 3e-11, ...}.
    """
    grad_W, grad_b = (list(g) for g in grads)
    L = len(net.weights)
    if len(grad_W) != L or len(grad_b) != L:
        raise AssertionError(f"expected {L} weight and {L} bias gradients, one per layer; got {len(grad_W)} "
                             f"and {len(grad_b)}.")
    variants = _backprop_mistakes(net, X, y_true, weight_decay)
    right_W, right_b = net.gradients(X, y_true, weight_decay)
    errors = {}
    for l in reversed(range(L)):
        for name, got, param, index in ((f"W{l + 1}", grad_W[l], net.weights[l], 0),
                                        (f"b{l + 1}", grad_b[l], net.biases[l], 1)):
            what = f"the gradient of {name}" + (" (the output layer)" if l == L - 1 else " (layers above it: right)")
            got = _numeric(got, what)
            if column and index == 0:
                got = _column_to_code(got, param, what)
            if exact:
                reference = (right_W, right_b)[index][l]
            else:
                reference = numerical_gradient(lambda _: net.evaluate_loss(X, y_true, weight_decay), param)
            if index == 0:
                _code_shape_hints(got, reference, net, l, what)
            errors[name] = expect_array(got, reference, what, [(hint, v[index][l]) for hint, v in variants],
                                        tol=1e-6)
    return errors


def _column_to_code(got: np.ndarray, param: np.ndarray, what: str) -> np.ndarray:
    """A weight gradient in the column convention, turned into the code convention of ``param``."""
    if got.shape == param.shape and got.shape != param.T.shape:
        raise AssertionError(f"{what} has shape {got.shape}, the code convention's; in the column convention "
                             f"grad W^l = delta^l (y^(l-1))^T has the shape of W^l, {param.T.shape}.")
    return got.T


Gradients = tuple[list[np.ndarray], list[np.ndarray]]


def _backprop_mistakes(net: DenseNetwork, X: np.ndarray, y_true: np.ndarray,
                       weight_decay: float) -> list[tuple[str, Gradients]]:
    """(hint, (grad_W, grad_b)) for each classic backprop mistake, computed by planting it in labkit."""
    n = len(X)

    def gradients_with(activations: list[Activation]) -> Gradients:
        planted = DenseNetwork(net.weights, net.biases, activations, net.loss, net.optimizer)
        return planted.gradients(X, y_true, weight_decay)

    right_W, right_b = net.gradients(X, y_true, weight_decay)
    data_W = [G - weight_decay * W for G, W in zip(right_W, net.weights)]  # the part that comes from the loss
    at_output = "it matches phi' evaluated at the layer's output Y = phi(Z) instead of at Z: use the pre-activation."
    mistakes = [(at_output, gradients_with([DerivativeAtOutput(phi) for phi in net.activations]))]
    mistakes += [(at_output, gradients_with([DerivativeAtOutput(phi) if k == j else phi
                                             for k, phi in enumerate(net.activations)]))
                 for j in range(len(net.activations))]
    mistakes.append(("it is the gradient of the *sum* over the batch: the loss is the mean, so a factor 1/N "
                     f"(N = {n}) belongs in it (it comes in with dE/dY_L).",
                     ([n * G + weight_decay * W for G, W in zip(data_W, net.weights)], [n * g for g in right_b])))
    mistakes.append(("it has the wrong sign: it should point uphill (gradient descent subtracts it).",
                     ([-G for G in right_W], [-g for g in right_b])))
    if weight_decay:
        mistakes.append(("the weight-decay term is lambda/2 * W, but the derivative of (lambda/2) ||W||^2 is "
                         "lambda * W.", ([G + weight_decay / 2 * W for G, W in zip(data_W, net.weights)], right_b)))
        mistakes.append(("the weight-decay term lambda * W is missing.", (data_W, right_b)))
    if len(net.weights) > 1:
        no_derivative = [phi if k == len(net.activations) - 1 else _NoDerivative(phi)
                         for k, phi in enumerate(net.activations)]
        mistakes.append(("phi' of the hidden layer is missing when Delta steps back: "
                         "Delta_{l-1} = (Delta_l @ W_l.T) * phi'(Z_{l-1}).", gradients_with(no_derivative)))
    return mistakes


class _NoDerivative(Activation):
    def __init__(self, phi: Activation):
        self.phi, self.name = phi, phi.name

    def forward(self, z: np.ndarray) -> np.ndarray:
        return self.phi.forward(z)

    def derivative(self, z: np.ndarray) -> np.ndarray:
        return np.ones_like(z)


def _code_shape_hints(got: np.ndarray, right: np.ndarray, net: DenseNetwork, l: int, what: str) -> None:
    if got.shape == right.shape:
        if got.ndim == 2 and got.shape[0] == got.shape[1] and rel_error(got, right.T) < 1e-7:
            raise AssertionError(f"{what} is transposed: dE/dW_l = Y_(l-1).T @ Delta_l has the shape of W_l.")
        return
    sizes = net.layer_sizes
    if got.shape == (sizes[l + 1], sizes[l + 1]):
        raise AssertionError(f"{what} has shape {got.shape} but W{l + 1} has {right.shape}: it looks like the layer's "
                             f"output Ys[{l + 1}] was used where its input Ys[{l}] belongs (off by one layer).")
    if got.shape == right.T.shape:
        raise AssertionError(f"{what} has shape {got.shape} but W{l + 1} has {right.shape}: it is transposed; "
                             "dE/dW_l = Y_(l-1).T @ Delta_l.")


# -- forward pass and training loop ---------------------------------------------------------


def expect_forward(passes: tuple[Sequence[ArrayLike], Sequence[ArrayLike]], net: DenseNetwork, X: np.ndarray) -> None:
    """Check (Zs, Ys) from a student's forward pass against labkit's, layer by layer from the input up."""
    Zs, Ys = (list(p) for p in passes)
    right_Zs, right_Ys = forward_pass(net.weights, net.biases, net.activations, X)
    L = len(net.weights)
    if len(Zs) != L or len(Ys) != L + 1:
        hint = " Ys starts with the input itself, Ys[0] = X." if len(Ys) == L else ""
        raise AssertionError(f"expected {L} pre-activations Zs and {L + 1} outputs Ys for {L} layers; got {len(Zs)} "
                             f"and {len(Ys)}.{hint}")
    expect_array(Ys[0], X, "Ys[0] (it should be X itself)")
    for l in range(L):
        W, b, phi = net.weights[l], net.biases[l], net.activations[l]
        expect_array(Zs[l], right_Zs[l], f"Zs[{l}], the pre-activation of layer {l + 1}", mistakes=[
            ("the bias is missing: Z = Y_prev @ W + b.", right_Ys[l] @ W),
            ("phi was applied before the weights: Z = Y_prev @ W + b uses the previous layer's output as it is.",
             phi.forward(right_Ys[l]) @ W + b)])
        expect_array(Ys[l + 1], right_Ys[l + 1], f"Ys[{l + 1}], the output of layer {l + 1}", mistakes=[
            ("the activation is missing: Y = phi(Z).", right_Zs[l])])


def expect_training(train: Callable[..., ArrayLike], forward: Callable[..., tuple], backprop: Callable[..., tuple],
                    net: DenseNetwork, X: np.ndarray, y_true: np.ndarray, steps: int) -> float:
    """Run a student's ``train(weights, biases, activations, loss, optimizer, X, y_true, steps)`` on a copy of ``net``
    and compare its loss history and final parameters with ``net.fit`` (full batch, the same learning rate).

    forward and backprop are the student's functions that ``train`` calls: they are checked first, so that
    this check grades the training loop alone. Returns the relative difference of the loss curves.
    """
    try:
        expect_forward(forward(net.weights, net.biases, net.activations, X), net, X)
        Zs, Ys = forward_pass(net.weights, net.biases, net.activations, X)
        expect_backprop(backprop(net.weights, net.activations, net.loss, Zs, Ys, y_true), net, X, y_true, exact=True)
    except Exception as error:
        raise AssertionError("train runs your forward and backprop, which are not right yet (their checks above "
                             f"fail: {explain(error)}). Fix them first.") from None
    lr, n = net.optimizer.learning_rate, len(X)
    weights, biases = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
    got = np.asarray(train(weights, biases, net.activations, net.loss, GradientDescent(lr), X, y_true, steps), float)
    trained = _copy(net, lr)
    right = trained.fit(X, y_true, epochs=steps, progress=False)
    if got.shape != right.shape:
        raise AssertionError(f"train returned {got.size} losses for {steps} steps: record one loss per step, the one "
                             "before the step.")

    def planted(**mistake: Any) -> Callable[[], np.ndarray]:  # computed only if the curve is wrong
        return lambda: _planted_losses(net, X, y_true, steps, n, None, **mistake)

    expect_array(got, right, "the loss curve", tol=1e-6, mistakes=[
        (f"it is the curve of a learning rate {n} times larger: the gradients are summed over the N = {n} samples "
         "while the loss is their mean (the original lab's bug).", planted(summed=True)),
        ("each loss is recorded after its step; record it before the step, as fit does.", planted(after_step=True)),
        ("the network never changes: a new value in a loop variable (W = ...) leaves the list alone; put it in "
         "the list, weights[l] = ..., as for the biases.", planted(weights_move=False, biases_move=False)),
        ("it is the curve of a network whose biases never move: step the biases too.", planted(biases_move=False)),
        ("the steps go uphill: a gradient step subtracts learning_rate * gradient.", planted(sign=-1))])
    for l, (W, b) in enumerate(zip(weights, biases), start=1):
        expect_array(W, trained.weights[l - 1], f"W{l} after training (is it updated in weights[{l - 1}]?)", tol=1e-6)
        expect_array(b, trained.biases[l - 1], f"b{l} after training (are the biases updated?)", tol=1e-6)
    return rel_error(got, right)


def _planted_losses(net: DenseNetwork, X: np.ndarray, y_true: np.ndarray, epochs: int, batch_size: int,
                    seed: int | None, *, shuffle: bool = True, summed: bool = False, sign: float = 1.0,
                    weights_move: bool = True, biases_move: bool = True, after_step: bool = False) -> np.ndarray:
    """The losses that gradient descent records with one of the usual mistakes planted (each keyword is one)."""
    weights, biases = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
    rng, losses, lr = np.random.default_rng(seed), [], net.optimizer.learning_rate
    acts, loss = net.activations, net.loss
    for _ in range(epochs):
        order = rng.permutation(len(X)) if shuffle else np.arange(len(X))
        for start in range(0, len(X), batch_size):
            rows = order[start:start + batch_size]
            Zs, Ys = forward_pass(weights, biases, acts, X[rows])
            if not after_step:
                losses.append(loss.forward(y_true[rows], Ys[-1]))
            delta = sign * (len(rows) if summed else 1) * output_delta(acts[-1], loss, Zs[-1], Ys[-1], y_true[rows])
            grad_W, grad_b = parameter_gradients(weights, Ys, backward_pass(weights, acts, Zs, delta))
            if weights_move:
                weights = [W - lr * G for W, G in zip(weights, grad_W)]
            if biases_move:
                biases = [b - lr * g for b, g in zip(biases, grad_b)]
            if after_step:
                losses.append(loss.forward(y_true[rows], forward_pass(weights, biases, acts, X[rows])[1][-1]))
    return np.array(losses)


def _copy(net: DenseNetwork, learning_rate: float) -> DenseNetwork:
    return DenseNetwork([W.copy() for W in net.weights], [b.copy() for b in net.biases], net.activations, net.loss,
                        GradientDescent(learning_rate))


def expect_no_overflow(f: Callable[[np.ndarray], np.ndarray], z: ArrayLike, expected: ArrayLike, what: str,
                       hint: str) -> None:
    """Assert that f(z) equals ``expected`` without any overflow or invalid-value warning; hint says how to fix it."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            got = f(np.asarray(z, dtype=float))
        except FloatingPointError as error:
            verb = "overflows" if "overflow" in str(error) else "breaks down"
            raise AssertionError(f"{what} {verb} at z = {np.asarray(z).tolist()} ({error}): {hint}") from None
    expect_close(got, expected, what)


def expect_epoch(train_epoch: Callable[..., ArrayLike], softmax: Callable[[np.ndarray], np.ndarray],
                 cross_entropy: Callable[[np.ndarray, np.ndarray], float],
                 delta: Callable[[np.ndarray, np.ndarray], np.ndarray], net: DenseNetwork, X: np.ndarray,
                 Y: np.ndarray, batch_size: int, seed: int) -> float:
    """Run a student's ``train_epoch(weights, biases, X, Y, batch_size, learning_rate, rng)`` on a copy of ``net``
    and compare its losses and final parameters with one epoch of ``net.fit`` on the same order of rows.

    softmax, cross_entropy (forward) and delta(y_true, y_pred) (the fused softmax + cross-entropy gradient) are
    the student's pieces that train_epoch uses: they are checked first, so that this check grades the epoch alone.
    Returns the relative difference of the losses.
    """
    rng = np.random.default_rng(0)
    Z, T = rng.normal(size=(6, 4)) * 3, np.eye(4)[rng.integers(0, 4, 6)]
    P = net.activations[-1].forward(Z)
    pieces: list[tuple[str, Callable[[], ArrayLike], ArrayLike]] = [
        ("softmax", lambda: softmax(Z), P),
        ("the categorical cross entropy", lambda: cross_entropy(T, P), net.loss.forward(T, P)),
        ("the fused delta", lambda: delta(T, P), (P - T) / len(T))]
    for name, piece, right in pieces:
        try:
            expect_array(piece(), np.asarray(right), name, tol=1e-6)
        except Exception as error:
            raise AssertionError(f"train_epoch uses {name}, which is not right yet ({explain(error)}). "
                                 "Fix its exercise first.") from None
    lr = net.optimizer.learning_rate

    def run() -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray]]:
        weights, biases = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
        losses = train_epoch(weights, biases, X, Y, batch_size, lr, np.random.default_rng(seed))
        return np.asarray(losses, float), weights, biases

    got, weights, biases = run()
    trained = _copy(net, lr)
    right = trained.fit(X, Y, epochs=1, batch_size=batch_size, seed=seed, progress=False)
    if got.shape != right.shape:
        raise AssertionError(f"train_epoch returned {got.size} losses, but {len(X)} rows in batches of {batch_size} "
                             f"make {-(-len(X) // batch_size)} steps (the last batch is shorter): one loss per step.")
    if not np.array_equal(got, run()[0]):
        raise AssertionError("two epochs from the same rng differ: shuffle with the rng train_epoch is given, "
                             "rng.permutation(len(X)), not with np.random.")

    def planted(**mistake: Any) -> Callable[[], np.ndarray]:  # computed only if the curve is wrong
        return lambda: _planted_losses(net, X, Y, 1, batch_size, seed, **mistake)

    expect_array(got, right, "the loss curve of the epoch", tol=1e-6, mistakes=[
        ("it is that of the rows in their original order: shuffle them with rng.permutation first.",
         planted(shuffle=False)),
        ("each loss is recorded after its step; record it before the step.", planted(after_step=True)),
        ("it is that of gradients summed over the batch: the 1/N of the mean belongs in Delta_L.",
         planted(summed=True)),
        ("the steps go uphill: look at the order of the arguments of softmax_cross_entropy_delta(y_true, y_pred), "
         "and subtract the gradient.", planted(sign=-1)),
        ("the network never changes: W = W - ... makes a new array and leaves the one in the list alone; update "
         "it in place with W -= ....", planted(weights_move=False, biases_move=False)),
        ("it is that of a network whose biases never move: step the biases too.", planted(biases_move=False))])
    for l, (W, b) in enumerate(zip(weights, biases), start=1):
        expect_array(W, trained.weights[l - 1], f"W{l} after the epoch (is it updated in place?)", tol=1e-6)
        expect_array(b, trained.biases[l - 1], f"b{l} after the epoch (are the biases updated in place?)", tol=1e-6)
    return rel_error(got, right)

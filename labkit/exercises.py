"""The check of every exercise in the notebooks, one function each.

A check cell calls its exercise's function with the student's code (a function, or a class).
The function runs that code on data of its own, made from ``seed`` (hidden tests call it again
with other seeds), compares the results with labkit's, and raises AssertionError when they differ:
naming the usual mistake if the result is one (``labkit.mistakes``), saying how it differs if not.
It tests each exercise where it must generalize (other shapes, activations, losses, learning
rates), the numerical stability the notebook asks for, and that the caller's arrays are left as
they were. It returns the relative error against finite differences or labkit's reference, for
the check cell to print.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import mistakes
from .activations import Activation, Identity, ReLU, Sigmoid, Softmax, Tanh
from .checks import (
    expect_backprop,
    expect_close,
    expect_forward,
    expect_gradient,
    expect_no_overflow,
    expect_trained,
    explain,
    matching_mistake,
    numbers_of,
    parts_of,
)
from .datasets import xor
from .losses import BinaryCrossEntropy, CategoricalCrossEntropy, MeanSquaredError
from .network import DenseNetwork, backward_pass, build_network, forward_pass, output_delta, parameter_gradients
from .optim import GradientDescent
from .ownwork import Tools, cost, run
from .weight_decay import check_hessian, quadratic_descent, quadratic_minimizer, ridge_regression, shrinkage_factors

Student = Callable[..., Any]

ACTIVATIONS = Tools(tuple(f for cls in (Identity, ReLU, Sigmoid, Tanh) for f in (cls.forward, cls.derivative))
                    + (Softmax.forward,), "the forward and derivative of the activations it is handed")
"""What a backprop exercise may call of the activations it is handed: phi and phi', not labkit's chain rule."""
LOSSES = Tools(tuple(f for cls in (BinaryCrossEntropy, MeanSquaredError, CategoricalCrossEntropy)
                     for f in (cls.forward, cls.backward)), "the forward and backward of the loss it is handed")
STEP = Tools((GradientDescent.step,), "the optimizer's step")


def _planted(catalogue: Sequence[mistakes.FormulaMistake], *args: Any, **context: Any) -> list[tuple[str, Any]]:
    """(message, value) of each mistake in ``catalogue`` for the exercise's arguments, computed only if needed."""
    return [(m.say(**context), lambda m=m: m.value(*args)) for m in catalogue]


def _depends_on_arguments(student: Student, args: tuple, other_args: tuple, name: str) -> None:
    """AssertionError if ``student`` gives the same result for two different sets of arguments of the same shapes."""
    first, second = (numbers_of(run(student, *a, may_use=ACTIVATIONS), f"what {name} returns")
                     for a in (args, other_args))
    if first.shape == second.shape and np.array_equal(first, second):
        raise AssertionError(f"{name} returns the same value for other arguments: does it use the notebook's variables "
                             "(or numbers written in) instead of the arguments it is given?")


def _network(input_size: int, layers: list, loss: str, seed: int, rows: int,
             learning_rate: float = 0.1) -> tuple[DenseNetwork, np.ndarray, np.ndarray]:
    """A network with random biases and a batch for it: X (rows, input_size) and targets that suit the loss."""
    net = build_network(input_size, layers, loss, GradientDescent(learning_rate), seed=seed)
    rng = np.random.default_rng(seed + 1000)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    X = rng.normal(size=(rows, input_size))
    outputs = net.weights[-1].shape[1]
    if loss == "mse":
        T = rng.normal(size=(rows, outputs))
    elif loss == "cce":
        T = np.eye(outputs)[rng.integers(0, outputs, rows)]
    else:
        T = (rng.random((rows, outputs)) > 0.5).astype(float)
    return net, X, T


# -- notebook 01 ------------------------------------------------------------------------------------


def delta_output(student: Student, seed: int = 0) -> float:
    """Notebook 01, exercise 1: ``student(dE_dyL, zL, phi)`` gives delta^L (n_L,) of one sample.

    Checked for a sigmoid output with binary cross entropy and a tanh output with squared error.
    """
    errors = []
    for layers, loss in (([4, "tanh", 2, "sigmoid"], "bce"), ([3, "relu", 3, "tanh"], "mse")):
        net, x, t = _network(3, layers, loss, seed, rows=1)
        Zs, Ys = forward_pass(net.weights, net.biases, net.activations, x)
        z, phi = Zs[-1][0], net.activations[-1]
        dE_dy = net.loss.backward(t, Ys[-1])[0]
        planted = [(m.say(N=1), b.deltas[-1][0]) for m in mistakes.DELTA_OUTPUT
                   for b in mistakes.planted_backprop(m, net.weights, net.biases, net.activations, net.loss, x, t)]
        got = run(student, dE_dy, z.copy(), phi, may_use=ACTIVATIONS)
        _depends_on_arguments(student, (dE_dy, z.copy(), phi), (2 * dE_dy + 1, z + 0.5, phi), "delta_output")
        errors.append(expect_gradient(got, lambda zz: net.loss.forward(t, phi.forward(zz[None, :])),  # noqa: B023
                                      z.copy(), f"delta^L for a {phi.name} output layer and {net.loss.name}",
                                      mistakes=planted))
    return max(errors)


def column_backprop(student: Student, seed: int = 0) -> float:
    """Notebook 01, exercise 2: ``student(delta_L, zs, ys, Ws, acts, lam)`` gives (grad_W, grad_b) of one sample
    in the maths convention (Ws[l] = W^(l+1), (n_(l+1), n_l)), for two networks, with and without decay."""
    errors: list[float] = []
    cases = (([4, "tanh", 3, "tanh", 2, "sigmoid"], "bce", 0.0), ([4, "tanh", 3, "tanh", 2, "sigmoid"], "bce", 0.1),
             ([5, "sigmoid", 3, "relu", 1, "identity"], "mse", 0.25))
    for layers, loss, lam in cases:
        net, x, t = _network(3, layers, loss, seed, rows=1)
        Zs, Ys = forward_pass(net.weights, net.biases, net.activations, x)
        delta_L = output_delta(net.activations[-1], net.loss, Zs[-1], Ys[-1], t)[0]
        grads = run(student, delta_L, [Z[0] for Z in Zs], [Y[0] for Y in Ys], [W.T.copy() for W in net.weights],
                    list(net.activations), lam, may_use=ACTIVATIONS)
        errors += expect_backprop(grads, net, x, t, weight_decay=lam, column=True).values()
    return max(errors)


def batched_layer(student: Student, seed: int = 0) -> float:
    """Notebook 01, exercise 3: ``student(Delta, Y_prev, W, Z_prev, phi_prev)`` (maths convention, rows are samples)
    gives (grad_W, grad_b, Delta_prev) for every layer with a layer below, fed the right Delta, in two networks."""
    errors = []
    for layers, loss, rows in (([4, "tanh", 3, "tanh", 2, "sigmoid"], "bce", 5),
                               ([6, "sigmoid", 5, "relu", 1, "identity"], "mse", 7)):
        net, X, T = _network(3, layers, loss, seed, rows)
        right = mistakes.planted_backprop(None, net.weights, net.biases, net.activations, net.loss, X, T)[0]
        wrong = {m: mistakes.planted_backprop(m, net.weights, net.biases, net.activations, net.loss, X, T)[0]
                 for m in (mistakes.EXTRA_1_OVER_N, mistakes.MISSING_1_OVER_N, mistakes.BIAS_AS_MEAN)}
        for l in reversed(range(1, len(net.weights))):
            name, Delta = f"layer {l + 1}", right.deltas[l]
            W = net.weights[l].T  # W^(l+1), (n_(l+1), n_l), a view: finite differences through it reach the network
            result = run(student, Delta, right.Ys[l], W.copy(), right.Zs[l - 1], net.activations[l - 1],
                         may_use=ACTIVATIONS)
            grad_W, grad_b, Delta_prev = parts_of(result, ("grad_W", "grad_b", "Delta_prev"), "batched_layer")
            errors.append(expect_gradient(grad_W, lambda _: net.evaluate_loss(X, T), W,  # noqa: B023 (used at once)
                                          f"grad W of {name}",
                                          mistakes=[(m.say(N=rows), wrong[m].grad_W[l].T) for m in
                                                    (mistakes.EXTRA_1_OVER_N, mistakes.MISSING_1_OVER_N)]))
            expect_close(grad_b, right.grad_b[l], f"grad b of {name}", rows=rows,
                         mistakes=[(mistakes.BIAS_AS_MEAN.message, wrong[mistakes.BIAS_AS_MEAN].grad_b[l])])
            below = (net.weights[l - 1:l + 1], net.activations[l - 1:l + 1], right.Zs[l - 1:l + 1])
            expect_close(Delta_prev, right.deltas[l - 1], f"Delta of layer {l}", rows=rows, mistakes=[
                (m.message, variant[0]) for m in (mistakes.PHI_PRIME_AT_OUTPUT, mistakes.HIDDEN_PHI_PRIME_MISSING,
                                                  mistakes.PHI_PRIME_OF_LAYER_ABOVE)
                for variant in mistakes.planted_backward(m, *below, Delta)])
    _matrix_products_only(student)
    return max(errors)


def _matrix_products_only(student: Student) -> None:
    """AssertionError if ``student`` (notebook 01's batched_layer) loops over the rows or builds an (N, a, b) array."""
    def layer(rows: int, width: int = 4) -> tuple:
        rng = np.random.default_rng(rows)
        return (rng.normal(size=(rows, width)), rng.normal(size=(rows, width)), rng.normal(size=(width, width)),
                rng.normal(size=(rows, width)), Tanh())

    few, many = cost(student, *layer(4))[0], cost(student, *layer(64))[0]
    if many > few + 30:  # a loop over the 64 rows runs its lines 60 times more than over 4
        raise AssertionError(f"batched_layer does more work for more rows ({few} Python steps for 4 rows, {many} for "
                             "64): it loops over the samples. The sum of the per-sample outer products is one matrix "
                             "product, and so is Delta @ W.")
    rows, width = 256, 40
    peak = cost(student, *layer(rows, width))[1]
    if peak > 20 * rows * width * 8:  # an (N, width, width) array is 40 times the (N, width) arrays it comes from
        raise AssertionError(f"batched_layer holds {peak / 1e6:.1f} MB for a batch of {rows} rows of {width}, whose "
                             f"arrays take {rows * width * 8 / 1e6:.2f} MB each: it builds an array of one matrix per "
                             "sample (a 3-D einsum or stack). The sum of the per-sample outer products is one matrix "
                             "product, Delta.T @ Y_prev.")


# -- notebook 02 ------------------------------------------------------------------------------------

LAB_TARGETS = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
LAB_PREDICTIONS = np.array([[0.2, 0.3, 0.1], [0.5, 0.8, 0.1]])
LAB_BCE = 1.952027409369643
LAB_BCE_GRADIENT = np.array([[0.625, 0.7142857, -5.0], [1.0, -0.625, 0.5555556]])


def bce(student_class: type, seed: int = 0) -> float:
    """Notebook 02, item 1: ``student_class()`` has forward(y_true, y_pred) -> E and backward -> dE/dy_pred.

    On the lab's example and on other data; finite for predictions of exactly 0 and 1; backward
    against finite differences of forward.
    """
    loss, reference = student_class(), BinaryCrossEntropy()
    rng = np.random.default_rng(seed)
    other = ((rng.random((5, 4)) > 0.5).astype(float), rng.uniform(0.05, 0.95, (5, 4)))
    for (t, p), where, right_E, right_grad in (
            ((LAB_TARGETS, LAB_PREDICTIONS), "the lab's example", LAB_BCE, LAB_BCE_GRADIENT),
            (other, "other data (5 rows, 4 outputs)", reference.forward(*other), reference.backward(*other))):
        expect_close(run(loss.forward, t, p), right_E, f"forward on {where}", _planted(mistakes.BCE_FORWARD, t, p))
        expect_close(run(loss.backward, t, p), right_grad, f"backward on {where}",
                     _planted(mistakes.BCE_BACKWARD, t, p, N=len(t)), rows=len(t))
    edge = (np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))  # both predictions are as wrong as can be
    stable = "(it must stay finite: eps inside the logs and in the denominators, as the formula has it)"
    expect_close(run(loss.forward, *edge), reference.forward(*edge), f"forward for predictions of exactly 0 and 1 "
                 f"{stable}")
    expect_close(run(loss.backward, *edge), reference.backward(*edge), f"backward for predictions of exactly 0 and 1 "
                 f"{stable}")
    return expect_gradient(run(loss.backward, LAB_TARGETS, LAB_PREDICTIONS),
                           lambda p: loss.forward(LAB_TARGETS, p), LAB_PREDICTIONS.copy(), "backward")


def activations(relu_class: type, sigmoid_class: type, tanh_class: type, seed: int = 0) -> float:
    """Notebook 02, items 2-4: each class has forward(z) and derivative(z), phi'(z) at the pre-activation z.

    On the lab's values and on other values (references: labkit's activations); without overflow at
    z = +-1000; each derivative against finite differences of its forward.
    """
    z_relu = np.array([[-0.1, 0.7, -1.0], [0.3, 0.5, 0.7]])  # the lab's examples
    relu, sigmoid, tanh = relu_class(), sigmoid_class(), tanh_class()
    expect_close(run(relu.forward, z_relu), [[0, 0.7, 0], [0.3, 0.5, 0.7]], "ReLU forward on the lab's values")
    expect_close(run(relu.derivative, z_relu), [[0, 1, 0], [1, 1, 1]], "ReLU derivative on the lab's values")
    kink = np.array([0.0])
    expect_close(run(relu.derivative, kink), [0.0], "ReLU derivative at the kink z = 0",
                 _planted(mistakes.RELU_DERIVATIVE, kink))
    z = np.array([[2.0, -2.0, -0.25], [0.0, 0.5, 0.25]])
    expect_close(run(sigmoid.forward, z), [[0.8807971, 0.1192029, 0.4378235], [0.5, 0.6224593, 0.5621765]],
                 "sigmoid on the lab's values")
    expect_close(run(sigmoid.derivative, z), [[0.1049936, 0.1049936, 0.2461341], [0.25, 0.2350037, 0.2461341]],
                 "sigmoid derivative on the lab's values", _planted(mistakes.SIGMOID_DERIVATIVE, z))
    expect_close(run(tanh.forward, z), [[0.9640276, -0.9640276, -0.2449187], [0, 0.4621172, 0.2449187]],
                 "tanh on the lab's values")
    expect_close(run(tanh.derivative, z), [[0.07065082, 0.07065082, 0.9400148], [1, 0.78644773, 0.9400148]],
                 "tanh derivative on the lab's values", _planted(mistakes.TANH_DERIVATIVE, z))
    far = np.array([-1000.0, 1000.0])
    expect_no_overflow(sigmoid.forward, far, [0.0, 1.0], "sigmoid", "exp(-z) is too large for z = -1000; build the "
                       "sigmoid from exp(-|z|), as the hint says.")
    references: tuple[tuple[str, Any, Activation], ...] = (("ReLU", relu, ReLU()), ("sigmoid", sigmoid, Sigmoid()),
                                                           ("tanh", tanh, Tanh()))
    with np.errstate(all="ignore"):  # the values count here: a warning on the way to 0 is no mistake
        for name, mine, ref in references:
            for part in ("forward", "derivative"):
                expect_close(run(getattr(mine, part), far), getattr(ref, part)(far), f"{name} {part} at z = -1000 "
                             "and 1000 (it must stay finite)", atol=1e-12)
    z_other = np.append(np.random.default_rng(seed).normal(size=11) * 4, 0.0).reshape(4, 3)
    z_smooth = z + 0.05  # moves the 0.0 entry off ReLU's kink, where the slope does not exist
    errors: list[float] = []
    for name, mine, ref in references:
        expect_close(run(mine.forward, z_other), ref.forward(z_other), f"{name} forward on other values")
        expect_close(run(mine.derivative, z_other), ref.derivative(z_other), f"{name} derivative on other values")
        def total(v: np.ndarray, mine: Any = mine) -> float:  # the derivative is the slope of forward
            return float(np.sum(mine.forward(v)))

        errors.append(expect_gradient(run(mine.derivative, z_smooth), total, z_smooth.copy(), f"{name} derivative"))
    return max(errors)


def gradient_descent(student_class: type, seed: int = 0) -> None:
    """Notebook 02, item 5: ``student_class(learning_rate).step(x, gradient)`` returns x - learning_rate * gradient
    and leaves x alone; on the lab's example and on arrays with other learning rates."""
    expect_close(run(student_class(0.1).step, 10, 10), 9, "the lab's example: lr 0.1, x = 10, gradient 10",
                 _planted(mistakes.GRADIENT_DESCENT, 0.1, 10, 10))
    rng = np.random.default_rng(seed)
    x, g = rng.normal(size=3), rng.normal(size=3)
    if np.array_equal(numbers_of(run(student_class(0.5).step, x, g), "step"),
                      numbers_of(run(student_class(0.3).step, x, g), "step")):
        raise AssertionError("step takes the same step for learning rates 0.5 and 0.3: use self.learning_rate, the one "
                             "the optimizer was made with.")
    for lr, shape in ((0.5, (2,)), (0.3, (2, 3))):
        x, g = rng.normal(size=shape), rng.normal(size=shape)
        expect_close(run(student_class(lr).step, x, g), x - lr * g, f"a step of shape {shape} with learning rate {lr}",
                     _planted(mistakes.GRADIENT_DESCENT, lr, x, g))


def forward(student: Student, seed: int = 0) -> None:
    """Notebook 02, item 6: ``student(weights, biases, activations, X)`` gives (Zs, Ys) with Ys[0] = X, for two
    networks of other depths, activations and biases."""
    for layers, loss, inputs in (([3, "tanh", 2, "relu", 1, "sigmoid"], "bce", 2),
                                 ([4, "sigmoid", 2, "identity"], "mse", 3)):
        net, X, _ = _network(inputs, layers, loss, seed, rows=7)
        passes = run(student, net.weights, net.biases, net.activations, X, may_use=ACTIVATIONS)
        expect_forward(passes, net, X)


BACKPROP_WITHOUT_DECAY = tuple(m for m in mistakes.BACKPROP if m not in (
    mistakes.HALF_LAMBDA, mistakes.DECAY_MISSING, mistakes.DECAY_ON_BIAS))


def backprop(student: Student, seed: int = 0) -> float:
    """Notebook 02, item 6: ``student(weights, activations, loss, Zs, Ys, y_true)`` gives (grad_W, grad_b) of the
    mean loss, for a sigmoid network with cross entropy and a ReLU network with squared error."""
    errors: list[float] = []
    for layers, loss, inputs, rows in (([3, "tanh", 4, "sigmoid", 1, "sigmoid"], "bce", 2, 6),
                                       ([5, "relu", 2, "identity"], "mse", 3, 9)):
        net, X, T = _network(inputs, layers, loss, seed, rows)
        Zs, Ys = forward_pass(net.weights, net.biases, net.activations, X)  # labkit's: this grades backprop alone
        grads = run(student, net.weights, net.activations, net.loss, Zs, Ys, T, may_use=ACTIVATIONS + LOSSES)
        errors += expect_backprop(grads, net, X, T, usual=BACKPROP_WITHOUT_DECAY).values()
    return max(errors)


def _pieces_first(what: str, *checks: Callable[[], Any]) -> None:
    """Run the checks of the exercises that ``what`` calls; if one fails, say that it must be fixed first."""
    for piece_check in checks:
        try:
            piece_check()
        except Exception as error:
            raise AssertionError(f"{what} uses your code of an exercise before it, which is not right yet "
                                 f"({explain(error)}). Fix that first.") from None


def train(student: Student, student_forward: Student, student_backprop: Student, seed: int = 35,
          learning_rate: float = 0.5) -> float:
    """Notebook 02, item 7: ``student(weights, biases, activations, loss, optimizer, X, y_true, steps)`` trains in
    place and returns the loss before each step; it calls the student's forward and backprop, checked first.

    On XOR: the lab's 2-2-1 network (lr 0.25, 250 steps) and a 2-3-1 network with ``learning_rate``.
    """
    _pieces_first("train", lambda: forward(student_forward), lambda: backprop(student_backprop))
    X, y = xor()
    errors = []
    for width, lr, net_seed, steps in ((2, 0.25, 2, 250), (3, learning_rate, seed, 30)):
        net = build_network(2, [width, "tanh", 1, "sigmoid"], "bce", GradientDescent(lr), seed=net_seed)
        weights, biases = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
        got = run(student, weights, biases, net.activations, net.loss, GradientDescent(lr), X, y, steps,
                  changes=(0, 1), may_use=ACTIVATIONS + LOSSES + STEP)
        errors.append(expect_trained(got, weights, biases, net, X, y, steps, mistakes.TRAINING,
                                     what=f"the loss curve of a 2-{width}-1 network, learning rate {lr}"))
    return max(errors)


# -- notebook 03 ------------------------------------------------------------------------------------


def softmax(student: Student, seed: int = 0) -> None:
    """Notebook 03, exercise 1: ``student(z)`` for scores z (N, k): rows of probabilities, without overflow."""
    reference = Softmax()
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    expect_close(run(student, z), reference.forward(z), "softmax of two rows", _planted(mistakes.SOFTMAX, z))
    expect_no_overflow(student, [[1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, -3000.0]],
                       [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]], "softmax", "subtract each row's own maximum before np.exp.")
    z = np.random.default_rng(seed).normal(size=(5, 10)) * 4
    expect_close(run(student, z).sum(axis=1), np.ones(5), "the row sums of 5 rows of 10 scores")
    expect_close(run(student, z), reference.forward(z), "softmax of 5 rows of 10 scores",
                 _planted(mistakes.SOFTMAX, z))
    expect_close(run(student, z + 7.5), reference.forward(z), "softmax after adding 7.5 to every score (it must not "
                 "change)")


def cce(student_class: type, seed: int = 0) -> float:
    """Notebook 03, exercise 2: ``student_class()`` has forward(y_true, y_pred) -> E and backward -> dE/dy_pred."""
    loss, reference = student_class(), CategoricalCrossEntropy()
    t = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]])
    rng = np.random.default_rng(seed)
    t_other, p_other = np.eye(4)[rng.integers(0, 4, 6)], Softmax().forward(rng.normal(size=(6, 4)))
    for t_, p_, where in ((t, p, "two rows"), (t_other, p_other, "6 rows of 4 classes")):
        expect_close(run(loss.forward, t_, p_), reference.forward(t_, p_), f"the loss of {where}",
                     _planted(mistakes.CCE_FORWARD, t_, p_))
        expect_close(run(loss.backward, t_, p_), reference.backward(t_, p_), f"the gradient for {where}",
                     _planted(mistakes.CCE_BACKWARD, t_, p_, N=len(t_)), rows=len(t_))
    zero = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])  # the true classes get probability 0
    stable = "(it must stay finite: eps inside the log and in the denominator)"
    expect_close(run(loss.forward, t, zero), reference.forward(t, zero), f"the loss when the true classes get "
                 f"probability 0 {stable}")
    expect_close(run(loss.backward, t, zero), reference.backward(t, zero), f"the gradient when the true classes get "
                 f"probability 0 {stable}")
    return expect_gradient(run(loss.backward, t, p), lambda q: loss.forward(t, q), p.copy(), "backward")


def fused_delta(student: Student, seed: int = 3) -> float:
    """Notebook 03, exercise 3: ``student(y_true, y_pred)`` gives dE/dZ for softmax outputs y_pred and cross
    entropy, against finite differences through labkit's softmax and loss and against the chain rule."""
    rng = np.random.default_rng(seed)
    errors = []
    for rows, k in ((6, 10), (5, 3)):
        z = rng.normal(size=(rows, k)) * 2
        t = np.eye(k)[rng.integers(0, k, rows)]
        P = Softmax().forward(z)
        exact = CategoricalCrossEntropy(eps=0)
        errors.append(expect_gradient(run(student, t, P),
                                      lambda zz: exact.forward(t, Softmax().forward(zz)), z,  # noqa: B023
                                      f"(P - T) / N for {rows} rows of {k} classes",
                                      mistakes=_planted(mistakes.FUSED_DELTA, t, P)))
        chain = Softmax().backward(z, exact.backward(t, P))
        expect_close(run(student, t, P), chain, f"(P - T) / N against the chain rule through softmax ({rows} rows)")
    return max(errors)


def mnist_rows(rows: int) -> tuple[np.ndarray, np.ndarray]:
    """The first ``rows`` MNIST training images (rows, 784) in [0, 1] and their one-hot labels (rows, 10), float64."""
    from .tools.mnist import ensure_mnist

    arrays = ensure_mnist()
    images, labels = arrays["x_train"][:rows], arrays["y_train"][:rows]
    return images.reshape(rows, -1) / 255.0, np.eye(10)[labels]


EPOCH_TOOLS = Tools((forward_pass, backward_pass, parameter_gradients), "labkit's forward_pass, backward_pass and "
                    "parameter_gradients") + ACTIVATIONS
"""What notebook 03's epoch may use: labkit's forward pass and backprop (the exercise is the training loop)."""


def epoch(student: Student, student_softmax: Student, student_cross_entropy: Any, student_delta: Student,
          seed: int = 5, rows: int = 2000, hidden: int = 32, batch_size: int = 128,
          learning_rate: float = 0.5) -> float:
    """Notebook 03, exercise 4: ``student(weights, biases, X, Y, batch_size, learning_rate, rng)`` runs one epoch
    in place and returns the loss of every batch; compared with ``fit`` on the same order of rows.

    The pieces the epoch uses (softmax, the cross entropy object, the fused delta) are checked first.
    """
    _pieces_first("train_epoch", lambda: softmax(student_softmax), lambda: cce(type(student_cross_entropy)),
                  lambda: fused_delta(student_delta))
    X, Y = mnist_rows(rows)
    net = build_network(784, [hidden, "relu", 10, "softmax"], "cce", GradientDescent(learning_rate), seed=seed)

    def one_epoch() -> tuple[Any, list[np.ndarray], list[np.ndarray]]:
        weights, biases = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
        losses = run(student, weights, biases, X, Y, batch_size, learning_rate, np.random.default_rng(seed),
                     changes=(0, 1), may_use=EPOCH_TOOLS)
        return losses, weights, biases

    got, weights, biases = one_epoch()
    if not np.array_equal(numbers_of(got, "the losses of the epoch"), numbers_of(one_epoch()[0], "the losses")):
        raise AssertionError("two epochs from the same rng differ: shuffle with the rng train_epoch is given, "
                             "rng.permutation(len(X)), not with np.random.")
    return expect_trained(got, weights, biases, net, X, Y, 1, mistakes.EPOCH, batch_size, seed,
                          what=f"the losses of an epoch on {rows} images in batches of {batch_size}")


# -- notebook 04 ------------------------------------------------------------------------------------


def hessian(D: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A random symmetric positive definite H (D, D) and a b (D,), as notebook 04 makes them."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(D, D))
    return A @ A.T / D + 0.05 * np.eye(D), rng.normal(size=D)


def minimizer(student: Student, seed: int = 0) -> None:
    """Notebook 04, exercise 1: ``student(H, b, tau)`` minimizes E0 + b.w + (1/2) w^T H w + (tau/2) ||w||^2,
    for H of sizes 5 and 3 and several tau."""
    for D, tau in ((5, 0.5), (3, 2.0)):
        H, b = hessian(D, seed + D)
        expect_close(run(student, H, b, tau), quadratic_minimizer(H, b, tau), f"minimizer(H, b, {tau}) for a {D}x{D} H",
                     _planted(mistakes.MINIMIZER, H, b, tau))
        expect_close(run(student, H, b, 0.0), quadratic_minimizer(H, b), f"minimizer(H, b, 0) for a {D}x{D} H, "
                     "which is w*")


def shrink(student: Student, seed: int = 0) -> None:
    """Notebook 04, exercise 2: ``student(H, w_star, tau)`` gives w~ through the eigenbasis of H, for H of sizes
    5 and 4 (fed labkit's w*, so that this grades shrink alone)."""
    for D, tau in ((5, 0.5), (4, 0.1)):
        H, b = hessian(D, seed + D)
        w_star = quadratic_minimizer(H, b)
        expect_close(run(student, H, w_star, tau), quadratic_minimizer(H, b, tau), f"shrink(H, w*, {tau}) for a "
                     f"{D}x{D} H", _planted(mistakes.SHRINK, H, w_star, tau))
        expect_close(run(student, H, w_star, 0.0), w_star, f"shrink(H, w*, 0) for a {D}x{D} H (no decay: w* itself)")


def ridge_fit(student: Student, student_minimizer: Student, seed: int = 5) -> None:
    """Notebook 04, exercise 3: ``student(Phi, t, tau)`` fits ridge regression with the student's minimizer
    (checked first if the fit is wrong)."""
    rng = np.random.default_rng(seed)
    for N, D, tau in ((8, 3, 0.3), (20, 4, 0.05)):
        Phi, t = rng.normal(size=(N, D)), rng.normal(size=N)
        try:
            expect_close(run(student, Phi, t, tau), ridge_regression(Phi, t, tau), f"ridge_fit for {N} samples, "
                         f"{D} features and tau = {tau}", _planted(mistakes.RIDGE, Phi, t, tau, N=N))
        except AssertionError:
            _pieces_first("ridge_fit", lambda: minimizer(student_minimizer))
            raise


# -- notebook 05 ------------------------------------------------------------------------------------


def linear_data(rows: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs X (rows, 3) with columns of spread 1, 0.5 and 2, and noisy linear targets t (rows,)."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, 3)) * [1.0, 0.5, 2.0]
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=rows)


def monte_carlo(student: Student, seed: int = 0) -> tuple[np.ndarray, float]:
    """Notebook 05, exercise 1: ``student(X, t, w, sigma, samples, rng)`` gives the Monte Carlo mean gradient of the
    noisy error and its standard error. Returns the standard errors with 16000 samples, and how much the spread
    of the mean shrinks from 1000 to 16000 samples (4 if the estimator is right)."""
    X, t = linear_data(200, seed)
    N, D = X.shape
    w = np.full(D, 0.5)
    clean = -X.T @ (t - X @ w) / N  # the gradient of E without noise
    mean, se = parts_of(run(student, X, t, w, 0.0, 10, np.random.default_rng(1)), ("mean", "standard error"),
                        "noisy_gradient_monte_carlo")
    expect_close(mean, clean, "the mean for sigma = 0 (no noise: the gradient of E itself)",
                 _planted(mistakes.MONTE_CARLO_CLEAN, X, t, w, N=N), rows=N)
    expect_close(se, np.zeros(D), "the standard error for sigma = 0 (all samples are the same)", atol=1e-12)
    sigma = 0.8
    mean, se = (numbers_of(part, "the estimate") for part in parts_of(
        run(student, X, t, w, sigma, 16000, np.random.default_rng(3)), ("mean", "standard error"),
        "noisy_gradient_monte_carlo"))
    if np.all(se < 1e-12):
        raise AssertionError("the standard error is 0 with noise: every sample saw the same noise. Draw new noise "
                             "for each sample (an array of shape (samples, N, D)), not one noise matrix for all.")
    again = [numbers_of(parts_of(run(student, X, t, w, sigma, 50, np.random.default_rng(7)), ("mean", "standard error"),
                                 "noisy_gradient_monte_carlo")[0], "the mean") for _ in range(2)]
    if not np.array_equal(again[0], again[1]):
        raise AssertionError("two estimates from the same rng differ: draw the noise with the rng you are given "
                             "(rng.standard_normal), not with np.random.")
    shrinks = _check_standard_error(student, X[:50], t[:50], w, sigma)
    expect_close(mean, clean + sigma**2 * w, "the mean for sigma = 0.8 (within 5 standard errors of Question 1's "
                 "answer)", _planted(mistakes.MONTE_CARLO_NOISY, X, t, w, sigma), atol=5 * se.max())
    return se, shrinks


def _check_standard_error(student: Student, X: np.ndarray, t: np.ndarray, w: np.ndarray, sigma: float) -> float:
    """Run the estimator 8 times at 1000 and at 16000 samples: the spread of its means must shrink 4 times, and
    the standard error it reports must be that spread. Returns how much the spread shrank."""
    spread, reported = {}, {}
    for samples in (1000, 16000):
        runs = [run(student, X, t, w, sigma, samples, np.random.default_rng(100 + k)) for k in range(8)]
        spread[samples] = float(np.median(np.std([numbers_of(m, "the mean") for m, _ in runs], axis=0, ddof=1)))
        reported[samples] = float(np.median([numbers_of(s, "the standard error") for _, s in runs]))
    shrinks = spread[1000] / spread[16000]
    if shrinks < 2:
        raise AssertionError(f"the mean does not get more precise with more samples (its spread shrinks {shrinks:.1f} "
                             "times from 1000 to 16000 samples, where it should shrink sqrt(16) = 4 times): does the "
                             "estimator draw `samples` noisy copies?")
    ratio = reported[16000] / spread[16000]
    if ratio > 16:
        raise AssertionError(f"the standard error is {ratio:.0f} times the spread of the mean: it is the standard "
                             "deviation of the samples. The standard error of their mean divides it by sqrt(samples).")
    if ratio < 1 / 16:
        raise AssertionError(f"the standard error is {1 / ratio:.0f} times smaller than the spread of the mean: divide "
                             "the standard deviation by sqrt(samples), not by samples.")
    return shrinks


def hessian_trace(student: Student, seed: int = 6) -> None:
    """Notebook 05, exercise 2: ``student(f, x)`` sums d^2 f / dx_k^2 over the entries of x by second differences
    (h = 1e-3), leaving x as it was; for a vector, for a 2-D array read from outside f, and for a 3-D array."""
    rng = np.random.default_rng(seed)
    A, c, v = rng.normal(size=(4, 3)), rng.normal(size=4), rng.normal(size=3)

    def f(u: np.ndarray) -> np.ndarray:  # four outputs: sin(a_n . u) + c_n ||u||^2
        return np.sin(A @ u) + c * (u @ u)

    exact = -(A**2).sum(axis=1) * np.sin(A @ v) + 6 * c  # its trace, output by output
    expect_close(run(student, f, v), exact, "the trace for f(u) = sin(A u) + c ||u||^2", tol=1e-5,
                 mistakes=_planted(mistakes.HESSIAN_TRACE, f, v.copy(), 1e-3))
    Y, a, weights = rng.normal(size=(5, 2)), rng.normal(size=3), rng.normal(size=(2, 3))

    def g(W: np.ndarray) -> np.ndarray:  # five outputs: sin(y_n . W a)
        return np.sin(Y @ W @ a)

    def g_outside(_: np.ndarray) -> np.ndarray:  # reads the array from outside, as a network's loss does
        return g(weights)

    exact = -np.sin(Y @ weights @ a) * (Y**2).sum(axis=1) * (a @ a)
    expect_close(run(student, g_outside, weights, copies=False), exact,
                 "the trace with respect to a (2, 3) array read from outside f", tol=1e-5,
                 mistakes=_planted(mistakes.HESSIAN_TRACE, g_outside, weights, 1e-3))
    cube = rng.normal(size=(2, 2, 2))
    expect_close(run(student, lambda u: np.array([(u**2).sum(), (u**3).sum()]), cube),
                 np.array([16, 6 * cube.sum()]), "the trace for a (2, 2, 2) array", tol=1e-5)



# -- notebook 04: more than one line each ------------------------------------------------------------


def descend(student: Student, seed: int = 0) -> float:
    """Notebook 04: ``student(H, b, tau, steps)`` is gradient descent on E' from 0 with the step
    1 / (largest eigenvalue of H + tau); after 3 steps it must be labkit's iterate, after many the minimizer."""
    errors = []
    for D, tau in ((5, 0.5), (3, 2.0)):
        H, b = hessian(D, seed + D)
        expect_close(run(student, H, b, tau, 3), quadratic_descent(H, b, tau, 3), f"three steps for a {D}x{D} H and "
                     f"tau = {tau}", _planted(mistakes.DESCEND, H, b, tau, 3))
        errors.append(expect_close(run(student, H, b, tau, 3000), quadratic_minimizer(H, b, tau), f"3000 steps for "
                                   f"a {D}x{D} H (they reach the minimizer of E')", tol=1e-6))
    return max(errors)


def shortcut_cases(student: Student, tau: float = 0.5) -> int:
    """Notebook 04, Question 4 in code: ``student(tau)`` returns three (H, w_star, factors), one for each kind of
    situation in which factors * w_star (element by element) is w~ exactly, each factor a shrinkage factor of H.
    Returns how many cases there were."""
    cases = run(student, tau)
    if type(cases) not in (list, tuple) or len(cases) < 3:
        raise AssertionError(f"shortcut_cases should return a list of three (H, w_star, factors); it returned "
                             f"{len(cases) if type(cases) in (list, tuple) else 'a ' + type(cases).__name__}.")
    kinds: dict[str, int] = {}
    for k, case in enumerate(cases, start=1):
        H, w_star, factors = (numbers_of(part, f"case {k}'s {name}") for part, name in
                              zip(parts_of(case, ("H", "w_star", "factors"), f"case {k}"), ("H", "w_star", "factors")))
        H = check_hessian(H, f"case {k}'s H")
        if np.linalg.eigvalsh(H)[0] <= 0 or w_star.shape != (len(H),) or factors.shape != w_star.shape:
            raise AssertionError(f"case {k}: H must be positive definite and w_star and factors vectors of its size "
                                 f"{len(H)}; got shapes {H.shape}, {w_star.shape}, {factors.shape}.")
        if np.any(np.abs(w_star) < 1e-9):
            raise AssertionError(f"case {k}: w_star has a zero coordinate, where any factor is exact: use a w_star "
                                 "with no zero coordinate.")
        expect_close(factors * w_star, quadratic_minimizer(H, -H @ w_star, tau), f"case {k}: factors * w_star, "
                     "against w~")
        d = shrinkage_factors(np.linalg.eigvalsh(H), tau)
        if not all(np.isclose(f, d).any() for f in factors):
            raise AssertionError(f"case {k}: the factors are exact, but not all are shrinkage factors of this H "
                                 f"(its factors are {np.round(d, 4).tolist()}): say which of them goes where.")
        kinds.setdefault(_situation(H), k)
    if len(kinds) < 3:
        found = "; ".join(f"{name} (case {k})" for name, k in kinds.items())
        raise AssertionError(f"your cases are of {len(kinds)} kind(s) of situation: {found}. Question 4 has three "
                             "different kinds: find the missing one(s).")
    return len(cases)


def _situation(H: np.ndarray) -> str:
    """Which kind of situation makes the shortcut exact: equal eigenvalues, a diagonal H, or (neither, since the
    factors were exact) w* an eigenvector."""
    lam = np.linalg.eigvalsh(H)
    if np.ptp(lam) < 1e-9 * max(1.0, abs(lam).max()):
        return "all eigenvalues equal"
    if np.abs(H - np.diag(np.diag(H))).max() < 1e-12:
        return "a diagonal H"
    return "w_star along an eigenvector"


def choose_tau(student: Student, student_ridge_fit: Student, student_minimizer: Student, seed: int = 0) -> float:
    """Notebook 04: ``student(Phi, t, Phi_val, t_val, taus)`` returns the training and validation errors (each the mean
    of half the squared residuals) of the student's ridge fits at every tau, and the tau with the least validation
    error. Returns the tau picked."""
    _pieces_first("choose_tau", lambda: ridge_fit(student_ridge_fit, student_minimizer))
    rng = np.random.default_rng(seed)
    x, x_val = np.sort(rng.uniform(-1, 1, 12)), rng.uniform(-1, 1, 50)
    Phi, Phi_val = np.vander(x, 8, increasing=True), np.vander(x_val, 8, increasing=True)
    t, t_val = np.sin(np.pi * x) + 0.25 * rng.normal(size=12), np.sin(np.pi * x_val) + 0.25 * rng.normal(size=50)
    taus = np.geomspace(1e-8, 10, 19)
    train, val, best = parts_of(run(student, Phi, t, Phi_val, t_val, taus),
                                ("training errors", "validation errors", "the tau picked"), "choose_tau")
    right = mistakes._validation(Phi, t, Phi_val, t_val, taus)
    wrong = {m: m.value(Phi, t, Phi_val, t_val, taus) for m in mistakes.VALIDATION}
    for got, index, what in ((train, 0, "the training errors"), (val, 1, "the validation errors")):
        expect_close(got, right[index], what, [(m.message, w[index]) for m, w in wrong.items()])
    expect_close(best, right[2], "the tau picked", [(m.message, w[2]) for m, w in wrong.items()])
    return float(best)


def noise_weight_decay(student: Student, n_samples: int = 200) -> None:
    """Notebook 05, Question 1 in code: ``student(sigma, half=True, mean=True, n_samples=1)`` is the tau of the weight
    decay (tau/2) ||w||^2 that input noise of standard deviation sigma amounts to, for the error
    (1/N if mean else 1) * sum over samples of (1/2 if half else 1) (t - w.x)^2.

    All eight cases (two sigmas, four conventions) are asked first: a mistake is named only if it gives all of them.
    """
    cases = [(sigma, half, mean) for sigma in (0.8, 0.3) for half in (True, False) for mean in (True, False)]
    got = np.array([numbers_of(run(student, sigma, half, mean, n_samples), "tau") for sigma, half, mean in cases])
    right = np.array([mistakes._noise_tau(sigma, half, mean, n_samples) for sigma, half, mean in cases])
    planted = [(m.message, np.array([m.value(sigma, half, mean, n_samples) for sigma, half, mean in cases]))
               for m in mistakes.NOISE_TAU]
    message = matching_mistake(got, right, planted)
    for k, (sigma, half, mean) in enumerate(cases):
        error = (f"{'mean' if mean else 'sum'} over {n_samples} samples of {'half ' if half else ''}the squared "
                 "residual")
        expect_close(got[k], right[k], f"tau for sigma = {sigma} and the {error}",
                     [(message, got[k])] if message else ())


def ridge_quadratic(student: Student, seed: int = 5) -> None:
    """Notebook 04, Question 5 in code: ``student(Phi, t)`` returns (H, b) of (1/2N) sum (t_n - w.phi_n)^2 written as
    E0 + b.w + (1/2) w^T H w, for 8 samples of 3 features and 20 of 4."""
    rng = np.random.default_rng(seed)
    for N, D in ((8, 3), (20, 4)):
        Phi, t = rng.normal(size=(N, D)), rng.normal(size=N)
        H, b = (numbers_of(part, name) for part, name in zip(parts_of(run(student, Phi, t), ("H", "b"),
                                                                      "ridge_quadratic"), ("H", "b")))
        right = mistakes._ridge_quadratic(Phi, t)
        both = [(m.message, np.concatenate([np.ravel(v) for v in m.value(Phi, t)])) for m in mistakes.RIDGE_QUADRATIC]
        message = matching_mistake(np.concatenate([H.ravel(), b.ravel()]) if H.size + b.size == len(both[0][1])
                                   else np.zeros(0), np.concatenate([np.ravel(v) for v in right]), both)
        for got, expected, name in ((H, right[0], "H"), (b, right[1], "b")):
            expect_close(got, expected, f"{name} for {N} samples of {D} features", [(message, got)] if message else (),
                         rows=N)


EXERCISE_EVENT = "labkit.exercise"  # raised when an exercise's check has returned, for a grading sentinel
CHECKS = ("delta_output", "column_backprop", "batched_layer", "bce", "activations", "gradient_descent", "forward",
          "backprop", "train", "softmax", "cce", "fused_delta", "epoch", "minimizer", "shrink", "descend",
          "shortcut_cases", "ridge_fit", "ridge_quadratic", "choose_tau", "noise_weight_decay", "monte_carlo",
          "hessian_trace")
"""The functions the notebooks' check cells call."""


def _announced(check_function: Callable[..., Any]) -> Callable[..., Any]:
    """``check_function``, raising EXERCISE_EVENT once it has returned: a grading sentinel (labkit.tools.sentinel)
    records it, and a check cell scores only if every exercise it names ran to its end in it, so that a check
    cell whose body was emptied, or whose ``exercises`` was rebound, scores nothing."""
    @functools.wraps(check_function)
    def announced(*args: Any, **kwargs: Any) -> Any:
        result = check_function(*args, **kwargs)
        sys.audit(EXERCISE_EVENT, check_function.__name__)
        return result
    return announced


for _name in CHECKS:  # wrapped here, not decorated: mutmut mutates no decorated function
    globals()[_name] = _announced(globals()[_name])

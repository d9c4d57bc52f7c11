"""The usual mistakes: each one a named substitution, with the one line that names it.

A check compares a student's answer with the right one. When they differ, it computes what each
usual mistake of the exercise would have given, and if the answer is one of those it says which.
A mistake is the right computation with one thing substituted, so labkit computes it with its own
code and that one thing changed:

- ``BackpropMistake``: in the one backprop of ``labkit.network``, the activations whose phi' the
  backward pass uses, the loss whose gradient starts it, the weight decay of the gradients, or a
  change to the gradients it returns (a sign, the biases' sum). ``planted_backprop`` runs it.
- ``TrainingMistake``: in gradient descent, the steps the optimizer takes, the order of the rows,
  or when the loss is recorded. ``planted_training`` runs ``DenseNetwork.fit`` with it.
- ``FormulaMistake``: the exercise's formula with one piece changed, written as a function of the
  exercise's own arguments, so it is also what a student's function with that mistake returns.

The checks (``labkit.checks``, ``labkit.exercises``), the step-through and the tests all draw on the
tuples below, one per exercise; a new mistake is one new entry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .activations import Activation, Identity, Softmax
from .losses import Loss
from .network import Arrays, DenseNetwork, backward_pass, batches, forward_pass, output_delta, parameter_gradients
from .optim import GradientDescent
from .weight_decay import quadratic_minimizer, ridge_regression, shrinkage_factors


@dataclass(frozen=True)
class Mistake:
    """A usual mistake: its name and the one line a check says when an answer matches it.

    The message may name the batch size as ``{N}``; ``say`` fills it in.
    """

    name: str
    message: str

    def say(self, **context: Any) -> str:
        return self.message.format(**context)


@dataclass(frozen=True)
class FormulaMistake(Mistake):
    """A mistake in an exercise's formula: ``value`` takes the exercise's arguments and returns what the
    formula with the mistake returns (so it is also a student's function that makes the mistake)."""

    value: Callable[..., Any] = lambda *args: None


# -- in backprop ----------------------------------------------------------------------------------


class DerivativeAtOutput(Activation):
    """The original lab's bug, on purpose: phi' evaluated at the output Y = phi(Z) instead of at Z."""

    def __init__(self, phi: Activation):
        self.phi, self.name = phi, f"{phi.name} (phi' at the output)"

    def forward(self, z: np.ndarray) -> np.ndarray:
        return self.phi.forward(z)

    def derivative(self, z: np.ndarray) -> np.ndarray:
        return self.phi.derivative(self.phi.forward(z))


class NoDerivative(Activation):
    """phi with its derivative taken as 1: the factor phi'(Z) left out of the backward pass."""

    def __init__(self, phi: Activation):
        self.phi, self.name = phi, phi.name

    def forward(self, z: np.ndarray) -> np.ndarray:
        return self.phi.forward(z)

    def derivative(self, z: np.ndarray) -> np.ndarray:
        return np.ones_like(z)


class ScaledGradient(Loss):
    """A loss whose gradient is ``factor`` times the right one: a 1/N left out (N) or taken twice (1/N)."""

    def __init__(self, loss: Loss, factor: float):
        self.loss, self.factor, self.name = loss, factor, loss.name

    def forward(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        return self.loss.forward(y_true, y_pred)

    def backward(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return self.factor * self.loss.backward(y_true, y_pred)


class Backprop(NamedTuple):
    """Everything one backprop computes: Zs, Ys of the forward pass, every Delta_l, and the gradients."""

    Zs: Arrays
    Ys: Arrays
    deltas: Arrays
    grad_W: Arrays
    grad_b: Arrays


def _as_given(activations: list[Activation]) -> list[list[Activation]]:
    return [activations]


@dataclass(frozen=True)
class BackpropMistake(Mistake):
    """A mistake in backprop, as what it substitutes (each field defaults to no change).

    activations: the lists of activations the backward pass may use instead (several when the
    mistake may sit in any one layer); loss: the loss whose gradient starts it, given the batch
    size N; weight_decay: the lambda of the gradients; biases: a change to the finished bias
    gradients, given the biases, lambda and N; sign: a factor on every gradient.
    """

    activations: Callable[[list[Activation]], list[list[Activation]]] = _as_given
    loss: Callable[[Loss, int], Loss] = lambda loss, n: loss
    weight_decay: Callable[[float], float] = lambda lam: lam
    biases: Callable[[np.ndarray, np.ndarray, float, int], np.ndarray] = lambda grad, b, lam, n: grad
    sign: float = 1.0


def planted_backprop(mistake: BackpropMistake | None, weights: Arrays, biases: Arrays,
                     activations: Sequence[Activation], loss: Loss, X: np.ndarray, y_true: np.ndarray,
                     weight_decay: float = 0.0) -> list[Backprop]:
    """labkit's backprop with ``mistake`` planted (None: the right one), once per variant of the mistake.

    X: (N, input_size), y_true: (N, n_outputs). The forward pass is always the right one.
    """
    Zs, Ys = forward_pass(weights, biases, activations, X)
    return planted_gradients(mistake, weights, biases, activations, loss, Zs, Ys, y_true, weight_decay)


def planted_gradients(mistake: BackpropMistake | None, weights: Arrays, biases: Arrays,
                      activations: Sequence[Activation], loss: Loss, Zs: Arrays, Ys: Arrays, y_true: np.ndarray,
                      weight_decay: float = 0.0) -> list[Backprop]:
    """The backward pass and gradients from a forward pass Zs, Ys, with ``mistake`` planted, once per variant.

    A variant that cannot be computed (phi' of a softmax at its output, which has no element-wise phi')
    is left out. The biases matter only to a mistake that decays them.
    """
    mistake = mistake or NO_MISTAKE
    planted_loss = mistake.loss(loss, len(y_true))
    results = []
    for acts in mistake.activations(list(activations)):
        try:
            delta = output_delta(acts[-1], planted_loss, Zs[-1], Ys[-1], y_true)
        except TypeError:
            continue
        deltas = [mistake.sign * d for d in backward_pass(weights, acts, Zs, delta)]
        grad_W, grad_b = parameter_gradients(weights, Ys, deltas, mistake.sign * mistake.weight_decay(weight_decay))
        grad_b = [mistake.biases(g, b, weight_decay, len(y_true)) for g, b in zip(grad_b, biases)]
        results.append(Backprop(Zs, Ys, deltas, grad_W, grad_b))
    return results


def planted_backward(mistake: BackpropMistake, weights: Arrays, activations: Sequence[Activation], Zs: Arrays,
                     delta: np.ndarray) -> list[Arrays]:
    """``backward_pass`` from a given delta of the last layer, with the mistake's activations (one per variant).

    Given a slice of a network (layers l-1 and l, say) it plants the mistake in one step back.
    """
    return [[mistake.sign * d for d in backward_pass(weights, acts, Zs, delta)]
            for acts in mistake.activations(list(activations))]


def combined(*entries: BackpropMistake) -> BackpropMistake:
    """One backprop mistake that plants every one of ``entries`` at once (each in its first variant)."""
    if not entries:
        return NO_MISTAKE

    def activations(acts: list[Activation]) -> list[list[Activation]]:
        for entry in entries:
            variants = entry.activations(acts)
            if not variants:
                return []
            acts = variants[0]
        return [acts]

    def loss(planted: Loss, n: int) -> Loss:
        for entry in entries:
            planted = entry.loss(planted, n)
        return planted

    def weight_decay(lam: float) -> float:
        for entry in entries:
            lam = entry.weight_decay(lam)
        return lam

    def biases(grad: np.ndarray, b: np.ndarray, lam: float, n: int) -> np.ndarray:
        for entry in entries:
            grad = entry.biases(grad, b, lam, n)
        return grad

    return BackpropMistake(" + ".join(e.name for e in entries), " ".join(e.message for e in entries), activations,
                           loss, weight_decay, biases, float(np.prod([e.sign for e in entries])))


def _at_output_somewhere(activations: list[Activation]) -> list[list[Activation]]:
    """phi' at the output in every layer, in every hidden layer (the output delta right), or in one layer only."""
    everywhere: list[Activation] = [DerivativeAtOutput(phi) for phi in activations]
    hidden = everywhere[:-1] + activations[-1:]
    return [everywhere, hidden] + [[DerivativeAtOutput(phi) if k == j else phi for k, phi in enumerate(activations)]
                                   for j in range(len(activations))]


def _hidden_without_derivative(activations: list[Activation]) -> list[list[Activation]]:
    return [[NoDerivative(phi) for phi in activations[:-1]] + activations[-1:]] if len(activations) > 1 else []


def _output_without_derivative(activations: list[Activation]) -> list[list[Activation]]:
    return [] if isinstance(activations[-1], Softmax) else [activations[:-1] + [NoDerivative(activations[-1])]]


def _layer_above(activations: list[Activation]) -> list[list[Activation]]:
    """Layer l's delta taken with the phi' of layer l + 1 (an index off by one): [phi_2, ..., phi_L, phi_L]."""
    return [activations[1:] + activations[-1:]] if len(activations) > 1 else []


PHI_PRIME_AT_OUTPUT = BackpropMistake(
    "phi_prime_at_output", "phi' is evaluated at the layer's output phi(z) instead of at its pre-activation z "
    "(the original lab's bug): use z.", activations=_at_output_somewhere)
HIDDEN_PHI_PRIME_MISSING = BackpropMistake(
    "hidden_phi_prime_missing", "phi' of the hidden layer is missing when delta steps back a layer: "
    "delta of the layer below is (what comes back through the weights) times phi' at its own z.",
    activations=_hidden_without_derivative)
OUTPUT_PHI_PRIME_MISSING = BackpropMistake(
    "output_phi_prime_missing", "the factor phi'(z) of the output layer is missing: z reaches the error only "
    "through y = phi(z).", activations=_output_without_derivative)
PHI_PRIME_OF_LAYER_ABOVE = BackpropMistake(
    "phi_prime_of_layer_above", "each hidden layer's delta uses the phi' of the layer above it: layer l's delta "
    "takes phi_l' at z_l (an index off by one).", activations=_layer_above)
MISSING_1_OVER_N = BackpropMistake(
    "missing_1_over_n", "it is the gradient of the *sum* over the batch: the loss is the mean, so a factor 1/N "
    "(N = {N}) belongs in it, and it comes in once, with dE/dY of the output.",
    loss=lambda loss, n: ScaledGradient(loss, n))
EXTRA_1_OVER_N = BackpropMistake(
    "extra_1_over_n", "it is N = {N} times too small: the 1/N of the mean is already inside dE/dY of the output "
    "(and so inside every delta); dividing by N again takes it twice.",
    loss=lambda loss, n: ScaledGradient(loss, 1 / n))
WRONG_SIGN = BackpropMistake(
    "wrong_sign", "it has the wrong sign: the gradient points uphill (gradient descent subtracts it).",
    sign=-1.0)
HALF_LAMBDA = BackpropMistake(
    "half_lambda", "the weight-decay term is lambda/2 * W, but the derivative of (lambda/2) ||W||^2 is lambda * W.",
    weight_decay=lambda lam: lam / 2)
DECAY_MISSING = BackpropMistake(
    "decay_missing", "the weight-decay term lambda * W is missing from the weight gradients.",
    weight_decay=lambda lam: 0.0)
DECAY_ON_BIAS = BackpropMistake(
    "decay_on_bias", "the biases are decayed too: the penalty (lambda/2) ||W||^2 holds the weights only, so the "
    "bias gradients have no lambda term.",
    biases=lambda grad, b, lam, n: grad + lam * b)
BIAS_AS_MEAN = BackpropMistake(
    "bias_as_mean", "the bias gradients are the mean of delta's rows; the 1/N is already inside delta, so they "
    "are its sum over the rows.", biases=lambda grad, b, lam, n: grad / n)
BIAS_AS_ZEROS = BackpropMistake(
    "bias_as_zeros", "the bias gradients are zero: each bias gradient is delta of its layer summed over the rows.",
    biases=lambda grad, b, lam, n: np.zeros_like(grad))

NO_MISTAKE = BackpropMistake("none", "")

BACKPROP = (PHI_PRIME_AT_OUTPUT, HIDDEN_PHI_PRIME_MISSING, OUTPUT_PHI_PRIME_MISSING, PHI_PRIME_OF_LAYER_ABOVE,
            MISSING_1_OVER_N, EXTRA_1_OVER_N, WRONG_SIGN, HALF_LAMBDA, DECAY_MISSING, DECAY_ON_BIAS, BIAS_AS_MEAN,
            BIAS_AS_ZEROS)
"""Every backprop mistake: notebook 01's column and batched exercises, notebook 02's backprop, the step-through."""

DELTA_OUTPUT = (PHI_PRIME_AT_OUTPUT, OUTPUT_PHI_PRIME_MISSING, WRONG_SIGN)
"""Notebook 01, exercise 1: delta of the output layer."""


def _phi_before_weights(weights: Arrays, biases: Arrays, activations: Sequence[Activation],
                        X: np.ndarray) -> tuple[Arrays, Arrays]:
    """Z_l = phi_l(Y_(l-1)) @ W_l + b_l: each layer's activation applied to its input instead of its output."""
    Zs, Ys = [], [X]
    for W, b, phi in zip(weights, biases, activations):
        Zs.append(phi.forward(Ys[-1]) @ W + b)
        Ys.append(Zs[-1])
    return Zs, Ys


FORWARD = (
    FormulaMistake("forward_no_bias", "the bias is missing: Z = Y_prev @ W + b.",
                   value=lambda weights, biases, acts, X: forward_pass(weights, [0 * b for b in biases], acts, X)),
    FormulaMistake("forward_no_activation", "the activation is missing: Y = phi(Z).",
                   value=lambda weights, biases, acts, X: forward_pass(weights, biases, [Identity()] * len(acts), X)),
    FormulaMistake("forward_phi_before_weights", "phi was applied before the weights: Z = Y_prev @ W + b uses the "
                   "previous layer's output as it is, and Y = phi(Z) comes after.", value=_phi_before_weights))
"""Notebook 02's forward pass: ``value`` gives the (Zs, Ys) of the mistaken forward pass."""


# -- in a training loop ---------------------------------------------------------------------------


class _PlantedSteps(GradientDescent):
    """Gradient descent with a training mistake in its steps: their length, or which parameters move."""

    def __init__(self, learning_rate: float, mistake: TrainingMistake, layers: int):
        super().__init__(learning_rate)
        self.mistake, self.layers, self.batch_size = mistake, layers, 1

    def update(self, params: list[np.ndarray], grads: list[np.ndarray]) -> None:
        moving = {"all": slice(None), "weights": slice(0, self.layers), "nothing": slice(0, 0)}[self.mistake.moves]
        step = self.mistake.step_factor(self.batch_size) * (self.mistake.learning_rate or self.learning_rate)
        for p, g in list(zip(params, grads))[moving]:
            p -= step * g


@dataclass(frozen=True)
class TrainingMistake(Mistake):
    """A mistake in a gradient-descent loop, as what it changes (each field defaults to no change).

    step_factor: each step's length, given its batch size N (gradients summed over the batch: N);
    moves: which parameters take their steps, "all", "weights" (the biases stay) or "nothing";
    shuffle: whether the rows are shuffled each epoch; targets_follow: False when the inputs are
    shuffled but the targets keep their order; after_step: the loss recorded after each step rather
    than before it; learning_rate: a learning rate written into the loop instead of the optimizer's;
    stale_forward: one forward pass before the loop, its loss recorded at every step.
    How the weights then move depends on what else is computed once, so this mistake is known by
    its losses and by weights that moved (``Trained.weights`` is None).
    """

    step_factor: Callable[[int], float] = lambda n: 1.0
    moves: str = "all"
    shuffle: bool = True
    targets_follow: bool = True
    after_step: bool = False
    learning_rate: float | None = None
    stale_forward: bool = False


NO_TRAINING_MISTAKE = TrainingMistake("none", "")


class Trained(NamedTuple):
    """The loss of every step and the parameters at the end of a (planted) training (None: any that moved)."""

    losses: np.ndarray
    weights: Arrays | None
    biases: Arrays | None


def planted_training(mistake: TrainingMistake | None, net: DenseNetwork, X: np.ndarray, y_true: np.ndarray,
                     epochs: int, batch_size: int | None = None, seed: int | None = None) -> Trained:
    """``net.fit`` on a copy of ``net`` (``net`` is not changed), with ``mistake`` planted; None plants nothing.

    X: (N, input_size), y_true: (N, n_outputs); the rows are shuffled as fit shuffles them for ``seed``.
    Each step is ``train_on_batch``, the step fit takes, on the batches of ``batches``, fit's own order.
    """
    mistake = mistake or NO_TRAINING_MISTAKE
    steps = _PlantedSteps(net.optimizer.learning_rate, mistake, len(net.weights))
    copy = DenseNetwork([W.copy() for W in net.weights], [b.copy() for b in net.biases], net.activations,
                        net.loss, steps)
    rng = np.random.default_rng(seed)
    batch_size = batch_size or len(X)
    losses = []
    for _ in range(epochs):
        in_order = batches(len(X), batch_size)  # where a batch's targets come from if they are not shuffled
        for rows, unshuffled in zip(batches(len(X), batch_size, rng if mistake.shuffle else None), in_order):
            targets = y_true[rows] if mistake.targets_follow else y_true[unshuffled]
            steps.batch_size = len(rows)
            before = copy.train_on_batch(X[rows], targets)
            losses.append(copy.evaluate_loss(X[rows], targets) if mistake.after_step else before)
    if mistake.stale_forward:
        return Trained(np.full(len(losses), losses[0]), None, None)
    return Trained(np.array(losses), copy.weights, copy.biases)


SUMMED_GRADIENTS = TrainingMistake(
    "summed_gradients", "it is the curve of steps N = {N} times too long: the gradients are summed over the batch "
    "while the loss is their mean (the original lab's bug); the 1/N belongs in delta of the output.",
    step_factor=lambda n: n)
GRADIENTS_1_OVER_N_TWICE = TrainingMistake(
    "gradients_1_over_n_twice", "it is the curve of steps N = {N} times too short: the 1/N of the mean is taken "
    "twice (it is already inside the delta of the output).", step_factor=lambda n: 1 / n)
LOSS_AFTER_STEP = TrainingMistake(
    "loss_after_step", "each loss is recorded after its step; record it before the step, as fit does.",
    after_step=True)
NOTHING_MOVES = TrainingMistake(
    "nothing_moves", "the network never changes: `W = W - ...` on a loop variable makes a new array and leaves "
    "the one in the list alone; write it back (weights[l] = ...) or update in place (W -= ...).", moves="nothing")
BIASES_STAY = TrainingMistake("biases_stay", "the biases never move: step the biases too.", moves="weights")
UPHILL = TrainingMistake("uphill", "the steps go uphill: a gradient step subtracts learning_rate * gradient.",
                         step_factor=lambda n: -1.0)
STALE_FORWARD = TrainingMistake(
    "stale_forward", "the loss never changes although the weights do: the forward pass is computed once, before "
    "the loop; compute it again in every step.", stale_forward=True)
NOT_SHUFFLED = TrainingMistake(
    "not_shuffled", "it is the curve of the rows in their original order: shuffle them with the rng you are given "
    "(rng.permutation(len(X))) first.", shuffle=False)
TARGETS_NOT_SHUFFLED = TrainingMistake(
    "targets_not_shuffled", "the targets are not shuffled with the images: take the rows of X and of Y with the same "
    "shuffled indices.", targets_follow=False)

LAB_LEARNING_RATE = TrainingMistake(
    "lab_learning_rate", "it is the curve of the lab's learning rate 0.25, not of the optimizer's: take each step with "
    "the optimizer you are given, optimizer.step(...).", learning_rate=0.25)

TRAINING = (SUMMED_GRADIENTS, LOSS_AFTER_STEP, NOTHING_MOVES, BIASES_STAY, UPHILL, STALE_FORWARD, LAB_LEARNING_RATE)
"""Notebook 02's full-batch training loop."""

EPOCH = (NOT_SHUFFLED, TARGETS_NOT_SHUFFLED, SUMMED_GRADIENTS, GRADIENTS_1_OVER_N_TWICE, LOSS_AFTER_STEP,
         NOTHING_MOVES, BIASES_STAY, UPHILL)
"""Notebook 03's epoch of minibatches."""


# -- in a formula ---------------------------------------------------------------------------------


def _bce(t: np.ndarray, p: np.ndarray, eps: float = 1e-9) -> np.ndarray:
    """Binary cross entropy of every entry, -(t log p + (1 - t) log(1 - p)), eps inside the logs; (N, k)."""
    return -(t * np.log(p + eps) + (1 - t) * np.log(1 - p + eps))


def _bce_gradient(t: np.ndarray, p: np.ndarray, eps: float = 1e-9) -> np.ndarray:
    return -(t / (p + eps) - (1 - t) / (1 - p + eps))


BCE_FORWARD = (
    FormulaMistake("bce_summed_rows", "it is the sum over the rows; E is their mean (divide by N, the number of "
                   "rows).", value=lambda t, p: _bce(t, p).sum()),
    FormulaMistake("bce_mean_of_entries", "it is averaged over all N * k entries; sum over a row's k outputs and "
                   "average over the N rows only.", value=lambda t, p: _bce(t, p).mean()),
    FormulaMistake("bce_sign", "it has the wrong sign: E is minus the log-likelihood, so it is positive.",
                   value=lambda t, p: -_bce(t, p).sum() / len(t)))
BCE_BACKWARD = (
    FormulaMistake("bce_gradient_of_sum", "it is N = {N} times too large: the 1/N of the mean belongs in the "
                   "gradient too.", value=lambda t, p: _bce_gradient(t, p)),
    FormulaMistake("bce_gradient_of_mean_of_entries", "it is divided by all N * k entries; E sums a row's k outputs, "
                   "so only the 1/N of the rows stays.", value=lambda t, p: _bce_gradient(t, p) / t.size),
    FormulaMistake("bce_gradient_sign", "it has the wrong sign.", value=lambda t, p: -_bce_gradient(t, p) / len(t)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


SIGMOID_DERIVATIVE = (
    FormulaMistake("sigmoid_derivative_at_output", "it is sigma'(sigma(z)): the derivative takes the pre-activation "
                   "z, not the output.", value=lambda z: _sigmoid(_sigmoid(z)) * (1 - _sigmoid(_sigmoid(z)))),
    FormulaMistake("sigmoid_derivative_of_z", "it is z (1 - z): use sigma(z) (1 - sigma(z)), the output computed "
                   "from z.", value=lambda z: z * (1 - z)))
TANH_DERIVATIVE = (
    FormulaMistake("tanh_derivative_at_output", "it is tanh'(tanh(z)): the derivative takes the pre-activation z, "
                   "not the output.", value=lambda z: 1 - np.tanh(np.tanh(z)) ** 2),
    FormulaMistake("tanh_derivative_of_z", "it is 1 - z^2: square tanh(z), not z.", value=lambda z: 1 - z**2))
RELU_DERIVATIVE = (
    FormulaMistake("relu_derivative_at_kink", "it is 1 at z = 0; at the kink we take the slope 0, so the derivative "
                   "is 1 only where z > 0.", value=lambda z: (z >= 0).astype(float)),)

GRADIENT_DESCENT = (
    FormulaMistake("gd_uphill", "it moves up the gradient: a descent step subtracts learning_rate * gradient.",
                   value=lambda lr, x, g: x + lr * g),
    FormulaMistake("gd_no_learning_rate", "the learning rate is missing: x - learning_rate * gradient.",
                   value=lambda lr, x, g: x - g))


def _by_columns(e: np.ndarray) -> np.ndarray:
    return e / e.sum(axis=0)  # the column sums, (k,), divide every row


def _by_total(e: np.ndarray) -> np.ndarray:
    return e / e.sum()


SOFTMAX = tuple(
    FormulaMistake(f"softmax_{name}{'_shifted' * shifted}", message,
                   value=lambda z, normalize=normalize, shifted=shifted: normalize(
                       np.exp(z - z.max(axis=1, keepdims=True) if shifted else z)))
    for name, message, normalize in (
        ("by_columns", "it normalizes each column; each row (axis=1) is one sample's scores.", _by_columns),
        ("by_total", "it divides by the sum of the whole array; divide each row by its own sum.", _by_total))
    for shifted in (False, True))

CCE_FORWARD = (
    FormulaMistake("cce_summed_rows", "it is the sum over the rows; E is their mean.",
                   value=lambda t, p: -(t * np.log(p + 1e-9)).sum()),
    FormulaMistake("cce_mean_of_entries", "it is averaged over all N * k entries; sum over a row's classes, average "
                   "over the rows.", value=lambda t, p: -(t * np.log(p + 1e-9)).mean()),
    FormulaMistake("cce_sign", "it has the wrong sign: -log p is positive.",
                   value=lambda t, p: (t * np.log(p + 1e-9)).sum() / len(t)))
CCE_BACKWARD = (
    FormulaMistake("cce_gradient_of_sum", "it is N = {N} times too large: the 1/N belongs in the gradient too.",
                   value=lambda t, p: -t / (p + 1e-9)),
    FormulaMistake("cce_gradient_sign", "it has the wrong sign.", value=lambda t, p: t / (p + 1e-9) / len(t)))
FUSED_DELTA = (
    FormulaMistake("fused_missing_1_over_n", "the 1/N of the mean is missing.", value=lambda t, p: p - t),
    FormulaMistake("fused_sign", "it has the wrong sign: (T - P) / N instead of (P - T) / N.",
                   value=lambda t, p: (t - p) / len(t)),
    FormulaMistake("fused_over_classes", "it is divided by the k classes as well: E sums over a row's classes, so "
                   "only the 1/N of the rows divides.", value=lambda t, p: (p - t) / t.size),
    FormulaMistake("fused_1_over_n_twice", "it is divided by N twice: (P - T) / N has the mean's 1/N once.",
                   value=lambda t, p: (p - t) / len(t) ** 2))

MINIMIZER = (
    FormulaMistake("minimizer_sign", "it has the wrong sign: at the minimum the gradient of E' is zero; look at the "
                   "sign of b in it.", value=lambda H, b, tau: -quadratic_minimizer(H, b, tau)),
    FormulaMistake("minimizer_tau_everywhere", "tau was added to every entry of H; weight decay adds it to the "
                   "diagonal only (tau times the identity).", value=lambda H, b, tau: quadratic_minimizer(H + tau, b)),
    FormulaMistake("minimizer_half_tau", "it is the minimizer for tau / 2: the gradient of (tau/2) ||w||^2 is tau w.",
                   value=lambda H, b, tau: quadratic_minimizer(H, b, tau / 2)),
    FormulaMistake("minimizer_half_H", "the gradient of (1/2) w^T H w is H w for a symmetric H, not (1/2) H w.",
                   value=lambda H, b, tau: quadratic_minimizer(H / 2, b, tau)),
    FormulaMistake("minimizer_no_tau", "tau is ignored: this is w*, the minimizer of E without the penalty.",
                   value=lambda H, b, tau: quadratic_minimizer(H, b)))


def _through_eigenbasis(H: np.ndarray, w: np.ndarray, factors: Callable[[np.ndarray], np.ndarray],
                        into: str = "U.T", back: str = "U") -> np.ndarray:
    """sum_i d_i (u_i . w) u_i, with the factors d_i = factors(lambda) and, for the usual mix-ups, the
    coordinates taken with ``into`` and mapped back with ``back`` ("U" or "U.T"; "" leaves them as they are)."""
    lam, U = np.linalg.eigh(H)
    matrices = {"U": U, "U.T": U.T}
    coordinates = matrices[into] @ w
    return matrices[back] @ (factors(lam) * coordinates) if back else factors(lam) * coordinates


SHRINK = (
    FormulaMistake("shrink_coordinatewise", "it is d * w* element by element in the original coordinates, the "
                   "original lab's shortcut. The factors d_i belong to the coordinates alpha_i = u_i . w* along the "
                   "eigenvectors (Question 2).",
                   value=lambda H, w, tau: shrinkage_factors(np.linalg.eigvalsh(H), tau) * w),
    FormulaMistake("shrink_rows_as_eigenvectors", "U and U.T are swapped, or the rows of U were used as the "
                   "eigenvectors: eigh returns them as the columns.",
                   value=lambda H, w, tau: _through_eigenbasis(H, w, lambda lam: shrinkage_factors(lam, tau),
                                                               into="U", back="U.T")),
    FormulaMistake("shrink_coordinates_with_U", "the coordinates alpha_i = u_i . w* were taken with U instead of its "
                   "transpose.", value=lambda H, w, tau: _through_eigenbasis(
                       H, w, lambda lam: shrinkage_factors(lam, tau), into="U", back="U")),
    FormulaMistake("shrink_back_with_U_T", "the way back to the original axes, w~ = sum_i beta_i u_i, uses U itself, "
                   "not its transpose.", value=lambda H, w, tau: _through_eigenbasis(
                       H, w, lambda lam: shrinkage_factors(lam, tau), into="U.T", back="U.T")),
    FormulaMistake("shrink_removed_part", "the factor is tau / (lambda + tau), the part that weight decay removes; "
                   "the part kept is lambda / (lambda + tau).",
                   value=lambda H, w, tau: _through_eigenbasis(H, w, lambda lam: 1 - shrinkage_factors(lam, tau))),
    FormulaMistake("shrink_not_mapped_back", "it is beta, the coordinates of w~ along the eigenvectors: map them back "
                   "to the original axes.", value=lambda H, w, tau: _through_eigenbasis(
                       H, w, lambda lam: shrinkage_factors(lam, tau), back="")),
    FormulaMistake("shrink_twice_tau", "it is the shrinkage for 2 tau: each factor is lambda / (lambda + tau), with "
                   "tau once.", value=lambda H, w, tau: _through_eigenbasis(
                       H, w, lambda lam: shrinkage_factors(lam, 2 * tau))),
    FormulaMistake("shrink_half_tau", "it is the shrinkage for tau / 2: the penalty (tau/2) ||w||^2 adds tau, not "
                   "tau / 2, to each eigenvalue.", value=lambda H, w, tau: _through_eigenbasis(
                       H, w, lambda lam: shrinkage_factors(lam, tau / 2))),
    FormulaMistake("shrink_inverse_only", "each factor is 1 / (lambda + tau): the lambda on top, which H w* brings, "
                   "is missing; d = lambda / (lambda + tau).",
                   value=lambda H, w, tau: _through_eigenbasis(H, w, lambda lam: 1 / (lam + tau))))

RIDGE = (
    FormulaMistake("ridge_tau_over_n", "it is the fit for tau / N: the error is a mean over the N samples, and both "
                   "H and b carry its 1/N.", value=lambda Phi, t, tau: ridge_regression(Phi, t, tau / len(t))),
    FormulaMistake("ridge_b_summed", "it is N = {N} times too large: b carries the 1/N of the mean as well as H.",
                   value=lambda Phi, t, tau: len(t) * ridge_regression(Phi, t, tau)),
    FormulaMistake("ridge_half_tau", "it is the fit for tau / 2: the 2 from differentiating the square cancels the "
                   "error's 1/2.", value=lambda Phi, t, tau: ridge_regression(Phi, t, tau / 2)),
    FormulaMistake("ridge_sign", "it has the wrong sign: look at the sign of b, the linear term of the error.",
                   value=lambda Phi, t, tau: -ridge_regression(Phi, t, tau)))


def _clean_gradient(X: np.ndarray, t: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The gradient of E = (1/2N) sum (t_n - w.x_n)^2 without noise, (D,)."""
    return -X.T @ (t - X @ w) / len(X)


MONTE_CARLO_CLEAN = (
    FormulaMistake("mc_summed", "it is N = {N} times too large: E is a mean over the N samples, so its gradient "
                   "carries a 1/N.", value=lambda X, t, w: len(X) * _clean_gradient(X, t, w)),
    FormulaMistake("mc_sign", "it has the wrong sign: the gradient of (1/2)(t - w.x)^2 with respect to w is "
                   "-(t - w.x) x.", value=lambda X, t, w: -_clean_gradient(X, t, w)))
"""Notebook 05, exercise 1, without noise (sigma = 0): the expected mean of the estimator."""

MONTE_CARLO_NOISY = (
    FormulaMistake("mc_noise_in_residual_only", "it is the gradient without noise: the noisy gradient has x~ = x + "
                   "noise both in the residual and in the factor that multiplies it.",
                   value=lambda X, t, w, sigma: _clean_gradient(X, t, w)),
    FormulaMistake("mc_variance_as_sd", "it is the expectation for noise of standard deviation sigma^2: scale the "
                   "standard normal draws by sigma, the standard deviation (sigma^2 is the variance).",
                   value=lambda X, t, w, sigma: _clean_gradient(X, t, w) + sigma**4 * w))
"""Notebook 05, exercise 1, with noise of standard deviation sigma: the expected mean of the estimator."""


def _second_differences(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: float,
                        steps: Callable[[np.ndarray], list[np.ndarray]], centre: float = -2.0,
                        divide: float = 1.0) -> np.ndarray:
    """sum over steps e of (f(x + e) + centre f(x) + f(x - e)) / divide, with x changed in place and put back."""
    total = 0.0
    fx = f(x)
    for step in steps(x):
        x += step
        up = f(x)
        x -= 2 * step
        down = f(x)
        x += step
        total = total + (up + centre * fx + down) / divide
    return np.asarray(total)


def _one_entry_at_a_time(h: float) -> Callable[[np.ndarray], list[np.ndarray]]:
    """The steps of the right second differences: h on one entry of x at a time."""
    def steps(x: np.ndarray) -> list[np.ndarray]:
        return [np.where(np.arange(x.size).reshape(x.shape) == k, h, 0.0) for k in range(x.size)]
    return steps


def _whole_rows(h: float) -> Callable[[np.ndarray], list[np.ndarray]]:
    """h on a whole row of a 2-D x at a time: what x[k] += h does with a single index."""
    def steps(x: np.ndarray) -> list[np.ndarray]:
        return [np.where(np.arange(len(x))[:, None] == k, h, 0.0) * np.ones_like(x) for k in range(len(x))]
    return steps


HESSIAN_TRACE = (
    FormulaMistake("trace_no_division", "the division by h^2 is missing.",
                   value=lambda f, x, h: _second_differences(f, x, h, _one_entry_at_a_time(h))),
    FormulaMistake("trace_over_2h_squared", "it is divided by (2h)^2: the second difference spans 2h but divides by "
                   "h^2.", value=lambda f, x, h: _second_differences(f, x, h, _one_entry_at_a_time(h),
                                                                       divide=(2 * h) ** 2)),
    FormulaMistake("trace_over_h", "it is divided by h instead of h^2.",
                   value=lambda f, x, h: _second_differences(f, x, h, _one_entry_at_a_time(h), divide=h)),
    FormulaMistake("trace_over_2_h_squared", "it is half the trace: the second difference (f(x+h) - 2 f(x) + "
                   "f(x-h)) / h^2 has no factor 1/2 (that belongs to the first difference's 2h).",
                   value=lambda f, x, h: _second_differences(f, x, h, _one_entry_at_a_time(h), divide=2 * h**2)),
    FormulaMistake("trace_no_centre", "the -2 f(x) of the second difference is missing: (f(x+h) - 2 f(x) + f(x-h)) "
                   "/ h^2.", value=lambda f, x, h: _second_differences(f, x, h, _one_entry_at_a_time(h), centre=0.0,
                                                                        divide=h**2)),
    FormulaMistake("trace_all_at_once", "all entries were moved at once: perturb one entry at a time and add up the "
                   "second differences.", value=lambda f, x, h: _second_differences(
                       f, x, h, lambda x: [np.full(x.shape, h)], divide=h**2)),
    FormulaMistake("trace_rows_at_once", "x[k] with a single index moves a whole row of a 2-D array: perturb one "
                   "entry at a time (np.ndindex(x.shape) gives every index).", value=lambda f, x, h: (
                       _second_differences(f, x, h, _whole_rows(h) if x.ndim == 2 else _one_entry_at_a_time(h),
                                           divide=h**2))),
    FormulaMistake("trace_on_a_copy", "it is 0: f never saw the perturbation. f reads the array from outside, so "
                   "change the entries of x itself, not of a copy.", value=lambda f, x, h: np.zeros_like(f(x))))
"""Notebook 05, exercise 2: the trace of the Hessian of f at x by second differences, step h."""


def _descent(H: np.ndarray, b: np.ndarray, tau: float, steps: int, gradient: Callable[..., np.ndarray],
             step: Callable[[np.ndarray, float], float]) -> np.ndarray:
    """Gradient descent from 0 with a gradient(H, b, tau, w) and a step(eigenvalues, tau) of a mistake's choosing."""
    w, size = np.zeros(len(b)), step(np.linalg.eigvalsh(H), tau)
    for _ in range(steps):
        w = w - size * gradient(H, b, tau, w)
    return w


def _right_step(lam: np.ndarray, tau: float) -> float:
    return 1 / (lam[-1] + tau)


DESCEND = (
    FormulaMistake("descend_without_tau", "the gradient has no tau w: it descends on E, towards w*, not on E'.",
                   value=lambda H, b, tau, steps: _descent(H, b, tau, steps, lambda H, b, tau, w: b + H @ w,
                                                           _right_step)),
    FormulaMistake("descend_half_tau", "the gradient of (tau/2) ||w||^2 is tau w, not (tau/2) w.",
                   value=lambda H, b, tau, steps: _descent(H, b, tau, steps,
                                                           lambda H, b, tau, w: b + H @ w + tau / 2 * w, _right_step)),
    FormulaMistake("descend_half_H", "the gradient of (1/2) w^T H w is H w for a symmetric H, not (1/2) H w.",
                   value=lambda H, b, tau, steps: _descent(H, b, tau, steps,
                                                           lambda H, b, tau, w: b + H @ w / 2 + tau * w, _right_step)),
    FormulaMistake("descend_without_b", "the gradient has no b: it is that of (1/2) w^T H w + (tau/2) ||w||^2 alone, "
                   "and descends towards 0.", value=lambda H, b, tau, steps: _descent(
                       H, b, tau, steps, lambda H, b, tau, w: H @ w + tau * w, _right_step)),
    FormulaMistake("descend_step_without_tau", "the step is 1 / (largest eigenvalue of H); the exercise takes "
                   "1 / (largest eigenvalue of H + tau), the curvature of E' along its steepest direction.",
                   value=lambda H, b, tau, steps: _descent(H, b, tau, steps,
                                                           lambda H, b, tau, w: b + H @ w + tau * w,
                                                           lambda lam, tau: 1 / lam[-1])),
    FormulaMistake("descend_uphill", "w moves up the gradient: a descent step subtracts step * gradient.",
                   value=lambda H, b, tau, steps: _descent(H, b, tau, steps,
                                                           lambda H, b, tau, w: -(b + H @ w + tau * w), _right_step)))
"""Notebook 04, gradient descent on E' from 0: ``value(H, b, tau, steps)``."""


def _half_mse(w: np.ndarray, Phi: np.ndarray, t: np.ndarray) -> float:
    return float(np.mean((Phi @ w - t) ** 2) / 2)


def _validation(Phi: np.ndarray, t: np.ndarray, Phi_val: np.ndarray, t_val: np.ndarray, taus: np.ndarray,
                error: Callable[[np.ndarray, np.ndarray, np.ndarray], float] = _half_mse,
                pick: Callable[[np.ndarray, np.ndarray], int] = lambda train, val: int(np.argmin(val))) -> tuple:
    """(training errors, validation errors, the tau picked) of ridge fits at each tau, with a mistake in them."""
    fits = [ridge_regression(Phi, t, tau) for tau in taus]
    train = np.array([error(w, Phi, t) for w in fits])
    val = np.array([error(w, Phi_val, t_val) for w in fits])
    return train, val, float(taus[pick(train, val)])


VALIDATION = (
    FormulaMistake("validation_picks_by_training", "the tau is picked by the training error, which always prefers "
                   "the smallest tau (the fit that overfits most): pick by the validation error.",
                   value=lambda Phi, t, Phi_val, t_val, taus: _validation(
                       Phi, t, Phi_val, t_val, taus, pick=lambda train, val: int(np.argmin(train)))),
    FormulaMistake("validation_without_half", "the errors are mean squared residuals; the exercise's are the mean of "
                   "half of them (the error the fit minimizes).",
                   value=lambda Phi, t, Phi_val, t_val, taus: _validation(
                       Phi, t, Phi_val, t_val, taus, error=lambda w, Phi, t: 2 * _half_mse(w, Phi, t))),
    FormulaMistake("validation_summed", "the errors are summed over the samples; take their mean, so that the "
                   "training and validation errors compare.",
                   value=lambda Phi, t, Phi_val, t_val, taus: _validation(
                       Phi, t, Phi_val, t_val, taus, error=lambda w, Phi, t: len(t) * _half_mse(w, Phi, t))))
"""Notebook 04, choosing tau on a validation set: ``value(Phi, t, Phi_val, t_val, taus)``."""


def _noise_tau(sigma: float, half: bool, mean: bool, n: int, variance: Callable[[float], float] = lambda s: s**2,
               factor: float = 1.0) -> float:
    """The weight decay of input noise for an error (1/N or 1) * sum of (1/2 or 1) (t - w.x)^2, with a mistake."""
    return factor * variance(sigma) * (1 if half else 2) * (1 if mean else n)


NOISE_TAU = (
    FormulaMistake("noise_tau_sd", "it is sigma, the standard deviation; the noise adds its variance, sigma^2.",
                   value=lambda sigma, half=True, mean=True, n_samples=1: _noise_tau(sigma, half, mean, n_samples,
                                                                                    variance=lambda s: s)),
    FormulaMistake("noise_tau_half", "it is half of it: the expected error gains (sigma^2 / 2) ||w||^2 for the error "
                   "with the 1/2, which is (tau/2) ||w||^2 with tau = sigma^2, not tau/2 = sigma^2 / 2.",
                   value=lambda sigma, half=True, mean=True, n_samples=1: _noise_tau(sigma, half, mean, n_samples,
                                                                                    factor=0.5)),
    FormulaMistake("noise_tau_ignores_half", "the 1/2 of the error matters: without it every term of the error, and "
                   "so the penalty, doubles.",
                   value=lambda sigma, half=True, mean=True, n_samples=1: _noise_tau(sigma, True, mean, n_samples)),
    FormulaMistake("noise_tau_ignores_mean", "a sum over the N samples instead of their mean multiplies the error, "
                   "and so the penalty, by N.",
                   value=lambda sigma, half=True, mean=True, n_samples=1: _noise_tau(sigma, half, True, n_samples)),
    FormulaMistake("noise_tau_divides_by_n", "it divides by N for the sum; the sum is N times the mean, so the penalty "
                   "is N times larger.", value=lambda sigma, half=True, mean=True, n_samples=1: (
                       _noise_tau(sigma, half, True, n_samples) / (1 if mean else n_samples))))
"""Notebook 05, the weight decay that input noise amounts to: ``value(sigma, half, mean, n_samples)``."""


def _ridge_quadratic(Phi: np.ndarray, t: np.ndarray, scale_H: float = 1.0, scale_b: float = 1.0) -> tuple:
    """H and b of (1/2N) ||t - Phi w||^2 as E0 + b.w + (1/2) w^T H w, each with a mistake's factor."""
    n = len(t)
    return scale_H * Phi.T @ Phi / n, -scale_b * Phi.T @ t / n


RIDGE_QUADRATIC = (
    FormulaMistake("ridge_quadratic_summed", "H and b are those of the sum over the samples: the error is their mean, "
                   "so both carry a 1/N.", value=lambda Phi, t: _ridge_quadratic(Phi, t, len(t), len(t))),
    FormulaMistake("ridge_quadratic_b_sign", "b has the wrong sign: expanding (t - Phi w)^2 gives -2 t^T Phi w.",
                   value=lambda Phi, t: _ridge_quadratic(Phi, t, scale_b=-1.0)),
    FormulaMistake("ridge_quadratic_doubled", "H and b are twice too large: the 2 from expanding the square cancels "
                   "the error's 1/2.", value=lambda Phi, t: _ridge_quadratic(Phi, t, 2.0, 2.0)),
    FormulaMistake("ridge_quadratic_b_summed", "b carries no 1/N: the error is a mean, so b has it as well as H.",
                   value=lambda Phi, t: _ridge_quadratic(Phi, t, scale_b=len(t))))
"""Notebook 04, Question 5 in code: ``value(Phi, t)`` gives (H, b)."""

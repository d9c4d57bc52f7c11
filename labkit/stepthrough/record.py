"""One training step of a small network, recorded one equation at a time (plain numpy).

A training step is a short list of equations (notebook 01's, in the code convention: rows are
samples, W_l is (fan_in, fan_out), E is the mean over the N rows of the batch):

    forward    Z_l = Y_{l-1} W_l + b_l,  Y_l = phi_l(Z_l)               l = 1 .. L, Y_0 = X
    loss       E = loss(Y_L, T)  (+ lambda/2 sum_l ||W_l||^2)
    backward   dE/dY_L = loss'(Y_L, T)                                   the 1/N of the mean sits here
               Delta_L = dE/dY_L ⊙ phi_L'(Z_L)                            Delta_l = dE/dZ_l
               dE/dW_l = Y_{l-1}^T Delta_l (+ lambda W_l),  dE/db_l = Delta_l summed over the rows
               Delta_{l-1} = (Delta_l W_l^T) ⊙ phi_{l-1}'(Z_{l-1})        l = L .. 1
    update     W_l <- W_l - eta dE/dW_l,  b_l <- b_l - eta dE/db_l

``trace`` records them in order. Every value is what labkit's one backprop computes (through
``labkit.mistakes.planted_gradients``, with any mistake from ``MISTAKES`` planted in it), and
every result stands beside an independent counterpart: central finite differences for dE/dY_L,
each Delta_l and each gradient; labkit's forward pass for a student's Z_l, Y_l and E. The first
step that parts from its counterpart is where the bug is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import mistakes as catalogue
from ..activations import Identity, ReLU, Sigmoid, Softmax, Tanh
from ..gradcheck import numerical_gradient, rel_error
from ..losses import BinaryCrossEntropy, CategoricalCrossEntropy, MeanSquaredError
from ..network import Arrays, DenseNetwork, decay_penalty, forward_pass
from ..validate import non_negative_number

ForwardFn = Callable[[Arrays, Arrays, Sequence[Any], np.ndarray], tuple[Sequence[Any], Sequence[Any]]]
BackpropFn = Callable[[Arrays, Sequence[Any], Any, Arrays, Arrays, np.ndarray], tuple[Sequence[Any], Sequence[Any]]]

TOLERANCE = 1e-6  # a relative error above this parts from the counterpart (a right float64 gradient is near 1e-9)
# Norms below this count as this much in the relative error: finite differences carry noise near 1e-11, which would
# make a gradient that is exactly zero (as dE/db_L on XOR's symmetric batch) look wrong.
NOISE_FLOOR = 1e-3

# The backprop mistakes of the catalogue that ``trace`` can plant, by name, and their labels for switches and verdicts
MISTAKES = {"phi_prime_at_output": catalogue.PHI_PRIME_AT_OUTPUT, "missing_1_over_n": catalogue.MISSING_1_OVER_N,
            "half_lambda": catalogue.HALF_LAMBDA}
SWITCHES = {"phi_prime_at_output": "φ′ at the output", "missing_1_over_n": "missing 1/N", "half_lambda": "λ/2 · W"}

FINITE_DIFFERENCES, LABKIT_FORWARD = "finite differences", "labkit's forward pass"

_KINDS = {  # kind of step: its phase, its name (l: the layer), what it is checked against, that panel's label
    "Z": ("forward", "Z_{l}", LABKIT_FORWARD, "labkit's"),
    "Y": ("forward", "Y_{l}", LABKIT_FORWARD, "labkit's"),
    "E": ("loss", "E", LABKIT_FORWARD, "labkit's"),
    "dE/dY": ("backward", "dE/dY_{l}", FINITE_DIFFERENCES, "finite diff."),
    "Delta": ("backward", "Delta_{l}", FINITE_DIFFERENCES, "finite diff."),
    "dW": ("backward", "dE/dW_{l}", FINITE_DIFFERENCES, "finite diff."),
    "db": ("backward", "dE/db_{l}", FINITE_DIFFERENCES, "finite diff."),
    "update": ("update", "update W_{l}, b_{l}", FINITE_DIFFERENCES, "finite-diff. step"),
}


@dataclass(frozen=True, eq=False)
class Term:
    """One array in a step's picture: a label (text), the value, the operator before it, and its role:
    "factor" (goes into the step), "result" (what the step computes) or "check" (its counterpart)."""

    label: str
    value: np.ndarray
    op: str = ""
    role: str = "factor"


@dataclass(frozen=True, eq=False)
class Step:
    """One equation of the training step, with what it shows and how it is checked.

    kind: a key of the table above; name: plain text ("dE/dW_2"); equation: LaTeX that MathJax and
    matplotlib's mathtext both read; value: what the step computes (for "update", the new W_l);
    columns: the first and last column of the network diagram it involves (0 = inputs, L + 1 = the
    loss); reference: the counterpart of value, from ``against``; error: their relative error (inf if
    the shapes differ). reference and error are None if the step is not checked.
    """

    phase: str
    kind: str
    layer: int
    name: str
    title: str
    equation: str
    value: np.ndarray
    terms: tuple[Term, ...]
    columns: tuple[int, int]
    reference: np.ndarray | None = None
    against: str = ""
    error: float | None = None
    note: str = ""

    @property
    def checked(self) -> bool:
        return self.error is not None

    @property
    def wrong(self) -> bool:
        """The value parts from its counterpart (a nan error counts as wrong)."""
        return self.error is not None and not self.error <= TOLERANCE

    @property
    def where(self) -> str:
        return "the loss" if self.kind == "E" else f"layer {self.layer}"

    def __repr__(self) -> str:
        check = "" if self.error is None else f", error {self.error:.1e}" + (" WRONG" if self.wrong else "")
        return f"Step({self.phase} {self.name}, shape {self.value.shape}{check})"


@dataclass(eq=False)
class Trace:
    """The steps of one training step, in order, and the network state they start from and end in.

    weights, biases: before the step; grad_W, grad_b: the gradients the backward pass computed
    (labkit's, with any planted mistake, or the student's); new_weights, new_biases: after the update.
    """

    steps: list[Step]
    layer_sizes: list[int]
    activation_names: list[str]
    weights: Arrays
    biases: Arrays
    grad_W: Arrays
    grad_b: Arrays
    new_weights: Arrays
    new_biases: Arrays
    weight_decay: float
    mistakes: tuple[str, ...]
    student: bool

    def __len__(self) -> int:
        return len(self.steps)

    def __getitem__(self, index: int) -> Step:
        return self.steps[index]

    def __iter__(self) -> Iterator[Step]:
        return iter(self.steps)

    def __repr__(self) -> str:
        mode = "your code" if self.student else "labkit" + (f" with {', '.join(self.mistakes)}" * bool(self.mistakes))
        return f"Trace({len(self)} steps of {'-'.join(map(str, self.layer_sizes))}, {mode}: {self.verdict()})"

    @property
    def first_wrong(self) -> int | None:
        """Index of the first step whose value parts from its counterpart, or None."""
        return next((i for i, step in enumerate(self.steps) if step.wrong), None)

    def verdict(self) -> str:
        """One sentence on where, if anywhere, the numbers first part from their counterparts."""
        first = self.first_wrong
        if first is not None:
            step = self.steps[first]
            who = ("In your code" if self.student else
                   "With " + " and ".join(SWITCHES[m] for m in self.mistakes) if self.mistakes else "In labkit")
            error = "its shape is wrong" if step.error == np.inf else f"relative error {step.error:.1e}"
            return (f"{who}, step {first + 1} ({step.name}) is the first to part from {step.against} ({error})."
                    + (f" {step.note}" if step.note and self.student else ""))
        largest = max((s.error for s in self.steps if s.error is not None), default=0.0)
        if self.student:
            return (f"Your forward pass and backprop agree with labkit and with finite differences at every step "
                    f"that can be compared (largest relative error {largest:.0e}).")
        if "half_lambda" in self.mistakes and not self.weight_decay:
            return "λ = 0, so there is no decay term for λ/2·W to get wrong: choose λ > 0 to see that mistake."
        return f"Every checked step agrees with finite differences (largest relative error {largest:.0e})."

    def diagram_values(self, index: int, gradients: bool = False) -> tuple[list[np.ndarray | None],
                                                                         list[np.ndarray | None]]:
        """What the diagram shows after step ``index``, per layer: (weights, biases) as they stand then,
        or with ``gradients`` dE/dW_l and dE/db_l once computed (None before)."""
        W: list[np.ndarray | None] = [None] * len(self.weights) if gradients else list(self.weights)
        b: list[np.ndarray | None] = [None] * len(self.biases) if gradients else list(self.biases)
        for step in self.steps[:index + 1]:
            l = step.layer - 1
            if gradients and step.kind == "dW":
                W[l] = self.grad_W[l]
            elif gradients and step.kind == "db":
                b[l] = self.grad_b[l]
            elif not gradients and step.kind == "update":
                W[l], b[l] = self.new_weights[l], self.new_biases[l]
        return W, b


def trace(net: DenseNetwork, X: ArrayLike, y_true: ArrayLike, weight_decay: float = 0.0,
          mistakes: Sequence[str] = (), forward: ForwardFn | None = None, backprop: BackpropFn | None = None,
          student_activations: Sequence[Any] | None = None, student_loss: Any = None, h: float = 1e-5) -> Trace:
    """Every step of one gradient-descent step of ``net`` on the batch X (N, input_size), y_true (N, n_outputs).

    The network is not changed. weight_decay: lambda of the penalty (lambda/2) sum ||W_l||^2. mistakes:
    names from ``MISTAKES`` to plant in labkit's backprop. forward, backprop: a student's functions with
    notebook 02's signatures, ``forward(weights, biases, activations, X) -> (Zs, Ys)`` (Ys[0] = X) and
    ``backprop(weights, activations, loss, Zs, Ys, y_true) -> (grad_W, grad_b)``, either alone or both, run
    on copies of the network's arrays with its activations and loss (or ``student_activations`` and
    ``student_loss``); a student's backprop returns no deltas, so those steps show labkit's, unchecked.
    Finite differences (step h) make this a tool for small networks: a few hundred parameters.
    """
    if net.dtype != np.float64:
        raise TypeError(f"the step-through checks against finite differences, which need float64; the network "
                        f"is {net.dtype}.")
    X, y_true = net._inputs(X), net._targets(y_true, len(X))  # the network's own checks of its data
    weight_decay = non_negative_number(weight_decay, "weight_decay")
    mistakes, student = known_mistakes(mistakes), forward is not None or backprop is not None
    if student and mistakes:
        raise ValueError("mistakes are planted in labkit's own backprop; with your forward or backprop the "
                         "mistakes to find are yours, so leave mistakes out.")
    if student and weight_decay:
        raise ValueError("notebook 02's backprop has no weight-decay term: trace your functions with "
                         "weight_decay=0.")
    recorder = _Recorder(net, X, y_true, weight_decay, mistakes, h)
    recorder.run_student_code(forward, backprop, student_activations, student_loss)
    return recorder.run()


def known_mistakes(mistakes: Iterable[str]) -> tuple[str, ...]:
    """The names of planted mistakes as a tuple, or a ValueError naming those not in ``MISTAKES``."""
    mistakes = tuple(mistakes)
    unknown = [m for m in mistakes if m not in MISTAKES]
    if unknown:
        raise ValueError(f"unknown mistakes {unknown}; valid names are {sorted(MISTAKES)}.")
    return mistakes


class _Recorder:
    """Records a Trace: the values first (labkit's backprop, then the student's code where it is given),
    then one method per phase appends its steps in order."""

    def __init__(self, net: DenseNetwork, X: np.ndarray, y_true: np.ndarray, weight_decay: float,
                 mistakes: tuple[str, ...], h: float):
        self.net, self.X, self.T, self.weight_decay, self.mistakes, self.h = net, X, y_true, weight_decay, mistakes, h
        self.weights, self.biases = _copies(net.weights), _copies(net.biases)
        self.L, self.N = len(self.weights), len(X)
        self.planted = catalogue.combined(*(MISTAKES[m] for m in mistakes))
        Zs, Ys = forward_pass(self.weights, self.biases, net.activations, X)
        planted = catalogue.planted_gradients(self.planted, self.weights, self.biases, net.activations, net.loss, Zs,
                                              Ys, y_true, weight_decay)
        if not planted:
            raise ValueError("phi' at the output cannot be planted in a softmax layer, which has no element-wise "
                             "phi'; untick it, or use a network with another output activation.")
        self.labkit = planted[0]
        self.backward_activations = self.planted.activations(list(net.activations))[0]
        self.numerical_W = [numerical_gradient(lambda _: self.loss_of_parameters(), W, h) for W in self.weights]
        self.numerical_b = [numerical_gradient(lambda _: self.loss_of_parameters(), b, h) for b in self.biases]
        self.steps: list[Step] = []

    def run_student_code(self, forward: ForwardFn | None, backprop: BackpropFn | None,
                         activations: Sequence[Any] | None, loss: Any) -> None:
        """What the steps show: labkit's values, or the student's where their forward or backprop computes them,
        with a note on each of the student's arrays that has the wrong type or shape."""
        self.forward_is_yours, self.backprop_is_yours = forward is not None, backprop is not None
        self.Zs, self.Ys = self.labkit.Zs, self.labkit.Ys
        self.grad_W, self.grad_b = self.labkit.grad_W, self.labkit.grad_b
        self.loss = loss if loss is not None and forward is not None else self.net.loss
        self.labkits = " (labkit's)" if backprop is not None else ""  # on the deltas: a student's backprop has none
        self.notes: dict[str, str] = {}
        acts = list(activations if activations is not None else self.net.activations)
        if forward is not None:
            result = forward(_copies(self.weights), _copies(self.biases), list(acts), self.X.copy())
            (Zs, Ys), self.notes = _student_lists(result, "forward", ("Zs", "Ys"), (self.labkit.Zs, self.labkit.Ys),
                                                  " (Ys[0] = X)")
            self.Zs, self.Ys = Zs, [self.X] + Ys[1:]
        if backprop is not None:
            result = backprop(_copies(self.weights), list(acts), loss if loss is not None else self.net.loss,
                              _copies(self.labkit.Zs), _copies(self.labkit.Ys), self.T.copy())
            (self.grad_W, self.grad_b), notes = _student_lists(result, "backprop", ("grad_W", "grad_b"),
                                                               (self.weights, self.biases))
            self.notes.update(notes)

    def run(self) -> Trace:
        for l in range(1, self.L + 1):
            self.forward_steps(l)
        self.loss_step()
        self.output_delta_steps()
        for l in range(self.L, 0, -1):
            self.gradient_steps(l)
            if l > 1:
                self.delta_step(l - 1, [("Δ{l+1}", self.labkit.deltas[l - 1], ""),
                                        ("W{l+1}ᵀ", self.weights[l - 1].T, "·")], r"(\Delta_{l+1} W_{l+1}^\top)",
                                (l - 1, l), f"layer {l - 1}'s delta, sent back through W_{l}")
        new = [self.update_step(l) for l in range(1, self.L + 1)]
        return Trace(self.steps, self.net.layer_sizes, [phi.name for phi in self.net.activations], self.weights,
                     self.biases, self.grad_W, self.grad_b, [W for W, _ in new], [b for _, b in new],
                     self.weight_decay, self.mistakes, self.forward_is_yours or self.backprop_is_yours)

    def add(self, kind: str, l: int, title: str, equation: str, columns: tuple[int, int],
            terms: list[tuple[str, np.ndarray, str]], reference: np.ndarray, note: str = "") -> None:
        """Append a step of layer l, checked against ``reference`` where it can be. terms: (label, value, operator),
        the last one what the step computes; in labels and equation, {l-1}, {l} and {l+1} stand for layer numbers."""
        phase, name, against, label = _KINDS[kind]
        value = terms[-1][1]
        shown = tuple(Term(_layers(text, l), array, op) for text, array, op in terms[:-1])
        shown += (Term(_layers(terms[-1][0], l), value, terms[-1][2], "result"),)
        step = Step(phase, kind, l, name.format(l=l), title, _layers(equation, l, latex=True), value, shown, columns,
                    note=note)
        if kind in ("dE/dY", "Delta") and self.backprop_is_yours:  # a student's backprop returns no deltas
            step = replace(step, note="labkit's value: your backprop does not return it, so it cannot be checked.")
        elif kind not in ("Z", "Y", "E") or self.forward_is_yours:  # labkit's own forward is its own reference
            error = np.inf if value.shape != reference.shape else relative_error(value, reference)
            step = replace(step, terms=shown + (Term(label, reference, "≈", "check"),), reference=reference,
                           against=against, error=error)
        self.steps.append(step)

    def loss_of_parameters(self) -> float:
        """E as labkit computes it from the weights and biases, which finite differences perturb in place."""
        Ys = forward_pass(self.weights, self.biases, self.net.activations, self.X)[1]
        return self.net.loss.forward(self.T, Ys[-1]) + decay_penalty(self.weights, self.weight_decay)

    def numerical_delta(self, l: int) -> np.ndarray:
        """dE/dZ_l: run the layers from Z_l on (the decay term does not depend on Z)."""
        acts = self.net.activations

        def loss_from(Z: np.ndarray) -> float:
            Ys = forward_pass(self.weights[l:], self.biases[l:], acts[l:], acts[l - 1].forward(Z))[1]
            return self.net.loss.forward(self.T, Ys[-1])
        return numerical_gradient(loss_from, self.labkit.Zs[l - 1].copy(), self.h)

    def forward_steps(self, l: int) -> None:
        """Z_l and Y_l: the student's (checked against labkit's forward pass) if their forward runs."""
        yours, phi = " (yours)" if self.forward_is_yours else "", self.net.activations[l - 1]
        self.add("Z", l, f"layer {l}: the pre-activation", "Z_{l} = Y_{l-1} W_{l} + b_{l}", (l - 1, l),
                 [("Y{l-1}" + (" = X" if l == 1 else ""), self.Ys[l - 1], ""), ("W{l}", self.weights[l - 1], "·"),
                  ("b{l}", self.biases[l - 1], "+"), ("Z{l}" + yours, self.Zs[l - 1], "=")],
                 self.labkit.Zs[l - 1], self.notes.get(f"Zs[{l - 1}]", ""))
        text, tex = _PHI.get(type(phi), ("φ", r"\phi_{l}(Z_{l})"))
        self.add("Y", l, f"layer {l}: the activation, {phi.name}", r"Y_{l} = \phi_{l}(Z_{l}) = " + tex, (l, l),
                 [("Z{l}", self.Zs[l - 1], ""), ("Y{l}" + yours, self.Ys[l], text + " →")], self.labkit.Ys[l],
                 self.notes.get(f"Ys[{l}]", ""))

    def loss_step(self) -> None:
        """E of the output the forward steps show (NaN if the student's has the wrong shape or is not finite)."""
        L, Y = self.L, self.Ys[-1]
        fits = Y.shape == self.T.shape and bool(np.all(np.isfinite(Y)))
        E = np.array(float(self.loss.forward(self.T, Y)) + decay_penalty(self.weights, self.weight_decay)
                     if fits else np.nan)
        loss = next((tex for cls, tex in _LOSS.items() if isinstance(self.net.loss, cls)), r"\mathrm{loss}(Y_{l}, T)")
        decay = r" + \frac{\lambda}{2}\sum_l \|W_l\|^2" if self.weight_decay else ""
        self.add("E", L, f"the loss, {self.net.loss.name}, a mean over the {self.N} rows", "E = " + loss + decay,
                 (L, L + 1), [("Y{l}", Y, ""), ("T (targets)", self.T, ","), ("E", E, "=")],
                 np.array(self.loss_of_parameters()))

    def output_delta_steps(self) -> None:
        """dE/dY_L and Delta_L, or one step for softmax + cross entropy, whose chain rule collapses."""
        L, Y, T = self.L, self.labkit.Ys[-1], self.T
        over_n = "" if "missing_1_over_n" in self.mistakes else r"\frac{1}{N}"
        if isinstance(self.net.activations[-1], Softmax) and isinstance(self.net.loss, CategoricalCrossEntropy):
            self.add("Delta", L, "the output layer's delta (softmax + cross entropy)",
                     r"\Delta_{l} = " + over_n + "(Y_{l} - T)", (L, L),
                     [("Y{l}", Y, ""), ("T", T, "−"), ("Δ{l}" + self.labkits, self.labkit.deltas[-1], "=")],
                     self.numerical_delta(L))
            return
        # 1/N times ell', the derivative of one sample's loss (for a given loss, notebook 02's first exercise)
        dY = self.planted.loss(self.net.loss, self.N).backward(T, Y)
        self.add("dE/dY", L, "the loss's slope at the output (the 1/N is here)",
                 r"\frac{\partial E}{\partial Y_{l}} = " + over_n + r"\,\ell'(Y_{l}, T)", (L, L + 1),
                 [("Y{l}", Y, ""), ("T", T, ","), ("∂E/∂Y{l}" + self.labkits, dY, "=")],
                 numerical_gradient(lambda Y: self.net.loss.forward(T, Y), Y.copy(), self.h))
        self.delta_step(L, [("∂E/∂Y{l}", dY, "")], r"\frac{\partial E}{\partial Y_{l}}", (L, L),
                        "the output layer's delta, dE/dZ")

    def delta_step(self, l: int, terms: list[tuple[str, np.ndarray, str]], grad_tex: str, columns: tuple[int, int],
                   title: str) -> None:
        """Delta_l = dE/dY_l ⊙ phi_l'(Z_l), its phi' from the activation the backward pass used."""
        at = "Y" if "phi_prime_at_output" in self.mistakes else "Z"  # where the planted mistake evaluates phi'
        if not isinstance(self.net.activations[l - 1], Softmax):  # softmax's Jacobian is no element-wise factor
            terms.append(("φ{l}′(" + at + "{l})", self.backward_activations[l - 1].derivative(self.labkit.Zs[l - 1]),
                          "⊙"))
        terms.append(("Δ{l}" + self.labkits, self.labkit.deltas[l - 1], "="))
        self.add("Delta", l, title, r"\Delta_{l} = " + grad_tex + r" \odot \phi_{l}'(" + at + "_{l})", columns, terms,
                 self.numerical_delta(l))

    def gradient_steps(self, l: int) -> None:
        """dE/dW_l and dE/db_l (the student's, if their backprop runs), from labkit's Delta_l."""
        W, delta, yours = self.weights[l - 1], self.labkit.deltas[l - 1], " (yours)" if self.backprop_is_yours else ""
        terms = [("Y{l-1}ᵀ", self.labkit.Ys[l - 1].T, ""), ("Δ{l}" + self.labkits, delta, "·")]
        decay = ""
        if self.weight_decay:
            half = "half_lambda" in self.mistakes
            terms.append(("λ/2·W{l}" if half else "λ·W{l}", self.planted.weight_decay(self.weight_decay) * W, "+"))
            decay = r" + \frac{\lambda}{2} W_{l}" if half else r" + \lambda W_{l}"
        self.add("dW", l, f"the gradient of W_{l}: the shape of W_{l}",
                 r"\frac{\partial E}{\partial W_{l}} = Y_{l-1}^\top \Delta_{l}" + decay, (l - 1, l),
                 terms + [("∂E/∂W{l}" + yours, self.grad_W[l - 1], "=")], self.numerical_W[l - 1],
                 self.notes.get(f"grad_W[{l - 1}]", ""))
        self.add("db", l, f"the gradient of b_{l}: Delta_{l} summed over the rows",
                 r"\frac{\partial E}{\partial b_{l}} = \sum_{\mathrm{rows}} \Delta_{l}", (l, l),
                 [("Δ{l}" + self.labkits, delta, ""), ("∂E/∂b{l}" + yours, self.grad_b[l - 1], "Σ rows →")],
                 self.numerical_b[l - 1], self.notes.get(f"grad_b[{l - 1}]", ""))

    def update_step(self, l: int) -> tuple[np.ndarray, np.ndarray]:
        """W_l and b_l after the step (b_l moves as W_l does, in the equation); the picture shows W_l."""
        eta = self.net.optimizer.learning_rate
        W, b, gW, gb = self.weights[l - 1], self.biases[l - 1], self.grad_W[l - 1], self.grad_b[l - 1]
        fits = gW.shape == W.shape and gb.shape == b.shape
        new_W, new_b = (W - eta * gW, b - eta * gb) if fits else (np.full(W.shape, np.nan), np.full(b.shape, np.nan))
        equation = (r"W_{l} \leftarrow W_{l} - \eta \frac{\partial E}{\partial W_{l}}, \quad "
                    r"b_{l} \leftarrow b_{l} - \eta \frac{\partial E}{\partial b_{l}}")
        self.add("update", l, f"layer {l}: a step downhill, η = {eta:g}", equation, (l - 1, l),
                 [("W{l}", W, ""), ("∂E/∂W{l}", gW, f"− {eta:g} ·"), ("new W{l}", new_W, "=")],
                 W - eta * self.numerical_W[l - 1],
                 "" if fits else "the gradient has the wrong shape: there is no update to make.")
        return new_W, new_b


def _student_lists(result: Any, function: str, names: tuple[str, str], expected: tuple[Arrays, Arrays],
                   hint: str = "") -> tuple[tuple[Arrays, Arrays], dict[str, str]]:
    """The two lists a student's function returned, each entry as an array of the shape of its counterpart in
    ``expected`` (NaN where it cannot be one), and a note on each entry by its name ("Zs[0]")."""
    try:
        first, second = (list(part) for part in result)
    except (TypeError, ValueError):
        raise ValueError(f"your {function} should return two lists ({', '.join(names)}); it returned "
                         f"{type(result).__name__}.") from None
    if (len(first), len(second)) != (len(expected[0]), len(expected[1])):
        raise ValueError(f"your {function} returned {len(first)} {names[0]} and {len(second)} {names[1]}; a "
                         f"{len(expected[0])}-layer network needs {len(expected[0])} {names[0]} and "
                         f"{len(expected[1])} {names[1]}{hint}.")
    lists: tuple[Arrays, Arrays] = ([], [])
    notes: dict[str, str] = {}
    for name, values, counterparts, arrays in zip(names, (first, second), expected, lists):
        for i, (value, counterpart) in enumerate(zip(values, counterparts)):
            array, notes[f"{name}[{i}]"] = _student_array(value, counterpart.shape, f"your {name}[{i}]")
            arrays.append(array)
    return lists, notes


def _copies(arrays: Arrays) -> Arrays:
    return [a.copy() for a in arrays]


def _student_array(value: Any, shape: tuple[int, ...], what: str) -> tuple[np.ndarray, str]:
    """A student's array and a note on what is wrong with its type or shape ('' if nothing)."""
    if value is None:
        return np.full(shape, np.nan), f"{what} is None: did your code fill it in?"
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return np.full(shape, np.nan), f"{what} is a {type(value).__name__}, not an array of numbers."
    if array.shape == shape:
        return array, ""
    hint = ": it is transposed" if array.ndim == 2 and array.shape == shape[::-1] else ""
    return array, f"{what} has shape {array.shape} but should have {shape}{hint}."


def relative_error(value: ArrayLike, reference: ArrayLike) -> float:
    """labkit.gradcheck's rel_error, ||a - b|| / (||a|| + ||b||), with the denominator at least NOISE_FLOOR."""
    a, b = np.asarray(value, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    scale = float(np.linalg.norm(a) + np.linalg.norm(b))
    return rel_error(a, b) if scale >= NOISE_FLOOR else float(np.linalg.norm(a - b)) / NOISE_FLOOR


# -- text ------------------------------------------------------------------------------------------

_PHI = {Tanh: ("tanh", r"\tanh(Z_{l})"), Sigmoid: ("σ", r"\sigma(Z_{l})"), ReLU: ("max(·, 0)", r"\max(Z_{l}, 0)"),
        Softmax: ("softmax", r"\mathrm{softmax}(Z_{l})"), Identity: ("id", "Z_{l}")}
"""Each activation labkit knows in the figures' plain text and in LaTeX."""

_LOSS = {BinaryCrossEntropy: r"-\frac{1}{N}\sum \left[T \log Y_{l} + (1-T)\log(1-Y_{l})\right]",
         MeanSquaredError: r"\frac{1}{N}\sum (Y_{l} - T)^2", CategoricalCrossEntropy: r"-\frac{1}{N}\sum T \log Y_{l}"}


def _layers(text: str, l: int, latex: bool = False) -> str:
    """{l-1}, {l} and {l+1} in ``text`` as layer numbers: a LaTeX group, _layers("W_{l}", 2, latex=True) == "W_{2}",
    or a plain-text subscript, _layers("W{l}", 2) == "W₂"."""
    for token, k in (("{l-1}", l - 1), ("{l+1}", l + 1), ("{l}", l)):
        text = text.replace(token, f"{{{k}}}" if latex else str(k).translate(_SUBSCRIPTS))
    return text


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def shape_text(value: np.ndarray) -> str:
    """'(3, 2)', '(4)' for a vector, 'scalar' for a number."""
    return "scalar" if value.ndim == 0 else str(value.shape).replace(",)", ")")

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
each Delta_l = dE/dZ_l and each gradient; labkit's forward pass for a student's Z_l and Y_l.
The first step that parts from its counterpart is where the bug is. ``forward`` and
``backprop`` run a student's functions (notebook 02's signatures) instead of labkit's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .. import mistakes as catalogue
from ..activations import Activation, Identity, ReLU, Sigmoid, Softmax, Tanh
from ..gradcheck import numerical_gradient, rel_error
from ..losses import BinaryCrossEntropy, CategoricalCrossEntropy, Loss, MeanSquaredError
from ..network import Arrays, DenseNetwork, decay_penalty, forward_pass
from ..validate import non_negative_number

ForwardFn = Callable[[Arrays, Arrays, Sequence[Any], np.ndarray], tuple[Sequence[Any], Sequence[Any]]]
BackpropFn = Callable[[Arrays, Sequence[Any], Any, Arrays, Arrays, np.ndarray], tuple[Sequence[Any], Sequence[Any]]]

TOLERANCE = 1e-6
"""A relative error above this parts from the counterpart (a right float64 gradient is near 1e-9)."""

MISTAKES = {"phi_prime_at_output": catalogue.PHI_PRIME_AT_OUTPUT, "missing_1_over_n": catalogue.MISSING_1_OVER_N,
            "half_lambda": catalogue.HALF_LAMBDA}
"""The backprop mistakes of the catalogue ``trace`` can plant, by name."""

SWITCHES = {"phi_prime_at_output": "φ′ at the output", "missing_1_over_n": "missing 1/N", "half_lambda": "λ/2 · W"}
"""Short labels of the mistakes, for the widget's switches and the verdict."""

NOISE_FLOOR = 1e-3
"""Norms below this count as this much in the relative error: finite differences carry noise near
1e-11, which would make a gradient that is exactly zero (as dE/db_L on XOR's symmetric batch) look wrong."""

FINITE_DIFFERENCES = "finite differences"
LABKIT_FORWARD = "labkit's forward pass"


@dataclass(frozen=True, eq=False)
class Term:
    """One array in a step's picture: a label (text), the value, the operator before it.

    role: "factor" (goes into the step), "result" (what the step computes) or "check" (its counterpart).
    """

    label: str
    value: np.ndarray
    op: str = ""
    role: str = "factor"


@dataclass(frozen=True, eq=False)
class Step:
    """One equation of the training step and everything needed to show and check it.

    phase: "forward", "loss", "backward" or "update"; kind: "Z", "Y", "E", "dE/dY", "Delta", "dW",
    "db" or "update"; layer: 1 .. L; name: plain text, e.g. "dE/dW_2"; equation: LaTeX that both
    MathJax and matplotlib's mathtext read; value: what the step computes (for "update", the new W_l);
    columns: the first and last column of the network diagram the step involves (0 = inputs,
    L = outputs, L + 1 = the loss); reference: the independent counterpart of value, from ``against``
    (finite differences or labkit's forward pass), None if the step is not checked; error: their
    relative error (inf if the shapes differ); note: what else a reader should know about the step.
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
    learning_rate: float
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

    The network is not changed. weight_decay: lambda of the penalty (lambda/2) sum ||W_l||^2.
    mistakes: names from ``MISTAKES`` to plant in labkit's backprop. forward, backprop: a student's
    functions with notebook 02's signatures, ``forward(weights, biases, activations, X) -> (Zs, Ys)``
    (Ys[0] = X) and ``backprop(weights, activations, loss, Zs, Ys, y_true) -> (grad_W, grad_b)``; either
    may be given alone (labkit's stands in for the other). They receive copies of the network's arrays,
    its activations and loss (or ``student_activations`` and ``student_loss``, e.g. the student's own
    classes). A student's backprop returns no deltas: those steps show labkit's, unchecked. Finite
    differences (step h) make this a tool for small networks: a few hundred parameters.
    """
    if net.dtype != np.float64:
        raise TypeError(f"the step-through checks against finite differences, which need float64; the network "
                        f"is {net.dtype}.")
    X, y_true = net._inputs(X), net._targets(y_true, len(X))  # the network's own checks of its data
    weight_decay = non_negative_number(weight_decay, "weight_decay")
    mistakes = known_mistakes(mistakes)
    student = forward is not None or backprop is not None
    if student and mistakes:
        raise ValueError("mistakes are planted in labkit's own backprop; with your forward or backprop the "
                         "mistakes to find are yours, so leave mistakes out.")
    if student and weight_decay:
        raise ValueError("notebook 02's backprop has no weight-decay term: trace your functions with "
                         "weight_decay=0.")
    yours = _StudentCode(forward, backprop, student_activations, student_loss)
    return _Recorder(net, X, y_true, weight_decay, mistakes, yours, h).run()


def known_mistakes(mistakes: Iterable[str]) -> tuple[str, ...]:
    """The names of planted mistakes as a tuple, or a ValueError naming those not in ``MISTAKES``."""
    mistakes = tuple(mistakes)
    unknown = [m for m in mistakes if m not in MISTAKES]
    if unknown:
        raise ValueError(f"unknown mistakes {unknown}; valid names are {sorted(MISTAKES)}.")
    return mistakes


@dataclass
class _StudentCode:
    """A student's forward and backprop (either may be None) and the activations and loss they are handed."""

    forward: ForwardFn | None
    backprop: BackpropFn | None
    activations: Sequence[Any] | None
    loss: Any

    def run_forward(self, net: DenseNetwork, X: np.ndarray) -> tuple[Arrays, Arrays, dict[str, str]]:
        """The student's Zs and Ys as arrays, and a note on each one of the wrong type or shape."""
        assert self.forward is not None
        Zs, Ys = _two_lists(self.forward([W.copy() for W in net.weights], [b.copy() for b in net.biases],
                                         self._activations(net), X.copy()), "forward", "(Zs, Ys)")
        L = len(net.weights)
        if len(Zs) != L or len(Ys) != L + 1:
            raise ValueError(f"your forward returned {len(Zs)} Zs and {len(Ys)} Ys; a {L}-layer network needs "
                             f"{L} Zs and {L + 1} Ys (Ys[0] = X).")
        right_Zs, right_Ys = forward_pass(net.weights, net.biases, net.activations, X)
        notes: dict[str, str] = {}
        out_Z, out_Y = [], [X]
        for l in range(1, L + 1):
            Z, notes[f"Z_{l}"] = _student_array(Zs[l - 1], right_Zs[l - 1].shape, f"your Zs[{l - 1}]")
            Y, notes[f"Y_{l}"] = _student_array(Ys[l], right_Ys[l].shape, f"your Ys[{l}]")
            out_Z.append(Z)
            out_Y.append(Y)
        return out_Z, out_Y, notes

    def run_backprop(self, net: DenseNetwork, Zs: Arrays, Ys: Arrays, y_true: np.ndarray) -> tuple[list, list]:
        assert self.backprop is not None
        grad_W, grad_b = _two_lists(self.backprop([W.copy() for W in net.weights], self._activations(net),
                                                  self.loss if self.loss is not None else net.loss,
                                                  [Z.copy() for Z in Zs], [Y.copy() for Y in Ys], y_true.copy()),
                                    "backprop", "(grad_W, grad_b)")
        if len(grad_W) != len(net.weights) or len(grad_b) != len(net.weights):
            raise ValueError(f"your backprop returned {len(grad_W)} weight and {len(grad_b)} bias gradients; "
                             f"a {len(net.weights)}-layer network needs {len(net.weights)} of each.")
        return grad_W, grad_b

    def _activations(self, net: DenseNetwork) -> list[Any]:
        return list(self.activations) if self.activations is not None else list(net.activations)


def _two_lists(result: Any, function: str, names: str) -> tuple[list, list]:
    try:
        first, second = (list(part) for part in result)
    except (TypeError, ValueError):
        raise ValueError(f"your {function} should return two lists {names}; it returned {type(result).__name__}."
                         ) from None
    return first, second


class _Recorder:
    """Records a Trace: one method per phase, each appending its steps in order."""

    def __init__(self, net: DenseNetwork, X: np.ndarray, y_true: np.ndarray, weight_decay: float,
                 mistakes: tuple[str, ...], yours: _StudentCode, h: float):
        self.net, self.X, self.y_true, self.weight_decay, self.h = net, X, y_true, weight_decay, h
        self.mistakes, self.yours = mistakes, yours
        self.weights, self.biases = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
        self.L, self.N = len(self.weights), len(X)
        self.planted = catalogue.combined(*(MISTAKES[m] for m in mistakes))
        Zs, Ys = forward_pass(self.weights, self.biases, net.activations, X)
        planted = catalogue.planted_gradients(self.planted, self.weights, self.biases, net.activations, net.loss, Zs,
                                              Ys, y_true, weight_decay)
        if not planted:
            raise ValueError("phi' at the output cannot be planted in a softmax layer, which has no element-wise "
                             "phi'; untick it, or use a network with another output activation.")
        self.backprop = planted[0]
        self.backward_activations = self.planted.activations(list(net.activations))[0]
        self.planted_loss = self.planted.loss(net.loss, self.N)
        self.steps: list[Step] = []
        self._numerical: dict[int, np.ndarray] = {}

    def run(self) -> Trace:
        self.forward_steps()
        grad_W, grad_b = self.backward_steps()
        new_W, new_b = self.update_steps(grad_W, grad_b)
        return Trace(self.steps, self.net.layer_sizes, [phi.name for phi in self.net.activations], self.weights,
                     self.biases, grad_W, grad_b, new_W, new_b, self.net.optimizer.learning_rate, self.weight_decay,
                     self.mistakes, self.yours.forward is not None or self.yours.backprop is not None)

    # -- checks against independent counterparts ----------------------------------------------

    def _add(self, step: Step, reference: np.ndarray | None = None, against: str = FINITE_DIFFERENCES,
             label: str = "") -> None:
        """Append the step, with its error against ``reference`` (if any) and the reference as the last panel."""
        if reference is None:
            self.steps.append(step)
            return
        error = np.inf if step.value.shape != reference.shape else relative_error(step.value, reference)
        label = label or ("finite diff." if against == FINITE_DIFFERENCES else "labkit's")
        terms = step.terms + (Term(label, reference, "≈", "check"),)
        self.steps.append(replace(step, terms=terms, reference=reference, against=against, error=error))

    def _hidden(self, step: Step, reference: Callable[[], np.ndarray]) -> None:
        """Append a step of labkit's backprop: checked, or (when the student's backprop hides it) noted."""
        if self.yours.backprop is None:
            self._add(step, reference())
        else:
            self._add(replace(step, note="labkit's value: your backprop does not return it, so it cannot be checked."))

    def _loss_of_parameters(self) -> float:
        Ys = forward_pass(self.weights, self.biases, self.net.activations, self.X)[1]
        return self.net.loss.forward(self.y_true, Ys[-1]) + decay_penalty(self.weights, self.weight_decay)

    def _numerical_gradient(self, param: np.ndarray) -> np.ndarray:
        """dE/d(param) by central differences; param (one of the weights or biases) is perturbed and restored."""
        if id(param) not in self._numerical:  # the update step needs dE/dW_l again
            self._numerical[id(param)] = numerical_gradient(lambda _: self._loss_of_parameters(), param, self.h)
        return self._numerical[id(param)]

    def _numerical_delta(self, l: int) -> np.ndarray:
        """dE/dZ_l by central differences: run the layers from Z_l on (the decay term does not depend on Z)."""
        acts = self.net.activations

        def loss_from(Z: np.ndarray) -> float:
            Ys = forward_pass(self.weights[l:], self.biases[l:], acts[l:], acts[l - 1].forward(Z))[1]
            return self.net.loss.forward(self.y_true, Ys[-1])
        return numerical_gradient(loss_from, self.backprop.Zs[l - 1].copy(), self.h)

    # -- forward and loss ---------------------------------------------------------------------

    def forward_steps(self) -> None:
        """Z_l and Y_l of every layer, then E; a student's are checked against labkit's forward pass."""
        labkit_Zs, labkit_Ys = self.backprop.Zs, self.backprop.Ys
        mine = self.yours.forward is not None
        Zs, Ys, notes = self.yours.run_forward(self.net, self.X) if mine else (labkit_Zs, labkit_Ys, {})
        yours = " (yours)" if mine else ""
        for l in range(1, self.L + 1):
            phi = self.net.activations[l - 1]
            step = Step("forward", "Z", l, f"Z_{l}", f"layer {l}: the pre-activation",
                        f"Z_{{{l}}} = Y_{{{l - 1}}} W_{{{l}}} + b_{{{l}}}", Zs[l - 1],
                        (Term(_s("Y", l - 1) + (" = X" if l == 1 else ""), Ys[l - 1]),
                         Term(_s("W", l), self.weights[l - 1], "·"), Term(_s("b", l), self.biases[l - 1], "+"),
                         Term(_s("Z", l) + yours, Zs[l - 1], "=", "result")), (l - 1, l), note=notes.get(f"Z_{l}", ""))
            self._add(step, labkit_Zs[l - 1] if mine else None, LABKIT_FORWARD)
            step = Step("forward", "Y", l, f"Y_{l}", f"layer {l}: the activation, {phi.name}",
                        f"Y_{{{l}}} = \\phi_{{{l}}}(Z_{{{l}}}) = {_phi_latex(phi, l)}", Ys[l],
                        (Term(_s("Z", l), Zs[l - 1]), Term(_s("Y", l) + yours, Ys[l],
                                                          _PHI_TEXT.get(type(phi), "φ") + " →", "result")),
                        (l, l), note=notes.get(f"Y_{l}", ""))
            self._add(step, labkit_Ys[l] if mine else None, LABKIT_FORWARD)
        self.loss_step(Ys[-1], mine)

    def loss_step(self, Y: np.ndarray, mine: bool) -> None:
        """E of the output; a student's (from their forward pass and loss) is checked against labkit's."""
        L, loss = self.L, self.yours.loss if mine and self.yours.loss is not None else self.net.loss
        fits = Y.shape == self.y_true.shape and bool(np.all(np.isfinite(Y)))
        E = np.array(float(loss.forward(self.y_true, Y)) + decay_penalty(self.weights, self.weight_decay)
                     if fits else np.nan)
        decay = r" + \frac{\lambda}{2}\sum_l \|W_l\|^2" if self.weight_decay else ""
        step = Step("loss", "E", L, "E", f"the loss, {self.net.loss.name}, a mean over the {self.N} rows",
                    f"E = {_loss_latex(self.net.loss, L)}{decay}", E,
                    (Term(_s("Y", L), Y), Term("T (targets)", self.y_true, ","), Term("E", E, "=", "result")),
                    (L, L + 1))
        self._add(step, np.array(self._loss_of_parameters()) if mine else None, LABKIT_FORWARD)

    # -- backward -----------------------------------------------------------------------------

    def backward_steps(self) -> tuple[Arrays, Arrays]:
        """The output delta, then per layer from the top its gradients and the delta below; returns the gradients
        the step takes (the student's, if their backprop runs)."""
        Zs, Ys, deltas = self.backprop.Zs, self.backprop.Ys, self.backprop.deltas
        student = self.yours.run_backprop(self.net, Zs, Ys, self.y_true) if self.yours.backprop else None
        self.output_delta_steps()
        grad_W: Arrays = []
        grad_b: Arrays = []
        for l in range(self.L, 0, -1):
            gW, gb = self.gradient_steps(l, student)
            grad_W.insert(0, gW)
            grad_b.insert(0, gb)
            if l > 1:
                W = self.weights[l - 1]
                self.delta_step(l - 1, (Term(_s("Δ", l), deltas[l - 1]), Term(_s("W", l) + "ᵀ", W.T, "·")),
                                deltas[l - 1] @ W.T, f"(\\Delta_{{{l}}} W_{{{l}}}^\\top)", (l - 1, l),
                                f"layer {l - 1}'s delta, sent back through W_{l}")
        return grad_W, grad_b

    def _yours(self, label: str) -> str:
        return label + (" (labkit's)" if self.yours.backprop is not None else "")

    def output_delta_steps(self) -> None:
        """dE/dY_L and Delta_L, or one step for softmax + cross entropy, whose chain rule collapses."""
        L, Y_L, T, delta = self.L, self.backprop.Ys[-1], self.y_true, self.backprop.deltas[-1]
        if isinstance(self.net.activations[-1], Softmax) and isinstance(self.net.loss, CategoricalCrossEntropy):
            over_n = "" if "missing_1_over_n" in self.mistakes else r"\frac{1}{N}"
            step = Step("backward", "Delta", L, f"Delta_{L}", "the output layer's delta (softmax + cross entropy)",
                        f"\\Delta_{{{L}}} = {over_n}(Y_{{{L}}} - T)", delta,
                        (Term(_s("Y", L), Y_L), Term("T", T, "−"), Term(self._yours(_s("Δ", L)), delta, "=",
                                                                          "result")), (L, L))
            self._hidden(step, lambda: self._numerical_delta(L))
            return
        dY = self.planted_loss.backward(T, Y_L)
        step = Step("backward", "dE/dY", L, f"dE/dY_{L}", "the loss's slope at the output (the 1/N is here)",
                    f"\\frac{{\\partial E}}{{\\partial Y_{{{L}}}}} = {_loss_gradient_latex(L, self.mistakes)}", dY,
                    (Term(_s("Y", L), Y_L), Term("T", T, ","), Term(self._yours("∂E/∂" + _s("Y", L)), dY, "=",
                                                                      "result")), (L, L + 1))
        self._hidden(step, lambda: numerical_gradient(lambda Y: self.net.loss.forward(T, Y), Y_L.copy(), self.h))
        self.delta_step(L, (Term("∂E/∂" + _s("Y", L), dY),), dY, f"\\frac{{\\partial E}}{{\\partial Y_{{{L}}}}}",
                        (L, L), "the output layer's delta, dE/dZ")

    def delta_step(self, l: int, terms: tuple[Term, ...], grad_Y: np.ndarray, grad_latex: str,
                   columns: tuple[int, int], title: str) -> None:
        """The step Delta_l = dE/dY_l ⊙ phi_l'(Z_l), its phi' from the activation the backward pass used."""
        at = "Y" if "phi_prime_at_output" in self.mistakes else "Z"  # where the planted mistake evaluates phi'
        phi, delta = self.backward_activations[l - 1], self.backprop.deltas[l - 1]
        if not isinstance(self.net.activations[l - 1], Softmax):  # softmax's Jacobian is no element-wise factor
            terms += (Term(f"φ{_sub(l)}′({at}{_sub(l)})", phi.derivative(self.backprop.Zs[l - 1]), "⊙"),)
        terms += (Term(self._yours(_s("Δ", l)), delta, "=", "result"),)
        step = Step("backward", "Delta", l, f"Delta_{l}", title,
                    f"\\Delta_{{{l}}} = {grad_latex} \\odot \\phi_{{{l}}}'({at}_{{{l}}})", delta, terms, columns)
        self._hidden(step, lambda: self._numerical_delta(l))

    def gradient_steps(self, l: int, student: tuple[list, list] | None) -> tuple[np.ndarray, np.ndarray]:
        """The steps dE/dW_l and dE/db_l, each checked against finite differences; returns the two gradients."""
        W, Y_in, delta = self.weights[l - 1], self.backprop.Ys[l - 1], self.backprop.deltas[l - 1]
        lam = self.planted.weight_decay(self.weight_decay)
        terms: tuple[Term, ...] = (Term(_s("Y", l - 1) + "ᵀ", Y_in.T), Term(self._yours(_s("Δ", l)), delta, "·"))
        decay = ""
        if self.weight_decay:
            half = "half_lambda" in self.mistakes
            terms += (Term(("λ/2·" if half else "λ·") + _s("W", l), lam * W, "+"),)
            decay = f" + \\frac{{\\lambda}}{{2}} W_{{{l}}}" if half else f" + \\lambda W_{{{l}}}"
        if student is not None:
            gW, W_note = _student_array(student[0][l - 1], W.shape, f"your grad_W[{l - 1}]")
            gb, b_note = _student_array(student[1][l - 1], self.biases[l - 1].shape, f"your grad_b[{l - 1}]")
        else:
            (gW, W_note), (gb, b_note) = (self.backprop.grad_W[l - 1], ""), (self.backprop.grad_b[l - 1], "")
        yours = " (yours)" if student is not None else ""
        step = Step("backward", "dW", l, f"dE/dW_{l}", f"the gradient of W_{l}: the shape of W_{l}",
                    f"\\frac{{\\partial E}}{{\\partial W_{{{l}}}}} = Y_{{{l - 1}}}^\\top \\Delta_{{{l}}}{decay}", gW,
                    terms + (Term("∂E/∂" + _s("W", l) + yours, gW, "=", "result"),), (l - 1, l), note=W_note)
        self._add(step, self._numerical_gradient(W))
        step = Step("backward", "db", l, f"dE/db_{l}", f"the gradient of b_{l}: Delta_{l} summed over the rows",
                    f"\\frac{{\\partial E}}{{\\partial b_{{{l}}}}} = \\sum_{{\\mathrm{{rows}}}} \\Delta_{{{l}}}", gb,
                    (Term(self._yours(_s("Δ", l)), delta), Term("∂E/∂" + _s("b", l) + yours, gb, "Σ rows →",
                                                                 "result")), (l, l), note=b_note)
        self._add(step, self._numerical_gradient(self.biases[l - 1]))
        return gW, gb

    # -- update -------------------------------------------------------------------------------

    def update_steps(self, grad_W: Arrays, grad_b: Arrays) -> tuple[Arrays, Arrays]:
        """W_l <- W_l - eta dE/dW_l and b_l likewise, checked against the step finite differences would take."""
        eta = self.net.optimizer.learning_rate
        new_W, new_b = [], []
        for l in range(1, self.L + 1):
            W, b, gW, gb = self.weights[l - 1], self.biases[l - 1], grad_W[l - 1], grad_b[l - 1]
            fits = gW.shape == W.shape and gb.shape == b.shape
            new_W.append(W - eta * gW if fits else np.full(W.shape, np.nan))
            new_b.append(b - eta * gb if fits else np.full(b.shape, np.nan))
            equation = (f"W_{{{l}}} \\leftarrow W_{{{l}}} - \\eta \\frac{{\\partial E}}{{\\partial W_{{{l}}}}}, \\quad "
                        f"b_{{{l}}} \\leftarrow b_{{{l}}} - \\eta \\frac{{\\partial E}}{{\\partial b_{{{l}}}}}")
            terms = (Term(_s("W", l), W), Term("∂E/∂" + _s("W", l), gW, f"− {eta:g} ·"),
                     Term("new " + _s("W", l), new_W[-1], "=", "result"))  # b_l moves the same way (in the equation)
            step = Step("update", "update", l, f"update W_{l}, b_{l}", f"layer {l}: a step downhill, η = {eta:g}",
                        equation, new_W[-1], terms, (l - 1, l),
                        note="" if fits else "the gradient has the wrong shape: there is no update to make.")
            self._add(step, W - eta * self._numerical_gradient(W), label="finite-diff. step")
        return new_W, new_b


# -- text ------------------------------------------------------------------------------------------

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_PHI_TEXT = {Tanh: "tanh", Sigmoid: "σ", ReLU: "max(·, 0)", Softmax: "softmax", Identity: "id"}


def _sub(l: int) -> str:
    return str(l).translate(_SUBSCRIPTS)


def _s(symbol: str, l: int) -> str:
    """A symbol with a layer subscript, as plain text for figures: _s("W", 2) == "W₂"."""
    return symbol + _sub(l)


def shape_text(value: np.ndarray) -> str:
    """'(3, 2)', '(4)' for a vector, 'scalar' for a number."""
    return "scalar" if value.ndim == 0 else str(value.shape).replace(",)", ")")


def relative_error(value: ArrayLike, reference: ArrayLike) -> float:
    """labkit.gradcheck's rel_error, ||a - b|| / (||a|| + ||b||), with the denominator at least NOISE_FLOOR."""
    a, b = np.asarray(value, dtype=np.float64), np.asarray(reference, dtype=np.float64)
    scale = float(np.linalg.norm(a) + np.linalg.norm(b))
    return rel_error(a, b) if scale >= NOISE_FLOOR else float(np.linalg.norm(a - b)) / NOISE_FLOOR


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


def _phi_latex(phi: Activation, l: int) -> str:
    """phi_l(Z_l) written out for the activations labkit knows."""
    Z = f"Z_{{{l}}}"
    known = {Tanh: f"\\tanh({Z})", Sigmoid: f"\\sigma({Z})", ReLU: f"\\max({Z}, 0)",
             Softmax: f"\\mathrm{{softmax}}({Z})", Identity: Z}
    return known.get(type(phi), f"\\phi_{{{l}}}({Z})")


def _loss_latex(loss: Loss, L: int) -> str:
    Y = f"Y_{{{L}}}"
    if isinstance(loss, BinaryCrossEntropy):
        return f"-\\frac{{1}}{{N}}\\sum \\left[T \\log {Y} + (1-T)\\log(1-{Y})\\right]"
    if isinstance(loss, MeanSquaredError):
        return f"\\frac{{1}}{{N}}\\sum ({Y} - T)^2"
    if isinstance(loss, CategoricalCrossEntropy):
        return f"-\\frac{{1}}{{N}}\\sum T \\log {Y}"
    return f"\\mathrm{{loss}}({Y}, T)"


def _loss_gradient_latex(L: int, mistakes: tuple[str, ...]) -> str:
    """dE/dY_L for any loss: the 1/N of the mean (left out with the planted mistake) times the derivative ell' of
    one sample's loss. Written out for a given loss it would be the answer to notebook 02's first exercise."""
    over_n = "" if "missing_1_over_n" in mistakes else r"\frac{1}{N}"
    return f"{over_n}\\,\\ell'(Y_{{{L}}}, T)"

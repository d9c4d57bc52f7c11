"""The step-through: one training step of a small network, one equation at a time.

A training step is a short list of equations (notebook 01's, in the code convention: rows
are samples, W_l is (fan_in, fan_out), E is the mean over the N rows of the batch):

    forward    Z_l = Y_{l-1} W_l + b_l,  Y_l = phi_l(Z_l)               l = 1 .. L, Y_0 = X
    loss       E = loss(Y_L, T)  (+ lambda/2 sum_l ||W_l||^2)
    backward   dE/dY_L = loss'(Y_L, T)                                   the 1/N of the mean sits here
               Delta_L = dE/dY_L ⊙ phi_L'(Z_L)                            Delta_l = dE/dZ_l
               dE/dW_l = Y_{l-1}^T Delta_l (+ lambda W_l),  dE/db_l = Delta_l summed over the rows
               Delta_{l-1} = (Delta_l W_l^T) ⊙ phi_{l-1}'(Z_{l-1})        l = L .. 1
    update     W_l <- W_l - eta dE/dW_l,  b_l <- b_l - eta dE/db_l

``trace`` computes these steps in order, each with the arrays that go into it, and sets every
result beside an independent counterpart: central finite differences for dE/dY_L, each
Delta_l = dE/dZ_l and each gradient; labkit's forward pass for a student's Z_l and Y_l. The
first step that parts from its counterpart is where the bug is. ``mistakes`` plants a classic
one in labkit's own backprop; ``forward`` and ``backprop`` run a student's functions instead
(notebook 02's signatures). This part is plain numpy.

``StepView`` draws one step: the network diagram with the step's layers highlighted, and the
step's arrays as heat maps at one cell size, so shapes compare at a glance (dE/dW_l is the
size of W_l). It builds its artists once and updates them in place. ``step_strip`` draws every
step into one figure, for static pages; ``StepThrough`` is the widget: back, next, reset, play.

    from labkit.stepthrough import StepThrough, step_strip, trace

    StepThrough()                                     # labkit's backprop: a 2-3-2-1 tanh network on XOR
    StepThrough(mistakes=["phi_prime_at_output"])     # where does phi'(Y) first show? (step 9, Delta_3)
    StepThrough(net, X, y, forward=forward, backprop=backprop)   # notebook 02's functions, checked
    trace(net, X, y, backprop=backprop).verdict()     # 'In your code, step 13 (dE/dW_2) is the first ...'
    step_strip(trace(net, X, y)); plt.show()          # every step in one figure, for a static page
"""

from __future__ import annotations

import functools
import html
import io
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import ipywidgets as w
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont
from matplotlib.lines import Line2D
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path
from matplotlib.text import Text
from matplotlib.textpath import TextPath
from numpy.typing import ArrayLike

from .activations import Activation, Identity, ReLU, Sigmoid, Softmax, Tanh
from .checks import explain
from .datasets import xor
from .gradcheck import numerical_gradient, rel_error
from .losses import BinaryCrossEntropy, CategoricalCrossEntropy, Loss, MeanSquaredError
from .network import DenseNetwork, build_network, decay_penalty, forward_pass
from .optim import GradientDescent
from .plots import BLUE, CLASS_CMAP, GREEN, GREY, VERMILLION
from .validate import non_negative_number

Arrays = list[np.ndarray]
ForwardFn = Callable[..., Any]   # forward(weights, biases, activations, X) -> (Zs, Ys)
BackpropFn = Callable[..., Any]  # backprop(weights, activations, loss, Zs, Ys, y_true) -> (grad_W, grad_b)

TOLERANCE = 1e-6
"""A relative error above this parts from the counterpart (a right float64 gradient is near 1e-9)."""

MISTAKES = {
    "phi_prime_at_output": "φ' evaluated at the output Y instead of at Z",
    "missing_1_over_n": "the 1/N of the mean left out of dE/dY_L",
    "half_lambda": "the decay gradient taken as λ/2·W instead of λ·W",
}
"""The classic backprop mistakes ``trace`` can plant, by name."""

SWITCHES = {"phi_prime_at_output": "φ′ at the output", "missing_1_over_n": "missing 1/N", "half_lambda": "λ/2 · W"}
"""The widget's short labels for the mistakes."""

NOISE_FLOOR = 1e-3
"""Norms below this count as this much in the relative error: finite differences carry noise near
1e-11, which would make a gradient that is exactly zero (as dE/db_L on XOR's symmetric batch) look wrong."""

FINITE_DIFFERENCES = "finite differences"
LABKIT_FORWARD = "labkit's forward pass"


# -- the model: the steps and their arrays (plain numpy) ----------------------------------


@dataclass(frozen=True, eq=False)
class Term:
    """One array in a step's picture: a label (text or $mathtext$), the value, the operator before it.

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
                   "With " + " and ".join(MISTAKES[m] for m in self.mistakes) if self.mistakes else "In labkit")
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
    may be given alone (labkit's stands in for the other). They receive copies of the network's
    arrays, its activations and loss (or ``student_activations`` and ``student_loss``, e.g. the
    student's own classes), and the student's backprop gets the Zs, Ys of the forward pass in use.
    Finite differences (step h) make this a tool for small networks: a few hundred parameters.
    """
    if net.dtype != np.float64:
        raise TypeError(f"the step-through checks against finite differences, which need float64; the network "
                        f"is {net.dtype}.")
    X, y = net._inputs(X), net._targets(y_true, len(X))  # the network's own checks of its data
    weight_decay = non_negative_number(weight_decay, "weight_decay")
    mistakes = known_mistakes(mistakes)
    student = forward is not None or backprop is not None
    if student and mistakes:
        raise ValueError("mistakes are planted in labkit's own backprop; with your forward or backprop the "
                         "mistakes to find are yours, so leave mistakes out.")
    if student and weight_decay:
        raise ValueError("notebook 02's backprop has no weight-decay term: trace your functions with "
                         "weight_decay=0.")
    return _Tracer(net, X, y, weight_decay, mistakes, forward, backprop, student_activations, student_loss,
                   h).run()


def known_mistakes(mistakes: Iterable[str]) -> tuple[str, ...]:
    """The names of planted mistakes as a tuple, or a ValueError naming those not in ``MISTAKES``."""
    mistakes = tuple(mistakes)
    unknown = [m for m in mistakes if m not in MISTAKES]
    if unknown:
        raise ValueError(f"unknown mistakes {unknown}; valid names are {sorted(MISTAKES)}.")
    return mistakes


class _Tracer:
    """Builds a Trace: one method per phase, each appending its steps in order."""

    def __init__(self, net: DenseNetwork, X: np.ndarray, y: np.ndarray, weight_decay: float,
                 mistakes: tuple[str, ...], forward: ForwardFn | None, backprop: BackpropFn | None,
                 student_activations: Sequence[Any] | None, student_loss: Any, h: float):
        self.X, self.T, self.lam, self.mistakes, self.h = X, y, weight_decay, mistakes, h
        self.W = [W.copy() for W in net.weights]
        self.b = [b.copy() for b in net.biases]
        self.acts, self.loss = list(net.activations), net.loss
        self.L, self.N = len(self.W), len(X)
        self.eta = net.optimizer.learning_rate
        self.forward_fn, self.backprop_fn = forward, backprop
        self.student = forward is not None or backprop is not None
        self.student_acts = list(student_activations) if student_activations is not None else self.acts
        self.student_loss = student_loss if student_loss is not None else self.loss
        self.sizes = net.layer_sizes
        self.steps: list[Step] = []
        self._numerical: dict[int, np.ndarray] = {}
        self.Zs, self.Ys = forward_pass(self.W, self.b, self.acts, X)  # labkit's: the reference

    def run(self) -> Trace:
        Zs, Ys, notes = self._student_forward() if self.forward_fn is not None else (self.Zs, self.Ys, {})
        self.forward_steps(Zs, Ys, notes)
        self.loss_step(Ys[-1])
        grad_W, grad_b = self.backward_steps(Zs, Ys)
        new_W, new_b = self.update_steps(grad_W, grad_b)
        return Trace(self.steps, self.sizes, [phi.name for phi in self.acts], self.W, self.b, grad_W, grad_b,
                     new_W, new_b, self.eta, self.lam, self.mistakes, self.student)

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

    def _loss_of_parameters(self) -> float:
        Zs, Ys = forward_pass(self.W, self.b, self.acts, self.X)
        return self.loss.forward(self.T, Ys[-1]) + decay_penalty(self.W, self.lam)

    def _numerical_parameter_gradient(self, param: np.ndarray) -> np.ndarray:
        """dE/d(param) by central differences; param (one of self.W, self.b) is perturbed in place and restored."""
        if id(param) not in self._numerical:  # the update step needs dE/dW_l again
            self._numerical[id(param)] = numerical_gradient(lambda _: self._loss_of_parameters(), param, self.h)
        return self._numerical[id(param)]

    def _numerical_delta(self, l: int) -> np.ndarray:
        """dE/dZ_l by central differences: run the layers from Z_l on (the decay term does not depend on Z)."""
        def loss_from(Z: np.ndarray) -> float:
            _, Ys = forward_pass(self.W[l:], self.b[l:], self.acts[l:], self.acts[l - 1].forward(Z))
            return self.loss.forward(self.T, Ys[-1])
        return numerical_gradient(loss_from, self.Zs[l - 1].copy(), self.h)

    # -- forward ------------------------------------------------------------------------------

    def forward_steps(self, Zs: Arrays, Ys: Arrays, notes: dict[str, str]) -> None:
        """Z_l and Y_l of every layer; a student's are checked against labkit's forward pass."""
        yours = " (yours)" if self.forward_fn is not None else ""
        for l in range(1, self.L + 1):
            phi = self.acts[l - 1]
            Z, Y = Zs[l - 1], Ys[l]
            step = Step("forward", "Z", l, f"Z_{l}", f"layer {l}: the pre-activation",
                        f"Z_{{{l}}} = Y_{{{l - 1}}} W_{{{l}}} + b_{{{l}}}", Z,
                        (Term(_s("Y", l - 1) + (" = X" if l == 1 else ""), Ys[l - 1]),
                         Term(_s("W", l), self.W[l - 1], "·"), Term(_s("b", l), self.b[l - 1], "+"),
                         Term(_s("Z", l) + yours, Z, "=", "result")), (l - 1, l), note=notes.get(f"Z_{l}", ""))
            self._add(step, self.Zs[l - 1] if self.forward_fn is not None else None, LABKIT_FORWARD)
            step = Step("forward", "Y", l, f"Y_{l}", f"layer {l}: the activation, {phi.name}",
                        f"Y_{{{l}}} = \\phi_{{{l}}}(Z_{{{l}}}) = {_phi_latex(phi, l)}", Y,
                        (Term(_s("Z", l), Z), Term(_s("Y", l) + yours, Y, _PHI_TEXT.get(type(phi), "φ") + " →",
                                                    "result")), (l, l), note=notes.get(f"Y_{l}", ""))
            self._add(step, self.Ys[l] if self.forward_fn is not None else None, LABKIT_FORWARD)

    def _student_forward(self) -> tuple[Arrays, Arrays, dict[str, str]]:
        """The student's Zs and Ys as arrays, and a note on each one of the wrong type or shape."""
        assert self.forward_fn is not None
        result = self.forward_fn([W.copy() for W in self.W], [b.copy() for b in self.b], self.student_acts,
                                 self.X.copy())
        try:
            Zs, Ys = (list(part) for part in result)
        except (TypeError, ValueError):
            raise ValueError(f"your forward should return two lists (Zs, Ys); it returned {type(result).__name__}."
                             ) from None
        if len(Zs) != self.L or len(Ys) != self.L + 1:
            raise ValueError(f"your forward returned {len(Zs)} Zs and {len(Ys)} Ys; a {self.L}-layer network needs "
                             f"{self.L} Zs and {self.L + 1} Ys (Ys[0] = X).")
        notes: dict[str, str] = {}
        out_Z, out_Y = [], [self.X]
        for l in range(1, self.L + 1):
            Z, notes[f"Z_{l}"] = _student_array(Zs[l - 1], self.Zs[l - 1].shape, f"your Zs[{l - 1}]")
            Y, notes[f"Y_{l}"] = _student_array(Ys[l], self.Ys[l].shape, f"your Ys[{l}]")
            out_Z.append(Z)
            out_Y.append(Y)
        return out_Z, out_Y, notes

    # -- loss ---------------------------------------------------------------------------------

    def loss_step(self, Y: np.ndarray) -> None:
        """E of the output; a student's (from their forward pass) is checked against labkit's."""
        L = self.L
        loss = self.student_loss if self.forward_fn is not None else self.loss
        fits = Y.shape == self.T.shape and bool(np.all(np.isfinite(Y)))
        E = np.array(float(loss.forward(self.T, Y)) + decay_penalty(self.W, self.lam) if fits else np.nan)
        decay = r" + \frac{\lambda}{2}\sum_l \|W_l\|^2" if self.lam else ""
        step = Step("loss", "E", L, "E", f"the loss, {self.loss.name}, a mean over the {self.N} rows",
                    f"E = {_loss_latex(self.loss, L)}{decay}", E,
                    (Term(_s("Y", L), Y), Term("T (targets)", self.T, ","), Term("E", E, "=", "result")), (L, L + 1))
        self._add(step, np.array(self._loss_of_parameters()) if self.forward_fn is not None else None,
                  LABKIT_FORWARD)

    # -- backward -----------------------------------------------------------------------------

    def backward_steps(self, Zs: Arrays, Ys: Arrays) -> tuple[Arrays, Arrays]:
        """Labkit's backprop step by step (with any planted mistake), or beside it the student's gradients.

        A student's backprop returns no deltas: those steps show labkit's, on labkit's forward pass, unchecked.
        """
        student_W, student_b = self._student_backprop(Zs, Ys) if self.backprop_fn is not None else (None, None)
        delta = self._output_delta_steps()
        grad_W: Arrays = []
        grad_b: Arrays = []
        for l in range(self.L, 0, -1):
            gW, gb = self._gradient_steps(l, Ys[l - 1], delta, student_W, student_b)
            grad_W.insert(0, gW)
            grad_b.insert(0, gb)
            if l > 1:
                terms = (Term(_s("Δ", l), delta), Term(_s("W", l) + "ᵀ", self.W[l - 1].T, "·"))
                delta = self._delta_step(l - 1, terms, delta @ self.W[l - 1].T, f"(\\Delta_{{{l}}} W_{{{l}}}^\\top)",
                                         (l - 1, l), f"layer {l - 1}'s delta, sent back through W_{l}")
        return grad_W, grad_b

    @property
    def _hidden(self) -> str:
        """How a value the student's backprop does not return is labelled ('' when labkit's backprop runs)."""
        return " (labkit's)" if self.backprop_fn is not None else ""

    def _add_hidden(self, step: Step, reference: Callable[[], np.ndarray]) -> None:
        """Append a step of labkit's backprop: checked, or (when the student's backprop hides it) noted."""
        if self.backprop_fn is None:
            self._add(step, reference())
        else:
            self._add(replace(step, note="labkit's value: your backprop does not return it, so it cannot be checked."))

    def _output_delta_steps(self) -> np.ndarray:
        """dE/dY_L and Delta_L (one step for softmax + cross entropy); returns Delta_L."""
        L = self.L
        n = 1 if "missing_1_over_n" in self.mistakes else self.N  # the planted mistake: no 1/N
        Y_L = self.Ys[-1]
        if isinstance(self.acts[-1], Softmax) and isinstance(self.loss, CategoricalCrossEntropy):
            delta = (Y_L - self.T) / n  # softmax + cross entropy: the chain rule collapses to (Y_L - T) / N
            step = Step("backward", "Delta", L, f"Delta_{L}", "the output layer's delta (softmax + cross entropy)",
                        f"\\Delta_{{{L}}} = {_one_over(n)}(Y_{{{L}}} - T)", delta,
                        (Term(_s("Y", L), Y_L), Term("T", self.T, "−"),
                         Term(_s("Δ", L) + self._hidden, delta, "=", "result")), (L, L))
            self._add_hidden(step, lambda: self._numerical_delta(L))
            return delta
        dY = self.loss.backward(self.T, Y_L) * (self.N / n)
        step = Step("backward", "dE/dY", L, f"dE/dY_{L}", "the loss's slope at the output (the 1/N is here)",
                    f"\\frac{{\\partial E}}{{\\partial Y_{{{L}}}}} = {_loss_gradient_latex(L, n)}", dY,
                    (Term(_s("Y", L), Y_L), Term("T", self.T, ","),
                     Term("∂E/∂" + _s("Y", L) + self._hidden, dY, "=", "result")), (L, L + 1))
        self._add_hidden(step, lambda: numerical_gradient(lambda Y: self.loss.forward(self.T, Y), Y_L.copy(), self.h))
        return self._delta_step(L, (Term("∂E/∂" + _s("Y", L), dY),), dY,
                                f"\\frac{{\\partial E}}{{\\partial Y_{{{L}}}}}", (L, L),
                                "the output layer's delta, dE/dZ")

    def _delta_step(self, l: int, terms: tuple[Term, ...], grad_Y: np.ndarray, grad_latex: str,
                    columns: tuple[int, int], title: str) -> np.ndarray:
        """The step Delta_l = dE/dY_l ⊙ phi_l'(Z_l); returns Delta_l."""
        phi = self.acts[l - 1]
        at = "Y" if "phi_prime_at_output" in self.mistakes else "Z"  # "Y": the planted mistake
        evaluated_at = self.Ys[l] if at == "Y" else self.Zs[l - 1]
        delta = phi.backward(evaluated_at, grad_Y)
        if not isinstance(phi, Softmax):  # softmax's Jacobian is no element-wise factor
            terms += (Term(f"φ{_sub(l)}′({at}{_sub(l)})", phi.derivative(evaluated_at), "⊙"),)
        terms += (Term(_s("Δ", l) + self._hidden, delta, "=", "result"),)
        step = Step("backward", "Delta", l, f"Delta_{l}", title,
                    f"\\Delta_{{{l}}} = {grad_latex} \\odot \\phi_{{{l}}}'({at}_{{{l}}})", delta, terms, columns)
        self._add_hidden(step, lambda: self._numerical_delta(l))
        return delta

    def _gradient_steps(self, l: int, Y_in: np.ndarray, delta: np.ndarray, student_W: list[Any] | None,
                        student_b: list[Any] | None) -> tuple[np.ndarray, np.ndarray]:
        """The steps dE/dW_l and dE/db_l, each checked against finite differences; returns the two gradients."""
        W = self.W[l - 1]
        lam = self.lam / 2 if "half_lambda" in self.mistakes else self.lam  # lambda / 2: the planted mistake
        terms: tuple[Term, ...] = (Term(_s("Y", l - 1) + "ᵀ", Y_in.T), Term(_s("Δ", l) + self._hidden, delta, "·"))
        decay = ""
        if self.lam:
            terms += (Term(("λ/2·" if lam != self.lam else "λ·") + _s("W", l), lam * W, "+"),)
            decay = f" + \\frac{{\\lambda}}{{2}} W_{{{l}}}" if lam != self.lam else f" + \\lambda W_{{{l}}}"
        if student_W is not None and student_b is not None:
            gW, W_note = _student_array(student_W[l - 1], W.shape, f"your grad_W[{l - 1}]")
            gb, b_note = _student_array(student_b[l - 1], self.b[l - 1].shape, f"your grad_b[{l - 1}]")
        else:
            gW, W_note = Y_in.T @ delta + lam * W, ""
            gb, b_note = delta.sum(axis=0), ""
        yours = " (yours)" if student_W is not None else ""
        step = Step("backward", "dW", l, f"dE/dW_{l}", f"the gradient of W_{l}: the shape of W_{l}",
                    f"\\frac{{\\partial E}}{{\\partial W_{{{l}}}}} = Y_{{{l - 1}}}^\\top \\Delta_{{{l}}}{decay}", gW,
                    terms + (Term("∂E/∂" + _s("W", l) + yours, gW, "=", "result"),), (l - 1, l), note=W_note)
        self._add(step, self._numerical_parameter_gradient(W))
        step = Step("backward", "db", l, f"dE/db_{l}", f"the gradient of b_{l}: Delta_{l} summed over the rows",
                    f"\\frac{{\\partial E}}{{\\partial b_{{{l}}}}} = \\sum_{{\\mathrm{{rows}}}} \\Delta_{{{l}}}", gb,
                    (Term(_s("Δ", l) + self._hidden, delta),
                     Term("∂E/∂" + _s("b", l) + yours, gb, "Σ rows →", "result")), (l, l), note=b_note)
        self._add(step, self._numerical_parameter_gradient(self.b[l - 1]))
        return gW, gb

    def _student_backprop(self, Zs: Arrays, Ys: Arrays) -> tuple[list[Any], list[Any]]:
        assert self.backprop_fn is not None
        result = self.backprop_fn([W.copy() for W in self.W], self.student_acts, self.student_loss,
                                  [Z.copy() for Z in Zs], [Y.copy() for Y in Ys], self.T.copy())
        try:
            grad_W, grad_b = (list(part) for part in result)
        except (TypeError, ValueError):
            raise ValueError(f"your backprop should return two lists (grad_W, grad_b); it returned "
                             f"{type(result).__name__}.") from None
        if len(grad_W) != self.L or len(grad_b) != self.L:
            raise ValueError(f"your backprop returned {len(grad_W)} weight and {len(grad_b)} bias gradients; "
                             f"a {self.L}-layer network needs {self.L} of each.")
        return grad_W, grad_b

    # -- update -------------------------------------------------------------------------------

    def update_steps(self, grad_W: Arrays, grad_b: Arrays) -> tuple[Arrays, Arrays]:
        """W_l <- W_l - eta dE/dW_l and b_l likewise, checked against the step finite differences would take."""
        new_W, new_b = [], []
        step_op = f"− {self.eta:g} ·"
        for l in range(1, self.L + 1):
            W, b, gW, gb = self.W[l - 1], self.b[l - 1], grad_W[l - 1], grad_b[l - 1]
            fits = gW.shape == W.shape and gb.shape == b.shape
            W_new = W - self.eta * gW if fits else np.full(W.shape, np.nan)
            b_new = b - self.eta * gb if fits else np.full(b.shape, np.nan)
            new_W.append(W_new)
            new_b.append(b_new)
            equation = (f"W_{{{l}}} \\leftarrow W_{{{l}}} - \\eta \\frac{{\\partial E}}{{\\partial W_{{{l}}}}}, \\quad "
                        f"b_{{{l}}} \\leftarrow b_{{{l}}} - \\eta \\frac{{\\partial E}}{{\\partial b_{{{l}}}}}")
            terms = (Term(_s("W", l), W), Term("∂E/∂" + _s("W", l), gW, step_op),
                     Term("new " + _s("W", l), W_new, "=", "result"))  # b_l moves the same way (in the equation)
            step = Step("update", "update", l, f"update W_{l}, b_{l}", f"layer {l}: a step downhill, η = {self.eta:g}",
                        equation, W_new, terms, (l - 1, l),
                        note="" if fits else "the gradient has the wrong shape: there is no update to make.")
            self._add(step, W - self.eta * self._numerical_parameter_gradient(self.W[l - 1]),
                      label="finite-diff. step")
        return new_W, new_b


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_PHI_TEXT = {Tanh: "tanh", Sigmoid: "σ", ReLU: "max(·, 0)", Softmax: "softmax", Identity: "id"}


def _sub(l: int) -> str:
    return str(l).translate(_SUBSCRIPTS)


def _s(symbol: str, l: int) -> str:
    """A symbol with a layer subscript, as plain text for figures: _s("W", 2) == "W₂"."""
    return symbol + _sub(l)


def _one_over(n: int) -> str:
    return r"\frac{1}{N}" if n > 1 else ""


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


def _loss_gradient_latex(L: int, n: int) -> str:
    """dE/dY_L for any loss: the 1/N of the mean (n = N; n = 1 with it left out) times the derivative ell' of one
    sample's loss. Written out for a given loss it would be the answer to notebook 02's first exercise."""
    return f"{_one_over(n)}\\,\\ell'(Y_{{{L}}}, T)"


# -- drawing: a step's picture, its artists made once and updated in place ------------------

HIGHLIGHT, HIGHLIGHT_NODE = "#FFEDB3", "#F5C242"
MAX_WRITTEN = 64  # arrays with at most this many entries get their values written in
MONO_ADVANCE = 0.602  # width of a character of DejaVu Sans Mono (matplotlib ships it), in ems
DIGIT_HEIGHT = 0.729  # height of its digits above the baseline, in ems
LABEL_PX, GAP_PX = 92, 24  # the narrowest slot a panel gets (room for its title), the gap for an operator


_NO_PATH = Path(np.zeros((1, 2)), [Path.MOVETO])


@functools.cache
def _glyph(char: str) -> tuple[np.ndarray, np.ndarray]:
    """The outline (vertices, codes) of one character of DejaVu Sans Mono at size 1, origin on the baseline."""
    mono = FontProperties(fname=findfont(FontProperties(family="DejaVu Sans Mono")))
    outline = TextPath((0, 0), char, size=1, prop=mono)
    return np.asarray(outline.vertices), np.asarray(outline.codes)


def _text_rows(rows: list[str], centre: float, top: float, height: float, size: float) -> Path:
    """Rows of monospace text as one path of glyph outlines, row i centred on (centre, top - (i + 1/2) height).

    matplotlib 3.11 draws a Text glyph by glyph in Python (about 75 us each); the numbers of a step are
    hundreds of glyphs, so they are drawn as one filled path instead, from outlines made once per character.
    """
    vertices, codes = [], []
    for i, row in enumerate(rows):
        x0 = centre - len(row) * MONO_ADVANCE * size / 2
        y0 = top - (i + 0.5) * height - DIGIT_HEIGHT * size / 2
        for k, char in enumerate(row):
            if char != " ":
                outline, kinds = _glyph(char)
                vertices.append(outline * size + (x0 + k * MONO_ADVANCE * size, y0))
                codes.append(kinds)
    return Path(np.concatenate(vertices), np.concatenate(codes)) if vertices else _NO_PATH


def _as_grid(value: np.ndarray) -> np.ndarray:
    """Any array as the 2-D grid a heat map shows: a vector (n,) as one row, a scalar as one cell."""
    value = np.asarray(value, dtype=np.float64)
    return value.reshape(1, -1) if value.ndim < 2 else value.reshape(value.shape[0], -1)


def _number(v: float) -> str:
    """A value in at most five characters, for a heat-map cell: -0.12, 3.40, -12.3, 2e-3."""
    if not np.isfinite(v):
        return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")
    if v == 0 or 0.01 <= abs(v) < 10:
        return f"{v:.2f}"
    if 10 <= abs(v) < 100:
        return f"{v:.1f}"
    return f"{v:.0e}".replace("e-0", "e-").replace("e+0", "e")


def _gap(op: str) -> float:
    """Pixels between two panels: room for the operator drawn there ("·", "tanh →", "Σ rows →")."""
    return GAP_PX + 7.0 * max(len(op) - 2, 0)


def _readout(step: Step) -> tuple[str, str]:
    """The check readout under a step's counterpart panel, and its colour."""
    if step.error is None:
        return "", GREY
    if step.error == np.inf:
        return "wrong shape ✗", VERMILLION
    return (f"rel. error {step.error:.0e} " + ("✗" if step.wrong else "✓"), VERMILLION if step.wrong else GREEN)


class StepView:
    """Draws the steps of a trace into a rectangle of a figure: the network diagram, then the arrays.

    Every array is a heat map (vermillion > 0, blue < 0) at one cell size for the whole trace, so
    shapes compare at a glance, with its values written in when it is small. rect: (left, bottom,
    width, height) in figure fractions. header: write the step's title and equation above the
    picture (for static pages; the widget shows them as HTML). The artists are made for the first
    trace shown and updated in place for every step after it: a redraw only repaints.
    """

    def __init__(self, figure: Figure, rect: tuple[float, float, float, float] = (0, 0, 1, 1),
                 header: bool = False):
        self.figure, self.rect, self.header = figure, rect, header
        self._built_for: tuple[Any, ...] | None = None
        self._artists: list[Any] = []

    def show(self, trace: Trace, index: int, gradients: bool = False) -> None:
        """Show step ``index`` of ``trace``; ``gradients``: the edges show dE/dW_l instead of W_l."""
        shapes = tuple(tuple(_as_grid(term.value).shape for term in step.terms) for step in trace)
        key = (tuple(trace.layer_sizes), tuple(trace.activation_names), shapes)
        if key != self._built_for:
            self._build(trace)
            self._built_for = key
        step = trace[index]
        self._show_diagram(trace, index, step, gradients)
        self._show_panels(step)
        self.frame.set_visible(index == trace.first_wrong)
        if self.header:
            self._show_header(trace, index, step)

    # -- building ------------------------------------------------------------------------------

    def _build(self, trace: Trace) -> None:
        for artist in self._artists:
            artist.remove()
        self._artists = []
        left, bottom, width, height = self.rect
        body = height * (0.8 if self.header else 1.0)
        self._build_diagram(trace, (left + 0.005 * width, bottom + 0.03 * body, 0.22 * width, 0.94 * body))
        self._build_panels(trace, left + 0.235 * width, 0.76 * width, bottom, body)
        self.frame = self._keep(Rectangle((left + 0.001, bottom + 0.002), width - 0.002, height - 0.004,
                                          transform=self.figure.transFigure, fill=False, ec=VERMILLION, lw=2.5,
                                          visible=False))
        self.figure.add_artist(self.frame)
        if self.header:
            y = bottom + height * 0.9
            self.title = self._text(left + 0.01 * width, y, "", fontsize=10, weight="bold", va="center")
            self.equation = self._text(left + 0.25 * width, y, "", fontsize=11, va="center")
            self.marker = self._text(left + 0.99 * width, y, "", fontsize=10, weight="bold", va="center", ha="right",
                                     color=VERMILLION)
            separator = Line2D([left, left + width], [bottom + height] * 2, color=GREY, lw=0.5,
                               transform=self.figure.transFigure)
            self.figure.add_artist(self._keep(separator))

    def _keep(self, artist: Any) -> Any:
        self._artists.append(artist)
        return artist

    def _text(self, x: float, y: float, text: str, **kwargs: Any) -> Text:
        return self._keep(self.figure.text(x, y, text, **kwargs))

    def _build_diagram(self, trace: Trace, rect: tuple[float, float, float, float]) -> None:
        ax = self._keep(self.figure.add_axes(rect))
        ax.axis("off")
        sizes, L = trace.layer_sizes, len(trace.layer_sizes) - 1
        positions = [np.column_stack([np.full(n, i), np.linspace((n - 1) / 2, -(n - 1) / 2, n)])
                     for i, n in enumerate(sizes)]
        tallest = max(sizes)
        self.tallest = tallest
        ax.set(xlim=(-0.4, L + 1.15), ylim=(-tallest / 2 - 0.75, tallest / 2 + 0.45))
        self.highlight = ax.add_patch(Rectangle((0, 0), 1, 1, fc=HIGHLIGHT, ec="none", zorder=0))
        self.edges: list[list[Line2D]] = [
            [ax.add_line(Line2D(*zip(positions[l][i], positions[l + 1][j]), color=GREY, lw=1, zorder=1))
             for i in range(sizes[l]) for j in range(sizes[l + 1])] for l in range(L)]
        everything = np.vstack(positions)
        self.nodes = ax.scatter(everything[:, 0], everything[:, 1], s=200, c="white", edgecolors="k", zorder=3)
        names = ["X"] + [f"{l}: {name[:4]}" for l, name in enumerate(trace.activation_names, start=1)]
        for l, name in enumerate(names):  # one label per column (a label per node would cost more to draw)
            ax.text(l, -tallest / 2 - 0.1, name, ha="center", va="top", fontsize=8)
        ax.add_line(Line2D([L, L + 0.62], [0, 0], color=GREY, lw=1, ls=":", zorder=1))
        self.loss_node = ax.text(L + 0.8, 0, "E", ha="center", va="center", fontsize=10, zorder=4,
                                 bbox={"boxstyle": "round", "fc": "white", "ec": "k"})
        self.diagram_title = ax.text(0, 1, "", transform=ax.transAxes, ha="left", va="top", fontsize=8)

    def _build_panels(self, trace: Trace, start: float, width: float, bottom: float, body: float) -> None:
        """One axes for all the panels, in pixel coordinates; a cell size at which the widest step fits;
        then for each panel slot its image, its title, its rows of numbers, its operator and readout."""
        fig_w, fig_h = self.figure.get_size_inches() * self.figure.dpi
        room_w, height = width * fig_w, body * fig_h
        room_h = height - 50  # a title line above the tallest array, a readout below it
        ax = self.canvas = self._keep(self.figure.add_axes((start, bottom, width, body)))
        ax.axis("off")
        ax.set(xlim=(0, room_w), ylim=(0, height))
        ax.set_autoscale_on(False)
        grids = [[(_as_grid(term.value).shape, _gap(term.op)) for term in step.terms] for step in trace]
        rows = max(r for terms in grids for (r, _), _ in terms)
        widest = max(sum(LABEL_PX + gap for _, gap in terms) for terms in grids)
        self.squeeze = min(1.0, room_w / widest)  # a narrow figure: narrower slots and gaps
        self.label_px = LABEL_PX * self.squeeze
        cell = min(room_h / rows, 48.0)
        while cell > 1 and any(sum(max(c * cell, self.label_px) + gap * self.squeeze for (_, c), gap in terms)
                               > room_w for terms in grids):
            cell *= 0.94
        self.cell, self.middle = cell, 20 + room_h / 2
        # the values in a monospace font sized (in pixels) so that a 7-character field spans one cell
        self.font_px = min(cell / (7 * MONO_ADVANCE), 10.0 * self.figure.dpi / 72)
        most = max(r * c for terms in grids for (r, c), _ in terms)
        self.write_values = most <= MAX_WRITTEN and self.font_px * 72 / self.figure.dpi >= 4.5
        n_panels = max(len(terms) for terms in grids)
        self.images = [ax.imshow(np.zeros((1, 1)), cmap=CLASS_CMAP, vmin=-1, vmax=1, aspect="auto",
                                 interpolation="nearest", extent=(0, 1, 0, 1)) for _ in range(n_panels)]
        self.titles = [ax.text(0, 0, "", ha="center", va="bottom", fontsize=9)
                       for _ in range(n_panels)]
        self.values = [ax.add_patch(PathPatch(_NO_PATH, fc="k", ec="none", lw=0)) for _ in range(n_panels)]
        self.written: list[list[str]] = [[] for _ in range(n_panels)]  # the rows of values each panel shows
        self.ops = [ax.text(0, self.middle, "", ha="center", va="center", fontsize=11) for _ in range(n_panels)]
        self.readouts = [ax.text(0, 0, "", ha="center", va="top", fontsize=8.5) for _ in range(n_panels)]

    # -- updating ------------------------------------------------------------------------------

    def _show_diagram(self, trace: Trace, index: int, step: Step, gradients: bool) -> None:
        L, tallest = len(trace.layer_sizes) - 1, self.tallest
        first, last = step.columns
        self.highlight.set_bounds(first - 0.3, -tallest / 2 - 0.7, last - first + 0.6, tallest + 0.95)
        weights, _ = trace.diagram_values(index, gradients)
        known = [float(np.abs(W).max()) for W in weights if W is not None and W.size and np.isfinite(W).all()]
        biggest = max(known, default=1.0) or 1.0
        active = last if last == first + 1 and last <= L else None  # the layer whose weights the step uses
        for l, (layer, W) in enumerate(zip(self.edges, weights), start=1):
            values = list(W.ravel()) if W is not None and W.size == len(layer) else [None] * len(layer)
            faded = active is not None and l != active
            for line, value in zip(layer, values):
                if value is None or not np.isfinite(value):
                    line.set(color=GREY, lw=0.6, alpha=0.6, linestyle=":")
                else:
                    line.set(color=VERMILLION if value > 0 else BLUE, lw=0.4 + 3.6 * min(abs(value) / biggest, 1),
                             alpha=0.25 if faded else 1.0, linestyle="-")
        colours = []
        for column, n in enumerate(trace.layer_sizes):
            colours += [HIGHLIGHT_NODE if first <= column <= last else "white"] * n
        self.nodes.set_facecolor(colours)
        loss_box = self.loss_node.get_bbox_patch()
        if loss_box is not None:
            loss_box.set_facecolor(HIGHLIGHT_NODE if last == L + 1 else "white")
        self.diagram_title.set_text("edges: ∂E/∂W, width ~ size (dotted: not yet computed)" if gradients else
                                    "edges: W, vermillion > 0, blue < 0, width ~ |w|")

    def _show_panels(self, step: Step) -> None:
        x, cell = 0.0, self.cell
        for k, (image, title, values, op, readout) in enumerate(zip(self.images, self.titles, self.values, self.ops,
                                                                   self.readouts)):
            term = step.terms[k] if k < len(step.terms) else None
            for artist in (image, title, values, op, readout):
                artist.set_visible(term is not None)
            if term is None:
                self.written[k] = []
                continue
            grid = _as_grid(term.value)
            r, c = grid.shape
            gap, slot = _gap(term.op) * self.squeeze, max(c * cell, self.label_px)
            op.set(text=term.op, x=x + gap / 2)
            centre, top, bottom = x + gap + slot / 2, self.middle + r * cell / 2, self.middle - r * cell / 2
            x += gap + slot
            finite = np.isfinite(grid)
            limit = (float(np.abs(grid[finite]).max()) if finite.any() else 0.0) or 1.0
            image.set_data(grid)
            image.set_extent((centre - c * cell / 2, centre + c * cell / 2, bottom, top))
            image.set_clim(-1.5 * limit, 1.5 * limit)  # no colour so deep that black text gets hard to read
            title.set(text=f"{term.label} {_shape(term.value)}", x=centre, y=top + 3,
                      color=VERMILLION if term.role == "check" and step.wrong else "k")
            self.written[k] = ["".join(f" {_number(v):>5} " for v in row) for row in grid] if self.write_values else []
            values.set_path(_text_rows(self.written[k], centre, top, cell, self.font_px))
            text, colour = _readout(step) if term.role == "check" else ("", "k")
            readout.set(text=text, color=colour, x=centre, y=bottom - 4)

    def _show_header(self, trace: Trace, index: int, step: Step) -> None:
        where = "the loss" if step.kind == "E" else f"layer {step.layer}"
        first = index == trace.first_wrong
        self.title.set(text=f"{index + 1}. {step.phase}, {where}", color=VERMILLION if first else "k")
        self.equation.set_text(f"${step.equation}$")
        self.marker.set_text(f"✗ the first step that parts from {step.against}" if first else "")


def step_strip(trace: Trace, gradients: bool = False, width: float = 13.0, row_height: float = 2.6) -> Figure:
    """Every step of ``trace`` as one row of a tall figure (title, equation, diagram, arrays), for static pages.

    The first step that parts from its counterpart has a red frame. gradients: the diagrams' edges
    show dE/dW_l once it is computed instead of W_l. Returns a pyplot figure (``plt.show()`` shows it).
    """
    n = len(trace)
    height = row_height * n + 0.5
    figure = plt.figure(figsize=(width, height), dpi=80)
    for i in range(n):
        top = 1 - (0.5 + i * row_height) / height
        StepView(figure, (0, top - row_height / height, 1, row_height / height), header=True).show(trace, i, gradients)
    figure.text(0.01, 1 - 0.25 / height, trace.verdict(), fontsize=11, va="center",
                color=VERMILLION if trace.first_wrong is not None else "k")
    return figure


# -- the widget ------------------------------------------------------------------------------


def example_network(seed: int = 0) -> DenseNetwork:
    """The step-through's default: 2 inputs -> 3 tanh -> 2 tanh -> 1 sigmoid, BCE, learning rate 0.5."""
    return build_network(2, [3, "tanh", 2, "tanh", 1, "sigmoid"], "bce", GradientDescent(0.5), seed=seed)


def _png(figure: Figure) -> bytes:
    """The figure as PNG, compressed lightly: encoding is a tenth of a redraw, and the picture is small anyway."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


_CHIP = ("display:inline-block;margin:1px 2px;padding:0 5px;border-radius:3px;font-size:12px;"
         "line-height:18px;border:{border};background:{background};color:{colour}")


class StepThrough:
    """Watch one training step of a small network, one equation at a time: forward, loss, backward, update.

    Buttons step back and forth (play walks on by itself); each step shows its equation, the
    network diagram with the step's layers highlighted, and the arrays it combines with their
    shapes. Every gradient, dE/dY_L and every Delta_l stand beside their finite-difference
    counterparts; the row of steps below the equation turns red where the numbers first part.

    net, X, y: the network (float64) and the batch, X (N, input_size), y (N, n_outputs); by default
    ``example_network()`` on the four XOR points. weight_decay: lambda. mistakes: names from
    ``MISTAKES`` to tick at the start (each has a checkbox). forward, backprop, student_activations,
    student_loss: a student's functions and objects, as for ``trace``; the student's code is then
    compared with what can be observed (each Z_l and Y_l against labkit's, each gradient against
    finite differences), and the mistake switches are off. interval: ms per step when playing.

    In a notebook (tag the cell ``nbval-ignore-output``, as every widget cell):

        from labkit.stepthrough import StepThrough
        StepThrough()                                                  # labkit's backprop on XOR
        StepThrough(mistakes=["phi_prime_at_output"])                  # where does phi'(Y) show?
        net = lk.build_network(2, [3, "tanh", 1, "sigmoid"], "bce", lk.GradientDescent(0.5), seed=3)
        StepThrough(net, X, y, forward=forward, backprop=backprop,     # notebook 02's functions, run
                    student_activations=[Tanh(), Sigmoid()], student_loss=BinaryCrossEntropy())

    ``strip()`` draws every step into one figure (for printing or a static page).
    """

    def __init__(self, net: DenseNetwork | None = None, X: ArrayLike | None = None, y: ArrayLike | None = None,
                 *, weight_decay: float = 0.0, mistakes: Sequence[str] = (), forward: ForwardFn | None = None,
                 backprop: BackpropFn | None = None, student_activations: Sequence[Any] | None = None,
                 student_loss: Any = None, interval: int = 1500):
        if X is None or y is None:
            X, y = xor()
        self.net = net if net is not None else example_network()
        self.X, self.y = X, y
        self.student = {"forward": forward, "backprop": backprop, "student_activations": student_activations,
                        "student_loss": student_loss}
        yours = forward is not None or backprop is not None
        button = w.Layout(width="86px")
        self.back_button = w.Button(description="back", icon="step-backward", layout=button)
        self.next_button = w.Button(description="next", icon="step-forward", layout=button)
        self.reset_button = w.Button(description="reset", icon="refresh", layout=button)
        self.play = w.Play(interval=interval, min=0, max=1, step=1, show_repeat=False, description="play")
        self.slider = w.IntSlider(min=0, max=1, description="step", readout=False, layout=w.Layout(width="220px"),
                                  style={"description_width": "36px"})
        w.link((self.play, "value"), (self.slider, "value"))
        self.gradients = w.Checkbox(description="edges show ∂E/∂W instead of W", indent=False,
                                    layout=w.Layout(width="auto"))
        mistakes = known_mistakes(mistakes)
        self.mistakes = {name: w.Checkbox(value=name in mistakes, description=label, indent=False, disabled=yours,
                                          tooltip=MISTAKES[name], layout=w.Layout(width="auto"))
                         for name, label in SWITCHES.items()}
        decays = sorted({0.0, 0.01, 0.1, 1.0, float(weight_decay)})
        self.weight_decay = w.Dropdown(options=decays, value=float(weight_decay), description="λ (decay)",
                                       disabled=yours, layout=w.Layout(width="170px"),
                                       style={"description_width": "64px"})
        self.header = w.HTML()
        self.equation = w.HTMLMath()
        self.timeline = w.HTML()
        # 72 dpi: drawn at the size it is shown (936 px wide), in fewer pixels to fill and encode than at 80
        self.figure = Figure(figsize=(13, 3.3), dpi=72)
        # as wide as the column allows (no margin: with one, 100% would overflow it), never wider than drawn
        self.image = w.Image(format="png", layout=w.Layout(width="100%", max_width=f"{13 * 72}px", height="auto",
                                                          margin="0"))
        self.view = StepView(self.figure)
        self.trace: Trace | None = None
        self.error = ""
        self.redraw_times: list[tuple[float, float]] = []  # (wall, CPU) seconds of each redraw, for the curious
        self._pictures: dict[tuple[int, bool], bytes] = {}  # PNG of each step drawn for this trace: back is instant

        self.back_button.on_click(lambda _: self.back())
        self.next_button.on_click(lambda _: self.next())
        self.reset_button.on_click(lambda _: self.reset())
        self.slider.observe(lambda change: self.redraw(), names="value")
        self.gradients.observe(lambda change: self.redraw(), names="value")
        for control in (*self.mistakes.values(), self.weight_decay):
            control.observe(lambda change: self.recompute(), names="value")

        rows = w.Layout(flex_flow="row wrap", align_items="center")
        self.widget = w.VBox([
            w.HBox([self.back_button, self.next_button, self.reset_button, self.play, self.slider, self.header],
                   layout=rows),
            w.HBox([self.gradients, w.HTML("<b>plant a mistake:</b>"), *self.mistakes.values(), self.weight_decay],
                   layout=rows),
            self.equation, self.timeline, self.image,
        ], layout=w.Layout(width="100%", max_width="100%"))
        self.widget.add_class("labkit-stepthrough")
        self.recompute()

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)

    # -- model ------------------------------------------------------------------------------

    @property
    def index(self) -> int:
        """The step on show, from 0."""
        return int(self.slider.value)

    def recompute(self) -> None:
        """Trace the step again with the current switches (the step on show stays), then redraw."""
        mistakes = [name for name, box in self.mistakes.items() if box.value]
        try:
            self.trace = trace(self.net, self.X, self.y, weight_decay=self.weight_decay.value, mistakes=mistakes,
                               **self.student)
            self.error = ""
        except Exception as error:  # the student's code raised, or returned something unusable: say so
            self.trace, self.error = None, explain(error)
        self._pictures = {}
        n = len(self.trace) if self.trace is not None else 1
        self.play.max = self.slider.max = max(n - 1, 1)
        self.redraw()

    def go(self, index: int) -> None:
        """Show step ``index`` (from 0; clipped to the steps there are)."""
        self.slider.value = int(np.clip(index, 0, self.slider.max))

    def next(self) -> None:
        self.go(self.index + 1)

    def back(self) -> None:
        self.go(self.index - 1)

    def reset(self) -> None:
        """Stop playing and go back to the first step."""
        self.play.playing = False
        self.go(0)

    def strip(self) -> Figure:
        """Every step in one figure: ``step_strip`` of the current trace (raises if the student's code failed)."""
        if self.trace is None:
            raise RuntimeError(self.error)
        return step_strip(self.trace, gradients=self.gradients.value)

    # -- view -------------------------------------------------------------------------------

    def redraw(self) -> None:
        """Show the current step: the header, the equation and its check, the row of steps, the picture."""
        started, cpu = time.perf_counter(), time.process_time()
        if self.trace is None:
            self.header.value = "<b style='color:#D55E00'>cannot trace this step</b>"
            self.equation.value = f"<span style='color:#D55E00'>{html.escape(self.error)}</span>"
            self.timeline.value = ""
            return
        index = min(self.index, len(self.trace) - 1)
        step = self.trace[index]
        key = (index, bool(self.gradients.value))
        drawn = key not in self._pictures
        if drawn:
            self.view.show(self.trace, index, self.gradients.value)
            self._pictures[key] = _png(self.figure)
        self.image.value = self._pictures[key]
        self.equation.value = self._equation_html(index, step)
        self.timeline.value = self._timeline_html(index)
        where = "the loss" if step.kind == "E" else f"layer {step.layer}"
        self.header.value = (f"<b>Step {index + 1} of {len(self.trace)}</b> · {step.phase} · "
                             f"<span class='labkit-layer'>{where}</span>")
        if drawn:
            self.redraw_times.append((time.perf_counter() - started, time.process_time() - cpu))

    def _equation_html(self, index: int, step: Step) -> str:
        assert self.trace is not None
        lines = [f"<div style='font-size:13px'>{html.escape(step.title)}</div>", f"$${step.equation}$$"]
        shapes = " ".join(f"{html.escape(t.op)} {_shape(t.value)}" for t in step.terms if t.role != "check")
        lines.append(f"<div style='font-size:12px;color:#555'>shapes: {shapes.strip()}</div>")
        if step.checked:
            text, colour = _readout(step)
            first = index == self.trace.first_wrong
            verdict = (f" <b>— the first step that parts from {step.against}</b>" if first else "")
            lines.append(f"<div style='color:{colour}'>{html.escape(step.name)} against {step.against}: "
                         f"{html.escape(text)}{verdict}</div>")
        if step.note:
            lines.append(f"<div style='font-size:12px;color:#555'>{html.escape(step.note)}</div>")
        colour = VERMILLION if self.trace.first_wrong is not None else "#333"
        lines.append(f"<div style='font-size:12px;color:{colour}'>{html.escape(self.trace.verdict())}</div>")
        return "\n".join(lines)

    def _timeline_html(self, index: int) -> str:
        """A chip per step: grey unchecked, green agrees, pink parts, red the first to part; outlined: on show."""
        assert self.trace is not None
        chips = []
        for i, step in enumerate(self.trace):
            colour = "#333"
            background = "#eee" if not step.checked else ("#FBE3D6" if step.wrong else "#DFF2EA")
            if i == self.trace.first_wrong:
                background, colour = VERMILLION, "white"
            border = "2px solid #000" if i == index else "2px solid transparent"
            label = html.escape(step.name.replace("Delta_", "Δ").replace("update ", "↓"))
            mark = " ✗" if i == self.trace.first_wrong else ""
            chips.append(f"<span style='{_CHIP.format(border=border, background=background, colour=colour)}'"
                         f" title='{html.escape(step.title)}'>{i + 1}. {label}{mark}</span>")
        return f"<div style='display:flex;flex-wrap:wrap;max-width:100%'>{''.join(chips)}</div>"


def _shape(value: np.ndarray) -> str:
    return "scalar" if value.ndim == 0 else str(value.shape).replace(",)", ")")

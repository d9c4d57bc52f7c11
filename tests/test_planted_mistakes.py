"""A student who makes the usual mistakes gets a check message that names them.

Each test takes the student release of a notebook, fills every exercise with the
instructors' solution except one, where it plants a known mistake, runs the notebook
in a kernel, and asserts what the check after that exercise says: the mistake by
name, in one line, with no traceback into labkit.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from labkit.tools import assignments
from tests.notebook_helpers import fill, solutions

pytestmark = pytest.mark.slow  # each test runs a notebook in a kernel

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def plant_all(notebook: str, cases: dict[str, tuple[str, dict[int, str], str]]) -> dict[str, str]:
    """Run the release of ``notebook`` once in one kernel, the instructors' solutions filled in; at each
    exercise, first run it with every planted mistake of ``cases`` (name -> (grade_id, {region index: code},
    expected)) followed by its check, and collect what the check said. Returns name -> check message."""
    source = assignments.read_notebook(NOTEBOOKS / notebook)
    student, _, _ = assignments.student_version(source)
    client = NotebookClient(student, timeout=300, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(NOTEBOOKS)}})
    messages = {}
    last_check = max(i for i, cell in enumerate(source.cells) if assignments.is_check(cell))
    with client.setup_kernel():
        for index, (cell, original) in enumerate(zip(student.cells[:last_check + 1], source.cells)):
            if assignments.is_exercise(original):
                right = solutions(original)
                check_index = next(i for i in range(index + 1, len(student.cells))
                                   if assignments.is_check(student.cells[i]))
                for name, (grade_id, planted, _) in cases.items():
                    if grade_id != original.metadata["nbgrader"]["grade_id"]:
                        continue
                    wrong = nbformat.v4.new_code_cell(fill(cell.source, [
                        textwrap.dedent(planted.get(k, code)) for k, code in enumerate(right)]))
                    check_cell = nbformat.v4.new_code_cell(student.cells[check_index].source)
                    client.execute_cell(wrong, index)
                    client.execute_cell(check_cell, check_index)
                    errors = [o for o in check_cell.outputs if o.output_type == "error"]
                    messages[name] = f"{errors[0].ename}: {errors[0].evalue}" if errors else "(the check passed)"
                cell.source = fill(cell.source, right)
            client.execute_cell(cell, index)
            if cell.cell_type == "code":
                failed = [o for o in cell.outputs if o.output_type == "error"]
                assert not failed, f"{notebook} cell {index} fails with the instructors' solutions: {failed[0]}"
    return messages


def assert_names_the_mistake(message: str, expected: str) -> None:
    assert message.startswith("CheckFailed: "), message
    assert expected in message, message
    assert "Traceback" not in message and "labkit/" not in message, message


NB01 = "01_backprop_derivation.ipynb"

CASES_01 = {
    "phi' at the output in delta^L": (
        "nb01-exercise-delta-L", {0: "return dE_dyL * phi.derivative(phi.forward(zL))"},
        "phi' is evaluated at the layer's output phi(z)"),
    "phi' missing in delta^L": (
        "nb01-exercise-delta-L", {0: "return dE_dyL"}, "the factor phi'(z) of the output layer is missing"),
    "lambda/2 * W in the single-sample gradient": (
        "nb01-exercise-column-backprop", {0: """
            for l in reversed(range(len(Ws))):
                grad_W[l] = np.outer(delta, ys[l]) + lam / 2 * Ws[l]
                grad_b[l] = delta
                if l > 0:
                    delta = (Ws[l].T @ delta) * acts[l - 1].derivative(zs[l - 1])
            """}, "the derivative of (lambda/2) ||W||^2 is lambda * W"),
    "phi' at the output when stepping back": (
        "nb01-exercise-column-backprop", {0: """
            for l in reversed(range(len(Ws))):
                grad_W[l] = np.outer(delta, ys[l]) + lam * Ws[l]
                grad_b[l] = delta
                if l > 0:
                    delta = (Ws[l].T @ delta) * acts[l - 1].derivative(ys[l])
            """}, "phi' is evaluated at the layer's output phi(z)"),
    "transposed single-sample gradient": (
        "nb01-exercise-column-backprop", {0: """
            for l in reversed(range(len(Ws))):
                grad_W[l] = np.outer(ys[l], delta) + lam * Ws[l].T
                grad_b[l] = delta
                if l > 0:
                    delta = (Ws[l].T @ delta) * acts[l - 1].derivative(zs[l - 1])
            """}, "the code convention's"),
    "wrong sign": (
        "nb01-exercise-column-backprop", {0: """
            for l in reversed(range(len(Ws))):
                grad_W[l] = -np.outer(delta, ys[l]) - lam * Ws[l]
                grad_b[l] = -delta
                if l > 0:
                    delta = (Ws[l].T @ delta) * acts[l - 1].derivative(zs[l - 1])
            """}, "wrong sign"),
    "batched gradient divided by N twice": (
        "nb01-exercise-batched-layer", {0: """
            grad_W = Delta.T @ Y_prev / len(Delta)
            grad_b = Delta.sum(axis=0)
            Delta_prev = (Delta @ W) * phi_prev.derivative(Z_prev)
            """}, "the 1/N of the mean is already inside"),
    "batched delta with W transposed": (
        "nb01-exercise-batched-layer", {0: """
            grad_W = Delta.T @ Y_prev
            grad_b = Delta.sum(axis=0)
            Delta_prev = (Delta @ W.T) * phi_prev.derivative(Z_prev)
            """}, "your code raised ValueError in batched_layer, at `Delta_prev = (Delta @ W.T)"),
    "batched gradient transposed": (
        "nb01-exercise-batched-layer", {0: """
            grad_W = Y_prev.T @ Delta
            grad_b = Delta.sum(axis=0)
            Delta_prev = (Delta @ W) * phi_prev.derivative(Z_prev)
            """}, "it is transposed"),
}



NB02 = "02_xor_training.ipynb"
BCE_FORWARD = """
per_entry = y_true * np.log(y_pred + self.eps) + (1 - y_true) * np.log(1 - y_pred + self.eps)
return float(-per_entry.sum() / len(y_true))
"""
BACKPROP = """
delta = loss.backward(y_true, Ys[-1]) * activations[-1].derivative(Zs[-1])
for l in reversed(range(len(weights))):
    grad_W[l] = {grad_W}
    grad_b[l] = delta.sum(axis=0)
    if l > 0:
        delta = {delta}
"""
RIGHT_DELTA = "(delta @ weights[l].T) * activations[l - 1].derivative(Zs[l - 1])"
TRAIN = """
for _ in range(steps):
    Zs, Ys = forward(weights, biases, activations, X)
    {record}
    grad_W, grad_b = backprop(weights, activations, loss, Zs, Ys, y_true)
    for l in range(len(weights)):
        weights[l] = optimizer.step(weights[l], {scale}grad_W[l])
        biases[l] = optimizer.step(biases[l], {scale}grad_b[l])
    {record_after}
"""

CASES_02 = {
    "BCE summed over rows": (
        "nb02-exercise-bce", {0: BCE_FORWARD.replace(" / len(y_true)", "")}, "it is the sum over the rows"),
    "BCE averaged over every entry": (
        "nb02-exercise-bce", {0: BCE_FORWARD.replace("per_entry.sum() / len(y_true)", "per_entry.mean()")},
        "averaged over all N * k entries"),
    "BCE without eps": (
        "nb02-exercise-bce", {0: BCE_FORWARD.replace(" + self.eps", "")}, "contains nan or inf"),
    "BCE gradient without 1/N": (
        "nb02-exercise-bce", {1: "return -(y_true / (y_pred + self.eps) - (1 - y_true) / (1 - y_pred + self.eps))"},
        "the 1/N of the mean belongs in the gradient too"),
    "naive sigmoid": (
        "nb02-exercise-activations", {2: "return 1 / (1 + np.exp(-z))"}, "sigmoid overflows at [-1000.0, 1000.0]"),
    "tanh derivative at the output": (
        "nb02-exercise-activations", {5: "return 1 - np.tanh(np.tanh(z)) ** 2"}, "it is tanh'(tanh(z))"),
    "ReLU derivative 1 at the kink": (
        "nb02-exercise-activations", {1: "return (z >= 0).astype(float)"}, "ReLU derivative at the kink z = 0"),
    "gradient ascent": (
        "nb02-exercise-gd", {0: "return x + self.learning_rate * gradient"}, "it moves up the gradient"),
    "forward without the bias": (
        "nb02-exercise-forward", {0: """
            for W, b, act in zip(weights, biases, activations):
                Zs.append(Ys[-1] @ W)
                Ys.append(act.forward(Zs[-1]))
            """}, "the bias is missing"),
    "forward without Ys[0] = X": (
        "nb02-exercise-forward", {0: """
            Ys.pop()
            Y = X
            for W, b, act in zip(weights, biases, activations):
                Zs.append(Y @ W + b)
                Y = act.forward(Zs[-1])
                Ys.append(Y)
            """}, "Ys starts with the input itself"),
    "backprop with phi' at the output": (
        "nb02-exercise-backprop", {0: BACKPROP.format(
            grad_W="Ys[l].T @ delta", delta="(delta @ weights[l].T) * activations[l - 1].derivative(Ys[l])")},
        "phi' is evaluated at the layer's output phi(z)"),
    "backprop with the wrong layer's output": (
        "nb02-exercise-backprop", {0: BACKPROP.format(grad_W="Ys[l + 1].T @ delta", delta=RIGHT_DELTA)},
        "off by one layer"),
    "backprop with a transposed gradient": (
        "nb02-exercise-backprop", {0: BACKPROP.format(grad_W="delta.T @ Ys[l]", delta=RIGHT_DELTA)},
        "transposed"),
    "backprop without phi' when stepping back": (
        "nb02-exercise-backprop", {0: BACKPROP.format(grad_W="Ys[l].T @ delta", delta="delta @ weights[l].T")},
        "phi' of the hidden layer is missing"),
    "training loop that sums the gradients": (
        "nb02-exercise-train", {0: TRAIN.format(record="history.append(loss.forward(y_true, Ys[-1]))",
                                                scale="len(X) * ", record_after="")},
        "the gradients are summed over the batch"),
    "training loop that rebinds a loop variable": (
        "nb02-exercise-train", {0: TRAIN.format(record="history.append(loss.forward(y_true, Ys[-1]))", scale="",
                                                record_after="")
                                .replace("for l in range(len(weights)):",
                                         "for W, b, gW, gb in zip(weights, biases, grad_W, grad_b):")
                                .replace("weights[l] = optimizer.step(weights[l], grad_W[l])",
                                         "W = optimizer.step(W, gW)")
                                .replace("biases[l] = optimizer.step(biases[l], grad_b[l])",
                                         "b = optimizer.step(b, gb)")},
        "the network never changes"),
    "training loop that records the loss after the step": (
        "nb02-exercise-train", {0: TRAIN.format(
            record="", scale="", record_after="history.append(loss.forward(y_true, forward(weights, biases, "
                                               "activations, X)[1][-1]))")},
        "recorded after its step"),
}



NB03 = "03_mnist_softmax.ipynb"
EPOCH = """
order = {order}
for start in range(0, len(X), batch_size):
    rows = order[start:start + batch_size]
    Zs, Ys = forward_pass(weights, biases, activations, X[rows])
    losses.append(cross_entropy.forward(Y[rows], Ys[-1]))
    deltas = backward_pass(weights, activations, Zs, softmax_cross_entropy_delta(Y[rows], Ys[-1]))
    grad_W, grad_b = parameter_gradients(weights, Ys, deltas)
    for W, b, gW, gb in zip(weights, biases, grad_W, grad_b):
        W -= learning_rate * gW
        {bias_step}
"""

CASES_03 = {
    "softmax without the max shift": (
        "nb03-exercise-softmax", {0: "e = np.exp(z)\nreturn e / e.sum(axis=1, keepdims=True)"},
        "softmax overflows at [[1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, -3000.0]]"),
    "softmax shifted by the largest score of the whole batch": (
        "nb03-exercise-softmax", {0: "e = np.exp(z - z.max())\nreturn e / e.sum(axis=1, keepdims=True)"},
        "softmax breaks down at [[1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, -3000.0]] (invalid value"),
    "softmax over the columns": (
        "nb03-exercise-softmax", {0: "e = np.exp(z - z.max(axis=0, keepdims=True))\n"
                                     "return e / e.sum(axis=0, keepdims=True)"}, "it normalizes each column"),
    "cross entropy without eps": (
        "nb03-exercise-cce", {0: "return float(-(y_true * np.log(y_pred)).sum() / len(y_true))"},
        "contains nan or inf"),
    "cross entropy gradient without 1/N": (
        "nb03-exercise-cce", {1: "return -y_true / (y_pred + self.eps)"}, "it is N = 2 times too large"),
    "fused delta without 1/N": (
        "nb03-exercise-fused", {0: "return y_pred - y_true"}, "the 1/N of the mean is missing"),
    "epoch without shuffling": (
        "nb03-exercise-epoch", {0: EPOCH.format(order="np.arange(len(X))", bias_step="b -= learning_rate * gb")},
        "shuffle them with the rng you are given"),
    "epoch that never moves the weights": (
        "nb03-exercise-epoch", {0: EPOCH.format(order="rng.permutation(len(X))", bias_step="b -= learning_rate * gb")
                                .replace("W -= learning_rate * gW", "W = W - learning_rate * gW")
                                .replace("b -= learning_rate * gb", "b = b - learning_rate * gb")},
        "the network never changes"),
    "epoch that shuffles with np.random": (
        "nb03-exercise-epoch", {0: EPOCH.format(order="np.random.permutation(len(X))",
                                                bias_step="b -= learning_rate * gb")},
        "shuffle with the rng train_epoch is given"),
    "epoch with the delta's arguments swapped": (
        "nb03-exercise-epoch", {0: EPOCH.format(order="rng.permutation(len(X))", bias_step="b -= learning_rate * gb")
                                .replace("softmax_cross_entropy_delta(Y[rows], Ys[-1])",
                                         "softmax_cross_entropy_delta(Ys[-1], Y[rows])")},
        "the steps go uphill"),
    "epoch that records the loss after the step": (
        "nb03-exercise-epoch", {0: EPOCH.format(order="rng.permutation(len(X))", bias_step="b -= learning_rate * gb")
                                .replace("    losses.append(cross_entropy.forward(Y[rows], Ys[-1]))\n", "")
                                + "    losses.append(cross_entropy.forward(Y[rows], forward_pass(weights, biases, "
                                  "activations, X[rows])[1][-1]))\n"},
        "recorded after its step"),
    "epoch with frozen biases": (
        "nb03-exercise-epoch", {0: EPOCH.format(order="rng.permutation(len(X))", bias_step="pass")},
        "the biases never move"),
    "epoch that drops the short batch": (
        "nb03-exercise-epoch", {0: EPOCH.format(order="rng.permutation(len(X))[:len(X) // batch_size * batch_size]",
                                                bias_step="b -= learning_rate * gb")
                                .replace("range(0, len(X), batch_size)", "range(0, len(order), batch_size)")},
        "has 15 losses, but the training takes 16 steps"),
}



NB04 = "04_weight_decay_eigen.ipynb"
SHRINK = """
eigenvalues, U = np.linalg.eigh(H)
d = eigenvalues / (eigenvalues + tau)
return {}
"""

DESCEND = """
w = np.zeros(len(b))
step = 1 / (np.linalg.eigvalsh(H)[-1] + tau)
for _ in range(steps):
    w = w - step * ({gradient})
return w
"""
CHOOSE_TAU = """
fits = [ridge_fit(Phi, t, tau) for tau in taus]
train = np.array([np.mean((Phi @ w - t) ** 2) / 2 for w in fits])
val = np.array([np.mean((Phi_val @ w - t_val) ** 2) / 2 for w in fits])
return train, val, taus[np.argmin({pick})]
"""

CASES_04 = {
    "minimizer with the wrong sign": (
        "nb04-exercise-minimizer", {0: "return np.linalg.solve(H + tau * np.eye(len(b)), b)"}, "it has the wrong sign"),
    "tau added to every entry of H": (
        "nb04-exercise-minimizer", {0: "return np.linalg.solve(H + tau, -b)"}, "tau was added to every entry of H"),
    "minimizer for tau / 2": (
        "nb04-exercise-minimizer", {0: "return np.linalg.solve(H + tau / 2 * np.eye(len(b)), -b)"},
        "the gradient of (tau/2) ||w||^2 is tau w"),
    "gradient of the quadratic taken as (1/2) H w": (
        "nb04-exercise-minimizer", {0: "return np.linalg.solve(H / 2 + tau * np.eye(len(b)), -b)"},
        "not (1/2) H w"),
    "minimizer that ignores tau": (
        "nb04-exercise-minimizer", {0: "return np.linalg.solve(H, -b)"}, "tau is ignored"),
    "the lab's element-wise d * w*": (
        "nb04-exercise-w-tilde", {0: SHRINK.format("d * w_star")}, "the original lab's shortcut"),
    "U and U.T swapped": (
        "nb04-exercise-w-tilde", {0: SHRINK.format("U.T @ (d * (U @ w_star))")}, "U and U.T are swapped"),
    "coordinates taken with U": (
        "nb04-exercise-w-tilde", {0: SHRINK.format("U @ (d * (U @ w_star))")}, "taken with U instead of its transpose"),
    "mapped back with U.T": (
        "nb04-exercise-w-tilde", {0: SHRINK.format("U.T @ (d * (U.T @ w_star))")}, "uses U itself, not its transpose"),
    "tau / (lambda + tau)": (
        "nb04-exercise-w-tilde", {0: SHRINK.format("U @ (tau / (eigenvalues + tau) * (U.T @ w_star))")},
        "the factor is tau / (lambda + tau)"),
    "not mapped back with U": (
        "nb04-exercise-w-tilde", {0: SHRINK.format("d * (U.T @ w_star)")}, "it is beta"),
    "H and b of the sum": (
        "nb04-exercise-ridge", {0: "return Phi.T @ Phi, -Phi.T @ t"}, "both carry a 1/N"),
    "b without the 1/N": (
        "nb04-exercise-ridge", {0: "return Phi.T @ Phi / len(t), -Phi.T @ t"}, "b carries no 1/N"),
    "H and b without the error's 1/2": (
        "nb04-exercise-ridge", {0: "return 2 * Phi.T @ Phi / len(t), -2 * Phi.T @ t / len(t)"},
        "the 2 from expanding the square cancels"),
    "b with the wrong sign": (
        "nb04-exercise-ridge", {0: "return Phi.T @ Phi / len(t), Phi.T @ t / len(t)"}, "b has the wrong sign"),
    "H as Phi Phi^T": (
        "nb04-exercise-ridge", {0: "return Phi @ Phi.T / len(t), -Phi.T @ t / len(t)"}, "H"),
    "ridge fit calling labkit's": (
        "nb04-exercise-ridge", {1: """
            from labkit.weight_decay import ridge_regression
            return ridge_regression(Phi, t, tau)
            """}, "this exercise asks for your own code"),
    "descent without tau w": (
        "nb04-exercise-descend", {0: DESCEND.format(gradient="b + H @ w")}, "it descends on E, towards w*"),
    "descent with (tau/2) w": (
        "nb04-exercise-descend", {0: DESCEND.format(gradient="b + H @ w + tau / 2 * w")}, "not (tau/2) w"),
    "descent with (1/2) H w": (
        "nb04-exercise-descend", {0: DESCEND.format(gradient="b + H @ w / 2 + tau * w")}, "not (1/2) H w"),
    "descent without b": (
        "nb04-exercise-descend", {0: DESCEND.format(gradient="H @ w + tau * w")}, "descends towards 0"),
    "descent up the gradient": (
        "nb04-exercise-descend", {0: DESCEND.format(gradient="-(b + H @ w + tau * w)")}, "w moves up the gradient"),
    "cases of only two kinds": (
        "nb04-exercise-shortcut-cases", {0: """
            diagonal = np.diag([1.5, 0.2, 3.0])
            w = np.array([1.0, -2.0, 0.5])
            return [(diagonal, w, np.diag(diagonal) / (np.diag(diagonal) + tau)),
                    (np.diag([0.5, 0.7, 2.0]), w, np.array([0.5, 0.7, 2.0]) / (np.array([0.5, 0.7, 2.0]) + tau)),
                    (2.0 * np.eye(3), w, np.full(3, 2.0 / (2.0 + tau)))]
            """}, "Question 4 has three different kinds"),
    "factors that are not exact": (
        "nb04-exercise-shortcut-cases", {0: """
            H = np.array([[2.0, 1.0, 0.0], [1.0, 2.0, 0.0], [0.0, 0.0, 1.0]])
            lam = np.linalg.eigvalsh(H)
            return [(H, np.array([1.0, -2.0, 0.5]), lam / (lam + tau))] * 3
            """}, "case 1: factors * w_star, against w~"),
    "tau picked by the training error": (
        "nb04-exercise-choose-tau", {0: CHOOSE_TAU.format(pick="train")}, "pick by the validation error"),
    "errors without the 1/2": (
        "nb04-exercise-choose-tau", {0: CHOOSE_TAU.format(pick="val").replace(" / 2 for", " for")},
        "the mean of half of them"),
}



NB05 = "05_noise_as_regularizer.ipynb"
MONTE_CARLO = """
noisy = X + {noise}
residual = t - noisy @ w
gradients = {sign}np.einsum("snd,sn->sd", {factor}, residual){mean}
return gradients.mean(axis=0), gradients.std(axis=0, ddof=1){error}
"""
RIGHT_MONTE_CARLO = {"noise": "sigma * rng.standard_normal((samples, *X.shape))", "sign": "-", "factor": "noisy",
                     "mean": " / len(X)", "error": " / np.sqrt(samples)"}
TRACE = """
centre = f(x)
total = np.zeros_like(centre)
for k in {entries}:
    original = x[k]
    x[k] = original + h
    up = f(x)
    x[k] = original - h
    down = f(x)
    {restore}
    total = total + (up - 2 * centre + down) / {denominator}
return total
"""
RIGHT_TRACE = {"entries": "np.ndindex(x.shape)", "restore": "x[k] = original", "denominator": "h**2"}


def monte_carlo(**planted):
    return MONTE_CARLO.format(**(RIGHT_MONTE_CARLO | planted))


def trace(**planted):
    return TRACE.format(**(RIGHT_TRACE | planted))


NOISE_TAU = """
tau = {variance}
if not half:
    tau *= 2
if not mean:
    tau *= n_samples
return tau
"""

CASES_05 = {
    "standard deviation instead of standard error": (
        "nb05-exercise-monte-carlo", {0: monte_carlo(error="")}, "it is the standard deviation of the samples"),
    "standard error divided by samples": (
        "nb05-exercise-monte-carlo", {0: monte_carlo(error=" / samples")}, "not by samples"),
    "Monte Carlo gradient without the 1/N": (
        "nb05-exercise-monte-carlo", {0: monte_carlo(mean="")}, "times too large: E is a mean"),
    "Monte Carlo gradient with the wrong sign": (
        "nb05-exercise-monte-carlo", {0: monte_carlo(sign="")}, "it has the wrong sign"),
    "noise drawn once for all samples": (
        "nb05-exercise-monte-carlo",
        {0: monte_carlo(noise="sigma * np.broadcast_to(rng.standard_normal(X.shape), (samples, *X.shape))")},
        "every sample saw the same noise"),
    "noise scaled by the variance": (
        "nb05-exercise-monte-carlo", {0: monte_carlo(noise="sigma**2 * rng.standard_normal((samples, *X.shape))")},
        "(sigma^2 is the variance)"),
    "clean inputs in the gradient's factor": (
        "nb05-exercise-monte-carlo", {0: monte_carlo(factor="np.broadcast_to(X, noisy.shape)")},
        "both in the residual and in the factor"),
    "second difference not divided by h^2": (
        "nb05-exercise-hessian-trace", {0: trace(denominator="1")}, "the division by h^2 is missing"),
    "second difference divided by (2h)^2": (
        "nb05-exercise-hessian-trace", {0: trace(denominator="(2 * h) ** 2")}, "it is divided by (2h)^2"),
    "second difference divided by h": (
        "nb05-exercise-hessian-trace", {0: trace(denominator="h")}, "divided by h instead of h^2"),
    "entries not put back": (
        "nb05-exercise-hessian-trace", {0: trace(restore="pass")}, "hessian_trace changes its argument `x` in place"),
    "whole rows moved at once": (
        "nb05-exercise-hessian-trace", {0: """
            centre = f(x)
            total = np.zeros_like(centre)
            for k in range(len(x)):
                x[k] += h
                up = f(x)
                x[k] -= 2 * h
                down = f(x)
                x[k] += h
                total = total + (up - 2 * centre + down) / h**2
            return total
            """}, "moves a whole row"),
    "a copy perturbed": (
        "nb05-exercise-hessian-trace", {0: "x = x.copy()\n" + trace()}, "f never saw the perturbation"),
    "every entry moved at once": (
        "nb05-exercise-hessian-trace", {0: """
            centre = f(x)
            x += h
            up = f(x)
            x -= 2 * h
            down = f(x)
            x += h
            return (up - 2 * centre + down) / h**2
            """}, "all entries were moved at once"),
    "Hessian trace calling labkit's": (
        "nb05-exercise-hessian-trace", {0: """
            from labkit import noise
            return noise._second_difference_trace(lambda: f(x), x, list(np.ndindex(x.shape)), h)
            """}, "this exercise asks for your own code"),
    "noise tau as sigma": (
        "nb05-exercise-noise-tau", {0: NOISE_TAU.format(variance="sigma")}, "it is sigma, the standard deviation"),
    "noise tau halved": (
        "nb05-exercise-noise-tau", {0: NOISE_TAU.format(variance="sigma**2 / 2")}, "it is half of it"),
    "noise tau without the sum's N": (
        "nb05-exercise-noise-tau", {0: NOISE_TAU.format(variance="sigma**2").replace("tau *= n_samples", "pass")},
        "multiplies the error, and so the penalty, by N"),
    "noise tau with one convention wrong": (
        "nb05-exercise-noise-tau", {0: NOISE_TAU.format(variance="sigma**2").replace("tau *= 2", "tau *= 3")},
        "tau for sigma = 0.8 and the mean over 200 samples of the squared residual"),
}


CASES = {NB01: CASES_01, NB02: CASES_02, NB03: CASES_03, NB04: CASES_04, NB05: CASES_05}


@pytest.fixture(scope="module")
def planted():
    """Notebook -> the message of each of its planted mistakes, each notebook run once (on first use)."""
    cache = {}

    def messages(notebook):
        if notebook not in cache:
            cache[notebook] = plant_all(notebook, CASES[notebook])
        return cache[notebook]
    return messages


@pytest.mark.parametrize("notebook, case", [(notebook, case) for notebook, cases in CASES.items() for case in cases])
def test_the_check_names_the_planted_mistake(planted, notebook, case):
    assert_names_the_mistake(planted(notebook)[case], CASES[notebook][case][2])

"""The exercise checks: a right answer passes however it is written, and each usual mistake is named.

Three kinds of students, all small Python functions (no notebook, no kernel; tests/test_planted_mistakes.py
runs the real notebooks):

- right answers written in two ways that differ from labkit's code (tests/students.py): all pass;
- one student per entry of the catalogue of mistakes (labkit.mistakes), built from the entry itself:
  the check must say that entry's message, so a new entry is tested the moment it is added;
- mistakes students really make, written out by hand, with the whole message they read.
"""

import re

import numpy as np
import pytest

import labkit as lk
from labkit import exercises, mistakes, ownwork
from labkit.checks import CheckFailed, check
from labkit.network import forward_pass
from tests import students
from tests.messages import exactly

MNIST_EXERCISES = {"epoch"}


def needs(name):
    return [pytest.mark.mnist] if name in MNIST_EXERCISES else []


@pytest.mark.parametrize("name, args", [pytest.param(name, args, marks=needs(name), id=f"{name}-{k}")
                                        for name, variants in students.RIGHT.items()
                                        for k, args in enumerate(variants)])
def test_a_right_answer_passes_however_it_is_written(name, args):
    getattr(exercises, name)(*args)


def named(message, **context):
    """A pattern for a check message that ends with the mistake's ``message`` (any batch size for {N})."""
    return re.escape(message.format(**{key: "NNN" for key in context} | {"N": "NNN"})).replace("NNN", r"\d+") + "$"


# -- every entry of the catalogue, as a student -------------------------------------------------


class NoWatch(ownwork.Watch):
    """The students below are built from labkit's own catalogue, which the watch rightly calls delegation;
    these tests are about naming mistakes, so they do without it (tests/test_ownwork.py tests the watch)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None


@pytest.fixture
def catalogue_students(monkeypatch):
    monkeypatch.setattr(ownwork, "Watch", NoWatch)


def entries(group):
    return pytest.mark.parametrize("mistake", group, ids=lambda m: m.name)


def with_method(cls, method, function):
    return type(f"Planted{cls.__name__}", (cls,), {method: lambda self, *args: function(*args)})


# catalogue -> its check, given a student whose answer is a mistake's value
HANDED_IN = [
    (mistakes.BCE_FORWARD, lambda value: exercises.bce(with_method(students.BinaryCrossEntropy, "forward", value))),
    (mistakes.BCE_BACKWARD, lambda value: exercises.bce(with_method(students.BinaryCrossEntropy, "backward", value))),
    (mistakes.FORWARD, exercises.forward),
    (mistakes.SOFTMAX, exercises.softmax),
    (mistakes.FUSED_DELTA, exercises.fused_delta),
    (mistakes.MINIMIZER, exercises.minimizer),
    (mistakes.SHRINK, exercises.shrink),
    (mistakes.RIDGE_QUADRATIC, exercises.ridge_quadratic),
    (mistakes.RIDGE, lambda value: exercises.ridge_fit(value, students.minimizer)),
    (mistakes.DESCEND, exercises.descend),
    (mistakes.VALIDATION, lambda value: exercises.choose_tau(value, students.ridge_fit, students.minimizer)),
    (mistakes.NOISE_TAU, exercises.noise_weight_decay),
    (mistakes.HESSIAN_TRACE, lambda value: exercises.hessian_trace(lambda f, x, h=1e-3: value(f, x, h))),
]


@pytest.mark.parametrize("mistake, check", [pytest.param(m, check, id=m.name) for group, check in HANDED_IN
                                             for m in group])
def test_each_mistake_handed_in_as_the_answer_is_named(mistake, check, catalogue_students):
    with pytest.raises(AssertionError, match=named(mistake.message)):
        check(mistake.value)




@pytest.mark.parametrize("mistake, which", [(m, "relu") for m in mistakes.RELU_DERIVATIVE] +
                         [(m, "sigmoid") for m in mistakes.SIGMOID_DERIVATIVE] +
                         [(m, "tanh") for m in mistakes.TANH_DERIVATIVE], ids=lambda m: getattr(m, "name", m))
def test_activation_derivative_mistakes_are_named(mistake, which, catalogue_students):
    classes = {"relu": students.ReLU, "sigmoid": students.Sigmoid, "tanh": students.Tanh}
    classes[which] = with_method(classes[which], "derivative", mistake.value)
    with pytest.raises(AssertionError, match=named(mistake.message)):
        exercises.activations(classes["relu"], classes["sigmoid"], classes["tanh"])


@entries(mistakes.GRADIENT_DESCENT)
def test_gradient_descent_mistakes_are_named(mistake, catalogue_students):
    class Planted(students.GradientDescent):
        def step(self, x, gradient):
            return mistake.value(self.learning_rate, x, gradient)

    with pytest.raises(AssertionError, match=named(mistake.message)):
        exercises.gradient_descent(Planted)



@pytest.mark.parametrize("mistake, method", [(m, "forward") for m in mistakes.CCE_FORWARD] +
                         [(m, "backward") for m in mistakes.CCE_BACKWARD], ids=lambda m: getattr(m, "name", m))
def test_cross_entropy_mistakes_are_named(mistake, method, catalogue_students):
    with pytest.raises(AssertionError, match=named(mistake.message)):
        exercises.cce(with_method(students.CategoricalCrossEntropy, method, mistake.value))








def planted_backprop_student(mistake):
    """notebook 02's backprop(weights, activations, loss, Zs, Ys, y_true), ``mistake`` planted (its first variant)."""
    def backprop(weights, activations, loss, Zs, Ys, y_true):
        no_biases = [np.zeros(W.shape[1]) for W in weights]
        planted = mistakes.planted_gradients(mistake, weights, no_biases, activations, loss, Zs, Ys, y_true)[0]
        return planted.grad_W, planted.grad_b
    return backprop


@entries(exercises.BACKPROP_WITHOUT_DECAY)
def test_backprop_mistakes_are_named(mistake, catalogue_students):
    with pytest.raises(AssertionError, match=named(mistake.message)):
        exercises.backprop(planted_backprop_student(mistake))


def planted_column_student(mistake):
    """notebook 01's column_backprop(delta_L, zs, ys, Ws, acts, lam) with ``mistake`` planted (its first variant)."""
    def column_backprop(delta_L, zs, ys, Ws, acts, lam):
        weights, Zs, Ys = [W.T for W in Ws], [z[None, :] for z in zs], [y[None, :] for y in ys]
        deltas = mistakes.planted_backward(mistake, weights, acts, Zs, delta_L[None, :])[0]
        grad_W, grad_b = lk.network.parameter_gradients(weights, Ys, deltas, mistake.weight_decay(lam))
        return [G.T for G in grad_W], grad_b
    return column_backprop


@entries([mistakes.HIDDEN_PHI_PRIME_MISSING, mistakes.PHI_PRIME_OF_LAYER_ABOVE, mistakes.HALF_LAMBDA,
          mistakes.DECAY_MISSING])
def test_single_sample_backprop_mistakes_are_named(mistake, catalogue_students):
    with pytest.raises(AssertionError, match=named(mistake.message)):
        exercises.column_backprop(planted_column_student(mistake))


@entries(mistakes.DELTA_OUTPUT)
def test_delta_output_mistakes_are_named(mistake, catalogue_students):
    def delta_output(dE_dyL, zL, phi):
        variants = mistake.activations([phi])
        return mistake.sign * variants[-1][0].backward(zL[None, :], dE_dyL[None, :])[0]

    with pytest.raises(AssertionError, match=named(mistake.message)):
        exercises.delta_output(delta_output)


def planted_train_student(mistake):
    """notebook 02's train(...) with ``mistake`` planted, through labkit's planted training."""
    def train(weights, biases, activations, loss, optimizer, X, y_true, steps):
        net = lk.DenseNetwork(weights, biases, activations, loss, lk.GradientDescent(optimizer.learning_rate))
        trained = mistakes.planted_training(mistake, net, X, y_true, steps)
        weights[:], biases[:] = trained.weights, trained.biases
        return trained.losses
    return train


@entries([m for m in mistakes.TRAINING if not m.stale_forward])  # stale_forward plants losses only: by hand below
def test_training_mistakes_are_named(mistake, catalogue_students):
    with pytest.raises(AssertionError, match=named(mistake.message)):
        exercises.train(planted_train_student(mistake), students.forward, students.backprop)


def planted_epoch_student(mistake):
    def train_epoch(weights, biases, X, Y, batch_size, learning_rate, rng):
        net = lk.build_network(784, [len(biases[0]), "relu", 10, "softmax"], "cce", lk.GradientDescent(learning_rate))
        net.weights, net.biases = [W.copy() for W in weights], [b.copy() for b in biases]
        seed = 5 if np.array_equal(rng.bit_generator.state["state"],
                                   np.random.default_rng(5).bit_generator.state["state"]) else None
        trained = mistakes.planted_training(mistake, net, X, Y, 1, batch_size, seed)
        for W, b, W_new, b_new in zip(weights, biases, trained.weights, trained.biases):
            W[...], b[...] = W_new, b_new
        return trained.losses
    return train_epoch


@pytest.mark.mnist
@entries(mistakes.EPOCH)
def test_epoch_mistakes_are_named(mistake, catalogue_students):
    with pytest.raises(AssertionError, match=named(mistake.message)):
        exercises.epoch(planted_epoch_student(mistake), students.softmax, students.cross_entropy,
                        students.fused_delta)


# -- mistakes as students make them ----------------------------------------------------------------


def test_batched_layer_names_phi_prime_at_the_output_and_n_times_too_small():
    def phi_at_output(Delta, Y_prev, W, Z_prev, phi_prev):
        return Delta.T @ Y_prev, Delta.sum(axis=0), (Delta @ W) * phi_prev.derivative(phi_prev.forward(Z_prev))

    def divided_by_n(Delta, Y_prev, W, Z_prev, phi_prev):
        return Delta.T @ Y_prev / len(Delta), Delta.sum(axis=0), (Delta @ W) * phi_prev.derivative(Z_prev)

    def bias_mean(Delta, Y_prev, W, Z_prev, phi_prev):
        return Delta.T @ Y_prev, Delta.mean(axis=0), (Delta @ W) * phi_prev.derivative(Z_prev)

    at_output = mistakes.PHI_PRIME_AT_OUTPUT.message
    with pytest.raises(AssertionError, match=exactly(f"Delta of layer 2 is wrong: {at_output}")):
        exercises.batched_layer(phi_at_output)
    with pytest.raises(AssertionError, match=exactly("grad W of layer 3 (against finite differences) is wrong: "
                                                     f"{mistakes.EXTRA_1_OVER_N.say(N=5)}")):
        exercises.batched_layer(divided_by_n)
    with pytest.raises(AssertionError, match=exactly(f"grad b of layer 3 is wrong: {mistakes.BIAS_AS_MEAN.message}")):
        exercises.batched_layer(bias_mean)


def test_a_cross_entropy_without_eps_in_its_gradient_is_caught_at_predictions_of_0_and_1():
    class NoEps(students.BinaryCrossEntropy):
        def backward(self, t, p):
            with np.errstate(divide="ignore", invalid="ignore"):
                return -(t / p - (1 - t) / (1 - p)) / len(t)

    with pytest.raises(AssertionError, match=exactly(
            "backward for predictions of exactly 0 and 1 (it must stay finite: eps inside the logs and in the "
            "denominators, as the formula has it) contains nan or inf: look for log(0), a division by 0 or an "
            "overflow.")):
        exercises.bce(NoEps)


def test_a_monte_carlo_with_np_random_is_caught():
    def global_random(X, t, w, sigma, samples, rng):
        return students.monte_carlo(X, t, w, sigma, samples, np.random.default_rng())

    with pytest.raises(AssertionError, match=exactly("two estimates from the same rng differ: draw the noise with the "
                                                     "rng you are given (rng.standard_normal), not with np.random.")):
        exercises.monte_carlo(global_random)


def _one_noise_matrix(X, t, w, sigma, samples, rng):
    noisy = np.broadcast_to(X + sigma * rng.standard_normal(X.shape), (samples, *X.shape))
    gradients = -np.einsum("snd,sn->sd", noisy, t - noisy @ w) / len(X)
    return gradients.mean(axis=0), gradients.std(axis=0, ddof=1) / np.sqrt(samples)


def _noise_in_the_residual_only(X, t, w, sigma, samples, rng):
    noisy = X + sigma * rng.standard_normal((samples, *X.shape))
    gradients = -np.einsum("nd,sn->sd", X, t - noisy @ w) / len(X)
    return gradients.mean(axis=0), gradients.std(axis=0, ddof=1) / np.sqrt(samples)


def _variance_as_deviation(X, t, w, sigma, samples, rng):
    return students.monte_carlo(X, t, w, sigma**2, samples, rng)


def _standard_error_never_zero(X, t, w, sigma, samples, rng):
    mean, se = students.monte_carlo(X, t, w, sigma, samples, rng)
    return mean, se + 1e-6


NOISY_MEAN = "the mean for sigma = 0.8 (within 5 standard errors of Question 1's answer) is wrong: "


@pytest.mark.parametrize("student, message", [
    (_one_noise_matrix, "the standard error is 0 with noise: every sample saw the same noise. Draw new noise for each "
                        "sample (an array of shape (samples, N, D)), not one noise matrix for all."),
    (_noise_in_the_residual_only, NOISY_MEAN + mistakes.MONTE_CARLO_NOISY[0].message),
    (_variance_as_deviation, NOISY_MEAN + mistakes.MONTE_CARLO_NOISY[1].message),
    (_standard_error_never_zero, "the standard error for sigma = 0 (all samples are the same) is wrong: relative "
                                 "error ~1e0; the first wrong entry [0] is 1e-06 instead of 0."),
])
def test_each_wrong_monte_carlo_gets_its_own_message(student, message):
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.monte_carlo(student)


def test_a_monte_carlo_that_ignores_samples_is_not_blamed_on_the_standard_deviation():
    def fixed_samples(X, t, w, sigma, samples, rng):
        return students.monte_carlo(X, t, w, sigma, 200, rng)

    def deviation(X, t, w, sigma, samples, rng):
        mean, se = students.monte_carlo(X, t, w, sigma, samples, rng)
        return mean, se * np.sqrt(samples)

    with pytest.raises(AssertionError, match=r"^the mean does not get more precise with more samples \(its spread "
                                             r"shrinks 1\.\d times .*does the estimator draw `samples` noisy "
                                             r"copies\?$"):
        exercises.monte_carlo(fixed_samples)
    with pytest.raises(AssertionError, match=r"^the standard error is \d+ times the spread of the mean: it is the "
                                             "standard deviation of the samples"):
        exercises.monte_carlo(deviation)


def test_a_minimizer_with_the_notebooks_5x5_identity_written_in_says_where():
    def five_by_five(H, b, tau):
        return np.linalg.solve(H + tau * np.eye(5), -b)

    with pytest.raises(CheckFailed, match=r"^the minimizer: your code raised ValueError in five_by_five, at `return "
                                          r"np\.linalg\.solve\(H \+ tau \* np\.eye\(5\), -b\)`: operands could not "
                                          r"be broadcast together"):
        with check("the minimizer"):
            exercises.minimizer(five_by_five)


def test_delta_output_from_the_notebooks_variables_is_named():
    rng = np.random.default_rng(0)
    fixed = rng.normal(size=2)

    def globals_instead(dE_dyL, zL, phi):
        return fixed * phi.derivative(zL[:2] * 0)

    with pytest.raises(AssertionError, match=exactly("delta_output returns the same value for other arguments: does it "
                                                     "use the notebook's variables (or numbers written in) instead of "
                                                     "the arguments it is given?")):
        exercises.delta_output(globals_instead)


def test_a_learning_rate_written_in_is_named(catalogue_students):
    class Fixed(students.GradientDescent):
        def step(self, x, gradient):
            return x - 0.1 * gradient

    with pytest.raises(AssertionError, match=exactly("step takes the same step for learning rates 0.5 and 0.3: use "
                                                     "self.learning_rate, the one the optimizer was made with.")):
        exercises.gradient_descent(Fixed)

    def train_at_025(weights, biases, activations, loss, optimizer, X, y_true, steps):
        return students.train(weights, biases, activations, loss, students.GradientDescent(0.25), X, y_true, steps)

    with pytest.raises(AssertionError, match=named(mistakes.LAB_LEARNING_RATE.message)):
        exercises.train(train_at_025, students.forward, students.backprop)


def test_a_stale_forward_pass_is_not_called_a_network_that_never_changes():
    def stale(weights, biases, activations, loss, optimizer, X, y_true, steps):
        history = []
        Zs, Ys = students.forward(weights, biases, activations, X)  # once, before the loop
        for _ in range(steps):
            history.append(loss.forward(y_true, Ys[-1]))
            grad_W, grad_b = students.backprop(weights, activations, loss, Zs, Ys, y_true)
            for l in range(len(weights)):
                weights[l] = optimizer.step(weights[l], grad_W[l])
                biases[l] = optimizer.step(biases[l], grad_b[l])
        return np.array(history)

    with pytest.raises(AssertionError, match=named(mistakes.STALE_FORWARD.message)):
        exercises.train(stale, students.forward, students.backprop)


def test_training_blames_a_wrong_forward_or_backprop_first():
    def wrong_backprop(*args):
        grad_W, grad_b = students.backprop(*args)
        return [2 * G for G in grad_W], grad_b

    with pytest.raises(AssertionError, match=r"^train uses your code of an exercise before it, which is not right yet "
                                             r"\(the gradient of W3 \(the output layer\) is wrong: it is a factor 2 "
                                             r"times the right value\.\)\. Fix that first\.$"):
        exercises.train(students.train, students.forward, wrong_backprop)


def test_a_backprop_specialized_to_sigmoid_and_cross_entropy_fails_on_the_other_network():
    def shortcut(weights, activations, loss, Zs, Ys, y_true):
        grad_W, grad_b = [None] * len(weights), [None] * len(weights)
        delta = (Ys[-1] - y_true) / len(y_true)  # right for a sigmoid output with cross entropy only
        for l in reversed(range(len(weights))):
            grad_W[l], grad_b[l] = Ys[l].T @ delta, delta.sum(axis=0)
            if l > 0:
                delta = (delta @ weights[l].T) * activations[l - 1].derivative(Zs[l - 1])
        return grad_W, grad_b

    with pytest.raises(AssertionError, match=exactly("the gradient of W2 (the output layer) is wrong: it is a factor "
                                                     "1/2 times the right value.")):
        exercises.backprop(shortcut)


def test_a_forward_pass_that_changes_its_callers_arrays_is_named():
    def in_place(weights, biases, activations, X):
        Zs, Ys = [], [X]
        for W, b, a in zip(weights, biases, activations):
            W += 0  # harmless
            Zs.append(Ys[-1] @ W + b)
            Ys.append(a.forward(Zs[-1]))
        X *= 1.0
        biases[0] += 1.0  # the mistake: it moves the caller's biases
        return Zs, Ys

    with pytest.raises(AssertionError, match=exactly("in_place changes its argument `biases`[0] in place: leave the "
                                                     "arrays it is given as they are (compute new ones, or work on a "
                                                     "copy).")):
        exercises.forward(in_place)


def test_a_function_returning_one_array_where_two_are_expected_is_named():
    def mean_only(X, t, w, sigma, samples, rng):
        return students.monte_carlo(X, t, w, sigma, samples, rng)[0]

    with pytest.raises(AssertionError, match=exactly("noisy_gradient_monte_carlo should return 2 things, (mean, "
                                                     "standard error); it returned a ndarray.")):
        exercises.monte_carlo(mean_only)


def test_a_hessian_trace_that_forgets_to_put_x_back_is_named():
    def forgets(f, x, h=1e-3):
        total = 0.0
        for k in np.ndindex(x.shape):
            centre = f(x)
            x[k] += h
            up = f(x)
            x[k] -= 2 * h
            total = total + (up - 2 * centre + f(x)) / h**2
        return total

    with pytest.raises(AssertionError, match=exactly("forgets changes its argument `x` in place: leave the arrays it "
                                                     "is given as they are (compute new ones, or work on a copy).")):
        exercises.hessian_trace(forgets)


def test_the_checks_use_their_own_data_not_the_notebooks():
    assert exercises.delta_output(students.delta_output, seed=7) < 1e-8
    net, X, T = exercises._network(3, [4, "tanh", 2, "sigmoid"], "bce", seed=7, rows=1)
    Zs, _ = forward_pass(net.weights, net.biases, net.activations, X)
    other, _, _ = exercises._network(3, [4, "tanh", 2, "sigmoid"], "bce", seed=8, rows=1)
    assert not np.allclose(net.weights[0], other.weights[0])  # another seed, other data: hidden tests rely on it


def test_a_batched_layer_that_loops_over_the_samples_is_named():
    def loop(Delta, Y_prev, W, Z_prev, phi_prev):
        grad_W = sum(np.outer(d, y) for d, y in zip(Delta, Y_prev))
        return grad_W, Delta.sum(axis=0), (Delta @ W) * phi_prev.derivative(Z_prev)

    with pytest.raises(AssertionError, match=r"^batched_layer does more work for more rows \(\d+ Python steps for 4 "
                                             r"rows, \d+ for 64\): it loops over the samples\. The sum of the per-"
                                             r"sample outer products is one matrix product, and so is Delta @ W\.$"):
        exercises.batched_layer(loop)


def test_a_batched_layer_with_a_3d_einsum_is_named():
    def per_sample_matrices(Delta, Y_prev, W, Z_prev, phi_prev):
        grad_W = np.einsum("ni,nj->nij", Delta, Y_prev).sum(axis=0)
        return grad_W, Delta.sum(axis=0), (Delta @ W) * phi_prev.derivative(Z_prev)

    with pytest.raises(AssertionError, match=r"^batched_layer holds [1-9]\d*\.\d MB for a batch of 256 rows of 40, "
                                             r"whose arrays take 0\.08 MB each: it builds an array of one matrix per "
                                             r"sample \(a 3-D einsum or stack\)\. The sum of the per-sample outer "
                                             r"products is one matrix product, Delta\.T @ Y_prev\.$"):
        exercises.batched_layer(per_sample_matrices)


def test_an_exp_that_overflows_is_named_with_the_hint():
    class NaiveSigmoid(students.Sigmoid):
        def forward(self, z):
            return 1 / (1 + np.exp(-z))

    def naive_softmax(z):
        e = np.exp(z)
        return e / e.sum(axis=1, keepdims=True)

    with pytest.raises(AssertionError, match=exactly("sigmoid overflows at [-1000.0, 1000.0] (overflow encountered in "
                                                     "exp): exp(-z) is too large for z = -1000; build the sigmoid from "
                                                     "exp(-|z|), as the hint says.")):
        exercises.activations(students.ReLU, NaiveSigmoid, students.Tanh)
    with pytest.raises(AssertionError, match=exactly("softmax overflows at [[1000.0, 1000.0, -1000.0], [-1000.0, "
                                                     "-1000.0, -3000.0]] (overflow encountered in exp): subtract each "
                                                     "row's own maximum before np.exp.")):
        exercises.softmax(naive_softmax)


def test_the_cost_of_a_function_counts_its_lines_and_its_memory():
    from labkit.ownwork import cost

    def loop(n):
        total = 0
        for k in range(n):
            total += k
        return total

    assert cost(loop, 100)[0] > cost(loop, 10)[0] + 150  # two lines per turn of the loop
    assert cost(lambda n: np.ones(n), 1_000_000)[1] >= 8_000_000


# -- notebook 04's and 05's newer exercises ----------------------------------------------------------





def test_shortcut_cases_need_three_kinds_each_exact_with_the_shrinkage_factors():
    right = students.shortcut_cases(0.5)

    def only(*kept):
        return lambda tau: [right[k] for k in kept] + [right[kept[0]]] * (3 - len(kept))

    with pytest.raises(AssertionError, match=exactly("your cases are of 2 kind(s) of situation: a diagonal H (case 1); "
                                                     "all eigenvalues equal (case 2). Question 4 has three different "
                                                     "kinds: find the missing one(s).")):
        exercises.shortcut_cases(only(0, 1))
    with pytest.raises(AssertionError, match=exactly("your cases are of 2 kind(s) of situation: all eigenvalues equal "
                                                     "(case 1); w_star along an eigenvector (case 2). Question 4 has "
                                                     "three different kinds: find the missing one(s).")):
        exercises.shortcut_cases(only(1, 2))

    def ascending_order(tau):  # the factors in eigh's ascending order, not in the order of the axes
        H, w, _ = right[0]
        return [(H, w, np.sort(np.diag(H)) / (np.sort(np.diag(H)) + tau)), *right[1:]]

    with pytest.raises(AssertionError, match=r"^case 1: factors \* w_star, against w~ is wrong"):
        exercises.shortcut_cases(ascending_order)

    def any_exact_factors(tau):  # w~ / w* is exact for every H, but those are not shrinkage factors
        H = np.array([[2.0, 0.5, 0], [0.5, 1.0, 0], [0, 0, 3.0]])
        w = np.array([1.0, 1.0, 1.0])
        return [(H, w, np.linalg.solve(H + tau * np.eye(3), H @ w) / w), *right[1:]]

    with pytest.raises(AssertionError, match=r"^case 1: the factors are exact, but not all are shrinkage factors of "
                                             r"this H \(its factors are \[.*\]\): say which of them goes where\.$"):
        exercises.shortcut_cases(any_exact_factors)

    with pytest.raises(AssertionError, match=r"^case 2: w_star has a zero coordinate"):
        exercises.shortcut_cases(lambda tau: [right[0], (right[1][0], np.array([0.0, 1, 1]), right[1][2]), right[2]])
    with pytest.raises(AssertionError, match=exactly("shortcut_cases should return a list of three (H, w_star, "
                                                     "factors); it returned 2.")):
        exercises.shortcut_cases(lambda tau: right[:2])


def test_choose_tau_blames_a_wrong_ridge_fit_first():
    def wrong_fit(Phi, t, tau):
        return students.ridge_fit(Phi, t, tau) * 2

    with pytest.raises(AssertionError, match=r"^choose_tau uses your code of an exercise before it"):
        exercises.choose_tau(students.choose_tau, wrong_fit, students.minimizer)


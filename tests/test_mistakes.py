"""The catalogue of mistakes: each planted mistake is what the wrong code it names computes.

The wrong code is written out by hand here, one sample at a time (as tests/oracles.py writes the
right backprop), so a planted mistake that drifted from its message would fail. The catalogue's
hygiene is tested too: unique names, one-line messages, and no two mistakes of an exercise that
give the same value (the first would always win).
"""

import itertools

import numpy as np
import pytest

import labkit as lk
from labkit import mistakes
from tests.oracles import PHI, loss_gradient

NAMES = ["tanh", "sigmoid", "sigmoid"]


@pytest.fixture
def problem():
    rng = np.random.default_rng(4)
    net = lk.build_network(3, [4, "tanh", 3, "sigmoid", 2, "sigmoid"], "bce", seed=4)
    net.biases = [rng.normal(size=b.shape) for b in net.biases]
    return net, rng.normal(size=(5, 3)), (rng.random((5, 2)) > 0.5).astype(float)


def wrong_per_sample(net, X, y, at_output=(), no_hidden_phi=False, no_output_phi=False, phi_of_layer_above=False,
                     loss_factor=1.0, sign=1.0, decay=0.0, decay_factor=1.0, bias=lambda g, b, n: g):
    """The gradients a per-sample loop with the named mistakes computes (at_output: layers, from 0, whose phi' is
    taken at the output)."""
    grad_W = [np.zeros_like(W) for W in net.weights]
    grad_b = [np.zeros_like(b) for b in net.biases]
    n = len(X)

    def slope(layer, z, y_out):
        return PHI[NAMES[layer]][1](y_out if layer in at_output else z)

    for x, t in zip(X, y):
        zs, ys = [], [x]
        for W, b, name in zip(net.weights, net.biases, NAMES):
            zs.append(ys[-1] @ W + b)
            ys.append(PHI[name][0](zs[-1]))
        L = len(net.weights) - 1
        delta = loss_factor * loss_gradient("binary_crossentropy", t, ys[-1], n)
        delta = delta * (1 if no_output_phi else slope(L, zs[L], ys[L + 1]))
        for l in reversed(range(L + 1)):
            grad_W[l] += np.outer(ys[l], sign * delta)
            grad_b[l] += sign * delta
            if l > 0:
                below = l if phi_of_layer_above else l - 1
                factor = 1 if no_hidden_phi else (slope(below, zs[l - 1], ys[l]) if not phi_of_layer_above
                                                 else PHI[NAMES[below]][1](zs[l - 1]))
                delta = (net.weights[l] @ delta) * factor
    grad_W = [G + decay_factor * decay * W for G, W in zip(grad_W, net.weights)]
    return grad_W, [bias(g, b, n) for g, b in zip(grad_b, net.biases)]


CASES = {
    "phi_prime_at_output": dict(at_output=(0, 1, 2)),
    "hidden_phi_prime_missing": dict(no_hidden_phi=True),
    "output_phi_prime_missing": dict(no_output_phi=True),
    "phi_prime_of_layer_above": dict(phi_of_layer_above=True),
    "missing_1_over_n": dict(loss_factor=5.0),
    "extra_1_over_n": dict(loss_factor=1 / 5),
    "wrong_sign": dict(sign=-1.0, decay_factor=-1.0),
    "half_lambda": dict(decay_factor=0.5),
    "decay_missing": dict(decay_factor=0.0),
    "decay_on_bias": dict(bias=lambda g, b, n: g + 0.3 * b),
    "bias_as_mean": dict(bias=lambda g, b, n: g / n),
    "bias_as_zeros": dict(bias=lambda g, b, n: np.zeros_like(g)),
}


def test_every_backprop_mistake_has_its_hand_written_twin():
    assert set(CASES) == {m.name for m in mistakes.BACKPROP}


@pytest.mark.parametrize("mistake", mistakes.BACKPROP, ids=lambda m: m.name)
def test_a_planted_backprop_mistake_is_the_wrong_code_it_names(problem, mistake):
    net, X, y = problem
    planted = mistakes.planted_backprop(mistake, net.weights, net.biases, net.activations, net.loss, X, y, 0.3)[0]
    grad_W, grad_b = wrong_per_sample(net, X, y, decay=0.3, **CASES[mistake.name])
    for got, want in zip(planted.grad_W + planted.grad_b, grad_W + grad_b):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_phi_prime_at_the_output_may_sit_in_any_one_layer(problem):
    net, X, y = problem
    variants = mistakes.planted_backprop(mistakes.PHI_PRIME_AT_OUTPUT, net.weights, net.biases, net.activations,
                                         net.loss, X, y)
    assert len(variants) == 5  # every layer, every hidden layer, then each layer alone
    grad_W, _ = wrong_per_sample(net, X, y, at_output=(0, 1))
    np.testing.assert_allclose(variants[1].grad_W[0], grad_W[0], rtol=1e-10)
    for layer, planted in enumerate(variants[2:]):
        grad_W, _ = wrong_per_sample(net, X, y, at_output=(layer,))
        np.testing.assert_allclose(planted.grad_W[0], grad_W[0], rtol=1e-10)


def test_no_mistake_plants_the_right_backprop(problem):
    net, X, y = problem
    right, = mistakes.planted_backprop(None, net.weights, net.biases, net.activations, net.loss, X, y, 0.3)
    grad_W, grad_b = net.gradients(X, y, 0.3)
    for got, want in zip(right.grad_W + right.grad_b, grad_W + grad_b):
        np.testing.assert_array_equal(got, want)


def test_a_mistake_that_needs_a_phi_prime_softmax_lacks_has_no_variant_there():
    net = lk.build_network(3, [4, "tanh", 3, "softmax"], "cce", seed=1)
    X, T = np.ones((2, 3)), np.eye(3)[[0, 2]]
    variants = mistakes.planted_backprop(mistakes.PHI_PRIME_AT_OUTPUT, net.weights, net.biases, net.activations,
                                         net.loss, X, T)
    assert len(variants) == 2  # every hidden layer, the hidden layer alone: softmax has no element-wise phi'
    assert mistakes.planted_backprop(mistakes.OUTPUT_PHI_PRIME_MISSING, net.weights, net.biases, net.activations,
                                     net.loss, X, T) == []


def test_planted_backward_plants_one_step_back():
    net = lk.build_network(3, [4, "tanh", 2, "sigmoid"], seed=2)
    X = np.random.default_rng(2).normal(size=(6, 3))
    Zs, Ys = lk.network.forward_pass(net.weights, net.biases, net.activations, X)
    delta = np.ones((6, 2))
    wrong, = mistakes.planted_backward(mistakes.HIDDEN_PHI_PRIME_MISSING, net.weights, net.activations, Zs, delta)
    np.testing.assert_allclose(wrong[0], delta @ net.weights[1].T)


def test_the_derivative_at_the_output_wrapper_and_the_missing_derivative():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_array_equal(mistakes.DerivativeAtOutput(lk.ReLU()).derivative(z), lk.ReLU().derivative(z))
    np.testing.assert_allclose(mistakes.DerivativeAtOutput(lk.Tanh()).derivative(z), 1 - np.tanh(np.tanh(z)) ** 2)
    assert mistakes.DerivativeAtOutput(lk.Tanh()).name == "tanh (phi' at the output)"
    np.testing.assert_array_equal(mistakes.NoDerivative(lk.Tanh()).derivative(z), np.ones(3))
    np.testing.assert_array_equal(mistakes.NoDerivative(lk.Tanh()).forward(z), np.tanh(z))
    scaled = mistakes.ScaledGradient(lk.MeanSquaredError(), 3.0)
    t, p = np.zeros((2, 1)), np.ones((2, 1))
    assert scaled.forward(t, p) == lk.MeanSquaredError().forward(t, p)
    np.testing.assert_array_equal(scaled.backward(t, p), 3 * lk.MeanSquaredError().backward(t, p))


def test_a_planted_training_leaves_the_network_alone_and_none_is_fit():
    net = lk.build_network(2, [3, "tanh", 1, "sigmoid"], "bce", lk.GradientDescent(0.3), seed=3)
    X, y = lk.xor()
    before = [W.copy() for W in net.weights]
    right = mistakes.planted_training(None, net, X, y, epochs=7)
    np.testing.assert_array_equal(net.weights[0], before[0])
    fitted = lk.build_network(2, [3, "tanh", 1, "sigmoid"], "bce", lk.GradientDescent(0.3), seed=3)
    np.testing.assert_allclose(right.losses, fitted.fit(X, y, epochs=7, progress=False), rtol=1e-13)
    np.testing.assert_allclose(right.weights[0], fitted.weights[0], rtol=1e-13)


# -- the catalogue's hygiene ----------------------------------------------------------------------

GROUPS = {name: value for name, value in vars(mistakes).items()
          if isinstance(value, tuple) and value and all(isinstance(m, mistakes.Mistake) for m in value)}


def test_names_are_unique_and_messages_are_one_sentence():
    every = {m for group in GROUPS.values() for m in group}
    assert len({m.name for m in every}) == len(every)
    for m in every:
        assert m.message.endswith(".") and "\n" not in m.message and not m.message.endswith(".."), m.name
        assert m.say(N=7) == m.message.replace("{N}", "7")


def test_every_exercise_has_its_group():
    assert {"BACKPROP", "DELTA_OUTPUT", "FORWARD", "TRAINING", "EPOCH", "BCE_FORWARD", "BCE_BACKWARD", "SOFTMAX",
            "CCE_FORWARD", "CCE_BACKWARD", "FUSED_DELTA", "GRADIENT_DESCENT", "MINIMIZER", "SHRINK", "RIDGE",
            "MONTE_CARLO_CLEAN", "MONTE_CARLO_NOISY", "HESSIAN_TRACE", "SIGMOID_DERIVATIVE", "TANH_DERIVATIVE",
            "RELU_DERIVATIVE"} <= set(GROUPS)


def arguments_of(group):
    rng = np.random.default_rng(9)
    A = rng.normal(size=(4, 4))
    H, w = A @ A.T / 4 + 0.05 * np.eye(4), rng.normal(size=4)
    t2, p2 = (rng.random((3, 4)) > 0.5).astype(float), rng.uniform(0.1, 0.9, (3, 4))
    T, P = np.eye(4)[[0, 3, 1]], lk.Softmax().forward(rng.normal(size=(3, 4)))
    X = rng.normal(size=(6, 3))
    x = rng.normal(size=(2, 3))
    return {
        "BCE_FORWARD": (t2, p2), "BCE_BACKWARD": (t2, p2), "CCE_FORWARD": (T, P), "CCE_BACKWARD": (T, P),
        "FUSED_DELTA": (T, P), "SOFTMAX": (rng.normal(size=(3, 4)),), "GRADIENT_DESCENT": (0.3, w, w[::-1]),
        "MINIMIZER": (H, w, 0.4), "SHRINK": (H, w, 0.4), "RIDGE": (X, rng.normal(size=6), 0.4),
        "MONTE_CARLO_CLEAN": (X, rng.normal(size=6), w[:3]), "MONTE_CARLO_NOISY": (X, rng.normal(size=6), w[:3], 0.7),
        "HESSIAN_TRACE": (lambda u: np.sin(u).sum(axis=1) + u[0, 0] * u[1, 2], x, 1e-3),
        "SIGMOID_DERIVATIVE": (w,), "TANH_DERIVATIVE": (w,), "DESCEND": (H, w, 0.4, 5),
    }.get(group)


@pytest.mark.parametrize("group", [g for g in GROUPS if arguments_of(g) is not None])
def test_no_two_mistakes_of_an_exercise_give_the_same_value(group):
    args = arguments_of(group)
    values = {m.name: np.asarray(m.value(*args), dtype=float) for m in GROUPS[group]}
    for (a, va), (b, vb) in itertools.combinations(values.items(), 2):
        assert va.shape != vb.shape or not np.allclose(va, vb, rtol=1e-6, atol=1e-12), (a, b)


# -- formula mistakes, each the wrong formula written out by hand ----------------------------------


def log_likelihood(t, p):
    return t * np.log(p + 1e-9) + (1 - t) * np.log(1 - p + 1e-9)


def bce_slope(t, p):
    return t / (p + 1e-9) - (1 - t) / (1 - p + 1e-9)


def sigmoid(z):
    return PHI["sigmoid"][0](z)


def descent(H, b, tau, steps, gradient, step=None):
    w, size = np.zeros(len(b)), step or 1 / (np.linalg.eigvalsh(H).max() + tau)
    for _ in range(steps):
        w = w - size * gradient(w)
    return w


def eigen(H, w, tau, into="U.T", back="U", factor=lambda lam, tau: lam / (lam + tau)):
    """The eigen-route to w~ with the usual mix-ups: coordinates with U.T or U, back with U, U.T or not at all."""
    lam, U = np.linalg.eigh(H)
    beta = factor(lam, tau) * ({"U": U, "U.T": U.T}[into] @ w)
    return {"U": U, "U.T": U.T}[back] @ beta if back else beta


def second_differences(f, x, h, shifts, centre=-2.0, divide=1.0):
    return sum((f(x + e) + centre * f(x) + f(x - e)) / divide for e in shifts)


def one_at_a_time(x, h):
    return [h * (np.arange(x.size) == k).reshape(x.shape) for k in range(x.size)]


def clean_gradient(X, t, w):
    return X.T @ (X @ w - t) / len(X)


TWINS = {  # name: the wrong code, written from the message
    "bce_summed_rows": lambda t, p: -log_likelihood(t, p).sum(),
    "bce_mean_of_entries": lambda t, p: -log_likelihood(t, p).mean(),
    "bce_sign": lambda t, p: log_likelihood(t, p).sum() / len(t),
    "bce_gradient_of_sum": lambda t, p: -bce_slope(t, p),
    "bce_gradient_of_mean_of_entries": lambda t, p: -bce_slope(t, p) / t.size,
    "bce_gradient_sign": lambda t, p: bce_slope(t, p) / len(t),
    "sigmoid_derivative_at_output": lambda z: sigmoid(sigmoid(z)) * (1 - sigmoid(sigmoid(z))),
    "sigmoid_derivative_of_z": lambda z: z * (1 - z),
    "tanh_derivative_at_output": lambda z: 1 / np.cosh(np.tanh(z)) ** 2,
    "tanh_derivative_of_z": lambda z: 1 - z * z,
    "softmax_by_columns": lambda z: np.exp(z) / np.exp(z).sum(axis=0),
    "softmax_by_columns_shifted": lambda z: (np.exp(z - z.max(axis=1)[:, None])
                                             / np.exp(z - z.max(axis=1)[:, None]).sum(axis=0)),
    "softmax_by_total": lambda z: np.exp(z) / np.exp(z).sum(),
    "softmax_by_total_shifted": lambda z: (np.exp(z - z.max(axis=1)[:, None])
                                           / np.exp(z - z.max(axis=1)[:, None]).sum()),
    "mc_summed": lambda X, t, w: X.T @ (X @ w - t),
    "mc_sign": lambda X, t, w: -clean_gradient(X, t, w),
    "mc_noise_in_residual_only": lambda X, t, w, sigma: clean_gradient(X, t, w),
    "mc_variance_as_sd": lambda X, t, w, sigma: clean_gradient(X, t, w) + sigma**4 * w,
    "shrink_coordinatewise": lambda H, w, tau: eigen(H, w, tau, back="") / (np.linalg.eigh(H)[1].T @ w) * w,
    "shrink_rows_as_eigenvectors": lambda H, w, tau: eigen(H, w, tau, into="U", back="U.T"),
    "shrink_coordinates_with_U": lambda H, w, tau: eigen(H, w, tau, into="U"),
    "shrink_back_with_U_T": lambda H, w, tau: eigen(H, w, tau, back="U.T"),
    "shrink_removed_part": lambda H, w, tau: eigen(H, w, tau, factor=lambda lam, tau: tau / (lam + tau)),
    "shrink_not_mapped_back": lambda H, w, tau: eigen(H, w, tau, back=""),
    "shrink_twice_tau": lambda H, w, tau: eigen(H, w, 2 * tau),
    "shrink_half_tau": lambda H, w, tau: eigen(H, w, tau / 2),
    "shrink_inverse_only": lambda H, w, tau: eigen(H, w, tau, factor=lambda lam, tau: 1 / (lam + tau)),
    "trace_no_division": lambda f, x, h: second_differences(f, x, h, one_at_a_time(x, h)),
    "trace_over_2h_squared": lambda f, x, h: second_differences(f, x, h, one_at_a_time(x, h), divide=4 * h * h),
    "trace_over_h": lambda f, x, h: second_differences(f, x, h, one_at_a_time(x, h), divide=h),
    "trace_over_2_h_squared": lambda f, x, h: second_differences(f, x, h, one_at_a_time(x, h), divide=2 * h * h),
    "trace_no_centre": lambda f, x, h: second_differences(f, x, h, one_at_a_time(x, h), centre=0.0, divide=h * h),
    "trace_all_at_once": lambda f, x, h: second_differences(f, x, h, [np.full(x.shape, h)], divide=h * h),
    "trace_rows_at_once": lambda f, x, h: second_differences(
        f, x, h, [h * (np.arange(len(x)) == k)[:, None] * np.ones(x.shape) for k in range(len(x))], divide=h * h),
    "trace_on_a_copy": lambda f, x, h: 0 * f(x),
    "descend_without_tau": lambda H, b, tau, steps: descent(H, b, tau, steps, lambda w: b + H @ w),
    "descend_half_tau": lambda H, b, tau, steps: descent(H, b, tau, steps, lambda w: b + H @ w + tau / 2 * w),
    "descend_half_H": lambda H, b, tau, steps: descent(H, b, tau, steps, lambda w: b + 0.5 * H @ w + tau * w),
    "descend_without_b": lambda H, b, tau, steps: descent(H, b, tau, steps, lambda w: H @ w + tau * w),
    "descend_step_without_tau": lambda H, b, tau, steps: descent(H, b, tau, steps, lambda w: b + H @ w + tau * w,
                                                                 step=1 / np.linalg.eigvalsh(H).max()),
    "descend_uphill": lambda H, b, tau, steps: descent(H, b, tau, steps, lambda w: -(b + H @ w + tau * w)),
}
TWINNED = ("BCE_FORWARD", "BCE_BACKWARD", "SIGMOID_DERIVATIVE", "TANH_DERIVATIVE", "SOFTMAX", "MONTE_CARLO_CLEAN",
           "MONTE_CARLO_NOISY", "SHRINK", "HESSIAN_TRACE", "DESCEND")


def test_the_twinned_groups_have_a_twin_for_every_mistake():
    assert set(TWINS) == {m.name for group in TWINNED for m in GROUPS[group]}


@pytest.mark.parametrize("group", TWINNED)
def test_a_formula_mistake_is_the_wrong_formula_it_names(group):
    args = arguments_of(group)
    rtol = 1e-6 if group == "HESSIAN_TRACE" else 1e-9  # second differences lose digits to rounding, in any order
    for mistake in GROUPS[group]:
        np.testing.assert_allclose(mistake.value(*args), TWINS[mistake.name](*args), rtol=rtol, atol=1e-12,
                                   err_msg=mistake.name)


def test_a_forward_pass_mistake_is_the_wrong_forward_pass_it_names(problem):
    net, X, _ = problem

    def forward(step):
        Zs, Ys = [], [X]
        for W, b, name in zip(net.weights, net.biases, NAMES):
            Z, Y = step(Ys[-1], W, b, PHI[name][0])
            Zs.append(Z)
            Ys.append(Y)
        return Zs, Ys

    twins = {"forward_no_bias": lambda Y, W, b, phi: (Y @ W, phi(Y @ W)),
             "forward_no_activation": lambda Y, W, b, phi: (Y @ W + b, Y @ W + b),
             "forward_phi_before_weights": lambda Y, W, b, phi: (phi(Y) @ W + b, phi(Y) @ W + b)}
    assert set(twins) == {m.name for m in mistakes.FORWARD}
    for mistake in mistakes.FORWARD:
        (Zs, Ys), (right_Zs, right_Ys) = mistake.value(net.weights, net.biases, net.activations, X), forward(
            twins[mistake.name])
        for got, want in zip(Zs + Ys, right_Zs + right_Ys):
            np.testing.assert_allclose(got, want, rtol=1e-10, err_msg=mistake.name)


# -- combined mistakes, and the shape of a mistake's activations -------------------------------------


def test_combined_mistakes_are_planted_all_at_once(problem):
    net, X, y = problem
    entries = (mistakes.PHI_PRIME_AT_OUTPUT, mistakes.MISSING_1_OVER_N, mistakes.WRONG_SIGN, mistakes.HALF_LAMBDA,
               mistakes.BIAS_AS_MEAN)
    both = mistakes.combined(*entries)
    assert both.name == "phi_prime_at_output + missing_1_over_n + wrong_sign + half_lambda + bias_as_mean"
    assert both.message == " ".join(m.message for m in entries)
    planted, = mistakes.planted_backprop(both, net.weights, net.biases, net.activations, net.loss, X, y, 0.3)
    grad_W, grad_b = wrong_per_sample(net, X, y, at_output=(0, 1, 2), loss_factor=5.0, sign=-1.0, decay=0.3,
                                      decay_factor=-0.5, bias=lambda g, b, n: g / n)
    for got, want in zip(planted.grad_W + planted.grad_b, grad_W + grad_b):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert mistakes.combined() is mistakes.NO_MISTAKE


def test_combined_mistakes_stack_their_activations_and_have_none_if_one_has_none():
    acts = [lk.Tanh(), lk.Sigmoid(), lk.Softmax()]
    stacked, = mistakes.combined(mistakes.PHI_PRIME_AT_OUTPUT, mistakes.HIDDEN_PHI_PRIME_MISSING).activations(acts)
    assert [type(a).__name__ for a in stacked] == ["NoDerivative", "NoDerivative", "DerivativeAtOutput"]
    assert [type(a.phi).__name__ for a in stacked] == ["DerivativeAtOutput", "DerivativeAtOutput", "Softmax"]
    assert mistakes.combined(mistakes.WRONG_SIGN, mistakes.OUTPUT_PHI_PRIME_MISSING).activations(acts) == []


@pytest.mark.parametrize("mistake", mistakes.BACKPROP, ids=lambda m: m.name)
def test_every_variant_has_one_activation_per_layer_and_none_without_a_hidden_layer(mistake):
    acts = [lk.Tanh(), lk.ReLU(), lk.Sigmoid()]
    for variant in mistake.activations(list(acts)):
        assert len(variant) == 3  # the step-through reads the activations of a variant layer by layer
        assert variant[-1] is acts[-1] or variant[-1].phi is acts[-1]
    hidden_only = {"hidden_phi_prime_missing", "phi_prime_of_layer_above"}
    assert (mistake.activations([lk.Sigmoid()]) == []) == (mistake.name in hidden_only)
    assert mistake.activations([lk.Tanh(), lk.Sigmoid()]) != []  # one hidden layer is enough for each

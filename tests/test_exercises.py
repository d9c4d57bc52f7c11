"""The exercise checks of notebooks 01 and 03-05: a right answer passes, each usual mistake is named.

Each student below is a small Python function with one mistake planted in it, as the
notebook's exercise cell would hold it: no notebook, no kernel (tests/test_planted_mistakes.py
runs the real notebooks). The tests compare the whole message a student reads.
"""

import numpy as np
import pytest

import labkit as lk
from labkit import exercises
from labkit.weight_decay import quadratic_minimizer, ridge_regression
from tests.messages import exactly


def listed(array):
    """An array as the 'expected:' and 'got:' lines of a failed expect_close print it."""
    return np.round(np.asarray(array, dtype=float), 7).tolist()


def wrong(what, expected, got):
    """The message of expect_close when the value matches no known mistake."""
    return f"{what} is wrong.\n  expected: {listed(expected)}\n  got:      {listed(got)}"


# -- notebook 01 ------------------------------------------------------------------------------


@pytest.fixture
def nb01():
    """Notebook 01's network (3-4-3-2, tanh, tanh, sigmoid, BCE, W^l stored transposed), a sample and a batch."""
    rng = np.random.default_rng(0)
    sizes = [3, 4, 3, 2]
    Ws = [rng.normal(size=(n_out, n_in)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]
    bs = [rng.normal(size=n_out) for n_out in sizes[1:]]
    x, t = rng.normal(size=3), np.array([0.0, 1.0])
    acts = [lk.Tanh(), lk.Tanh(), lk.Sigmoid()]
    net = lk.DenseNetwork([W.T for W in Ws], bs, acts, lk.BinaryCrossEntropy(), lk.GradientDescent(0.1))
    X, T = rng.normal(size=(5, 3)), (rng.random((5, 2)) > 0.5).astype(float)
    return net, x, t, X, T


DELTA_OUTPUT = {
    "right": lambda dE_dyL, zL, phi: dE_dyL * phi.derivative(zL),
    "phi' at the output": lambda dE_dyL, zL, phi: dE_dyL * phi.derivative(phi.forward(zL)),
    "phi' missing": lambda dE_dyL, zL, phi: dE_dyL,
    "wrong sign": lambda dE_dyL, zL, phi: -dE_dyL * phi.derivative(zL),
    "twice too large": lambda dE_dyL, zL, phi: 2 * dE_dyL * phi.derivative(zL),
}


def test_delta_output_passes_a_right_answer_and_returns_its_error(nb01):
    net, x, t, _, _ = nb01
    assert exercises.delta_output(DELTA_OUTPUT["right"], net, x, t) < 1e-10


@pytest.mark.parametrize("mistake, message", [
    ("phi' at the output", "delta^L (against finite differences) is off (relative error ~1e-2): phi' was evaluated "
                           "at the output y^L instead of at z^L."),
    ("phi' missing", "delta^L (against finite differences) is off (relative error ~1e0): the factor phi_L'(z^L) is "
                     "missing: z^L reaches the error through y^L = phi_L(z^L)."),
    ("wrong sign", "delta^L (against finite differences) is off (relative error ~1e0): it has the wrong sign."),
    ("twice too large", "delta^L (against finite differences) is off: relative error ~1e0 (a right answer is below "
                        "1e-06)."),
])
def test_delta_output_names_each_mistake(nb01, mistake, message):
    net, x, t, _, _ = nb01
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.delta_output(DELTA_OUTPUT[mistake], net, x, t)


def batched_layer(grad_W=lambda Delta, Y_prev: Delta.T @ Y_prev, grad_b=lambda Delta: Delta.sum(axis=0),
                  Delta_prev=lambda Delta, W, Z_prev, phi_prev: (Delta @ W) * phi_prev.derivative(Z_prev)):
    """A student's batched_layer, right unless one of its three results is planted."""
    def student(Delta, Y_prev, W, Z_prev, phi_prev):
        return grad_W(Delta, Y_prev), grad_b(Delta), Delta_prev(Delta, W, Z_prev, phi_prev)
    return student


BATCHED_LAYER = {
    "grad W divided by N": batched_layer(grad_W=lambda Delta, Y_prev: Delta.T @ Y_prev / len(Delta)),
    "grad W times N": batched_layer(grad_W=lambda Delta, Y_prev: Delta.T @ Y_prev * len(Delta)),
    "grad W off by 6e-7": batched_layer(grad_W=lambda Delta, Y_prev: Delta.T @ Y_prev * (1 + 6e-7)),
    "grad b the mean": batched_layer(grad_b=lambda Delta: Delta.mean(axis=0)),
    "grad b twice": batched_layer(grad_b=lambda Delta: 2 * Delta.sum(axis=0)),
    "phi' at the output": batched_layer(
        Delta_prev=lambda Delta, W, Z_prev, phi_prev: (Delta @ W) * phi_prev.derivative(phi_prev.forward(Z_prev))),
    "phi' missing": batched_layer(Delta_prev=lambda Delta, W, Z_prev, phi_prev: Delta @ W),
    "Delta twice": batched_layer(
        Delta_prev=lambda Delta, W, Z_prev, phi_prev: 2 * (Delta @ W) * phi_prev.derivative(Z_prev)),
}


def test_batched_layer_recognizes_phi_prime_at_the_output_with_each_layers_own_activation(nb01):
    net, _, _, X, T = nb01
    net.activations = [lk.Sigmoid(), lk.Tanh(), lk.Sigmoid()]  # the layer below layer 3 is tanh, below 2 sigmoid
    message = ("Delta of layer 2 is off (relative error ~1e-1): phi' was evaluated at the output Y = phi(Z) instead "
               "of at Z.")
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.batched_layer(BATCHED_LAYER["phi' at the output"], net, X, T)


def test_batched_layer_passes_a_right_answer_and_returns_each_layers_error(nb01):
    net, _, _, X, T = nb01
    errors = exercises.batched_layer(batched_layer(), net, X, T)
    assert list(errors) == ["layer 3", "layer 2"] and max(errors.values()) < 1e-9


@pytest.mark.parametrize("mistake, message", [
    ("grad W divided by N", "grad W of layer 3 (against finite differences) is off (relative error ~1e0): it is N "
                            "times too small: the 1/N of the mean is already inside Delta."),
    ("grad W times N", "grad W of layer 3 (against finite differences) is off (relative error ~1e0): it is N times "
                       "too large."),
    ("grad W off by 6e-7", "grad W of layer 3 against the sum of per-sample outer products is off: relative error "
                           "~1e-7 (a right answer is below 1e-07)."),
    ("grad b the mean", "grad b of layer 3 is off (relative error ~1e0): it is the mean over the rows; the 1/N is "
                        "already inside Delta, so sum them."),
    ("grad b twice", "grad b of layer 3 is off: relative error ~1e0 (a right answer is below 1e-07)."),
    ("phi' at the output", "Delta of layer 2 is off (relative error ~1e-1): phi' was evaluated at the output "
                           "Y = phi(Z) instead of at Z."),
    ("phi' missing", "Delta of layer 2 is off (relative error ~1e0): the factor phi'(Z^(l-1)) is missing."),
    ("Delta twice", "Delta of layer 2 is off: relative error ~1e0 (a right answer is below 1e-07)."),
])
def test_batched_layer_names_each_mistake(nb01, mistake, message):
    net, _, _, X, T = nb01
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.batched_layer(BATCHED_LAYER[mistake], net, X, T)


# -- notebook 03 ------------------------------------------------------------------------------


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def exp_over_sum(shift, axis):
    """A student's softmax: exp(z - shift(z)) divided by its sums over ``axis`` (None: the whole array)."""
    def student(z):
        e = np.exp(z - shift(z))
        return e / e.sum(axis=axis, keepdims=axis is not None)
    return student


def row_max(z):
    return z.max(axis=1, keepdims=True)


SOFTMAX = {
    "over the columns": exp_over_sum(lambda z: z.max(axis=0, keepdims=True), axis=0),
    "over the columns, each row's maximum subtracted": exp_over_sum(row_max, axis=0),
    "over the whole array": exp_over_sum(lambda z: 0.0, axis=None),
    "over the whole array, each row's maximum subtracted": exp_over_sum(row_max, axis=None),
    "without the shift": exp_over_sum(lambda z: 0.0, axis=1),
    "shifted by the batch's maximum": exp_over_sum(lambda z: z.max(), axis=1),
}


def test_softmax_passes_a_right_answer():
    assert exercises.softmax(softmax, lk.Softmax()) is None


@pytest.mark.parametrize("mistake, message", [
    ("over the columns", "softmax of two rows is wrong: it normalizes each column; each row (axis=1) is one sample's "
                         "scores."),
    ("over the columns, each row's maximum subtracted", "softmax of two rows is wrong: it normalizes each column; "
                                                        "each row (axis=1) is one sample's scores."),
    ("over the whole array", "softmax of two rows is wrong: it divides by the sum of the whole array; divide each row "
                             "by its own sum."),
    ("over the whole array, each row's maximum subtracted", "softmax of two rows is wrong: it divides by the sum of "
                                                            "the whole array; divide each row by its own sum."),
    ("without the shift", "softmax overflows at z = [[1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, -3000.0]] "
                          "(overflow encountered in exp): subtract each row's own maximum before np.exp."),
    ("shifted by the batch's maximum", "softmax breaks down at z = [[1000.0, 1000.0, -1000.0], [-1000.0, -1000.0, "
                                       "-3000.0]] (invalid value encountered in divide): subtract each row's own "
                                       "maximum before np.exp."),
])
def test_softmax_names_each_mistake(mistake, message):
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.softmax(SOFTMAX[mistake], lk.Softmax())


def test_softmax_with_an_unknown_mistake_shows_expected_and_got():
    sigmoid = lambda z: 1 / (1 + np.exp(-z))  # noqa: E731
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    with pytest.raises(AssertionError, match=exactly(wrong("softmax of two rows", softmax(z), sigmoid(z)))):
        exercises.softmax(sigmoid, lk.Softmax())


def test_softmax_of_scores_clipped_at_10_is_wrong_for_large_scores():
    clipped = lambda z: softmax(np.clip(z, -10, 10))  # noqa: E731
    message = wrong("softmax", [[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]], [[0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.softmax(clipped, lk.Softmax())


def test_softmax_for_three_classes_only_fails_the_row_sums():
    three = lambda z: softmax(z) * (np.exp(z - row_max(z)).sum(axis=1, keepdims=True)  # noqa: E731
                                     / np.exp(z - row_max(z))[:, :3].sum(axis=1, keepdims=True))
    z = np.random.default_rng(0).normal(size=(5, 10)) * 4
    with pytest.raises(AssertionError, match=exactly(wrong("the row sums", np.ones(5), three(z).sum(axis=1)))):
        exercises.softmax(three, lk.Softmax())


def test_softmax_that_changes_when_every_score_moves_is_caught():
    clipped = lambda z: softmax(np.minimum(z, 15))  # noqa: E731 (right unless a score is above 15)
    z = np.random.default_rng(0).normal(size=(5, 10)) * 4
    assert z.max() < 15 < z.max() + 7.5
    message = wrong("softmax after adding 7.5 to every score (it must not change)", softmax(z), clipped(z + 7.5))
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.softmax(clipped, lk.Softmax())


# -- notebook 04 ------------------------------------------------------------------------------


@pytest.fixture
def nb04():
    """Notebook 04's H (5 x 5, symmetric positive definite), b and tau."""
    rng = np.random.default_rng(0)
    A = rng.normal(size=(5, 5))
    return A @ A.T / 5 + 0.05 * np.eye(5), rng.normal(size=5), 0.5


def minimizer(H, b, tau):
    return np.linalg.solve(H + tau * np.eye(len(b)), -b)


MINIMIZER = {
    "wrong sign": lambda H, b, tau: np.linalg.solve(H + tau * np.eye(len(b)), b),
    "tau added to every entry": lambda H, b, tau: np.linalg.solve(H + tau, -b),
    "tau / 2": lambda H, b, tau: np.linalg.solve(H + tau / 2 * np.eye(len(b)), -b),
    "H / 2": lambda H, b, tau: np.linalg.solve(H / 2 + tau * np.eye(len(b)), -b),
    "tau ignored": lambda H, b, tau: np.linalg.solve(H, -b),
}


def test_minimizer_passes_a_right_answer(nb04):
    assert exercises.minimizer(minimizer, *nb04) is None


@pytest.mark.parametrize("mistake, message", [
    ("wrong sign", "minimizer(H, b, tau) is wrong: it has the wrong sign: at the minimum the gradient of E' is zero; "
                   "look at the sign of b in it."),
    ("tau added to every entry", "minimizer(H, b, tau) is wrong: tau was added to every entry of H; weight decay adds "
                                 "it to the diagonal only (tau times the identity)."),
    ("tau / 2", "minimizer(H, b, tau) is wrong: it is the minimizer for tau / 2: the gradient of (tau/2) ||w||^2 is "
                "tau w."),
    ("H / 2", "minimizer(H, b, tau) is wrong: the gradient of (1/2) w^T H w is H w for a symmetric H, not "
              "(1/2) H w."),
    ("tau ignored", "minimizer(H, b, tau) is wrong: tau is ignored: this is w*, the minimizer of E without the "
                    "penalty."),
])
def test_minimizer_names_each_mistake(nb04, mistake, message):
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.minimizer(MINIMIZER[mistake], *nb04)


def test_minimizer_with_an_unknown_mistake_shows_expected_and_got(nb04):
    H, b, tau = nb04
    doubled = lambda H, b, tau: minimizer(H, b, 2 * tau)  # noqa: E731
    message = wrong("minimizer(H, b, tau)", minimizer(H, b, tau), minimizer(H, b, 2 * tau))
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.minimizer(doubled, H, b, tau)


def test_minimizer_is_also_checked_without_decay(nb04):
    H, b, tau = nb04
    special = lambda H, b, tau: minimizer(H, b, tau) if tau else np.linalg.solve(H, b)  # noqa: E731 (sign lost at 0)
    message = wrong("minimizer(H, b, 0), which is w*", np.linalg.solve(H, -b), np.linalg.solve(H, b))
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.minimizer(special, H, b, tau)


def shrink(coordinates=lambda U, w: U.T @ w, factor=lambda lam, tau: lam / (lam + tau), back=lambda U, beta: U @ beta):
    """A student's shrink through the eigenbasis of H, right unless one of its three steps is planted."""
    def student(H, w_star, tau):
        lam, U = np.linalg.eigh(H)
        return back(U, factor(lam, tau) * coordinates(U, w_star))
    return student


def lab_shortcut(H, w_star, tau):
    lam = np.linalg.eigvalsh(H)
    return lam / (lam + tau) * w_star


SHRINK = {
    "the lab's shortcut": lab_shortcut,
    "U and U.T swapped": shrink(coordinates=lambda U, w: U @ w, back=lambda U, beta: U.T @ beta),
    "coordinates with U": shrink(coordinates=lambda U, w: U @ w),
    "back with U.T": shrink(back=lambda U, beta: U.T @ beta),
    "the part removed": shrink(factor=lambda lam, tau: tau / (lam + tau)),
    "not mapped back": shrink(back=lambda U, beta: beta),
}


def test_shrink_passes_a_right_answer(nb04):
    assert exercises.shrink(shrink(), *nb04) is None


@pytest.mark.parametrize("mistake, message", [
    ("the lab's shortcut", "shrink(H, w*, tau) is wrong: it is d * w* element by element in the original coordinates, "
                           "the original lab's shortcut. The factors d_i belong to the coordinates alpha_i = u_i . w* "
                           "along the eigenvectors (Question 2)."),
    ("U and U.T swapped", "shrink(H, w*, tau) is wrong: U and U.T are swapped, or the rows of U were used as the "
                          "eigenvectors: eigh returns them as the columns."),
    ("coordinates with U", "shrink(H, w*, tau) is wrong: the coordinates alpha_i = u_i . w* were taken with U instead "
                           "of its transpose."),
    ("back with U.T", "shrink(H, w*, tau) is wrong: the way back to the original axes, w~ = sum_i beta_i u_i, uses U "
                      "itself, not its transpose."),
    ("the part removed", "shrink(H, w*, tau) is wrong: the factor is tau / (lambda + tau), the part that weight decay "
                         "removes; the part kept is lambda / (lambda + tau)."),
    ("not mapped back", "shrink(H, w*, tau) is wrong: it is beta, the coordinates of w~ along the eigenvectors: map "
                        "them back to the original axes."),
])
def test_shrink_names_each_mistake(nb04, mistake, message):
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.shrink(SHRINK[mistake], *nb04)


def test_shrink_with_an_unknown_mistake_shows_expected_and_got(nb04):
    H, b, tau = nb04
    squared = shrink(factor=lambda lam, tau: (lam / (lam + tau)) ** 2)
    w_star = np.linalg.solve(H, -b)
    message = wrong("shrink(H, w*, tau)", minimizer(H, b, tau), squared(H, w_star, tau))
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.shrink(squared, H, b, tau)


def test_shrink_is_also_checked_without_decay(nb04):
    H, b, tau = nb04
    right, beta = shrink(), shrink(back=lambda U, beta: beta)
    special = lambda H, w_star, tau: right(H, w_star, tau) if tau else beta(H, w_star, tau)  # noqa: E731
    w_star = np.linalg.solve(H, -b)
    message = wrong("shrink(H, w*, 0) (no decay: w* itself)", w_star, beta(H, w_star, 0.0))
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.shrink(special, H, b, tau)


def ridge_fit(H_scale=1.0, b_scale=1.0, student_minimizer=minimizer):
    """A student's ridge_fit: H = Phi^T Phi / N and b = -Phi^T t / N (each times its scale), then the minimizer."""
    def student(Phi, t, tau):
        return student_minimizer(H_scale * Phi.T @ Phi / len(t), -b_scale * Phi.T @ t / len(t), tau)
    return student


RIDGE_FIT = {
    "without the 1/N": ridge_fit(H_scale=8, b_scale=8),
    "with the 1/N in H only": ridge_fit(b_scale=8),
    "without the error's 1/2": ridge_fit(H_scale=2, b_scale=2),
    "wrong sign": ridge_fit(b_scale=-1),
}


def test_ridge_fit_passes_a_right_answer(nb04):
    assert exercises.ridge_fit(ridge_fit(), minimizer, *nb04) is None


@pytest.mark.parametrize("mistake, message", [
    ("without the 1/N", "ridge_fit for 8 samples and tau = 0.3 is wrong: it is the fit for tau / N: the error is a "
                        "mean over the N samples, and both H and b carry its 1/N."),
    ("with the 1/N in H only", "ridge_fit for 8 samples and tau = 0.3 is wrong: it is N = 8 times too large: b carries "
                               "the 1/N of the mean as well as H."),
    ("without the error's 1/2", "ridge_fit for 8 samples and tau = 0.3 is wrong: it is the fit for tau / 2: the 2 from "
                                "differentiating the square cancels the error's 1/2."),
    ("wrong sign", "ridge_fit for 8 samples and tau = 0.3 is wrong: it has the wrong sign: look at the sign of b, the "
                   "linear term of the error."),
])
def test_ridge_fit_names_each_mistake(nb04, mistake, message):
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.ridge_fit(RIDGE_FIT[mistake], minimizer, *nb04)


def test_ridge_fit_with_an_unknown_mistake_shows_expected_and_got(nb04):
    ignores_tau = lambda Phi, t, tau: ridge_fit()(Phi, t, 0.0)  # noqa: E731
    data = np.random.default_rng(5)
    Phi, t = data.normal(size=(8, 3)), data.normal(size=8)
    message = wrong("ridge_fit for 8 samples and tau = 0.3", ridge_regression(Phi, t, 0.3), ridge_regression(Phi, t, 0))
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.ridge_fit(ignores_tau, minimizer, *nb04)


def test_ridge_fit_blames_a_wrong_minimizer_first(nb04):
    H, b, tau = nb04
    wrong_minimizer = MINIMIZER["wrong sign"]
    message = wrong("your minimizer, which ridge_fit uses (fix Exercise 1 first),", quadratic_minimizer(H, b, tau),
                    -quadratic_minimizer(H, b, tau))
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.ridge_fit(ridge_fit(student_minimizer=wrong_minimizer), wrong_minimizer, H, b, tau)


# -- notebook 05 ------------------------------------------------------------------------------


@pytest.fixture
def nb05():
    """Notebook 05's data, with 40 samples instead of 200 (the check does not depend on N)."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3)) * [1.0, 0.5, 2.0]
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.3 * rng.normal(size=40)


def monte_carlo(noise=lambda sigma, draws: sigma * draws, factor=lambda noisy, X: noisy, sign=-1.0,
                divide_by_N=True, with_t=True, error=lambda std, samples: std / np.sqrt(samples), fresh=True):
    """A student's Monte Carlo estimate, right unless one of its pieces is planted."""
    def student(X, t, w, sigma, samples, rng):
        draws = rng.standard_normal((samples, *X.shape)) if fresh else rng.standard_normal(X.shape)[None]
        noisy = X + noise(sigma, draws) * np.ones((samples, 1, 1))
        residual = (t if with_t else 0) - noisy @ w
        gradients = sign * np.einsum("snd,sn->sd", factor(noisy, X), residual) / (len(X) if divide_by_N else 1)
        return gradients.mean(axis=0), error(gradients.std(axis=0, ddof=1), samples)
    return student


def root_mean_square(X, t, w, sigma, samples, rng):
    """A standard error taken from the root mean square of the gradients instead of their spread."""
    noisy = X + sigma * rng.standard_normal((samples, *X.shape))
    gradients = -np.einsum("snd,sn->sd", noisy, t - noisy @ w) / len(X)
    return gradients.mean(axis=0), np.sqrt((gradients**2).mean(axis=0) / samples)


SAME_NOISE = ("the standard error is 0 with noise: every sample saw the same noise. Draw new noise for each sample "
              "(an array of shape (samples, N, D)), not one noise matrix for all.")
NO_SHRINK = ("the standard error does not shrink with more samples: it is the standard deviation of the samples. The "
             "standard error of their mean divides it by sqrt(samples).")
SHRINKS_TOO_FAST = ("the standard error shrinks {} times from 1000 to 16000 samples instead of sqrt(16) = 4 times: "
                    "divide the standard deviation by sqrt(samples), not by samples.")

MONTE_CARLO = {
    "without the 1/N": monte_carlo(divide_by_N=False),
    "wrong sign": monte_carlo(sign=1.0),
    "one noise for all samples": monte_carlo(fresh=False),
    "standard deviation": monte_carlo(error=lambda std, samples: std),
    "divided by samples": monte_carlo(error=lambda std, samples: std / samples),
    "clean inputs in the factor": monte_carlo(factor=lambda noisy, X: np.broadcast_to(X, noisy.shape)),
    "noise scaled by the variance": monte_carlo(noise=lambda sigma, draws: sigma**2 * draws),
}


def test_monte_carlo_passes_a_right_answer_and_returns_the_standard_errors(nb05):
    X, t = nb05
    se, shrinks = exercises.monte_carlo(monte_carlo(), X, t)
    _, se_1000 = monte_carlo()(X, t, np.full(3, 0.5), 0.8, 1000, np.random.default_rng(2))
    _, se_16000 = monte_carlo()(X, t, np.full(3, 0.5), 0.8, 16000, np.random.default_rng(3))
    np.testing.assert_array_equal(se, se_16000)
    assert shrinks == np.median(se_1000 / se_16000) and 3 < shrinks < 5


@pytest.mark.parametrize("mistake, message", [
    ("without the 1/N", "the mean for sigma = 0 (no noise: the gradient of E itself) is wrong: it is N times too "
                        "large: E is a mean over the N samples, so its gradient carries a 1/N."),
    ("wrong sign", "the mean for sigma = 0 (no noise: the gradient of E itself) is wrong: it has the wrong sign: the "
                   "gradient of (1/2)(t - w.x)^2 with respect to w is -(t - w.x) x."),
    ("one noise for all samples", SAME_NOISE),
    ("standard deviation", NO_SHRINK),
    ("divided by samples", SHRINKS_TOO_FAST.format(16)),
    ("clean inputs in the factor", "the mean for sigma = 0.8 (within 5 standard errors of Question 1's answer) is "
                                   "wrong: it is the gradient without noise: the noisy gradient has x~ = x + noise "
                                   "both in the residual and in the factor that multiplies it."),
    ("noise scaled by the variance", "the mean for sigma = 0.8 (within 5 standard errors of Question 1's answer) is "
                                     "wrong: it is the expectation for noise of standard deviation sigma^2: scale the "
                                     "standard normal draws by sigma, the standard deviation (sigma^2 is the "
                                     "variance)."),
])
def test_monte_carlo_names_each_mistake(nb05, mistake, message):
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.monte_carlo(MONTE_CARLO[mistake], *nb05)


def clean_gradient(X, t, w):
    return -X.T @ (t - X @ w) / len(X)


@pytest.mark.parametrize("mistake", ["without t", "noise not scaled by sigma"])
def test_monte_carlo_without_noise_shows_expected_and_got(nb05, mistake):
    X, t = nb05
    student = monte_carlo(with_t=False) if mistake == "without t" else monte_carlo(noise=lambda sigma, draws: draws)
    w = np.full(3, 0.5)
    got, _ = student(X, t, w, 0.0, 10, np.random.default_rng(1))
    message = wrong("the mean for sigma = 0 (no noise: the gradient of E itself)", clean_gradient(X, t, w), got)
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.monte_carlo(student, X, t)


def test_monte_carlo_standard_error_without_noise_must_be_zero(nb05):
    X, t = nb05
    _, got = root_mean_square(X, t, np.full(3, 0.5), 0.0, 10, np.random.default_rng(1))
    message = wrong("the standard error for sigma = 0 (all samples are the same)", np.zeros(3), got)
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.monte_carlo(root_mean_square, X, t)


def test_monte_carlo_with_noise_twice_too_strong_shows_expected_and_got(nb05):
    X, t = nb05
    w, student = np.full(3, 0.5), monte_carlo(noise=lambda sigma, draws: 2 * sigma * draws)
    got, _ = student(X, t, w, 0.8, 16000, np.random.default_rng(3))
    message = wrong("the mean for sigma = 0.8 (within 5 standard errors of Question 1's answer)",
                    clean_gradient(X, t, w) + 0.64 * w, got)
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.monte_carlo(student, X, t)


def scripted(shrinks=4.0, se=0.01, offset=0.0):
    """A student who returns the exact expectation (plus ``offset`` standard errors) and a standard error of
    ``se`` at 16000 samples, ``shrinks`` times larger at 1000: the check's thresholds, met exactly."""
    def student(X, t, w, sigma, samples, rng):
        mean = clean_gradient(X, t, w) + sigma**2 * w
        if sigma == 0:
            return mean, np.zeros(len(w))
        error = se * (shrinks if samples == 1000 else 1.0)
        return mean + offset * error, np.full(len(w), error)
    return student


def test_monte_carlo_thresholds(nb05):
    X, t = nb05
    assert exercises.monte_carlo(scripted(), X, t)[1] == 4.0
    assert exercises.monte_carlo(scripted(shrinks=3.0), X, t)[1] == 3.0  # within 1 of 4
    assert exercises.monte_carlo(scripted(offset=4.9), X, t)[1] == 4.0  # within 5 standard errors: right
    for shrinks in (1.5, 2.5, 10.0):
        message = wrong("how much the standard error shrinks from 1000 to 16000 samples", 4.0, shrinks)
        with pytest.raises(AssertionError, match=exactly(message)):
            exercises.monte_carlo(scripted(shrinks=shrinks), X, t)
    with pytest.raises(AssertionError, match=exactly(NO_SHRINK)):
        exercises.monte_carlo(scripted(shrinks=1.49), X, t)
    with pytest.raises(AssertionError, match=exactly(SHRINKS_TOO_FAST.format(11))):
        exercises.monte_carlo(scripted(shrinks=10.6), X, t)
    with pytest.raises(AssertionError, match=exactly(SAME_NOISE)):
        exercises.monte_carlo(scripted(se=0.99e-12), X, t)
    with pytest.raises(AssertionError, match=exactly(NO_SHRINK)):
        exercises.monte_carlo(scripted(shrinks=1.0, se=1e-12), X, t)  # not below 1e-12: not 0


def test_monte_carlo_mean_more_than_5_standard_errors_away_is_wrong(nb05):
    X, t = nb05
    w = np.full(3, 0.5)
    expected = clean_gradient(X, t, w) + 0.64 * w
    message = wrong("the mean for sigma = 0.8 (within 5 standard errors of Question 1's answer)", expected,
                    expected + 0.0501)
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.monte_carlo(scripted(offset=5.01), X, t)


def hessian_trace(entries=lambda x: np.ndindex(x.shape), denominator=lambda h: h**2, restore=True, copy=False):
    """A student's hessian_trace by central second differences, right unless one piece is planted."""
    def student(f, x, h=1e-3):
        if copy:
            x = x.copy()
        centre = f(x)
        total = np.zeros_like(centre)
        for k in entries(x):
            original = np.copy(x[k])
            x[k] = original + h
            up = f(x)
            x[k] = original - h
            down = f(x)
            if restore:
                x[k] = original
            total = total + (up - 2 * centre + down) / denominator(h)
        return total
    return student


def all_at_once(f, x, h=1e-3):
    centre = f(x)
    x += h
    up = f(x)
    x -= 2 * h
    down = f(x)
    x += h
    return (up - 2 * centre + down) / h**2


HESSIAN_TRACE = {
    "not divided by h^2": hessian_trace(denominator=lambda h: 1.0),
    "divided by (2h)^2": hessian_trace(denominator=lambda h: (2 * h) ** 2),
    "divided by h": hessian_trace(denominator=lambda h: h),
    "divided by h^3": hessian_trace(denominator=lambda h: h**3),
    "entries not put back": hessian_trace(restore=False),
    "every entry at once": all_at_once,
    "a copy perturbed": hessian_trace(copy=True),
    "whole rows": hessian_trace(entries=lambda x: range(len(x))),
}


def test_hessian_trace_passes_a_right_answer():
    assert exercises.hessian_trace(hessian_trace()) is None
    larger_step = hessian_trace()
    assert exercises.hessian_trace(lambda f, x: larger_step(f, x, h=5e-3)) is None  # truncation error ~1e-6


def test_hessian_trace_with_too_large_a_step_is_off():
    larger_step = hessian_trace()
    message = "the trace for f(u) = sin(A u) + c ||u||^2 is off: relative error ~1e-5 (a right answer is below 1e-05)."
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.hessian_trace(lambda f, x: larger_step(f, x, h=1e-2))


@pytest.mark.parametrize("drift, relative, changed", [(1e-10, False, False), (2e-9, False, True),
                                                     (1e-6, True, True)])
def test_hessian_trace_must_leave_x_as_it_found_it_to_1e_9(drift, relative, changed):
    right = hessian_trace()

    def drifting(f, x):
        total = right(f, x)
        x += drift * np.abs(x) if relative else drift  # what a student's restoring leaves behind
        return total

    if changed:
        with pytest.raises(AssertionError, match=exactly("hessian_trace changed x: put each entry back after "
                                                         "perturbing it.")):
            exercises.hessian_trace(drifting)
    else:
        assert exercises.hessian_trace(drifting) is None


FIRST = "the trace for f(u) = sin(A u) + c ||u||^2 is off"
SECOND = "the trace with respect to a (2, 3) array read from outside f is off"


@pytest.mark.parametrize("mistake, message", [
    ("not divided by h^2", f"{FIRST} (relative error ~1e0): the division by h^2 is missing."),
    ("divided by (2h)^2", f"{FIRST} (relative error ~1e0): it is divided by (2h)^2: the second difference spans 2h "
                          "but divides by h^2."),
    ("divided by h", f"{FIRST} (relative error ~1e0): it is divided by h instead of h^2."),
    ("divided by h^3", f"{FIRST}: relative error ~1e0 (a right answer is below 1e-05)."),
    ("entries not put back", "hessian_trace changed x: put each entry back after perturbing it."),
    ("every entry at once", f"{FIRST} (relative error ~1e0): all entries were moved at once: perturb one entry at a "
                            "time and add up the second differences."),
    ("a copy perturbed", f"{SECOND} (relative error ~1e0): it is 0: f never saw the perturbation. f reads the array "
                         "from outside, so change the entries of x itself, not of a copy."),
    ("whole rows", f"{SECOND} (relative error ~1e0): x[k] with a single index moves a whole row of a 2-D array: "
                   "perturb one entry at a time (np.ndindex(x.shape) gives every index)."),
])
def test_hessian_trace_names_each_mistake(mistake, message):
    with pytest.raises(AssertionError, match=exactly(message)):
        exercises.hessian_trace(HESSIAN_TRACE[mistake])

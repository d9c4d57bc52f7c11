"""A check grades the student's own code: labkit's answer, however it is reached, fails it.

Each delegating student below is what a student who calls labkit instead of writing the exercise
would hand in (the issue's trial found every one of these passing before); each must fail with one
line that names the labkit function it reached.
"""

import threading

import numpy as np
import pytest

import labkit as lk
from labkit import exercises, mistakes, ownwork
from labkit.losses import softmax_cross_entropy_delta
from labkit.network import backward_pass, forward_pass, output_delta, parameter_gradients
from labkit.noise import _second_difference_trace
from labkit.weight_decay import eigen_view, quadratic_descent, quadratic_minimizer, ridge_regression, shrinkage_factors
from tests import students

captured_backward_pass = backward_pass  # an alias taken before the check runs: it is the same code


def delegating_backprop(weights, activations, loss, Zs, Ys, y_true):
    deltas = captured_backward_pass(weights, activations, Zs, output_delta(activations[-1], loss, Zs[-1], Ys[-1],
                                                                           y_true))
    return parameter_gradients(weights, Ys, deltas)


class SubclassedSigmoid(lk.Sigmoid):  # the answer inherited
    pass


class WrappedBCE:
    def forward(self, t, p):
        return lk.BinaryCrossEntropy().forward(t, p)

    def backward(self, t, p):
        return students.BinaryCrossEntropy().backward(t, p)


def through_numpy(H, b, tau):  # a numpy callback reaches labkit: still the student's call
    return np.apply_along_axis(lambda row: quadratic_minimizer(H, row, tau), 0, b)


def train_with_fit(weights, biases, activations, loss, optimizer, X, y, steps):
    net = lk.DenseNetwork(weights, biases, activations, loss, lk.GradientDescent(optimizer.learning_rate))
    return net.fit(X, y, epochs=steps, progress=False)


def shrink_by_eigen_view(H, w_star, tau):
    return eigen_view(H, -H @ w_star, tau).w_tilde


def cases_with_labkits_factors(tau):
    return [(H, w, shrinkage_factors(np.linalg.eigvalsh(H), tau)) for H, w, _ in students.shortcut_cases(tau)]


def choose_by_labkit(Phi, t, Phi_val, t_val, taus):
    return mistakes._validation(Phi, t, Phi_val, t_val, taus)


def column_backprop_by_the_network(delta_L, zs, ys, Ws, acts, lam):
    deltas = backward_pass([W.T for W in Ws], acts, [z[None] for z in zs], delta_L[None])
    grads = parameter_gradients([W.T for W in Ws], [y[None] for y in ys], deltas)
    return [g.T + lam * W for g, W in zip(grads[0], Ws)], [g for g in grads[1]]


def trace_by_labkit(f, x, h=1e-3):
    return _second_difference_trace(lambda: f(x), x, list(np.ndindex(x.shape)), h)


DELEGATIONS = [
    ("delta_output", (lambda dE, z, phi: phi.backward(z, dE),), "labkit.activations.Activation.backward"),
    ("backprop", (delegating_backprop,), "labkit.network.output_delta"),
    ("forward", (lambda W, b, acts, X: forward_pass(W, b, acts, X),), "labkit.network.forward_pass"),
    ("activations", (students.ReLU, SubclassedSigmoid, students.Tanh), "labkit.activations.Sigmoid.forward"),
    ("bce", (WrappedBCE,), "labkit.losses.BinaryCrossEntropy.forward"),
    ("gradient_descent", (lk.GradientDescent,), "labkit.optim.GradientDescent.step"),
    ("softmax", (lambda z: lk.Softmax().forward(z),), "labkit.activations.Softmax.forward"),
    ("fused_delta", (softmax_cross_entropy_delta,), "labkit.losses.softmax_cross_entropy_delta"),
    ("train", (train_with_fit, students.forward, students.backprop), "labkit.network.DenseNetwork.fit"),
    ("minimizer", (through_numpy,), "labkit.weight_decay.quadratic_minimizer"),
    ("ridge_fit", (ridge_regression, students.minimizer), "labkit.weight_decay.ridge_regression"),
    ("hessian_trace", (trace_by_labkit,), "labkit.noise._second_difference_trace"),
    ("column_backprop", (column_backprop_by_the_network,), "labkit.network.backward_pass"),
    ("cce", (lambda: lk.CategoricalCrossEntropy(),), "labkit.losses.CategoricalCrossEntropy.forward"),
    ("shrink", (shrink_by_eigen_view,), "labkit.weight_decay.eigen_view"),
    ("descend", (quadratic_descent,), "labkit.weight_decay.quadratic_descent"),
    ("shortcut_cases", (cases_with_labkits_factors,), "labkit.weight_decay.shrinkage_factors"),
    ("choose_tau", (choose_by_labkit, students.ridge_fit, students.minimizer), "labkit.mistakes._validation"),
    ("noise_weight_decay", (mistakes._noise_tau,), "labkit.mistakes._noise_tau"),
]


@pytest.mark.parametrize("exercise, student, reached", DELEGATIONS, ids=[d[0] for d in DELEGATIONS])
def test_calling_labkits_answer_fails_the_check_and_names_it(exercise, student, reached):
    with pytest.raises(AssertionError, match=rf"^your \S+ (calls|is) labkit's {reached}[ :].*this exercise asks for "
                                             r"your own code; it may use numpy.*, nothing else of labkit\.$"):
        getattr(exercises, exercise)(*student)


def test_the_message_says_what_the_exercise_may_use():
    with pytest.raises(AssertionError) as failure:
        exercises.backprop(delegating_backprop)
    assert str(failure.value) == (
        "your delegating_backprop calls labkit's labkit.network.output_delta (at `deltas = captured_backward_pass("
        "weights, activations, Zs, output_delta(activations[-1], loss, Zs[-1], Ys[-1],`): this exercise asks for your "
        "own code; it may use numpy and the forward and derivative of the activations it is handed and the forward "
        "and backward of the loss it is handed, nothing else of labkit.")


@pytest.mark.mnist
def test_the_epoch_may_use_labkits_backprop_but_not_the_fused_delta_or_fit():
    def with_labkits_delta(weights, biases, X, Y, batch_size, learning_rate, rng):
        return students.train_epoch(weights, biases, X, Y, batch_size, learning_rate, rng)

    exercises.epoch(students.train_epoch, students.softmax, students.cross_entropy, students.fused_delta)
    original = students.fused_delta
    students.fused_delta = softmax_cross_entropy_delta  # train_epoch looks it up when it runs
    try:
        with pytest.raises(AssertionError, match=r"calls labkit's labkit\.losses\.softmax_cross_entropy_delta"):
            exercises.epoch(with_labkits_delta, students.softmax, students.cross_entropy, original)
    finally:
        students.fused_delta = original


def test_starting_a_thread_or_switching_the_watch_off_fails():
    def threaded(H, b, tau):
        result = []
        thread = threading.Thread(target=lambda: result.append(quadratic_minimizer(H, b, tau)))
        thread.start()
        thread.join()
        return result[0]

    def switches_off(H, b, tau):
        import sys
        sys.setprofile(None)
        return quadratic_minimizer(H, b, tau)

    with pytest.raises(AssertionError, match=r"^your threaded starts a thread \(at `thread\.start\(\)`\)|"
                                             r"^your threaded starts a thread"):
        exercises.minimizer(threaded)
    with pytest.raises(AssertionError, match=r"^your switches_off switches off the check's watch"):
        exercises.minimizer(switches_off)


def test_patching_an_object_the_check_hands_over_cannot_change_what_it_compares_with():
    def zero_loss_and_gradients(weights, activations, loss, Zs, Ys, y_true):
        loss.forward = lambda t, p: 0.0  # on the copy it was handed: the check's own loss stays right
        return [np.zeros_like(W) for W in weights], [np.zeros(W.shape[1]) for W in weights]

    with pytest.raises(AssertionError, match=r"is wrong: it is all zeros\.$"):
        exercises.backprop(zero_loss_and_gradients)


def test_printing_a_labkit_object_is_not_delegation(capsys):
    def chatty(dE_dyL, zL, phi):
        print("activation:", phi)  # calls labkit's __repr__
        return students.delta_output(dE_dyL, zL, phi)

    exercises.delta_output(chatty)
    assert "activation: Sigmoid()" in capsys.readouterr().out


def test_the_watch_leaves_a_profile_function_it_found_in_place():
    def previous(frame, event, arg):
        return None

    import sys
    sys.setprofile(previous)
    try:
        ownwork.run(students.minimizer, np.eye(2), np.ones(2), 0.1)
        assert sys.getprofile() is previous
    finally:
        sys.setprofile(None)


def test_labkit_calling_labkit_on_the_students_behalf_is_allowed_when_declared():
    tools = ownwork.Tools((lk.Tanh.derivative,), "tanh's derivative")
    # Tanh.derivative is declared; labkit's code it calls in turn (none here, np.tanh) is labkit's own business
    assert ownwork.run(lambda z: lk.Tanh().derivative(z), np.zeros(2), may_use=tools).tolist() == [1.0, 1.0]
    with pytest.raises(AssertionError, match=r"^your <lambda> calls labkit's labkit\.activations\.Tanh\.forward "
                                             r".*it may use numpy and tanh's derivative, nothing else of labkit\.$"):
        ownwork.run(lambda z: lk.Tanh().forward(z), np.zeros(2), may_use=tools)

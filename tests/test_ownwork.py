"""A check grades the student's own code: labkit's answer, however it is reached, fails it.

Each delegating student below is what a student who calls labkit instead of writing the exercise
would hand in (the issue's trial found every one of these passing before); each must fail with one
line that names the labkit function it reached.
"""

import sys
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
from tests.messages import exactly

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


# -- the watch's edges ---------------------------------------------------------------------------

AUDITED = []


def _note_watch_events(event, args):
    if event.startswith("labkit.watch"):
        AUDITED.append(event)


sys.addaudithook(_note_watch_events)  # an audit hook stays for the session: added once, on import


def test_the_watch_tells_a_grading_sentinel_when_it_begins_and_ends():
    AUDITED.clear()
    ownwork.run(students.minimizer, np.eye(2), np.ones(2), 0.1)
    assert AUDITED == ["labkit.watch.begin", "labkit.watch.end"]


def test_switching_the_watch_off_unseen_is_named_when_it_ends():
    def sneaky(H, b, tau):
        list(map(sys.setprofile, [None]))  # called from C: no profile event shows the switch
        return quadratic_minimizer(H, b, tau)

    with pytest.raises(AssertionError, match=exactly("your sneaky switches off the check's watch (sys.setprofile): "
                                                     "this exercise asks for your own code; it may use numpy, nothing "
                                                     "else of labkit.")):
        ownwork.run(sneaky, np.eye(2), np.ones(2), 0.1)


def test_code_without_source_lines_is_named_without_a_line():
    namespace = {"quadratic_minimizer": quadratic_minimizer}
    exec(compile("def typed_in(H, b, tau):\n    return quadratic_minimizer(H, b, tau)\n", "<typed in>", "exec"),
         namespace)
    with pytest.raises(AssertionError, match=exactly("your typed_in calls labkit's labkit.weight_decay."
                                                     "quadratic_minimizer: this exercise asks for your own code; it "
                                                     "may use numpy, nothing else of labkit.")):
        ownwork.run(namespace["typed_in"], np.eye(2), np.ones(2), 0.1)


def test_may_use_takes_python_functions_only():
    with pytest.raises(TypeError, match=exactly("may_use takes Python functions of labkit; got <ufunc 'add'>.")):
        ownwork.Watch(ownwork.Tools((np.add,)))


class Halver:
    def __call__(self, x):
        x /= 2
        return x


def test_a_change_in_place_is_named_by_the_functions_name_and_parameter():
    def second_of_many(*arrays):
        arrays[1][0] += 1
        return 0.0

    def appends(weights):
        weights.append(np.zeros(1))
        return 0.0

    for function, args, named in ((Halver(), (np.ones(2),), "Halver changes its argument `x`"),
                                  (second_of_many, (np.ones(2), np.ones(2)), "second_of_many changes its argument "
                                                                             "number 2"),
                                  (appends, ([np.ones(1)],), "appends changes its argument `weights`")):
        with pytest.raises(AssertionError, match=exactly(f"{named} in place: leave the arrays it is given as they "
                                                         "are (compute new ones, or work on a copy).")):
            ownwork.run(function, *args)


def test_a_change_in_place_is_seen_however_small_and_nan_is_no_change():
    def nudges(x, by):
        x[0] += by
        return 0.0

    for start, by in ((1.0, 1e-6), (0.0, 1e-10)):  # a millionth of 1, or 1e-10 off 0: a change
        with pytest.raises(AssertionError, match=r"^nudges changes its argument `x` in place"):
            ownwork.run(nudges, np.array([start, 1.0]), by)
    assert ownwork.run(lambda x: 0.0, np.array([np.nan, 1.0])) == 0.0


def test_the_callers_lists_of_arrays_are_copied_whole_or_watched_whole():
    def moves_first(weights):
        weights[0] += 1
        return 0.0

    weights = [np.zeros(2)]
    with pytest.raises(AssertionError, match=r"^moves_first changes its argument `weights`\[0\] in place"):
        ownwork.run(moves_first, weights)
    assert weights[0].tolist() == [0.0, 0.0]  # it moved a copy
    with pytest.raises(AssertionError, match=r"^moves_first changes its argument `weights`\[0\] in place"):
        ownwork.run(moves_first, weights, copies=False)  # it moved the caller's own, and that is seen too


def test_an_entry_replaced_by_something_else_is_a_change_in_place():
    def lists_first(weights):
        weights[0] = weights[0].tolist()  # the same numbers, no longer an array
        return 0.0

    def arrays_inner(pairs):
        pairs[0] = np.asarray(pairs[0])
        return 0.0

    with pytest.raises(AssertionError, match=r"^lists_first changes its argument `weights`\[0\] in place"):
        ownwork.run(lists_first, [np.zeros(2)])
    with pytest.raises(AssertionError, match=r"^arrays_inner changes its argument `pairs`\[0\] in place"):
        ownwork.run(arrays_inner, [[1.0, 2.0]])
    assert ownwork.run(lambda weights: 0.0, [np.zeros(2), [1.0]]) == 0.0


def test_cost_counts_the_students_lines_not_the_libraries_and_leaves_the_caller_alone():
    def three_lines():
        a = 1
        b = 2
        return a + b

    def norm(x):
        return np.linalg.norm(x)

    def norm_by_hand(x):
        return np.sqrt((x * x).sum())

    assert ownwork.cost(three_lines)[0] == ownwork.cost(lambda: None)[0] + 2  # two lines more, one event each
    assert ownwork.cost(norm, np.ones(3))[0] < ownwork.cost(norm_by_hand, np.ones(3))[0] + 8  # numpy's lines unseen
    weights = [np.zeros(2)]
    ownwork.cost(lambda ws: ws[0].fill(1.0), weights)
    assert weights[0].tolist() == [0.0, 0.0]


def test_cost_puts_back_the_trace_function_it_found():
    def tracer(frame, event, arg):
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        ownwork.cost(lambda: None)
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)

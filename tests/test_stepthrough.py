import io

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

import labkit as lk  # noqa: E402
from labkit import stepthrough as st  # noqa: E402
from labkit.mistakes import DerivativeAtOutput  # noqa: E402
from labkit.network import backward_pass, forward_pass, output_delta  # noqa: E402
from labkit.stepthrough.record import shape_text  # noqa: E402
from labkit.stepthrough.view import number  # noqa: E402

X, Y = lk.xor()
NAMES = ["Z_1", "Y_1", "Z_2", "Y_2", "Z_3", "Y_3", "E",
         "dE/dY_3", "Delta_3", "dE/dW_3", "dE/db_3", "Delta_2", "dE/dW_2", "dE/db_2", "Delta_1", "dE/dW_1", "dE/db_1",
         "update W_1, b_1", "update W_2, b_2", "update W_3, b_3"]


@pytest.fixture
def net():
    return st.example_network(seed=1)  # 2-3-2-1, tanh, tanh, sigmoid, BCE, learning rate 0.5


def by_name(trace):
    return {step.name: step for step in trace}


# -- notebook 02's exercises, as a student would write them --------------------------------------


class Tanh:
    def forward(self, z):
        return np.tanh(z)

    def derivative(self, z):
        return 1 - np.tanh(z) ** 2


class Sigmoid:
    def forward(self, z):
        return 1 / (1 + np.exp(-z))

    def derivative(self, z):
        s = self.forward(z)
        return s * (1 - s)


class BinaryCrossEntropy:
    eps = 1e-9

    def forward(self, y_true, y_pred):
        per_entry = y_true * np.log(y_pred + self.eps) + (1 - y_true) * np.log(1 - y_pred + self.eps)
        return float(-per_entry.sum() / len(y_true))

    def backward(self, y_true, y_pred):
        return -(y_true / (y_pred + self.eps) - (1 - y_true) / (1 - y_pred + self.eps)) / len(y_true)


STUDENT = {"student_activations": [Tanh(), Tanh(), Sigmoid()], "student_loss": BinaryCrossEntropy()}


def forward(weights, biases, activations, X):
    Zs, Ys = [], [X]
    for W, b, act in zip(weights, biases, activations):
        Zs.append(Ys[-1] @ W + b)
        Ys.append(act.forward(Zs[-1]))
    return Zs, Ys


def backprop(weights, activations, loss, Zs, Ys, y_true, at_output=False, sum_not_mean=False):
    grad_W, grad_b = [None] * len(weights), [None] * len(weights)
    delta = loss.backward(y_true, Ys[-1]) * (len(y_true) if sum_not_mean else 1) * activations[-1].derivative(Zs[-1])
    for l in reversed(range(len(weights))):
        grad_W[l] = Ys[l].T @ delta
        grad_b[l] = delta.sum(axis=0)
        if l > 0:
            at = Ys[l] if at_output else Zs[l - 1]  # the bug: phi' of a hidden layer at its output
            delta = (delta @ weights[l].T) * activations[l - 1].derivative(at)
    return grad_W, grad_b


# -- the model: every step's values ---------------------------------------------------------------


def test_the_steps_come_in_the_order_of_the_equations(net):
    trace = st.trace(net, X, Y)
    assert [step.name for step in trace] == NAMES
    assert [step.phase for step in trace] == ["forward"] * 6 + ["loss"] + ["backward"] * 10 + ["update"] * 3
    assert by_name(trace)["dE/dW_2"].columns == (1, 2) and by_name(trace)["Y_2"].columns == (2, 2)
    assert by_name(trace)["E"].columns == (3, 4)  # the output column and the loss


@pytest.mark.parametrize("weight_decay", [0.0, 0.1])
def test_every_value_is_labkits_forward_pass_backprop_and_update(net, weight_decay):
    trace = st.trace(net, X, Y, weight_decay=weight_decay)
    steps = by_name(trace)
    Zs, Ys = forward_pass(net.weights, net.biases, net.activations, X)
    deltas = backward_pass(net.weights, net.activations, Zs,
                           output_delta(net.activations[-1], net.loss, Zs[-1], Ys[-1], Y))
    grad_W, grad_b = net.gradients(X, Y, weight_decay=weight_decay)
    for l in range(1, 4):
        np.testing.assert_allclose(steps[f"Z_{l}"].value, Zs[l - 1], rtol=1e-12)
        np.testing.assert_allclose(steps[f"Y_{l}"].value, Ys[l], rtol=1e-12)
        np.testing.assert_allclose(steps[f"Delta_{l}"].value, deltas[l - 1], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(steps[f"dE/dW_{l}"].value, grad_W[l - 1], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(steps[f"dE/db_{l}"].value, grad_b[l - 1], rtol=1e-12, atol=1e-15)
        update = steps[f"update W_{l}, b_{l}"]
        np.testing.assert_allclose(update.value, net.weights[l - 1] - 0.5 * grad_W[l - 1], rtol=1e-12)
        np.testing.assert_allclose(trace.new_biases[l - 1], net.biases[l - 1] - 0.5 * grad_b[l - 1], atol=1e-15)
    assert float(steps["E"].value) == pytest.approx(net.evaluate_loss(X, Y, weight_decay=weight_decay), rel=1e-12)
    np.testing.assert_allclose(steps["dE/dY_3"].value, net.loss.backward(Y, Ys[-1]), rtol=1e-12)


def test_the_update_is_what_one_training_step_does(net):
    trace = st.trace(net, X, Y, weight_decay=0.1)
    net.train_on_batch(X, Y, weight_decay=0.1)
    for new, trained in zip(trace.new_weights + trace.new_biases, net.weights + net.biases):
        np.testing.assert_allclose(new, trained, rtol=1e-12, atol=1e-15)


def test_every_gradient_delta_and_update_agrees_with_finite_differences(net):
    trace = st.trace(net, X, Y, weight_decay=0.1)
    checked = [step.name for step in trace if step.checked]
    assert checked == NAMES[7:]  # the forward pass and the loss are labkit's own: nothing to check them against
    assert all(step.against == st.FINITE_DIFFERENCES and step.error < 1e-7 for step in trace if step.checked)
    assert trace.first_wrong is None
    assert "Every checked step agrees with finite differences" in trace.verdict()
    for step in trace:  # the counterpart is drawn as the step's last panel
        if step.checked:
            assert step.terms[-1].role == "check" and step.terms[-1].value is step.reference


def test_each_delta_is_the_derivative_of_the_loss_by_its_pre_activation(net):
    steps = by_name(st.trace(net, X, Y))
    Zs, _ = forward_pass(net.weights, net.biases, net.activations, X)
    for l in (1, 2, 3):  # independently of the trace's own check: nudge Z_l and run the rest of the network
        def loss_of(Z, l=l):
            Yl = net.activations[l - 1].forward(Z)
            for W, b, phi in zip(net.weights[l:], net.biases[l:], net.activations[l:]):
                Yl = phi.forward(Yl @ W + b)
            return net.loss.forward(Y, Yl)
        numeric = lk.numerical_gradient(loss_of, Zs[l - 1].copy())
        assert lk.rel_error(steps[f"Delta_{l}"].value, numeric) < 1e-7


def test_a_gradient_that_is_zero_is_not_called_wrong_for_finite_difference_noise(net):
    # XOR's batch is symmetric, so dE/db_3 is ~1e-11 at the start: relative to itself, noise of 1e-11 is large
    step = by_name(st.trace(st.example_network(seed=0), X, Y))["dE/db_3"]
    assert np.abs(step.value).max() < 1e-9 and not step.wrong


def test_the_network_is_left_unchanged(net):
    before = [p.copy() for p in net.weights + net.biases]
    st.trace(net, X, Y, weight_decay=0.1, mistakes=["half_lambda"])
    assert all(np.array_equal(a, b) for a, b in zip(before, net.weights + net.biases))
    assert net.steps_trained == 0


def test_diagram_values_show_gradients_once_computed_and_weights_once_updated(net):
    trace = st.trace(net, X, Y)
    index = {step.name: i for i, step in enumerate(trace)}
    grads, _ = trace.diagram_values(index["Delta_3"], gradients=True)
    assert grads == [None, None, None]
    grads, grad_b = trace.diagram_values(index["dE/dW_2"], gradients=True)
    assert grads[0] is None and grads[1] is trace.grad_W[1] and grads[2] is trace.grad_W[2]
    assert grad_b[1] is None and grad_b[2] is trace.grad_b[2]
    weights, biases = trace.diagram_values(index["update W_1, b_1"])
    assert weights[0] is trace.new_weights[0] and weights[1] is trace.weights[1] and biases[0] is trace.new_biases[0]


# -- the planted mistakes --------------------------------------------------------------------------


@pytest.mark.parametrize(("mistake", "first"), [("phi_prime_at_output", "Delta_3"), ("missing_1_over_n", "dE/dY_3"),
                                                ("half_lambda", "dE/dW_3")])
def test_each_mistake_first_parts_from_finite_differences_where_it_is_made(net, mistake, first):
    trace = st.trace(net, X, Y, weight_decay=0.1, mistakes=[mistake])
    assert trace[trace.first_wrong].name == first
    assert all(not step.wrong for step in trace.steps[:trace.first_wrong])
    assert trace[trace.first_wrong].error > 1e-3
    assert first in trace.verdict() and st.SWITCHES[mistake] in trace.verdict()


def test_phi_prime_at_the_output_gives_the_gradients_of_the_lab_bug(net):
    trace = st.trace(net, X, Y, mistakes=["phi_prime_at_output"])
    buggy = lk.DenseNetwork(net.weights, net.biases, [DerivativeAtOutput(phi) for phi in net.activations], net.loss,
                            net.optimizer)
    for ours, theirs in zip(trace.grad_W + trace.grad_b, sum(buggy.gradients(X, Y), [])):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-15)
    assert "Y_{3}" in by_name(trace)["Delta_3"].equation  # the equation shows where phi' is evaluated


def test_missing_1_over_n_makes_the_output_gradient_n_times_too_big(net):
    right, wrong = (by_name(st.trace(net, X, Y, mistakes=m))["dE/dY_3"].value for m in ([], ["missing_1_over_n"]))
    np.testing.assert_allclose(wrong, len(X) * right)


def test_half_lambda_without_decay_changes_nothing_and_says_so(net):
    trace = st.trace(net, X, Y, mistakes=["half_lambda"])
    assert trace.first_wrong is None and "choose λ > 0" in trace.verdict()


def test_softmax_and_cross_entropy_have_one_output_delta_step():
    net = lk.build_network(2, [3, "tanh", 2, "softmax"], "cce", lk.GradientDescent(0.3), seed=0)
    targets = np.column_stack([1 - Y, Y])
    trace = st.trace(net, X, targets)
    names = [step.name for step in trace]
    assert "dE/dY_2" not in names and "Delta_2" in names and trace.first_wrong is None
    np.testing.assert_allclose(by_name(trace)["dE/dW_1"].value, net.gradients(X, targets)[0][0], rtol=1e-12)
    planted = st.trace(net, X, targets, mistakes=["missing_1_over_n"])
    assert planted[planted.first_wrong].name == "Delta_2"


@pytest.mark.parametrize("layers", [[4, "relu", 1, "identity"], [3, "sigmoid", 2, "relu", 1, "sigmoid"]])
def test_other_activations_and_losses_agree_too(layers):
    net = lk.build_network(2, layers, "mse" if "identity" in layers else "bce", seed=3)
    trace = st.trace(net, X + 0.1, Y)  # off ReLU's kink
    assert trace.first_wrong is None, trace


def test_bad_arguments_get_clear_errors(net):
    with pytest.raises(ValueError, match="valid names are"):
        st.trace(net, X, Y, mistakes=["phi_at_y"])
    with pytest.raises(ValueError, match="leave mistakes out"):
        st.trace(net, X, Y, mistakes=["half_lambda"], backprop=backprop)
    with pytest.raises(ValueError, match="weight_decay=0"):
        st.trace(net, X, Y, weight_decay=0.1, backprop=backprop)
    with pytest.raises(TypeError, match="float64"):
        st.trace(lk.build_network(2, [2, "tanh", 1, "sigmoid"], seed=0, dtype=np.float32), X, Y)
    with pytest.raises(ValueError, match="one target row per sample"):
        st.trace(net, X, Y[:3])


# -- a student's functions --------------------------------------------------------------------------


def test_a_correct_forward_and_backprop_agree_at_every_step_that_can_be_compared(net):
    trace = st.trace(net, X, Y, forward=forward, backprop=backprop, **STUDENT)
    assert trace.student and trace.first_wrong is None
    assert "Your forward pass and backprop agree" in trace.verdict()
    steps = by_name(trace)
    assert all(steps[f"{s}_{l}"].against == st.LABKIT_FORWARD for s in "ZY" for l in (1, 2, 3))
    assert steps["E"].checked
    hidden = [step.name for step in trace if not step.checked]  # what the student's backprop does not return
    assert hidden == ["dE/dY_3", "Delta_3", "Delta_2", "Delta_1"]
    assert all("does not return it" in steps[name].note for name in hidden)
    for l in (1, 2, 3):
        assert steps[f"dE/dW_{l}"].against == st.FINITE_DIFFERENCES and steps[f"dE/dW_{l}"].error < 1e-7


def test_phi_prime_at_the_output_in_the_students_backprop_shows_first_at_a_hidden_layers_gradient(net):
    def buggy(*args):
        return backprop(*args, at_output=True)
    trace = st.trace(net, X, Y, forward=forward, backprop=buggy, **STUDENT)
    # the output layer's gradients use phi'(Z_3), so they are right; W_2's gradient is the first to go wrong
    assert trace[trace.first_wrong].name == "dE/dW_2"
    assert "In your code, step 13 (dE/dW_2)" in trace.verdict()


def test_a_missing_1_over_n_in_the_students_backprop_shows_at_the_output_layers_gradient(net):
    def buggy(*args):
        return backprop(*args, sum_not_mean=True)
    trace = st.trace(net, X, Y, backprop=buggy)  # labkit's forward pass, labkit's activations and loss
    assert trace[trace.first_wrong].name == "dE/dW_3"
    assert not any(step.checked for step in trace.steps[:7])  # labkit's forward: nothing of the student's to check


def test_a_wrong_forward_pass_shows_at_the_first_wrong_array(net):
    def no_bias_in_layer_2(weights, biases, activations, X):
        biases = [biases[0], np.zeros_like(biases[1]) + 0.3, biases[2]]
        return forward(weights, biases, activations, X)
    trace = st.trace(net, X, Y, forward=no_bias_in_layer_2, backprop=backprop, **STUDENT)
    assert trace[trace.first_wrong].name == "Z_2"
    assert trace[trace.first_wrong].against == st.LABKIT_FORWARD


def test_a_transposed_or_missing_gradient_is_reported_with_its_shape(net):
    def transposed(*args):
        grad_W, grad_b = backprop(*args)
        return [grad_W[0].T] + grad_W[1:], grad_b
    trace = st.trace(net, X, Y, backprop=transposed)
    step = trace[trace.first_wrong]
    assert step.name == "dE/dW_1" and step.error == np.inf and "transposed" in step.note
    assert "no update to make" in by_name(trace)["update W_1, b_1"].note

    def unfinished(*args):
        grad_W, grad_b = backprop(*args)
        return grad_W, grad_b[:2] + [None]
    trace = st.trace(net, X, Y, backprop=unfinished)
    assert trace[trace.first_wrong].name == "dE/db_3" and "is None" in trace[trace.first_wrong].note


def test_a_student_function_that_raises_or_returns_nonsense_is_not_swallowed(net):
    def stub(*args):
        raise NotImplementedError()
    with pytest.raises(NotImplementedError):
        st.trace(net, X, Y, backprop=stub)
    with pytest.raises(ValueError, match="needs 3 Zs and 4 Ys"):
        st.trace(net, X, Y, forward=lambda weights, biases, activations, X: ([X], [X]))
    with pytest.raises(ValueError, match="two lists"):
        st.trace(net, X, Y, backprop=lambda *args: None)


# -- drawing ----------------------------------------------------------------------------------------


def test_a_view_updates_its_artists_in_place(net):
    trace = st.trace(net, X, Y)
    figure = Figure(figsize=(13, 3.3), dpi=80)
    view = st.StepView(figure)
    view.show(trace, 0)
    axes, artists = list(figure.axes), list(view.canvas.get_children())
    view.show(trace, 12, gradients=True)
    assert figure.axes == axes and view.canvas.get_children() == artists  # nothing made or removed: only updated
    step = trace[12]  # dE/dW_2 = Y_1^T Delta_2: (3, 4) times (4, 2)
    shown = [title.get_text() for title in view.titles if title.get_visible()]
    assert shown == [f"{term.label} {shape_text(term.value)}" for term in step.terms]
    assert [im.get_array().shape for im in view.images[:len(step.terms)]] == [(3, 4), (4, 2), (3, 2), (3, 2)]
    assert not any(im.get_visible() for im in view.images[len(step.terms):])
    np.testing.assert_allclose(view.images[2].get_array(), step.value)
    assert view.highlight.get_x() == pytest.approx(1 - 0.3) and view.highlight.get_width() == pytest.approx(1.6)
    written = [text.get_text().split() for text in view.values[2] if text.get_visible()]
    assert written == [[number(v) for v in row] for row in step.value]
    for rows, image in zip(view.values[:3], view.images[:3]):  # the written values sit inside their heat map
        left, right, bottom, top = image.get_extent()
        shown = [text for text in rows if text.get_visible()]
        assert shown and all(left < text.get_position()[0] < right and bottom < text.get_position()[1] < top
                             for text in shown)
    widths = [im.get_extent()[1] - im.get_extent()[0] for im in view.images[:3]]
    assert widths == pytest.approx([4 * view.cell, 2 * view.cell, 2 * view.cell])  # one cell size: shapes compare


def test_the_first_wrong_step_is_framed(net):
    trace = st.trace(net, X, Y, mistakes=["missing_1_over_n"])
    view = st.StepView(Figure(figsize=(13, 3.3), dpi=80))
    view.show(trace, trace.first_wrong)
    assert view.frame.get_visible() and view.readouts[-1] is not None
    assert any("✗" in text.get_text() for text in view.readouts)
    view.show(trace, trace.first_wrong + 1)
    assert not view.frame.get_visible()


def test_the_strip_draws_every_step_with_its_equation(net):
    trace = st.trace(net, X, Y, weight_decay=0.1, mistakes=["phi_prime_at_output"])
    figure = st.step_strip(trace)
    texts = [text.get_text() for text in figure.texts]
    for i, step in enumerate(trace):
        assert any(text.startswith(f"{i + 1}. {step.phase}") for text in texts)
        assert f"${step.equation}$" in texts
    assert trace.verdict() in texts
    frames = [a for a in figure.artists if isinstance(a, matplotlib.patches.Rectangle) and a.get_visible()]
    assert len(frames) == 1  # the first step that parts from finite differences, and only it
    assert "✗ the first step that parts from finite differences" in texts
    figure.savefig(io.BytesIO(), format="png")  # every equation is valid mathtext


# -- the widget -------------------------------------------------------------------------------------


@pytest.fixture
def widget():
    return st.StepThrough()


def test_the_widget_starts_at_the_first_step_with_a_picture(widget):
    assert widget.index == 0 and "Step 1 of 20" in widget.header.value
    assert bytes(widget.image.value).startswith(b"\x89PNG")
    assert "Z_{1} = Y_{0} W_{1} + b_{1}" in widget.equation.value


def test_next_back_and_reset_walk_the_steps_and_everything_changes(widget):
    seen = [(widget.header.value, widget.equation.value, bytes(widget.image.value))]
    for i in range(1, len(widget.trace)):
        widget.next_button.click()
        assert widget.index == i and f"Step {i + 1} of 20" in widget.header.value
        now = (widget.header.value, widget.equation.value, bytes(widget.image.value))
        assert all(a != b for a, b in zip(now, seen[-1]))
        seen.append(now)
    widget.next_button.click()  # at the end it stays there
    assert widget.index == len(widget.trace) - 1
    widget.back_button.click()
    assert widget.index == len(widget.trace) - 2
    widget.reset_button.click()
    assert widget.index == 0 and widget.header.value == seen[0][0]
    assert bytes(widget.image.value) == seen[0][2]  # the same step draws the same picture
    redraws = len(widget.redraw_times)
    widget.gradients.value = True  # another picture
    assert len(widget.redraw_times) == redraws + 1 and bytes(widget.image.value) != seen[0][2]


def test_play_moves_the_step_and_reset_stops_it(widget):
    widget.play.playing = True
    for _ in range(3):
        assert widget.play.tick()  # what a tick of play does, until the last step
    assert widget.index == 3 and "Step 4 of 20" in widget.header.value
    assert widget.image.description.startswith("Step 4 of 20, forward, layer 2")
    widget.reset()
    assert widget.index == 0 and not widget.play.playing and widget.last == len(widget.trace) - 1
    widget.go(widget.last - 1)
    assert not widget.play.tick() and widget.index == widget.last  # at the last step play stops


def test_the_step_box_jumps_to_the_step_typed(widget):
    assert (widget.step_box.min, widget.step_box.max) == (1, len(widget.trace))
    widget.step_box.value = 13
    assert widget.index == 12 and "Step 13 of 20" in widget.header.value


def test_the_gradient_toggle_redraws_the_edges(widget):
    widget.go(12)
    before = bytes(widget.image.value)
    widget.gradients.value = True
    assert bytes(widget.image.value) != before
    assert widget.view.diagram_title.get_text().startswith("edges: ∂E/∂W")


def test_ticking_a_mistake_marks_the_first_step_that_parts(widget):
    widget.go(8)  # Delta_3
    assert "✗" not in widget.timeline.value
    widget.mistakes["phi_prime_at_output"].value = True
    assert widget.index == 8 and widget.trace.first_wrong == 8
    assert "the first step that parts from finite differences" in widget.equation.value
    assert "9. Δ3 ✗" in widget.timeline.value
    widget.mistakes["phi_prime_at_output"].value = False
    assert widget.trace.first_wrong is None
    widget.weight_decay.value = "0.1"
    widget.mistakes["half_lambda"].value = True
    assert widget.trace[widget.trace.first_wrong].name == "dE/dW_3"


def test_student_mode_checks_the_students_code_and_switches_the_mistakes_off(net):
    def buggy(*args):
        return backprop(*args, at_output=True)
    widget = st.StepThrough(net, X, Y, forward=forward, backprop=buggy, **STUDENT)
    assert all(box.disabled for box in widget.mistakes.values()) and widget.weight_decay.disabled
    widget.go(widget.trace.first_wrong)
    assert widget.trace[widget.index].name == "dE/dW_2"
    assert "In your code, step 13 (dE/dW_2)" in widget.equation.value


def test_student_code_that_raises_shows_a_message_instead_of_a_traceback(net):
    def stub(*args):
        raise NotImplementedError()
    widget = st.StepThrough(net, X, Y, backprop=stub)
    assert widget.trace is None and "not done yet" in widget.equation.value
    widget.next()  # nothing to step through, nothing raised
    with pytest.raises(RuntimeError, match="not done yet"):
        widget.strip()


def test_the_widgets_strip_is_the_strip_of_its_trace(widget, monkeypatch):
    monkeypatch.setattr(st.widget, "step_strip", lambda trace, gradients: (trace, gradients))
    widget.gradients.value = True
    assert widget.strip() == (widget.trace, True)

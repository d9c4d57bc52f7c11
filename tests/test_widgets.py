import re

import numpy as np
import pytest

from labkit.weight_decay import quadratic_minimizer
from labkit.widgets import TrainingExplorer, WeightDecayExplorer, parse_widths


@pytest.fixture
def explorer():
    return TrainingExplorer(resolution=20)


def test_initial_state_renders_a_picture_and_a_prompt(explorer):
    assert bytes(explorer.image.value).startswith(b"\x89PNG")
    assert "step 0" in explorer.readout.value


def test_step_trains_and_updates_picture_and_readout(explorer):
    before_image, before_weights = explorer.image.value, explorer.net.weights[0].copy()
    explorer.step_button.click()
    assert len(explorer.history) == explorer.steps_per_tick
    assert "step 25: loss" in explorer.readout.value
    assert bytes(explorer.image.value) != bytes(before_image)
    assert not np.array_equal(explorer.net.weights[0], before_weights)


def test_play_ticks_train_and_reset_starts_over(explorer):
    explorer.play.value = 1
    explorer.play.value = 2
    assert len(explorer.history) == 2 * explorer.steps_per_tick
    explorer.reset_button.click()
    assert explorer.history == []


def test_ticks_faster_than_drawing_train_without_piling_up_redraws(explorer):
    explorer.play.interval = 60_000  # ms: every tick arrives "too soon" after the last picture
    explorer.play.playing = True
    picture = bytes(explorer.image.value)
    for i in range(1, 6):
        explorer.play.value = i
    assert len(explorer.history) == 5 * explorer.steps_per_tick  # every tick trained...
    assert bytes(explorer.image.value) == picture and "step 0" in explorer.readout.value  # ...none redrew
    explorer.play.playing = False  # pause shows where training got to
    assert "step 125: loss" in explorer.readout.value
    assert bytes(explorer.image.value) != picture
    explorer.play.interval = 0
    explorer.play.value = 6  # a tick after a long enough pause redraws at once
    assert "step 150: loss" in explorer.readout.value


def test_learning_rate_slider_applies_to_the_next_steps(explorer):
    explorer.learning_rate.value = 0.01
    explorer.advance(1)
    assert explorer.net.optimizer.learning_rate == pytest.approx(0.01)


def test_changing_dataset_or_architecture_rebuilds(explorer):
    explorer.dataset.value = "moons"
    assert explorer.X.shape == (200, 2)
    explorer.hidden.value = "5, 3"
    assert explorer.net.layer_sizes == [2, 5, 3, 1]


def test_bad_widths_show_a_message_instead_of_crashing(explorer):
    explorer.hidden.value = "four"
    assert explorer.net is None
    assert "positive widths separated by commas" in explorer.readout.value
    explorer.advance()  # does nothing, raises nothing
    with pytest.raises(ValueError, match="e.g. '4, 4'"):
        parse_widths("0")


def test_divergence_pauses_and_explains(explorer):
    explorer.play.playing = True
    explorer.net.weights[0][:] = np.inf  # what a far too large learning rate leads to
    explorer.advance()
    assert not explorer.play.playing
    assert "smaller learning rate" in explorer.readout.value


def _weight_decay_explorer_readout(explorer, tau):
    explorer.tau.value = tau
    return re.sub("<[^>]+>", " ", explorer.readout.value)


@pytest.fixture(scope="module")
def weight_decay_explorer():
    c, s = np.cos(np.pi / 6), np.sin(np.pi / 6)
    R = np.array([[c, -s], [s, c]])
    H = R @ np.diag([0.3, 3.0]) @ R.T  # notebook 04's example: eigenvalues 0.3 and 3, w* = (0.4, 1.4)
    return WeightDecayExplorer(H, -H @ np.array([0.4, 1.4]), tau=1.0)


def test_weight_decay_explorer_redraws_and_reads_out_what_notebook_04s_answers_quote(weight_decay_explorer):
    picture = bytes(weight_decay_explorer.image.value)
    text = _weight_decay_explorer_readout(weight_decay_explorer, 0.3)  # task 1: tau = lambda_1
    assert bytes(weight_decay_explorer.image.value) != picture
    for part in ("d 1  = 0.500", "d 2  = 0.909", "w~ = [-0.007, 1.059]", "|w~| = 1.059", "E(w~) - E(w*) = 0.0538"):
        assert part in text, text
    text = _weight_decay_explorer_readout(weight_decay_explorer, 0.949)  # task 2: tau = sqrt(lambda_1 lambda_2)
    for part in ("d 1  = 0.240", "d 2  = 0.760", "d 1  + d 2  = 1.000"):
        assert part in text, text
    lengths, costs = [], []
    for tau in (0.01, 0.1, 1, 10, 100):  # task 3: |w~| falls, the error it costs rises
        text = _weight_decay_explorer_readout(weight_decay_explorer, tau)
        lengths.append(re.search(r"\|w~\| = ([\d.]+)", text).group(1))
        costs.append(re.search(r"E\(w~\) - E\(w\*\) = ([\d.]+)", text).group(1))
    assert lengths == ["1.430", "1.255", "0.797", "0.236", "0.030"]
    assert costs == ["0.0002", "0.0119", "0.1933", "1.0646", "1.6125"]
    assert "w~ = [-0.012, 0.027]" in text  # task 4, tau = 100: nearly along the steep eigenvector


def test_weight_decay_path_leaves_along_the_flat_and_arrives_along_the_steep_direction(weight_decay_explorer):
    H, b = weight_decay_explorer.H, weight_decay_explorer.b
    w_star = quadratic_minimizer(H, b)
    flat, steep = np.linalg.eigh(H)[1].T

    def degrees(v, u):
        return np.degrees(np.arccos(abs(v @ u) / np.linalg.norm(v)))

    assert degrees(w_star - quadratic_minimizer(H, b, 1e-3), flat) < 6  # task 4's answer: within about 6 degrees
    assert degrees(quadratic_minimizer(H, b, 100.0), steep) < 6.5

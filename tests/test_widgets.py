import asyncio
import re
import threading
import time

import ipywidgets
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
    assert explorer.tick() and explorer.tick()
    assert len(explorer.history) == 2 * explorer.steps_per_tick
    assert f"step {2 * explorer.steps_per_tick}: loss" in explorer.readout.value
    explorer.reset_button.click()
    assert explorer.history == []


def test_play_is_a_button_with_words_that_ticks_in_the_kernel_until_paused(explorer):
    async def press_play_and_wait():
        explorer.play.interval = 1
        explorer.play.playing = True
        assert explorer.play.button.description == "pause"
        while len(explorer.history) < 3 * explorer.steps_per_tick:
            await asyncio.sleep(0.01)  # the kernel is free between ticks
        explorer.play.playing = False

    asyncio.run(press_play_and_wait())
    assert explorer.play.button.description == "play" and explorer.play._task is None
    ticks = len(explorer.history)
    assert ticks >= 3 * explorer.steps_per_tick and f"step {ticks}: loss" in explorer.readout.value


def test_play_stops_by_itself_when_a_tick_says_so():
    from labkit.widgets import Player

    ticks = []
    player = Player(lambda: ticks.append(1) or len(ticks) < 3, interval=1)

    async def play():
        player.playing = True
        while player.playing:
            await asyncio.sleep(0.01)

    asyncio.run(play())
    assert len(ticks) == 3 and player.button.description == "play"


def test_a_pause_from_another_thread_stops_the_clock_on_its_own_loop():
    """ipykernel 7 may hand the pause to a subshell's thread while the clock ticks on the main one."""
    from labkit.widgets import Player

    ticks = []
    player = Player(lambda: ticks.append(1) or True, interval=1)
    loop = asyncio.new_event_loop()
    clock = threading.Thread(target=loop.run_forever)
    clock.start()

    async def press_play():
        player.playing = True

    asyncio.run_coroutine_threadsafe(press_play(), loop).result()
    while len(ticks) < 3:
        time.sleep(0.01)
    player.playing = False  # on this thread
    time.sleep(0.05)
    after = len(ticks)
    time.sleep(0.1)
    loop.call_soon_threadsafe(loop.stop)
    clock.join()
    loop.close()
    assert len(ticks) == after and player._task is None


def test_every_control_has_a_name_and_the_picture_its_description(explorer):
    controls = [explorer.dataset, explorer.hidden, explorer.activation, explorer.learning_rate, explorer.weight_decay,
                explorer.decay_on, explorer.input_noise, explorer.seed, explorer.play.button, explorer.step_button,
                explorer.reset_button]
    assert all(control.description for control in controls)
    unnamed_in_jupyterlab = (ipywidgets.Play, ipywidgets.FloatSlider, ipywidgets.FloatLogSlider, ipywidgets.Dropdown,
                             ipywidgets.Image)
    assert not any(isinstance(c, unnamed_in_jupyterlab) for c in explorer.widget.children[0].children)
    assert explorer.image.description.startswith("Decision surface: the predicted probability of class 1")
    explorer.step_button.click()
    assert "Training loss: " in explorer.image.description and explorer.image.description.endswith(
        f"Status: {explorer.readout.value}.")
    assert "labkit-widget" in explorer.widget._dom_classes


def test_the_learning_rate_chosen_applies_to_the_next_steps(explorer):
    explorer.learning_rate.value = "0.01"
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

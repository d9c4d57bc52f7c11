import numpy as np
import pytest

from labkit.widgets import TrainingExplorer, parse_widths


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

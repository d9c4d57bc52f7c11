import numpy as np
import pytest

from labkit import GradientDescent


def test_gradient_descent_matches_lab_example():
    assert GradientDescent(0.1).step(10, 10) == pytest.approx(9)


def test_update_changes_arrays_in_place():
    w, g = np.array([1.0, 2.0]), np.array([2.0, -2.0])
    before = w
    GradientDescent(0.5).update([w], [g])
    assert w is before
    np.testing.assert_allclose(w, [0.0, 3.0])
    np.testing.assert_allclose(g, [2.0, -2.0])  # the gradient is left alone


@pytest.mark.parametrize("bad", [0, -0.1, float("nan"), float("inf")])
def test_learning_rate_must_be_positive_and_finite(bad):
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0"):
        GradientDescent(bad)


def test_learning_rate_must_be_a_number():
    with pytest.raises(TypeError, match="learning_rate"):
        GradientDescent("0.1")


def test_optimizer_prints_its_settings():
    assert repr(GradientDescent(0.25)) == "GradientDescent(learning_rate=0.25)"
    assert repr(GradientDescent(0.1, momentum=0.9)) == "GradientDescent(learning_rate=0.1, momentum=0.9)"


def test_a_new_array_starts_from_zero_velocity_even_where_a_deleted_one_lived():
    # Velocities are looked up by id(), and Python hands a freed array's id to the next array it makes:
    # one optimizer serving network after network (an explorer restarting training) must forget the old ones.
    optimizer = GradientDescent(0.1, momentum=0.9)
    for _ in range(5):
        w = np.zeros(3)
        optimizer.update([w], [np.ones(3)])
        np.testing.assert_allclose(w, -0.1)  # a first step: v = -learning_rate * gradient
        del w

"""The lab's XOR experiment, with what is actually true about it."""

import numpy as np
import pytest

from benchmarks.xor_study import solves_xor, xor_success_rate
from labkit import Sigmoid, Tanh, xor


def test_xor_data_is_the_labs():
    X, y = xor()
    assert X.shape == (4, 2) and y.shape == (4, 1)
    np.testing.assert_array_equal(X, [[-1, -1], [-1, 1], [1, -1], [1, 1]])
    np.testing.assert_array_equal(y.ravel(), [0, 1, 1, 0])


def test_seed_2_solves_xor_and_seed_1_does_not():
    assert solves_xor(seed=2)
    assert not solves_xor(seed=1)


def test_success_rate_over_100_seeds_is_far_from_perfect():
    # Measured 67% over seeds 0-99 (69% over 0-199): the 2-2-1 network at lr 0.25
    # and 250 steps often stalls. A rate of 0% or 100% would mean the training is broken.
    rate = xor_success_rate(range(100))
    print(f"XOR success rate over 100 seeds: {rate:.0%}")
    assert 0.5 <= rate <= 0.85


def test_printed_weights_of_the_original_lab_reproduce_its_predictions():
    # ERRATA.md reference values: the seed's trained weights, pushed through tanh then
    # sigmoid, give ~7e-24 and 0.8446. They classify the four points, but they came from
    # the buggy backprop (phi' at the output), so they are reproduced here, not targeted.
    X, _ = xor()
    W1 = np.array([[-3.142662, -3.14223], [3.142662, 3.14223]])
    b1 = np.array([-3.290147, 3.289672])
    W2 = np.array([[27.66006], [-27.66012]])
    b2 = np.array([1.831051])
    pred = Sigmoid().forward(Tanh().forward(X @ W1 + b1) @ W2 + b2).ravel()
    np.testing.assert_allclose(pred, [6.863932e-24, 0.8446034, 0.8446042, 6.863932e-24], rtol=1e-3)
    assert pred[0] == pytest.approx(pred[3])

import numpy as np
import pytest

from labkit import GradientDescent, build_network, xor
from labkit.sweep import train_many


def test_each_copy_ends_where_a_single_network_would():
    X, y = xor()
    seeds = [0, 1, 2, 3]
    result = train_many(2, [3, "tanh", 1, "sigmoid"], X, y, seeds, learning_rate=0.25, steps=60, weight_decay=0.01)
    for i, seed in enumerate(seeds):
        net = build_network(2, [3, "tanh", 1, "sigmoid"], "bce", GradientDescent(0.25), seed=seed)
        net.fit(X, y, epochs=60, weight_decay=0.01, progress=False)
        for stacked, single in zip(result.weights + result.biases, net.weights + net.biases):
            np.testing.assert_allclose(stacked[i], single, rtol=1e-10, atol=1e-14)


def test_solved_agrees_with_thresholding_predictions():
    X, y = xor()
    result = train_many(2, [2, "tanh", 1, "sigmoid"], X, y, range(50), learning_rate=0.25, steps=250)
    pred = result.predict(X)
    assert pred.shape == (50, 4, 1)
    expected = [np.all((p > 0.5) == (y > 0.5)) for p in pred]
    np.testing.assert_array_equal(result.solved(X, y), expected)
    assert 0.4 < result.solved(X, y).mean() < 0.9


def test_diverging_copies_count_as_failures_without_warnings():
    X, y = xor()
    result = train_many(2, [4, "relu", 1, "identity"], X, y, range(5), 1e3, 50, loss="mse")
    assert not result.solved(X, y).any()


def test_bad_arguments():
    X, y = xor()
    with pytest.raises(ValueError, match="seeds is empty"):
        train_many(2, [1, "sigmoid"], X, y, [], 0.1, 10)
    with pytest.raises(ValueError, match=r"y_true has shape \(4, 1\) but \(4, 2\) was expected"):
        train_many(2, [2, "sigmoid"], X, y, [0], 0.1, 10)
    with pytest.raises(ValueError, match="init_scale must be a finite number > 0"):
        train_many(2, [1, "sigmoid"], X, y, [0], 0.1, 10, init_scale=0)

"""Every kind of bad input gives an error that says what was expected."""

import numpy as np
import pytest

from labkit import GradientDescent, build_network, get_activation, rel_error


@pytest.fixture
def net():
    return build_network(2, [2, "tanh", 1, "sigmoid"], seed=0)


def test_wrong_number_of_columns(net):
    with pytest.raises(ValueError, match=r"X has 3 columns \(shape \(4, 3\)\) but 2 were expected"):
        net.predict(np.zeros((4, 3)))


def test_one_dimensional_input_suggests_reshape(net):
    with pytest.raises(ValueError, match=r"2-D array.*got shape \(2,\).*reshape"):
        net.predict(np.zeros(2))


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_inputs(net, bad):
    X = np.zeros((3, 2))
    X[1, 0] = bad
    with pytest.raises(ValueError, match=r"X contains nan or inf \(first at row 1, column 0"):
        net.train_on_batch(X, np.zeros((3, 1)))


def test_finite_data_whose_sum_overflows_is_accepted(net):
    # The finiteness check sums the data first; a sum that overflows must fall back, not reject.
    X = np.full((3, 2), 3e38, dtype=np.float32)
    with np.errstate(over="raise"):
        assert net.predict(X).shape == (3, 1)
    X[2, 1] = -np.inf
    with pytest.raises(ValueError, match=r"X contains nan or inf \(first at row 2, column 1"):
        net.predict(X)


def test_empty_input(net):
    with pytest.raises(ValueError, match="X is empty"):
        net.predict(np.zeros((0, 2)))


def test_non_numeric_input(net):
    with pytest.raises(TypeError, match="X must be a 2-D numeric array"):
        net.predict("abc")
    with pytest.raises(TypeError, match="could not convert"):
        net.predict([[1, "a"]])


def test_targets_must_match_rows_and_outputs(net):
    with pytest.raises(ValueError, match="X has 4 rows but y_true has 3"):
        net.train_on_batch(np.zeros((4, 2)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"y_true has 2 columns .* but 1 were expected"):
        net.gradients(np.zeros((4, 2)), np.zeros((4, 2)))


@pytest.mark.parametrize("kwargs, message", [
    ({"epochs": 0}, "epochs must be an integer >= 1"),
    ({"epochs": 2, "batch_size": 0}, "batch_size must be an integer >= 1"),
    ({"epochs": 2, "weight_decay": -1.0}, "weight_decay must be a finite number >= 0"),
])
def test_bad_fit_arguments(net, kwargs, message):
    with pytest.raises(ValueError, match=message):
        net.fit(np.zeros((4, 2)), np.zeros((4, 1)), **kwargs)


def test_bad_layer_lists():
    with pytest.raises(ValueError, match="alternate widths and activations"):
        build_network(2, [2, "tanh", 1])
    with pytest.raises(ValueError, match="layer widths must be integers >= 1"):
        build_network(2, ["tanh", 2])
    with pytest.raises(ValueError, match="unknown activation 'tanhh'; valid names are"):
        build_network(2, [2, "tanhh", 1, "sigmoid"])
    with pytest.raises(ValueError, match="unknown loss 'cross'"):
        build_network(2, [1, "sigmoid"], loss="cross")


def test_non_positive_learning_rate():
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0; got -0.5"):
        build_network(2, [1, "sigmoid"], optimizer=GradientDescent(-0.5))


def test_unknown_activation_type():
    with pytest.raises(ValueError, match="or pass an Activation object"):
        get_activation(3)


def test_rel_error_needs_equal_shapes():
    with pytest.raises(ValueError, match=r"shapes \(2,\) and \(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))

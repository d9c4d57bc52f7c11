"""Every kind of bad input gives an error that says what was expected."""

import numpy as np
import pytest

from labkit import DenseNetwork, GradientDescent, Sigmoid, Tanh, build_network, get_activation, get_loss, rel_error
from tests.messages import exactly


@pytest.fixture
def net():
    return build_network(2, [2, "tanh", 1, "sigmoid"], seed=0)


def test_wrong_number_of_columns(net):
    with pytest.raises(ValueError, match=exactly("X has 3 columns (shape (4, 3)) but 2 were expected.")):
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


@pytest.mark.parametrize("method", ["evaluate_loss", "gradients", "train_on_batch"])
def test_negative_weight_decay_is_named(net, method):
    with pytest.raises(ValueError, match=exactly("weight_decay must be a finite number >= 0; got -1.0.")):
        getattr(net, method)(np.zeros((4, 2)), np.zeros((4, 1)), weight_decay=-1.0)


def test_bad_layer_lists():
    with pytest.raises(ValueError, match="alternate widths and activations"):
        build_network(2, [2, "tanh", 1])
    with pytest.raises(ValueError, match="layer widths must be integers >= 1"):
        build_network(2, ["tanh", 2])
    with pytest.raises(ValueError, match="unknown activation 'tanhh'; valid names are"):
        build_network(2, [2, "tanhh", 1, "sigmoid"])
    with pytest.raises(ValueError, match="unknown loss 'cross'"):
        build_network(2, [1, "sigmoid"], loss="cross")
    with pytest.raises(ValueError, match=exactly(
        "expected an activation name (like 'tanh') or an Activation after the width 2; got 3 in [2, 3, 1, 'sigmoid']."
    )):
        build_network(2, [2, 3, 1, "sigmoid"])
    with pytest.raises(ValueError, match=exactly("input_size must be an integer >= 1; got 0.")):
        build_network(0, [1, "sigmoid"])


W1, B1, W2, B2 = np.zeros((2, 3)), np.zeros(3), np.zeros((3, 1)), np.zeros(1)


@pytest.mark.parametrize("weights, biases, activations, message", [
    ([W1, W2], [B1], [Tanh(), Sigmoid()],
     "need one weight matrix, bias vector and activation per layer; got 2, 1 and 2."),
    ([], [], [], "need one weight matrix, bias vector and activation per layer; got 0, 0 and 0."),
    ([W1], [[0.0, 0.0, 0.0]], [Tanh()], "layer 1: the weights must be a 2-D array (fan_in, fan_out) and the biases a "
                                        "1-D array (fan_out,); got ndarray and list."),
    ([np.zeros(3)], [B1], [Tanh()], "layer 1: the weights must be a 2-D array (fan_in, fan_out) and the biases a "
                                    "1-D array (fan_out,); got ndarray and ndarray."),
    ([W1], [np.zeros(2)], [Tanh()], "layer 1: the weights have shape (2, 3), so the biases need shape (3,); got (2,)."),
    ([W1, np.zeros((4, 1))], [B1, B2], [Tanh(), Sigmoid()],
     "layer 1 has 3 outputs but the weights of layer 2 have shape (4, 1), which takes 4 inputs; they must chain."),
    ([W1, W2.astype(np.float32)], [B1, B2], [Tanh(), Sigmoid()],
     "layer 2: every weight and bias needs the same float dtype; got float32 and float64 where layer 1 has float64."),
    ([W1], [B1], ["tanh"], "layer 1: 'tanh' is not an Activation; use get_activation('tanh') or similar."),
], ids=["counts", "no layers", "bias list", "1-D weights", "bias shape", "chain", "dtype", "activation name"])
def test_layers_that_do_not_fit_together_are_explained(weights, biases, activations, message):
    with pytest.raises(ValueError, match=exactly(message)):
        DenseNetwork(weights, biases, activations, get_loss("bce"), GradientDescent(0.1))


def test_non_positive_learning_rate():
    with pytest.raises(ValueError, match="learning_rate must be a finite number > 0; got -0.5"):
        build_network(2, [1, "sigmoid"], optimizer=GradientDescent(-0.5))


def test_unknown_activation_type():
    with pytest.raises(ValueError, match="or pass an Activation object"):
        get_activation(3)


def test_rel_error_needs_equal_shapes():
    with pytest.raises(ValueError, match=r"shapes \(2,\) and \(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labkit import (
    BinaryCrossEntropy,
    CategoricalCrossEntropy,
    MeanSquaredError,
    get_loss,
    numerical_gradient,
    rel_error,
)
from tests.messages import exactly

Y_TRUE = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
Y_PRED = np.array([[0.2, 0.3, 0.1], [0.5, 0.8, 0.1]])


def test_bce_matches_lab_example():
    bce = BinaryCrossEntropy()
    assert isinstance(bce.forward(Y_TRUE, Y_PRED), float)
    assert bce.forward(Y_TRUE, Y_PRED) == pytest.approx(1.952027409369643, abs=1e-6)
    np.testing.assert_allclose(
        bce.backward(Y_TRUE, Y_PRED), [[0.625, 0.7142857, -5.0], [1.0, -0.625, 0.5555556]], atol=1e-6
    )


def test_bce_is_finite_for_predictions_of_exactly_zero_and_one():
    t = np.array([[0.0, 1.0, 0.0, 1.0]])
    p = np.array([[0.0, 1.0, 1.0, 0.0]])  # two perfect, two maximally wrong
    bce = BinaryCrossEntropy()
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert np.isfinite(bce.forward(t, p))
        assert np.all(np.isfinite(bce.backward(t, p)))


@pytest.mark.parametrize("loss", [BinaryCrossEntropy(), CategoricalCrossEntropy()], ids=repr)
def test_cross_entropies_reject_values_outside_zero_one(loss):
    with pytest.raises(ValueError, match=exactly(
        "expected predicted probabilities in [0, 1]; got values in [1.1, 1.8]. Use a sigmoid (or softmax) output layer."
    )):
        loss.forward(Y_TRUE, Y_PRED + 1)
    with pytest.raises(ValueError, match=r"got values in \[-0.5, 0.25\]\. Use a sigmoid"):
        loss.backward([[1.0, 0.0]], [[-0.5, 0.25]])


def test_cce_gradient_at_a_zero_probability_of_the_true_class_is_finite_and_pushes_it_up():
    # the exact derivative of -t log(p + eps) / N at p = 0: -1 / (N eps), large, finite and negative
    t, p = np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([[1.0, 0.0], [0.5, 0.5]])
    grad = CategoricalCrossEntropy(eps=1e-9).backward(t, p)
    np.testing.assert_allclose(grad, [[0.0, -1 / (2 * 1e-9)], [-1 / (2 * (0.5 + 1e-9)), 0.0]], rtol=1e-12)


def test_mse_value():
    assert MeanSquaredError().forward([[1.0, 2.0], [3.0, 4.0]], [[1.0, 0.0], [0.0, 4.0]]) == pytest.approx((4 + 9) / 2)


@pytest.mark.parametrize("loss", [BinaryCrossEntropy(), MeanSquaredError()], ids=repr)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 6), cols=st.integers(1, 4))
def test_loss_gradient_matches_finite_differences(loss, seed, rows, cols):
    rng = np.random.default_rng(seed)
    t = (rng.random((rows, cols)) > 0.5).astype(float)
    p = rng.uniform(0.05, 0.95, size=(rows, cols))
    numeric = numerical_gradient(lambda pp: loss.forward(t, pp), p.copy())
    assert rel_error(loss.backward(t, p), numeric) < 1e-6


def test_loss_shapes_must_match():
    with pytest.raises(ValueError, match=r"y_true has shape \(2, 3\) but y_pred has shape \(2, 2\)"):
        MeanSquaredError().forward(Y_TRUE, Y_PRED[:, :2])


def test_losses_print_as_their_constructor():
    assert [repr(loss) for loss in (BinaryCrossEntropy(), CategoricalCrossEntropy(), MeanSquaredError())] == [
        "BinaryCrossEntropy()", "CategoricalCrossEntropy()", "MeanSquaredError()"
    ]


def test_unknown_loss_lists_valid_names():
    assert isinstance(get_loss("bce"), BinaryCrossEntropy)
    with pytest.raises(ValueError, match=r"unknown loss 'hinge'.*'mse'"):
        get_loss("hinge")

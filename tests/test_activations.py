import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from labkit import Identity, ReLU, Sigmoid, Softmax, Tanh, get_activation, numerical_gradient, rel_error

# The lab's example inputs and printed values (ERRATA.md, numpy row-major order).
X_RELU = np.array([[-0.1, 0.7, -1.0], [0.3, 0.5, 0.7]])
X_SMOOTH = np.array([[2.0, -2.0, -0.25], [0.0, 0.5, 0.25]])


def test_relu_matches_lab_example():
    np.testing.assert_allclose(ReLU().forward(X_RELU), [[0, 0.7, 0], [0.3, 0.5, 0.7]])
    np.testing.assert_array_equal(ReLU().derivative(X_RELU), [[0, 1, 0], [1, 1, 1]])


def test_relu_derivative_at_exactly_zero_is_zero():
    # phi' does not exist at the kink; labkit (like the lab) takes 0 there, also at -0.0
    np.testing.assert_array_equal(ReLU().derivative(np.array([[-0.0, 0.0, 1e-300, -1e-300]])), [[0, 0, 1, 0]])


def test_relu_derivative_is_a_float_mask_even_for_integer_input():
    d = ReLU().derivative(np.array([[-2, 0, 3]]))
    assert d.dtype == np.float64
    np.testing.assert_array_equal(d, [[0.0, 0.0, 1.0]])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act", [Identity(), ReLU(), Sigmoid(), Tanh(), Softmax()], ids=repr)
def test_activations_keep_the_float_dtype(act, dtype):
    # float32 in, float32 out: an MNIST network in float32 never silently computes in float64
    z = np.array([[-1.5, 0.0, 2.0], [0.5, -0.25, 3.0]], dtype=dtype)
    assert act.forward(z).dtype == dtype
    assert act.backward(z, np.ones_like(z)).dtype == dtype
    if not isinstance(act, Softmax):
        assert act.derivative(z).dtype == dtype


def test_relu_handles_changing_shapes_and_dtypes_and_leaves_its_input_alone():
    relu, rng = ReLU(), np.random.default_rng(0)
    for shape, dtype in [((4, 3), np.float64), ((2, 3), np.float32), ((5, 2, 3), np.float32), ((4, 3), np.float64)]:
        z = rng.normal(size=shape).astype(dtype)
        before = z.copy()
        y = relu.forward(z)
        assert y.dtype == dtype and y.shape == shape
        np.testing.assert_array_equal(y, np.where(z > 0, z, 0))
        np.testing.assert_array_equal(z, before)
        y[...] = 7.0  # the returned array is the caller's: writing to it must not leak into the next call
    np.testing.assert_array_equal(relu.forward(-np.ones((4, 3))), 0.0)


def test_sigmoid_matches_lab_example():
    s = Sigmoid()
    np.testing.assert_allclose(
        s.forward(X_SMOOTH), [[0.8807971, 0.1192029, 0.4378235], [0.5, 0.6224593, 0.5621765]], atol=1e-7
    )
    np.testing.assert_allclose(
        s.derivative(X_SMOOTH), [[0.1049936, 0.1049936, 0.2461341], [0.25, 0.2350037, 0.2461341]], atol=1e-7
    )


def test_tanh_matches_lab_example():
    t = Tanh()
    np.testing.assert_allclose(
        t.forward(X_SMOOTH), [[0.9640276, -0.9640276, -0.2449187], [0, 0.4621172, 0.2449187]], atol=1e-7
    )
    np.testing.assert_allclose(
        t.derivative(X_SMOOTH), [[0.07065082, 0.07065082, 0.9400148], [1, 0.78644773, 0.9400148]], atol=1e-7
    )


def test_sigmoid_is_stable_for_huge_inputs():
    z = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0]])
    with np.errstate(over="raise", invalid="raise"):  # an overflow would raise here
        y = Sigmoid().forward(z)
        d = Sigmoid().derivative(z)
    np.testing.assert_allclose(y[0, [0, 2, 4]], [0.0, 0.5, 1.0])
    assert np.all(np.isfinite(d)) and d[0, 0] == 0.0


@pytest.mark.parametrize("act", [Identity(), ReLU(), Sigmoid(), Tanh()], ids=repr)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(1, 5), cols=st.integers(1, 5))
def test_backward_matches_finite_differences(act, seed, rows, cols):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(rows, cols)) * 2
    z[np.abs(z) < 1e-3] = 0.5  # keep clear of ReLU's kink, where the derivative does not exist
    g = rng.normal(size=z.shape)
    numeric = numerical_gradient(lambda zz: float((act.forward(zz) * g).sum()), z.copy())
    assert rel_error(act.backward(z, g), numeric) < 1e-6


def test_activations_print_as_their_constructor():
    assert [repr(act) for act in (Identity(), ReLU(), Sigmoid(), Tanh(), Softmax())] == [
        "Identity()", "ReLU()", "Sigmoid()", "Tanh()", "Softmax()"
    ]


def test_get_activation_by_name_and_object():
    assert isinstance(get_activation("tanh"), Tanh)
    assert isinstance(get_activation("ReLU"), ReLU)
    s = Sigmoid()
    assert get_activation(s) is s


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match=r"unknown activation 'swish'.*'relu'.*'sigmoid'.*'tanh'"):
        get_activation("swish")

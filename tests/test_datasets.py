import numpy as np
import pytest

from labkit.datasets import TOY_DATASETS, blobs


@pytest.mark.parametrize("name", sorted(TOY_DATASETS))
def test_toy_sets_are_two_dimensional_binary_and_seeded(name):
    X, y = TOY_DATASETS[name](seed=3)
    assert X.ndim == 2 and X.shape[1] == 2 and y.shape == (len(X), 1)
    assert set(np.unique(y)) == {0.0, 1.0}
    X2, y2 = TOY_DATASETS[name](seed=3)
    np.testing.assert_array_equal(X, X2)


def test_blobs_are_centred_where_documented():
    X, y = blobs(n=4000, seed=0)
    np.testing.assert_allclose(X[y[:, 0] == 1].mean(axis=0), [1, 1], atol=0.05)
    np.testing.assert_allclose(X[y[:, 0] == 0].mean(axis=0), [-1, -1], atol=0.05)


def test_sample_count_must_be_positive():
    with pytest.raises(ValueError, match="n must be an integer >= 1"):
        blobs(n=0)

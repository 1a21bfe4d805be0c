"""The shipped digits dataset and its train/test split."""
import hashlib

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from minigrad.datasets import DIGITS_PATH, load_digits, train_test_split


def test_digits_are_the_uci_test_set():
    images, labels = load_digits()
    assert images.shape == (1797, 8, 8) and images.dtype == np.float64
    assert labels.shape == (1797,) and labels.dtype == np.int64
    # The UCI description lists these per-class counts for the 1,797-image test set.
    assert np.bincount(labels).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # Pixels were integer counts 0..16, scaled to [0, 1].
    assert images.min() == 0.0 and images.max() == 1.0
    assert np.allclose(images * 16, np.round(images * 16))


def test_dtype_and_flatten():
    images, _ = load_digits(dtype=np.float32, flatten=True)
    assert images.shape == (1797, 64) and images.dtype == np.float32
    with pytest.raises(TypeError, match="load_digits"):
        load_digits(dtype=np.int32)


def test_file_is_small_and_local():
    assert DIGITS_PATH.exists() and DIGITS_PATH.stat().st_size < 100_000


def test_content_is_the_copy_checked_against_scikit_learn():
    # When the file was made, its pixels and labels were compared element by element with
    # sklearn.datasets.load_digits() (scikit-learn 1.9.1) and found equal; this fingerprint of
    # that content fails if the shipped file ever changes. (scikit-learn is not a dependency.)
    images, labels = load_digits()
    pixels = np.round(images * 16).astype(np.uint8)
    digest = hashlib.sha256(pixels.tobytes() + labels.astype(np.int64).tobytes()).hexdigest()
    assert digest == "65e5b4619795efb40c1082f4c350c049e4ad552200d369b6ae99e21eef5e72c5"


@settings(max_examples=25, deadline=None)
@given(n=st.integers(2, 200), fraction=st.floats(0.05, 0.95), seed=st.integers(0, 2**32 - 1))
def test_split_partitions_the_examples(n, fraction, seed):
    images = np.arange(n * 3, dtype=float).reshape(n, 3)
    labels = np.arange(n)
    n_test = int(round(fraction * n))
    if n_test in (0, n):
        with pytest.raises(ValueError, match="empty"):
            train_test_split(images, labels, fraction, seed)
        return
    (xa, ya), (xb, yb) = train_test_split(images, labels, fraction, seed)
    assert len(yb) == n_test and len(ya) == n - n_test
    assert sorted(np.concatenate([ya, yb]).tolist()) == list(range(n))   # each example once
    np.testing.assert_array_equal(xa[:, 0], 3 * ya)                     # rows stay with labels
    (xa2, _), _ = train_test_split(images, labels, fraction, seed)
    np.testing.assert_array_equal(xa, xa2)                              # same seed, same split


def test_split_rejects_bad_input():
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        train_test_split(np.zeros((3, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="test_fraction"):
        train_test_split(np.zeros((3, 2)), np.zeros(3), test_fraction=1.5)

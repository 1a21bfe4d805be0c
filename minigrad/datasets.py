"""A small real dataset shipped with minigrad: the 8x8 handwritten digits.

1,797 grey images of the digits 0-9 (about 180 of each), 8x8 pixels whose values count
the "on" pixels of a 4x4 block of the original 32x32 scan (0..16). It is the test set of
the UCI "Optical Recognition of Handwritten Digits" dataset, E. Alpaydin and C. Kaynak
(1998), https://archive.ics.uci.edu/dataset/80, licensed CC BY 4.0; extracted once from
scikit-learn's bundled copy by tutorials/data/make_digits.py into minigrad/data/digits.npz.
Nothing is downloaded and scikit-learn is not needed.

    images, labels = load_digits()                  # (1797, 8, 8) floats in [0, 1], (1797,) ints
    (x_train, y_train), (x_test, y_test) = train_test_split(images, labels, test_fraction=0.25)
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

DIGITS_PATH = Path(__file__).resolve().parent / "data" / "digits.npz"


def load_digits(dtype=np.float64, flatten=False):
    """The 1,797 digit images and their labels.

    Returns (images, labels): images of shape (1797, 8, 8), or (1797, 64) with
    flatten=True, as `dtype` floats scaled from 0..16 to [0, 1]; labels int64 in 0..9.
    """
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        raise TypeError(f"load_digits: dtype must be a floating type, got {dtype}")
    if not DIGITS_PATH.exists():
        raise FileNotFoundError(f"load_digits: {DIGITS_PATH} is missing; it ships with minigrad "
                                f"(regenerate it with tutorials/data/make_digits.py)")
    with np.load(DIGITS_PATH) as data:
        images = data["images"].astype(dtype) / dtype.type(16)
        labels = data["labels"].astype(np.int64)
    if flatten:
        images = images.reshape(len(images), -1)
    return images, labels


def train_test_split(images, labels, test_fraction=0.25, seed=0):
    """Shuffle with a fixed seed and cut off the last `test_fraction` as the test set.

    Returns ((images_train, labels_train), (images_test, labels_test)). The same seed gives
    the same split, so results are reproducible; no example is in both sets.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if len(images) != len(labels):
        raise ValueError(f"train_test_split: {len(images)} images but {len(labels)} labels")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"train_test_split: test_fraction must be in (0, 1), got {test_fraction}")
    order = np.random.default_rng(seed).permutation(len(images))
    n_test = int(round(test_fraction * len(images)))
    if n_test == 0 or n_test == len(images):
        raise ValueError(f"train_test_split: test_fraction={test_fraction} of {len(images)} "
                         f"examples leaves an empty train or test set")
    train, test = order[:-n_test], order[-n_test:]
    return (images[train], labels[train]), (images[test], labels[test])

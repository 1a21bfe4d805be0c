"""How minigrad/data/digits.npz was made (run once by a maintainer; lessons never run this).

Source: the 8x8 handwritten digits bundled with scikit-learn (`sklearn.datasets.load_digits`,
checked with scikit-learn 1.9.1), which is the test set (1,797 images, 13 writers) of the UCI
"Optical Recognition of Handwritten Digits" dataset by E. Alpaydin and C. Kaynak (Bogazici
University, 1998), https://archive.ics.uci.edu/dataset/80. The UCI Machine Learning Repository
distributes it under the Creative Commons Attribution 4.0 licence (CC BY 4.0): reuse is free
with attribution, which this paragraph and minigrad/datasets.py give.

Each image is a 32x32 bitmap of a digit, divided into 4x4 blocks whose "on" pixels were
counted, hence integers 0..16 on an 8x8 grid. They are stored here as uint8 exactly as
scikit-learn ships them (same order), compressed with np.savez_compressed (~45 kB), so that
scikit-learn is not a dependency and nothing is downloaded at run time.

    python tutorials/data/make_digits.py        # rewrites minigrad/data/digits.npz
"""
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

OUT = Path(__file__).resolve().parents[2] / "minigrad" / "data" / "digits.npz"


def main():
    bunch = load_digits()
    images = bunch.images.astype(np.uint8)     # integer counts 0..16, so uint8 is lossless
    labels = bunch.target.astype(np.uint8)
    if not np.array_equal(images, bunch.images) or images.shape != (1797, 8, 8):
        raise SystemExit("unexpected digits data from scikit-learn: not 1797 integer 8x8 images")
    np.savez_compressed(OUT, images=images, labels=labels)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes): images {images.shape}, "
          f"labels per class {np.bincount(labels).tolist()}")


if __name__ == "__main__":
    main()

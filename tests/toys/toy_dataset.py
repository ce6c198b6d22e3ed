"""A dataset registered from outside the package: scikit-learn's digits, test split only
the odd digits (a subset a user might bench on), and a path-taking twin that reads an
``.npy`` of test indices."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from edgebench.data.datasets import fingerprint_arrays, load_digits
from edgebench.data.registry import DatasetSpec


def odd_digits():
    data = load_digits()
    keep = data.y_test % 2 == 1
    x_test, y_test = data.x_test[keep], data.y_test[keep]
    return replace(
        data,
        name="odd-digits",
        x_test=x_test,
        y_test=y_test,
        source="toy_dataset: digits 1, 3, 5, 7, 9",
        fingerprint=fingerprint_arrays(data.x_train, data.y_train, x_test, y_test),
    )


def picked_digits(path: str):
    data = load_digits()
    picked = np.load(path, allow_pickle=False)
    x_test, y_test = data.x_test[picked], data.y_test[picked]
    return replace(
        data,
        name="picked",
        x_test=x_test,
        y_test=y_test,
        fingerprint=fingerprint_arrays(data.x_train, data.y_train, x_test, y_test),
    )


SPEC = DatasetSpec("odd-digits", "toy_dataset:odd_digits", "odd digits only")
PICKED = DatasetSpec("picked", "toy_dataset:picked_digits", "chosen test images", path="file")

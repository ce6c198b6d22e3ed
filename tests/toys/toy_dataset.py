"""A dataset registered from outside the package: scikit-learn's digits, test split only
the odd digits (a subset a user might bench on), and a path-taking twin that reads an
``.npy`` of test indices."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from edgebench.data.datasets import fingerprint_arrays, load_digits
from edgebench.data.inputs import InputSpec
from edgebench.data.registry import DatasetSpec


def _subset(keep, name: str, source: str):
    """The digits with only the test images ``keep`` selects."""
    data = load_digits()
    x_test, y_test = data.x_test[keep], data.y_test[keep]
    return replace(
        data,
        name=name,
        x_test=x_test,
        y_test=y_test,
        source=source,
        fingerprint=fingerprint_arrays(data.x_train, data.y_train, x_test, y_test),
    )


def odd_digits():
    return _subset(load_digits().y_test % 2 == 1, "odd-digits", "toy_dataset: digits 1, 3, 5, 7, 9")


def picked_digits(path: str):
    return _subset(np.load(path, allow_pickle=False), "picked", f"toy_dataset: {path}")


#: what its samples are: declared with the dataset, part of every cache key built on it.
INPUTS = InputSpec(preprocessing="toy: 16 grey levels divided by 16")
SPEC = DatasetSpec("odd-digits", "toy_dataset:odd_digits", "odd digits only", inputs=INPUTS)
PICKED = DatasetSpec("picked", "toy_dataset:picked_digits", "chosen test images", path="file")

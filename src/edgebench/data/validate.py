"""Datasets checked before anything uses them: one message naming the dataset, the split,
the first bad index and its value.

A label of -1 scored as correct, a NaN image scored at 56%, a training run on NaN images
that ends at chance with exit 0: each of these passed silently before. Every dataset
edgebench loads goes through :func:`check_arrays` (raw arrays as the user gave them, before
any conversion) or :func:`check_dataset` (a loaded :class:`~edgebench.data.datasets.Dataset`).

- images: numeric, at least 2 dimensions, finite, non-empty splits, as many as labels;
- ``classify`` labels: integral numbers in ``[0, classes)``;
- ``segment`` masks: integral class indices in ``[0, classes)`` or the ignore value 255;
- ``detect`` boxes: rows ``[class, x1, y1, x2, y2]``, finite, class -1 (padding) or in
  ``[0, classes)``, coordinates in ``[0, 1]`` with ``x1 <= x2`` and ``y1 <= y2``.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from edgebench.errors import DatasetInvalid

IGNORE_MASK_VALUE = 255
SPLITS = ("train", "test")


def _first(bad: np.ndarray) -> int:
    """The first sample index where the per-element mask ``bad`` is set."""
    flat = bad.reshape(len(bad), -1).any(axis=1) if bad.ndim > 1 else bad
    return int(np.argmax(flat))


def _value(array: np.ndarray, index: int, bad: np.ndarray) -> str:
    sample, mask = np.asarray(array[index]), np.asarray(bad[index])
    value = sample[mask].ravel()[0] if sample.ndim else sample
    return repr(value.item() if hasattr(value, "item") else value)


def _fail(name: str, split: str, what: str) -> DatasetInvalid:
    return DatasetInvalid(f"dataset {name}, {split} split: {what}")


def _numeric(name: str, split: str, array: np.ndarray, what: str) -> None:
    kind = array.dtype.kind
    if kind not in "biuf":
        raise _fail(name, split, f"{what} have dtype {array.dtype} ({kind!r}); expected numbers")


def check_images(name: str, split: str, x: np.ndarray) -> None:
    """Images: numeric, ``(N, ...)`` with N > 0, every value finite."""
    _numeric(name, split, x, "images")
    if x.ndim < 2:
        raise _fail(name, split, f"images of shape {x.shape}; expected (N, H, W[, C])")
    if len(x) == 0:
        raise _fail(name, split, "no images (an empty split)")
    if x.dtype.kind == "f":
        bad = ~np.isfinite(x)
        if bad.any():
            index = _first(bad)
            raise _fail(name, split, f"image {index} holds {_value(x, index, bad)} (not finite)")


def _integral(name: str, split: str, y: np.ndarray, what: str) -> np.ndarray:
    _numeric(name, split, y, what)
    if y.dtype.kind == "f":
        bad = ~np.isfinite(y) | (np.mod(np.nan_to_num(y), 1) != 0)
        if bad.any():
            index = _first(bad)
            raise _fail(
                name, split, f"{what} {index} is {_value(y, index, bad)}; expected an integer"
            )
    return y


def check_labels(name: str, split: str, y: np.ndarray, task: str, classes: int | None) -> None:
    """The labels of one split for ``task`` (see the module docstring)."""
    if len(y) == 0:
        raise _fail(name, split, "no labels (an empty split)")
    if task == "detect":
        _numeric(name, split, y, "boxes")
        if y.ndim != 3 or y.shape[-1] != 5:
            raise _fail(name, split, f"boxes of shape {y.shape}; expected (N, M, 5)")
        values = y.astype(np.float64)
        bad = ~np.isfinite(values)
        if bad.any():
            index = _first(bad)
            raise _fail(name, split, f"boxes of image {index} hold {_value(y, index, bad)}")
        cls, box = values[..., 0], values[..., 1:]
        real = cls != -1
        wrong_class = real & ((cls < 0) | (np.mod(cls, 1) != 0))
        if classes is not None:
            wrong_class |= real & (cls >= classes)
        if wrong_class.any():
            index = _first(wrong_class)
            limit = f"[0, {classes})" if classes is not None else "integers >= 0"
            raise _fail(
                name,
                split,
                f"a box of image {index} has class {_value(cls, index, wrong_class)}; "
                f"classes are {limit}, -1 pads",
            )
        outside = real[..., None] & ((box < 0) | (box > 1))
        if outside.any():
            index = _first(outside)
            raise _fail(
                name,
                split,
                f"a box of image {index} has coordinate {_value(box, index, outside)}; "
                "expected normalised [x1, y1, x2, y2] in [0, 1]",
            )
        flipped = real & ((box[..., 0] > box[..., 2]) | (box[..., 1] > box[..., 3]))
        if flipped.any():
            index = _first(flipped)
            row = box[index][flipped[index]][0].tolist()
            raise _fail(name, split, f"a box of image {index} is {row}; expected x1<=x2, y1<=y2")
        return
    what = "masks" if task == "segment" else "label"
    y = _integral(name, split, y, what)
    values = y.astype(np.int64) if y.dtype.kind == "f" else y
    valid = values >= 0
    if classes is not None:
        valid &= values < classes
    if task == "segment":
        valid |= values == IGNORE_MASK_VALUE
    if not valid.all():
        bad = ~valid
        index = _first(bad)
        limit = f"[0, {classes})" if classes is not None else "integers >= 0"
        extra = f" or {IGNORE_MASK_VALUE} (ignored)" if task == "segment" else ""
        raise _fail(
            name,
            split,
            f"{what} {index} is {_value(y, index, bad)}; class indices are {limit}{extra}",
        )


def check_arrays(
    name: str,
    arrays: Mapping[str, np.ndarray | None],
    task: str = "classify",
    classes: int | None = None,
) -> None:
    """Check ``x_train, y_train, x_test, y_test`` (raw, as given); ``DatasetInvalid`` at
    the first problem. A split whose arrays are all ``None`` (``random``) is not checked."""
    for split in SPLITS:
        x, y = arrays.get(f"x_{split}"), arrays.get(f"y_{split}")
        if x is None and y is None:
            continue
        if x is None or y is None:
            raise _fail(name, split, "images without labels, or labels without images")
        from edgebench.data.lazy import is_lazy

        if is_lazy(x):  # read a batch at a time: uint8 pixels, finite by their type
            if len(x) == 0:
                raise _fail(name, split, "no images (an empty split)")
            check_images(name, split, np.asarray(x[:1]))
        else:
            x = np.asarray(x)
            check_images(name, split, x)
        y = np.asarray(y)
        if task == "classify" and y.ndim == 2 and y.shape[1] == 1:
            y = y.reshape(-1)
        if task == "classify" and y.ndim != 1:
            raise _fail(name, split, f"labels of shape {y.shape}; expected (N,) class indices")
        if len(x) != len(y):
            raise _fail(name, split, f"{len(x)} images but {len(y)} labels")
        check_labels(name, split, y, task, classes)


def check_dataset(dataset: object) -> None:
    """Check a loaded :class:`~edgebench.data.datasets.Dataset` (its arrays and class count)."""
    arrays = {key: getattr(dataset, key) for key in ("x_train", "y_train", "x_test", "y_test")}
    check_arrays(
        str(getattr(dataset, "name", "?")),
        arrays,
        str(getattr(dataset, "task", "classify")),
        getattr(dataset, "num_classes", None),
    )

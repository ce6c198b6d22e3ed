"""Semantic segmentation: pixel accuracy and mean IoU over the classes, with an ignore label.

Labels are integer masks ``(N, H, W)``; pixels equal to the ignore label (255, as in
Cityscapes and VOC) count nowhere. A model's output is a per-pixel score map, NHWC
``(N, h, w, C)`` or NCHW ``(N, C, h, w)`` (told apart by where the class count is); its
arg-max is resized (nearest) to the mask's size when the model predicts at a lower
resolution. The metrics come from one confusion matrix accumulated over the split.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from edgebench.instruments.accuracy import accuracy_drop_points

if TYPE_CHECKING:
    from edgebench.data.datasets import Dataset

IGNORE_LABEL = 255


def score_layout(
    shape: tuple[int, ...], mask_hw: tuple[int, int], min_classes: int = 2
) -> tuple[str, int]:
    """Where the class axis of a per-pixel score map is (``"nhwc"`` or ``"nchw"``) and how
    many classes it has: the spatial axes are the pair with the masks' aspect ratio (a
    model may predict at a lower resolution), NHWC when both readings fit.

    >>> score_layout((2, 32, 32, 5), (32, 32)), score_layout((2, 5, 8, 8), (32, 32))
    (('nhwc', 5), ('nchw', 5))
    """
    if len(shape) != 4:
        raise ValueError(f"expected per-pixel scores (N, H, W, C) or (N, C, H, W), got {shape}")
    height, width = mask_hw

    def spatial(h: int, w: int) -> bool:
        return h * width == w * height and h <= height

    if spatial(shape[1], shape[2]) and shape[3] >= max(2, min_classes):
        return "nhwc", int(shape[3])
    if spatial(shape[2], shape[3]) and shape[1] >= max(2, min_classes):
        return "nchw", int(shape[1])
    raise ValueError(
        f"scores of shape {shape} are not a per-pixel map of at least {min_classes} classes "
        f"over {height}x{width} masks"
    )


def class_map(scores: np.ndarray, layout: str) -> np.ndarray:
    """The arg-max class of each pixel, ``(N, h, w)``.

    >>> class_map(np.zeros((1, 3, 2, 2)), "nchw").shape
    (1, 2, 2)
    """
    return np.asarray(scores).argmax(axis=-1 if layout == "nhwc" else 1)


def resize_nearest(labels: np.ndarray, height: int, width: int) -> np.ndarray:
    """Nearest-neighbour resize of ``(N, h, w)`` label maps to ``(N, height, width)``."""
    _, h, w = labels.shape
    if (h, w) == (height, width):
        return labels
    rows = np.minimum((np.arange(height) + 0.5) * h / height, h - 1).astype(np.int64)
    cols = np.minimum((np.arange(width) + 0.5) * w / width, w - 1).astype(np.int64)
    return labels[:, rows][:, :, cols]


def confusion_matrix(
    truth: np.ndarray, predicted: np.ndarray, num_classes: int, ignore_label: int = IGNORE_LABEL
) -> np.ndarray:
    """``(C, C)`` pixel counts, rows the true class and columns the predicted one;
    ignored pixels and labels outside ``[0, C)`` are left out.

    >>> confusion_matrix(np.array([[0, 1, 255]]), np.array([[0, 0, 1]]), 2).tolist()
    [[1, 0], [1, 0]]
    """
    truth = np.asarray(truth).reshape(-1).astype(np.int64)
    predicted = np.asarray(predicted).reshape(-1).astype(np.int64)
    valid = (truth != ignore_label) & (truth >= 0) & (truth < num_classes)
    cells = num_classes * truth[valid] + np.clip(predicted[valid], 0, num_classes - 1)
    return np.bincount(cells, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def segmentation_scores(confusion: np.ndarray) -> dict[str, Any]:
    """Pixel accuracy, mean IoU and the IoU of each class from a confusion matrix.

    A class that is neither in the masks nor predicted has no IoU (``None``) and is left
    out of the mean; a class that is in the masks and never predicted has IoU 0.

    >>> s = segmentation_scores(np.array([[2, 0], [1, 1]]))
    >>> s["pixel_accuracy"], round(s["miou"], 4), [round(v, 4) for v in s["class_iou"]]
    (0.75, 0.5833, [0.6667, 0.5])
    """
    confusion = np.asarray(confusion, dtype=np.float64)
    total = confusion.sum()
    if total == 0:
        raise ValueError("no labelled pixels to score (every pixel has the ignore label)")
    true_positive = np.diag(confusion)
    union = confusion.sum(axis=0) + confusion.sum(axis=1) - true_positive
    ious = [float(tp / u) if u > 0 else None for tp, u in zip(true_positive, union, strict=True)]
    present = [v for v in ious if v is not None]
    return {
        "pixel_accuracy": float(true_positive.sum() / total),
        "miou": float(np.mean(present)),
        "class_iou": ious,
    }


class SegmentTask:
    """Mean IoU (headline) and pixel accuracy of per-pixel class scores."""

    name = "segment"
    #: the kind of labels it scores (a dataset's ``task``).
    labels = "segment"
    headline = "miou"
    metric_label = "mIoU"

    def __init__(self, ignore_label: int = IGNORE_LABEL) -> None:
        self.ignore_label = ignore_label

    def check_outputs(self, outputs: np.ndarray, dataset: Dataset) -> str | None:
        """A model whose output is not a per-pixel map over the dataset's classes."""
        classes = dataset.num_classes or 0
        shape = tuple(np.asarray(outputs).shape)
        assert dataset.y_test is not None
        try:
            _, found = score_layout(shape, dataset.y_test.shape[1:3], classes)
        except ValueError:
            found = None
        if found != classes:
            return (
                f"task segment needs per-pixel scores over the {classes} classes of "
                f"{dataset.name} ((N, H, W, {classes}) or (N, {classes}, H, W)); the model "
                f"gives {shape}"
            )
        return None

    def evaluate(
        self,
        predict: Callable[[np.ndarray], np.ndarray],
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
    ) -> dict[str, Any]:
        """``{"miou", "pixel_accuracy", "class_iou"}`` over ``x`` and masks ``y``."""
        if len(x) != len(y):
            raise ValueError(f"{len(x)} inputs but {len(y)} masks")
        seen = int(np.max(y[y != self.ignore_label], initial=0)) + 1
        confusion: np.ndarray | None = None
        layout, classes = "nhwc", seen
        for start in range(0, len(x), batch_size):
            masks = y[start : start + batch_size]
            scores = np.asarray(predict(x[start : start + batch_size]))
            if confusion is None:
                layout, classes = score_layout(scores.shape, y.shape[1:3], seen)
                confusion = np.zeros((classes, classes), dtype=np.int64)
            labels = resize_nearest(class_map(scores, layout), masks.shape[1], masks.shape[2])
            confusion += confusion_matrix(masks, labels, classes, self.ignore_label)
        if confusion is None:
            raise ValueError("empty evaluation split")
        return segmentation_scores(confusion)

    def sample(self, outputs: np.ndarray, mask_hw: tuple[int, int]) -> dict[str, Any]:
        """The predicted classes of the first test image, at the mask's size (for the
        report's picture of the float and the int8 model side by side)."""
        scores = np.asarray(outputs)[:1]
        layout, _ = score_layout(scores.shape, mask_hw)
        labels = resize_nearest(class_map(scores, layout), *mask_hw)
        return {"image_index": 0, "mask": labels[0].astype(int).tolist()}

    def drop_points(self, baseline: float, value: float) -> float:
        """Points of mIoU lost from ``baseline`` to ``value``."""
        return accuracy_drop_points(baseline, value)

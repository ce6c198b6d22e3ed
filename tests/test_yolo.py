"""YOLO heads decoded: a box written into a head comes back, normalised, with its class and
score; a duplicate is suppressed; both layouts of the v8 head read alike."""

from __future__ import annotations

import numpy as np
import pytest

from edgebench.errors import UsageError
from edgebench.tasks.adapters import adapter


def _v8_head(boxes, classes, scores, num_classes=3, anchors=50):
    head = np.zeros((1, 4 + num_classes, anchors))
    for a, (box, cls, score) in enumerate(zip(boxes, classes, scores, strict=True)):
        head[0, :4, a] = box
        head[0, 4 + cls, a] = score
    return head


def test_a_v8_head_gives_back_its_boxes_normalised_with_duplicates_suppressed():
    boxes = [(100, 100, 40, 20), (102, 101, 40, 20), (400, 300, 100, 200)]
    head = _v8_head(boxes, [2, 2, 0], [0.9, 0.8, 0.7])
    rows = adapter("yolov8:size=640")(head)[0]
    found = rows[rows[:, 4] > 0]
    assert len(found) == 2  # the second box overlaps the first: suppressed
    np.testing.assert_allclose(found[0], [80 / 640, 90 / 640, 120 / 640, 110 / 640, 0.9, 2])
    np.testing.assert_allclose(found[1], [350 / 640, 200 / 640, 450 / 640, 400 / 640, 0.7, 0])
    transposed = adapter("yolov8:size=640")(head.transpose(0, 2, 1))
    np.testing.assert_array_equal(transposed, adapter("yolov8:size=640")(head))


def test_a_v5_head_scores_objectness_times_class():
    head = np.zeros((1, 10, 5 + 2))
    head[0, 0, :4] = (32, 32, 16, 16)
    head[0, 0, 4] = 0.5  # objectness
    head[0, 0, 5:] = (0.2, 0.8)
    rows = adapter("yolov5:size=64")(head)[0]
    found = rows[rows[:, 4] > 0]
    np.testing.assert_allclose(found[:, 4:], [[0.4, 1], [0.1, 0]])
    np.testing.assert_allclose(found[0, :4], [0.375, 0.375, 0.625, 0.625])


def test_a_head_of_another_shape_is_one_line():
    with pytest.raises(UsageError, match="yolov8 reads one output"):
        adapter("yolov8")(np.zeros((1, 4)))
    with pytest.raises(UsageError, match="size='big' is not a number"):
        adapter("yolov5:size=big")(np.zeros((1, 3, 7)))


def test_agnostic_suppression_keeps_one_class_per_place():
    """Two classes claim the same box: per class both stay, agnostic only the better."""
    head = _v8_head([(100, 100, 40, 20), (101, 100, 40, 20)], [0, 1], [0.9, 0.6])
    per_class = adapter("yolov8:size=640")(head)[0]
    agnostic = adapter("yolov8:size=640;agnostic=1")(head)[0]
    assert (per_class[:, 4] > 0).sum() == 2
    kept = agnostic[agnostic[:, 4] > 0]
    np.testing.assert_allclose(kept[:, 4:], [[0.9, 0]])
    with pytest.raises(UsageError, match="agnostic='yes'"):
        adapter("yolov8:agnostic=yes")(head)

"""YOLO heads decoded into detections, for detectors people export from Ultralytics and
the YOLOv5 repository without post-processing.

- ``yolov8:size=S``: one output ``(N, 4 + C, A)`` (or ``(N, A, 4 + C)``), boxes
  ``[cx, cy, w, h]`` in pixels of the S x S input, then C class scores;
- ``yolov5:size=S``: one output ``(N, A, 5 + C)``, boxes as above, an objectness score,
  then C class probabilities (a box's class score is objectness x class probability).

Boxes become ``[x1, y1, x2, y2]`` normalised by the input size and clipped to [0, 1]; per
class, greedy non-maximum suppression at IoU 0.45 (YOLO's default) keeps the best, at
most 100 per image, scores of at least 0.05. ``agnostic=1`` keeps each box's best class
and suppresses over all classes at once (Ultralytics' ``agnostic_nms``).
"""

from __future__ import annotations

import numpy as np

from edgebench.errors import UsageError
from edgebench.tasks.ssd import MAX_DETECTIONS, MIN_SCORE, non_max_suppression

NMS_IOU = 0.45


def _size(size: str) -> float:
    try:
        value = float(size)
    except ValueError as exc:
        raise UsageError(f"YOLO adapter size={size!r} is not a number") from exc
    if not value > 0:
        raise UsageError(f"YOLO adapter size={size!r} must be positive")
    return value


def _agnostic(flag: str) -> bool:
    if flag not in ("0", "1", "false", "true"):
        raise UsageError(f"YOLO adapter agnostic={flag!r}: 0 or 1")
    return flag in ("1", "true")


def _rows(boxes: np.ndarray, scores: np.ndarray, size: float, agnostic: bool = False) -> np.ndarray:
    """``(MAX_DETECTIONS, 6)`` rows of one image from ``[cx, cy, w, h]`` pixel boxes and
    per-class scores ``(A, C)``; padding rows are -1. ``agnostic``: each box keeps its best
    class and one suppression runs over all classes (Ultralytics' ``agnostic_nms``, and
    what pipelines built on ``cv2.dnn.NMSBoxes`` do)."""
    cx, cy, w, h = (boxes[:, k] / size for k in range(4))
    corners = np.clip(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1), 0, 1)
    rows = []
    if agnostic:
        best, top = scores.argmax(axis=1), scores.max(axis=1)
        candidates = np.nonzero(top >= MIN_SCORE)[0]
        kept = non_max_suppression(corners[candidates], top[candidates], NMS_IOU)
        rows = [[*corners[candidates[k]], top[candidates[k]], best[candidates[k]]] for k in kept]
    for cls in range(0 if agnostic else scores.shape[1]):
        candidates = np.nonzero(scores[:, cls] >= MIN_SCORE)[0]
        kept = non_max_suppression(corners[candidates], scores[candidates, cls], NMS_IOU)
        rows += [[*corners[candidates[k]], scores[candidates[k], cls], cls] for k in kept]
    rows.sort(key=lambda r: -r[4])
    found = np.full((MAX_DETECTIONS, 6), -1.0)
    if rows:
        kept_rows = np.asarray(rows[:MAX_DETECTIONS])
        found[: len(kept_rows)] = kept_rows
    return found


def decode_v8(output: np.ndarray, size: str = "640", agnostic: str = "0") -> np.ndarray:
    """``(N, 100, 6)`` detections from a YOLOv8-style head.

    >>> head = np.zeros((1, 6, 10)); head[0, :4, 0] = [320, 320, 64, 64]; head[0, 5, 0] = 0.9
    >>> decode_v8(head)[0, 0].round(3).tolist()
    [0.45, 0.45, 0.55, 0.55, 0.9, 1.0]
    """
    scale = _size(size)
    head = np.asarray(output, dtype=np.float64)
    if head.ndim != 3 or min(head.shape[1:]) < 5:
        raise UsageError(f"yolov8 reads one output (N, 4 + classes, anchors); got {head.shape}")
    if head.shape[1] < head.shape[2]:  # anchors (thousands) outnumber 4 + classes
        head = head.transpose(0, 2, 1)  # (N, A, 4 + C)
    flag = _agnostic(agnostic)
    return np.stack([_rows(image[:, :4], image[:, 4:], scale, flag) for image in head])


def decode_v5(output: np.ndarray, size: str = "640", agnostic: str = "0") -> np.ndarray:
    """``(N, 100, 6)`` detections from a YOLOv5-style head (objectness x class)."""
    scale = _size(size)
    head = np.asarray(output, dtype=np.float64)
    if head.ndim != 3 or head.shape[2] < 6:
        raise UsageError(f"yolov5 reads one output (N, anchors, 5 + classes); got {head.shape}")
    flag = _agnostic(agnostic)
    return np.stack(
        [_rows(image[:, :4], image[:, 4:5] * image[:, 5:], scale, flag) for image in head]
    )

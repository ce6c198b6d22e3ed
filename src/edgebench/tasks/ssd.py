"""Raw SSD outputs decoded with their anchors (the TensorFlow Object Detection API's box
coder): for detectors exported without TFLite's post-processing op.

Outputs: box encodings ``(N, A, 4)`` as ``[ty, tx, th, tw]`` and class scores
``(N, A, C + 1)`` (class 0 the background; logits are passed through a sigmoid); anchors
``(A, 4)`` as ``[y_centre, x_centre, height, width]``, normalised, from an ``.npy`` file
(``--output-adapter ssd-anchors:anchors=PATH``). Boxes are decoded with scale factors
10, 10, 5, 5, then greedy per-class non-maximum suppression (IoU 0.5) keeps at most 100.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from edgebench.errors import UsageError

SCALES = (10.0, 10.0, 5.0, 5.0)
NMS_IOU = 0.5
MIN_SCORE = 0.05
MAX_DETECTIONS = 100


def load_anchors(path: str | Path) -> np.ndarray:
    """Anchors ``(A, 4)`` from an ``.npy`` file (never unpickled)."""
    try:
        anchors = np.load(Path(path).expanduser(), allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise UsageError(f"ssd-anchors: cannot read anchors {path}: {exc}") from exc
    if anchors.ndim != 2 or anchors.shape[1] != 4:
        raise UsageError(f"ssd-anchors: anchors must be (A, 4), got {anchors.shape} in {path}")
    return anchors.astype(np.float64)


def decode_boxes(encodings: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """``[x1, y1, x2, y2]`` boxes from ``[ty, tx, th, tw]`` encodings and centre-size anchors.

    >>> decode_boxes(np.zeros((1, 4)), np.array([[0.5, 0.5, 0.2, 0.4]])).round(3).tolist()
    [[0.3, 0.4, 0.7, 0.6]]
    """
    ty, tx, th, tw = (encodings[..., i] / SCALES[i] for i in range(4))
    ya, xa, ha, wa = (anchors[..., i] for i in range(4))
    yc, xc = ty * ha + ya, tx * wa + xa
    h, w = np.exp(th) * ha, np.exp(tw) * wa
    return np.stack([xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2], axis=-1)


def _iou(box: np.ndarray, others: np.ndarray) -> np.ndarray:
    x1 = np.maximum(box[0], others[:, 0])
    y1 = np.maximum(box[1], others[:, 1])
    x2 = np.minimum(box[2], others[:, 2])
    y2 = np.minimum(box[3], others[:, 3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (others[:, 2] - others[:, 0]) * (others[:, 3] - others[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-12)


def non_max_suppression(boxes: np.ndarray, scores: np.ndarray, iou: float = NMS_IOU) -> list[int]:
    """Greedy NMS: indices kept, best first.

    >>> b = np.array([[0, 0, 1, 1], [0, 0, 1, 0.9], [2, 2, 3, 3]], float)
    >>> non_max_suppression(b, np.array([0.9, 0.8, 0.7]))
    [0, 2]
    """
    order = list(np.argsort(-scores, kind="stable"))
    kept: list[int] = []
    while order:
        best = order.pop(0)
        kept.append(int(best))
        if order:
            overlaps = _iou(boxes[best], boxes[order])
            order = [i for i, o in zip(order, overlaps, strict=True) if o <= iou]
    return kept


def decode(outputs: Sequence[np.ndarray], anchors: str | Path) -> np.ndarray:
    """``(N, 100, 6)`` rows ``[x1, y1, x2, y2, score, class]`` from raw SSD outputs."""
    if len(outputs) < 2:
        raise ValueError(f"raw SSD outputs are box encodings and class scores; got {len(outputs)}")
    encodings, scores = (np.asarray(o, dtype=np.float64) for o in outputs[:2])
    anchor_boxes = load_anchors(anchors)
    if encodings.shape[-1] != 4 or encodings.shape[1] != len(anchor_boxes):
        raise ValueError(
            f"box encodings {encodings.shape} do not match {len(anchor_boxes)} anchors"
        )
    if scores.min() < 0 or scores.max() > 1:
        scores = 1 / (1 + np.exp(-scores))
    found = np.full((len(encodings), MAX_DETECTIONS, 6), -1.0)
    for i in range(len(encodings)):
        boxes = decode_boxes(encodings[i], anchor_boxes)
        rows = []
        for cls in range(1, scores.shape[-1]):
            candidates = np.nonzero(scores[i, :, cls] >= MIN_SCORE)[0]
            for k in non_max_suppression(boxes[candidates], scores[i, candidates, cls]):
                a = candidates[k]
                rows.append([*boxes[a], scores[i, a, cls], cls - 1])
        rows.sort(key=lambda r: -r[4])
        if rows:
            kept = np.asarray(rows[:MAX_DETECTIONS])
            found[i, : len(kept)] = kept
    return found

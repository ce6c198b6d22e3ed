"""MediaPipe's own face detection pipeline for ``face_detection_short_range.tflite``,
written out from MediaPipe 0.10.14's graph (``face_detection_short_range.pbtxt`` and the
calculators it names), independently of edgebench's ``blazeface`` adapter: anchors by
``SsdAnchorsCalculator``'s algorithm with the graph's options, boxes by
``TensorsToDetectionsCalculator``, and ``NonMaxSuppressionCalculator``'s WEIGHTED
suppression. Input: RGB scaled to [-1, 1] (``ImageToTensorCalculator`` range -1..1)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

#: SsdAnchorsCalculatorOptions of face_detection_short_range.pbtxt.
OPTIONS = dict(
    num_layers=4,
    min_scale=0.1484375,
    max_scale=0.75,
    input_size=128,
    anchor_offset=0.5,
    strides=(8, 16, 16, 16),
    aspect_ratios=(1.0,),
    interpolated_scale_aspect_ratio=1.0,
)
MIN_SCORE = 0.5
SUPPRESSION = 0.3


def _scale(min_scale: float, max_scale: float, index: int, count: int) -> float:
    return min_scale + (max_scale - min_scale) * index / (count - 1.0)


def ssd_anchors() -> list[tuple[float, float]]:
    """Anchor centres (x, y), fixed anchor size 1, in MediaPipe's order."""
    o = OPTIONS
    strides = o["strides"]
    anchors = []
    layer = 0
    while layer < o["num_layers"]:
        per_cell = 0
        last = layer
        while last < len(strides) and strides[last] == strides[layer]:
            per_cell += len(o["aspect_ratios"])
            if o["interpolated_scale_aspect_ratio"] > 0:
                per_cell += 1
            last += 1
        side = math.ceil(o["input_size"] / strides[layer])
        for y in range(side):
            for x in range(side):
                for _ in range(per_cell):
                    anchors.append(
                        ((x + o["anchor_offset"]) / side, (y + o["anchor_offset"]) / side)
                    )
        layer = last
    return anchors


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[2], b[2]), min(a[3], b[3])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def weighted_nms(boxes: np.ndarray, scores: np.ndarray) -> list[np.ndarray]:
    """NonMaxSuppressionCalculator, algorithm WEIGHTED: each kept box is the score-weighted
    mean of the candidates that overlap the best one by more than the threshold."""
    order = list(np.argsort(-scores))
    kept = []
    while order:
        top = order[0]
        group = [i for i in order if _iou(boxes[top], boxes[i]) > SUPPRESSION]
        weights = scores[group][:, None]
        kept.append((boxes[group] * weights).sum(0) / weights.sum())
        order = [i for i in order if i not in group]
    return kept


def mediapipe_face_detections(model: Path, images: np.ndarray, max_boxes: int = 10) -> np.ndarray:
    """``(N, max_boxes, 5)`` rows ``[0, x1, y1, x2, y2]`` in [0, 1] (class -1 pads)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(str(model))
    interpreter.allocate_tensors()
    feed = interpreter.get_input_details()[0]["index"]
    outputs = interpreter.get_output_details()
    anchors = np.asarray(ssd_anchors())
    size = float(OPTIONS["input_size"])
    out = np.full((len(images), max_boxes, 5), -1, np.float32)
    for n, rgb in enumerate(images):
        x = (rgb.astype(np.float32) / 255.0 - 0.5) / 0.5
        interpreter.set_tensor(feed, x[None])
        interpreter.invoke()
        tensors = [interpreter.get_tensor(d["index"])[0] for d in outputs]
        raw = next(t for t in tensors if t.shape[-1] == 16)
        logits = next(t for t in tensors if t.shape[-1] == 1)[:, 0].astype(np.float64)
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -100.0, 100.0)))
        xc = raw[:, 0] / size + anchors[:, 0]
        yc = raw[:, 1] / size + anchors[:, 1]
        w, h = raw[:, 2] / size, raw[:, 3] / size
        boxes = np.stack([xc - w / 2, yc - h / 2, xc + w / 2, yc + h / 2], 1)
        chosen = scores >= MIN_SCORE
        for m, box in enumerate(weighted_nms(boxes[chosen], scores[chosen])[:max_boxes]):
            out[n, m] = (0, *np.clip(box, 0, 1))
    return out

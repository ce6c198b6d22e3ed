"""CenterNet-style detection heads (Zhou et al., 2019, "Objects as Points"): the target
encoding a detector trains on, the loss, and the decoding of its outputs into boxes.

A head's output is one tensor ``(N, h, w, C + 4)``, all channels in [0, 1] (sigmoid, so
int8 quantizes them on one scale): C class heatmaps with a peak at each object's centre,
then the box width and height (fractions of the image) and the centre's sub-cell offset
at the peak. Decoding (``decode``) keeps the local maxima of the heatmaps (a 3x3 max-pool
in place of NMS), the ``top_k`` strongest, and writes ``[x1, y1, x2, y2, score, class]``
rows: what :class:`~edgebench.tasks.detect.DetectTask` scores. It is numpy, outside the
timed invoke.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: decoded detections kept per image, and the lowest score kept.
TOP_K = 20
MIN_SCORE = 0.05


def encode_targets(boxes: np.ndarray, output_hw: tuple[int, int], num_classes: int) -> np.ndarray:
    """Training targets ``(N, h, w, C + 5)`` for padded ``[class, x1, y1, x2, y2]`` boxes:
    Gaussian heatmaps (radius from the box size), size and offset at each centre, and a
    last channel that is 1 at the centres (where size and offset are trained).

    >>> t = encode_targets(np.array([[[1, 0.25, 0.25, 0.75, 0.75]]]), (8, 8), 2)
    >>> t.shape, float(t[0, 4, 4, 1]), t[0, 4, 4, 2:4].tolist(), float(t[0, 4, 4, -1])
    ((1, 8, 8, 7), 1.0, [0.5, 0.5], 1.0)
    """
    height, width = output_hw
    targets = np.zeros((len(boxes), height, width, num_classes + 5), np.float32)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    for i, rows in enumerate(boxes):
        for cls, x1, y1, x2, y2 in np.asarray(rows).reshape(-1, 5):
            if cls < 0:
                continue
            cx, cy = (x1 + x2) / 2 * width, (y1 + y2) / 2 * height
            col, row = min(int(cx), width - 1), min(int(cy), height - 1)
            sigma = max(0.5, min((x2 - x1) * width, (y2 - y1) * height) / 6)
            gaussian = np.exp(-((xx - col) ** 2 + (yy - row) ** 2) / (2 * sigma**2))
            heat = targets[i, :, :, int(cls)]
            np.maximum(heat, gaussian, out=heat)
            targets[i, row, col, num_classes : num_classes + 2] = [x2 - x1, y2 - y1]
            targets[i, row, col, num_classes + 2 : num_classes + 4] = [cx - col, cy - row]
            targets[i, row, col, -1] = 1.0
    return targets


def make_loss(num_classes: int) -> Any:
    """The training loss (TensorFlow): CenterNet's penalty-reduced focal loss on the
    heatmaps, plus L1 on size (weight 5, sizes being fractions) and offset at the centres,
    each normalised by the number of objects."""
    from edgebench.frameworks.keras.tfcompat import import_tensorflow

    tf = import_tensorflow()

    def centernet_loss(y_true: Any, y_pred: Any) -> Any:
        heat_true, heat = y_true[..., :num_classes], y_pred[..., :num_classes]
        heat = tf.clip_by_value(heat, 1e-4, 1 - 1e-4)
        centres = y_true[..., -1:]
        objects = tf.maximum(tf.reduce_sum(centres), 1.0)
        positive = tf.cast(tf.equal(heat_true, 1.0), heat.dtype)
        focal = positive * tf.pow(1 - heat, 2) * tf.math.log(heat) + (1 - positive) * tf.pow(
            1 - heat_true, 4
        ) * tf.pow(heat, 2) * tf.math.log(1 - heat)
        size = tf.abs(
            y_true[..., num_classes : num_classes + 2] - y_pred[..., num_classes : num_classes + 2]
        )
        offset = tf.abs(
            y_true[..., num_classes + 2 : num_classes + 4]
            - y_pred[..., num_classes + 2 : num_classes + 4]
        )
        return (
            -tf.reduce_sum(focal)
            + 5.0 * tf.reduce_sum(size * centres)
            + tf.reduce_sum(offset * centres)
        ) / objects

    return centernet_loss


def decode(outputs: np.ndarray, top_k: int = TOP_K, min_score: float = MIN_SCORE) -> np.ndarray:
    """``(N, top_k, 6)`` detections ``[x1, y1, x2, y2, score, class]`` (padded with -1)
    from head outputs ``(N, h, w, C + 4)``.

    >>> out = np.zeros((1, 4, 4, 5), np.float32)
    >>> out[0, 1, 2] = [0.9, 0.5, 0.25, 0.5, 0.5]  # class 0 at cell (row 1, col 2), 0.5x0.25
    >>> [round(float(v), 3) for v in decode(out, top_k=2)[0, 0]]  # centre (2.5/4, 1.5/4)
    [0.375, 0.25, 0.875, 0.5, 0.9, 0.0]
    """
    outputs = np.asarray(outputs, dtype=np.float32)
    count, height, width, channels = outputs.shape
    classes = channels - 4
    heat = outputs[..., :classes]
    padded = np.pad(heat, ((0, 0), (1, 1), (1, 1), (0, 0)), constant_values=-np.inf)
    neighbours = np.max(
        [padded[:, dy : dy + height, dx : dx + width] for dy in range(3) for dx in range(3)],
        axis=0,
    )
    peaks = np.where((heat >= neighbours) & (heat >= min_score), heat, 0.0)
    found = np.full((count, top_k, 6), -1.0, np.float32)
    flat = peaks.reshape(count, -1)
    for i in range(count):
        order = np.argsort(-flat[i], kind="stable")[:top_k]
        order = order[flat[i][order] > 0]
        rows, cols, cls = np.unravel_index(order, (height, width, classes))
        w, h = outputs[i, rows, cols, classes], outputs[i, rows, cols, classes + 1]
        cx = (cols + outputs[i, rows, cols, classes + 2]) / width
        cy = (rows + outputs[i, rows, cols, classes + 3]) / height
        found[i, : len(order)] = np.stack(
            [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2, flat[i][order], cls], axis=1
        )
    return found

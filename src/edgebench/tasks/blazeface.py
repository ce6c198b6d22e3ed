"""MediaPipe's BlazeFace detectors decoded into detections (``blazeface``).

The face detection models MediaPipe ships (``face_detection_short_range.tflite``, 128x128,
and ``face_detection_full_range.tflite``, 192x192) end without post-processing: one output
of box regressors ``(N, A, 16)`` (box centre offset and size, then six key points, in
pixels of the input) and one of scores ``(N, A, 1)`` (logits), over A SSD anchors of
fixed size 1 laid on feature maps:

- 896 anchors (short range): 2 per cell of the 16x16 map (stride 8), 6 per cell of the
  8x8 map (stride 16);
- 2304 anchors (full range): 1 per cell of the 48x48 map (stride 4).

A box is ``centre = anchor + offset / size``, ``extent = size_out / size``; its score the
sigmoid of the logit (clipped to +-100, as MediaPipe's TensorsToDetections does). Boxes
become ``[x1, y1, x2, y2]`` in [0, 1], one class (0, face); greedy non-maximum suppression
at IoU 0.3, scores of at least 0.05 kept for the average precision.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from edgebench.errors import UsageError
from edgebench.tasks.ssd import MAX_DETECTIONS, MIN_SCORE, non_max_suppression

NMS_IOU = 0.3
#: anchors per model: (input size, [(feature map side, anchors per cell), ...]).
LAYOUTS: dict[int, tuple[int, list[tuple[int, int]]]] = {
    896: (128, [(16, 2), (8, 6)]),
    2304: (192, [(48, 1)]),
}


def anchor_centres(count: int) -> tuple[int, np.ndarray]:
    """The input size and the ``(A, 2)`` anchor centres ``[x, y]`` in [0, 1] of a model
    with ``count`` anchors, in the order of its outputs (row by row, anchors of a cell
    together).

    >>> size, centres = anchor_centres(896)
    >>> size, centres.shape, centres[0].tolist(), centres[2].tolist()
    (128, (896, 2), [0.03125, 0.03125], [0.09375, 0.03125])
    """
    if count not in LAYOUTS:
        raise UsageError(
            f"blazeface knows MediaPipe's 896-anchor (short range) and 2304-anchor (full "
            f"range) detectors; this model has {count} anchors"
        )
    size, maps = LAYOUTS[count]
    centres = []
    for side, per_cell in maps:
        grid = (np.arange(side) + 0.5) / side
        ys, xs = np.meshgrid(grid, grid, indexing="ij")
        cells = np.stack([xs.ravel(), ys.ravel()], axis=1)
        centres.append(np.repeat(cells, per_cell, axis=0))
    return size, np.concatenate(centres)


def decode(outputs: Sequence[np.ndarray]) -> np.ndarray:
    """``(N, 100, 6)`` rows ``[x1, y1, x2, y2, score, 0]`` (padding -1) from the two
    outputs of a BlazeFace model, whichever order they come in.

    >>> regress = np.zeros((1, 896, 16)); logits = np.full((1, 896, 1), -50.0)
    >>> regress[0, 0, :4] = [0, 0, 16, 16]; logits[0, 0, 0] = 5.0
    >>> decode([logits, regress])[0, 0].round(4).tolist()
    [0.0, 0.0, 0.0938, 0.0938, 0.9933, 0.0]
    """
    arrays = [np.asarray(o, dtype=np.float64) for o in outputs]
    boxes = next((a for a in arrays if a.ndim == 3 and a.shape[-1] >= 4 and a.shape[-1] != 1), None)
    logits = next((a for a in arrays if a.ndim == 3 and a.shape[-1] == 1), None)
    if boxes is None or logits is None or boxes.shape[:2] != logits.shape[:2]:
        shapes = [a.shape for a in arrays]
        raise UsageError(
            f"blazeface reads box regressors (N, A, 16) and scores (N, A, 1); got {shapes}"
        )
    size, centres = anchor_centres(boxes.shape[1])
    scores = 1 / (1 + np.exp(-np.clip(logits[..., 0], -100, 100)))
    found = np.full((len(boxes), MAX_DETECTIONS, 6), -1.0)
    for n in range(len(boxes)):
        cx = centres[:, 0] + boxes[n, :, 0] / size
        cy = centres[:, 1] + boxes[n, :, 1] / size
        w, h = boxes[n, :, 2] / size, boxes[n, :, 3] / size
        corners = np.clip(np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1), 0, 1)
        candidates = np.nonzero(scores[n] >= MIN_SCORE)[0]
        kept = non_max_suppression(corners[candidates], scores[n, candidates], NMS_IOU)
        rows = [[*corners[candidates[k]], scores[n, candidates[k]], 0.0] for k in kept]
        rows.sort(key=lambda r: -r[4])
        if rows:
            rows_array = np.asarray(rows[:MAX_DETECTIONS])
            found[n, : len(rows_array)] = rows_array
    return found

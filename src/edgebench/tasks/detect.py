"""Object detection: COCO-style mAP@[.5:.95] and mAP@0.5 through pycocotools' COCOeval.

Ground truth per image is a padded array ``(N, M, 5)`` of ``[class, x1, y1, x2, y2]``
(class ``-1`` pads; coordinates normalised to [0, 1], so the arrays fit in an ``npz``
without pickling). A model's decoded detections are ``(N, K, 6)`` of
``[x1, y1, x2, y2, score, class]`` (score <= 0 or class < 0 pads). The AP itself is
COCOeval's (101-point interpolated precision, greedy matching by score, IoU >= t), not a
loop written here; this module only builds COCO's dictionaries in memory.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from edgebench.data.coco import cocoeval as _cocoeval
from edgebench.instruments.accuracy import accuracy_drop_points

if TYPE_CHECKING:
    from edgebench.data.datasets import Dataset

#: COCO's boxes are in pixels; normalised boxes are scaled to a 1000x1000 image so that
#: COCOeval's area ranges are not all "small" (only the overall AP is reported).
COCO_SCALE = 1000.0
#: detections drawn in the report's picture.
SAMPLE_MIN_SCORE = 0.3


def _xywh(box: np.ndarray) -> list[float]:
    x1, y1, x2, y2 = (float(v) * COCO_SCALE for v in box)
    return [x1, y1, max(0.0, x2 - x1), max(0.0, y2 - y1)]


def coco_ground_truth(truth: np.ndarray, num_classes: int) -> dict[str, Any]:
    """COCO's ground-truth dictionary for padded ``[class, x1, y1, x2, y2]`` rows."""
    images = [{"id": i + 1, "width": COCO_SCALE, "height": COCO_SCALE} for i in range(len(truth))]
    annotations = []
    for image, rows in enumerate(truth):
        for row in np.asarray(rows).reshape(-1, 5):
            if row[0] < 0:
                continue
            box = _xywh(row[1:5])
            annotations.append(
                {
                    "id": len(annotations) + 1,
                    "image_id": image + 1,
                    "category_id": int(row[0]) + 1,
                    "bbox": box,
                    "area": box[2] * box[3],
                    "iscrowd": 0,
                }
            )
    categories = [{"id": c + 1, "name": str(c)} for c in range(num_classes)]
    return {"images": images, "annotations": annotations, "categories": categories}


def coco_detections(detections: np.ndarray) -> list[dict[str, Any]]:
    """COCO's result list for padded ``[x1, y1, x2, y2, score, class]`` rows."""
    found = []
    for image, rows in enumerate(detections):
        for row in np.asarray(rows).reshape(-1, 6):
            if row[4] <= 0 or row[5] < 0:
                continue
            found.append(
                {
                    "image_id": image + 1,
                    "category_id": int(row[5]) + 1,
                    "bbox": _xywh(row[0:4]),
                    "score": float(row[4]),
                }
            )
    return found


def detection_scores(truth: np.ndarray, detections: np.ndarray, num_classes: int) -> dict[str, Any]:
    """``{"map50", "map", "class_ap50"}`` of ``detections`` against ``truth`` (COCOeval,
    up to 100 detections per image). A class without ground truth has no AP (``None``)
    and is left out of the means; no detections at all score 0."""
    COCO, COCOeval = _cocoeval()
    quiet = io.StringIO()
    with contextlib.redirect_stdout(quiet):  # COCO prints its progress
        coco = COCO()
        coco.dataset = coco_ground_truth(truth, num_classes)
        coco.createIndex()
        if not coco.dataset["annotations"]:
            raise ValueError("no ground-truth boxes to score")
        results = coco_detections(detections)
        if not results:
            return {"map50": 0.0, "map": 0.0, "class_ap50": _class_ap50(None, coco, num_classes)}
        evaluation = COCOeval(coco, coco.loadRes(results), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return {
        "map": float(evaluation.stats[0]),
        "map50": float(evaluation.stats[1]),
        "class_ap50": _class_ap50(evaluation, coco, num_classes),
    }


def _class_ap50(evaluation: Any, coco: Any, num_classes: int) -> list[float | None]:
    """AP@0.5 per class from COCOeval's precision table (all areas, 100 detections)."""
    with_truth = {a["category_id"] for a in coco.dataset["annotations"]}
    values: list[float | None] = []
    for c in range(num_classes):
        if c + 1 not in with_truth:
            values.append(None)
        elif evaluation is None:
            values.append(0.0)
        else:
            k = list(evaluation.params.catIds).index(c + 1)
            precision = evaluation.eval["precision"][0, :, k, 0, -1]
            precision = precision[precision > -1]
            values.append(float(precision.mean()) if precision.size else 0.0)
    return values


class DetectTask:
    """mAP@0.5 (headline) and COCO mAP@[.5:.95] of decoded detections."""

    name = "detect"
    #: the kind of labels it scores (a dataset's ``task``).
    labels = "detect"
    headline = "map50"
    metric_label = "mAP@0.5"

    def check_outputs(self, outputs: np.ndarray, dataset: Dataset) -> str | None:
        """A model whose outputs are not decoded detections ``(N, K, 6)``."""
        shape = tuple(np.asarray(outputs).shape)
        if len(shape) != 3 or shape[-1] != 6:
            return (
                f"task detect needs decoded detections (N, K, 6: x1, y1, x2, y2, score, "
                f"class) for {dataset.name}; the model gives {shape} (raw SSD or "
                "TFLite_Detection_PostProcess outputs need an output adapter)"
            )
        return None

    def evaluate(
        self,
        predict: Callable[[np.ndarray], np.ndarray],
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
    ) -> dict[str, Any]:
        """``{"map50", "map", "class_ap50"}`` over ``x`` and padded boxes ``y``."""
        if len(x) != len(y):
            raise ValueError(f"{len(x)} inputs but {len(y)} box lists")
        if len(x) == 0:
            raise ValueError("empty evaluation split")
        batches = [
            np.asarray(predict(x[start : start + batch_size]), dtype=np.float64)
            for start in range(0, len(x), batch_size)
        ]
        width = max(b.shape[1] for b in batches)  # batches may keep different counts
        padded = np.concatenate(
            [
                np.pad(b, ((0, 0), (0, width - b.shape[1]), (0, 0)), constant_values=-1)
                for b in batches
            ]
        )
        classes = int(max(np.max(y[..., 0], initial=0), np.max(padded[..., 5], initial=0))) + 1
        return detection_scores(y, padded, classes)

    def sample(self, outputs: np.ndarray, mask_hw: tuple[int, int]) -> dict[str, Any]:
        """The detections (score >= 0.3) on the first test image, for the report's picture."""
        rows = np.asarray(outputs, dtype=np.float64)[0].reshape(-1, 6)
        kept = rows[(rows[:, 4] >= SAMPLE_MIN_SCORE) & (rows[:, 5] >= 0)]
        return {"image_index": 0, "boxes": [[round(float(v), 4) for v in r] for r in kept]}

    def drop_points(self, baseline: float, value: float) -> float:
        """Points of mAP@0.5 lost from ``baseline`` to ``value``."""
        return accuracy_drop_points(baseline, value)

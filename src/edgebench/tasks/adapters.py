"""Output adapters: what turns a model's raw outputs into what its task scores, run on
the measuring controller after the outputs are computed (never inside the timed invoke).

- ``centernet``: a CenterNet head (``edgebench.tasks.centernet``) decoded into
  ``[x1, y1, x2, y2, score, class]`` rows (the zoo's ``det_centernet`` names it);
- ``tflite-detection-postprocess``: the four outputs of TFLite's
  ``TFLite_Detection_PostProcess`` op (boxes as ``[ymin, xmin, ymax, xmax]``, classes,
  scores, count), the usual SSD export, rewritten as those rows;
- ``ssd-anchors:anchors=PATH``: raw SSD box encodings and class scores, decoded with the
  anchors in PATH (``edgebench.tasks.ssd``);
- ``yolov8:size=640`` and ``yolov5:size=640``: YOLO heads without post-processing
  (``edgebench.tasks.yolo``), boxes normalised by the input size, per-class NMS;
- ``blazeface``: MediaPipe's face detectors (short and full range): box regressors and
  scores over their SSD anchors (``edgebench.tasks.blazeface``), one class;
- ``sigmoid-mask[:threshold=0.5]``: a one-channel probability map (text, person, matting
  and salient-object segmenters: ``(N, 1, H, W)``, ``(N, H, W, 1)`` or ``(N, H, W)``) as
  two classes, foreground where the probability is above the threshold.

A zoo module names its adapter in ``OUTPUT_ADAPTER``; a model file gets one with
``--output-adapter``; a model without one is scored on its first output as it is.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgebench.errors import UsageError
from edgebench.registry import import_path


@dataclass(frozen=True)
class AdapterSpec:
    """An adapter: ``"module:function"``, and whether it reads the model's first output
    (``"first"``) or the list of all of them (``"all"``)."""

    factory: str
    outputs: str = "first"
    description: str = ""


ADAPTERS: dict[str, AdapterSpec] = {
    "centernet": AdapterSpec(
        "edgebench.tasks.centernet:decode", "first", "CenterNet heatmaps, size and offset"
    ),
    "tflite-detection-postprocess": AdapterSpec(
        "edgebench.tasks.adapters:decode_detection_postprocess",
        "all",
        "TFLite_Detection_PostProcess: boxes, classes, scores, count",
    ),
    "ssd-anchors": AdapterSpec(
        "edgebench.tasks.ssd:decode",
        "all",
        "raw SSD box encodings and class scores, decoded with anchors=PATH (.npy) and NMS",
    ),
    "yolov8": AdapterSpec(
        "edgebench.tasks.yolo:decode_v8",
        "first",
        "a YOLOv8-style head (N, 4 + classes, anchors), boxes in pixels of size= (640), NMS",
    ),
    "yolov5": AdapterSpec(
        "edgebench.tasks.yolo:decode_v5",
        "first",
        "a YOLOv5-style head (N, anchors, 5 + classes) with objectness, size= (640), NMS",
    ),
    "blazeface": AdapterSpec(
        "edgebench.tasks.blazeface:decode",
        "all",
        "MediaPipe's BlazeFace face detectors: box regressors and scores over SSD anchors, NMS",
    ),
    "sigmoid-mask": AdapterSpec(
        "edgebench.tasks.adapters:sigmoid_mask",
        "first",
        "a one-channel probability map as background/foreground (threshold=, default 0.5)",
    ),
}


def sigmoid_mask(output: Any, threshold: str = "0.5") -> np.ndarray:
    """A one-channel probability map as a two-class score map ``(N, H, W, 2)`` whose
    arg-max is class 1 exactly where the probability is above ``threshold``.

    >>> sigmoid_mask(np.array([[[[0.2, 0.9]]]]))[..., 1].tolist()
    [[[0.2, 0.9]]]
    """
    probabilities = np.asarray(output, dtype=np.float32)
    if probabilities.ndim == 4 and probabilities.shape[1] == 1:
        probabilities = probabilities[:, 0]
    elif probabilities.ndim == 4 and probabilities.shape[-1] == 1:
        probabilities = probabilities[..., 0]
    elif probabilities.ndim != 3:
        raise UsageError(
            "sigmoid-mask reads a one-channel map (N, 1, H, W), (N, H, W, 1) or (N, H, W); "
            f"the model gave {probabilities.shape}"
        )
    try:
        cut = float(threshold)
    except ValueError as exc:
        raise UsageError(f"sigmoid-mask threshold={threshold!r} is not a number") from exc
    if not 0.0 <= cut <= 1.0:
        raise UsageError(f"sigmoid-mask threshold={threshold!r} must be between 0 and 1")
    return np.stack([np.full_like(probabilities, cut), probabilities], axis=-1)


def parse_adapter(text: str) -> tuple[str, dict[str, str]]:
    """``name[:key=value;...]`` -> the name and its parameters.

    >>> parse_adapter("ssd-anchors:anchors=a.npy")
    ('ssd-anchors', {'anchors': 'a.npy'})
    """
    name, _, rest = text.partition(":")
    params: dict[str, str] = {}
    for item in filter(None, rest.split(";")):
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"output adapter {text!r}: {item!r} is not key=value")
        params[key.strip()] = value.strip()
    return name, params


def adapter_spec(name: str) -> AdapterSpec:
    """The adapter ``name`` (parameters allowed; a usage error lists the known ones)."""
    base, _ = parse_adapter(name)
    if base not in ADAPTERS:
        raise UsageError(f"unknown output adapter {base!r}; known: {', '.join(ADAPTERS)}")
    return ADAPTERS[base]


def adapter(name: str) -> Callable[[Any], np.ndarray]:
    """The decoding function of adapter ``name``, bound to its parameters."""
    base, params = parse_adapter(name)
    function = import_path(adapter_spec(name).factory, f"output adapter {base!r}")
    return functools.partial(function, **params) if params else function


def model_outputs(session: Any, name: str | None) -> Callable[[np.ndarray], Any]:
    """What the adapter ``name`` reads from ``session``: its first output (``run``) or
    all of them (``run_outputs``)."""
    if name is not None and adapter_spec(name).outputs == "all":
        return session.run_outputs
    return session.run


def adapted(predict: Callable[[np.ndarray], Any], name: str | None) -> Callable[[np.ndarray], Any]:
    """``predict`` followed by the adapter ``name`` (``predict`` itself for ``None``)."""
    if name is None:
        return predict
    decode = adapter(name)
    return lambda batch: decode(predict(batch))


def decode_detection_postprocess(outputs: Sequence[np.ndarray]) -> np.ndarray:
    """``(N, K, 6)`` rows ``[x1, y1, x2, y2, score, class]`` from the outputs of
    ``TFLite_Detection_PostProcess`` in its order: boxes ``(N, K, 4)`` as ``[ymin, xmin,
    ymax, xmax]``, classes ``(N, K)``, scores ``(N, K)``, count ``(N,)``; rows past the
    count are padding.

    >>> boxes = np.array([[[0.1, 0.2, 0.5, 0.6], [0, 0, 0, 0]]])
    >>> decode_detection_postprocess([boxes, np.array([[3, 0]]), np.array([[0.9, 0]]), np.array([1])])[0, 0].tolist()
    [0.2, 0.1, 0.6, 0.5, 0.9, 3.0]
    """
    if len(outputs) != 4:
        raise ValueError(
            f"TFLite_Detection_PostProcess has 4 outputs (boxes, classes, scores, count); "
            f"this model has {len(outputs)}"
        )
    boxes, classes, scores, count = (np.asarray(o, dtype=np.float64) for o in outputs)
    if boxes.ndim != 3 or boxes.shape[-1] != 4 or classes.shape != boxes.shape[:2]:
        raise ValueError(
            f"expected boxes (N, K, 4) and classes (N, K); got {boxes.shape} and {classes.shape}"
        )
    rows = np.stack(
        [boxes[..., 1], boxes[..., 0], boxes[..., 3], boxes[..., 2], scores, classes], axis=-1
    )
    valid = np.arange(boxes.shape[1])[None, :] < count.reshape(-1, 1)
    rows[~valid] = -1.0
    return rows

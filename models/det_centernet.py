"""Detection: a MobileNetV1-style encoder (depthwise-separable blocks, width ``alpha``)
with a CenterNet head at stride 4 (one upsampling with a skip connection, then class
heatmaps, box size and centre offset in one sigmoid output; ``edgebench.tasks.centernet``
encodes its training targets, gives its loss and decodes its outputs into boxes outside
the timed invoke).

Parameters: ``alpha`` (width multiplier, default 0.5) and ``widths`` (the encoder's 6
widths before ``alpha``). Inputs are at least 32x32.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

DESCRIPTION = "MobileNetV1-style encoder + CenterNet head (heatmaps, size, offset) at stride 4"
TASK = "detect"
#: how the accuracy pass turns outputs into boxes (``edgebench.tasks.adapters``).
OUTPUT_ADAPTER = "centernet"
# (pointwise filters, depthwise stride) of the encoder blocks after the stride-2 stem.
BASE_BLOCKS: tuple[tuple[int, int], ...] = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1))
BASE_WIDTHS: tuple[int, ...] = (32, *(filters for filters, _ in BASE_BLOCKS))
DEFAULTS: dict[str, Any] = {"alpha": 0.5, "widths": None}
TRAINING: dict[str, Any] = {"epochs": 30, "batch_size": 32, "learning_rate": 3e-3}
MIN_INPUT_SIZE = 32
DEFAULT_INPUT_SHAPE = (64, 64, 3)


def build(
    keras: ModuleType,
    input_shape: tuple[int, int, int],
    num_classes: int,
    alpha: float = 0.5,
    widths: tuple[int, ...] | None = None,
) -> Any:
    """Build the detector for ``input_shape`` (H, W, C) and ``num_classes`` object classes;
    the output is ``(H/4, W/4, num_classes + 4)``."""
    layers = keras.layers
    base = BASE_WIDTHS if widths is None else tuple(widths)
    if len(base) != len(BASE_WIDTHS):
        raise ValueError(f"det_centernet takes {len(BASE_WIDTHS)} widths, got {len(base)}")
    actual = [max(1, int(round(w * alpha))) for w in base]

    def bn_relu(x: Any, name: str) -> Any:
        x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
        return layers.ReLU(6.0, name=f"{name}_relu")(x)

    def separable(x: Any, filters: int, stride: int, name: str) -> Any:
        x = layers.DepthwiseConv2D(
            3, strides=stride, padding="same", use_bias=False, name=f"{name}_dw"
        )(x)
        x = bn_relu(x, f"{name}_dw")
        x = layers.Conv2D(filters, 1, use_bias=False, name=f"{name}_pw")(x)
        return bn_relu(x, f"{name}_pw")

    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(actual[0], 3, strides=2, padding="same", use_bias=False, name="stem")(inputs)
    x = bn_relu(x, "stem")
    skip = None
    for i, ((_, stride), width) in enumerate(zip(BASE_BLOCKS, actual[1:], strict=True), start=1):
        x = separable(x, width, stride, f"enc{i}")
        if i == 3:
            skip = x  # stride 4
    x = layers.UpSampling2D(2, interpolation="nearest", name="up")(x)
    x = layers.Concatenate(name="skip")([x, skip])
    x = separable(x, actual[3], 1, "head")
    heat = layers.Conv2D(
        num_classes,
        1,
        activation="sigmoid",
        bias_initializer=keras.initializers.Constant(-2.2),  # start at p = 0.1
        name="heatmaps",
    )(x)
    box = layers.Conv2D(4, 1, activation="sigmoid", name="size_offset")(x)
    outputs = layers.Concatenate(name="detections")([heat, box])
    return keras.Model(inputs, outputs, name="det_centernet")


def encode_targets(y: np.ndarray, output_shape: tuple[int, ...], num_classes: int) -> np.ndarray:
    """Training targets for padded boxes ``y`` at the model's output resolution."""
    from edgebench.tasks.centernet import encode_targets as encode

    return encode(y, (int(output_shape[1]), int(output_shape[2])), num_classes)


def loss(num_classes: int) -> Any:
    """CenterNet's loss over the concatenated output."""
    from edgebench.tasks.centernet import make_loss

    return make_loss(num_classes)

"""Segmentation: a MobileNetV1-style encoder (depthwise-separable blocks, width ``alpha``)
with a light U-Net decoder (nearest upsampling, a skip connection per scale, one
depthwise-separable block each), per-pixel softmax over the classes at full resolution.

Parameters: ``alpha`` (width multiplier, default 0.5) and ``widths`` (the encoder's 7
widths before ``alpha``: stem, then two blocks at each of three scales; structured
pruning narrows the layers it may). Inputs are at least 32x32 (three downsamplings).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

DESCRIPTION = "MobileNetV1-style encoder + U-Net decoder, per-pixel classes"
TASK = "segment"
# (pointwise filters, depthwise stride) of the encoder blocks after the stem.
BASE_BLOCKS: tuple[tuple[int, int], ...] = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (256, 2),
)
BASE_WIDTHS: tuple[int, ...] = (32, *(filters for filters, _ in BASE_BLOCKS))
DEFAULTS: dict[str, Any] = {"alpha": 0.5, "widths": None}
TRAINING: dict[str, Any] = {"epochs": 12, "batch_size": 32, "learning_rate": 3e-3}
MIN_INPUT_SIZE = 32
DEFAULT_INPUT_SHAPE = (64, 64, 3)


def build(
    keras: ModuleType,
    input_shape: tuple[int, int, int],
    num_classes: int,
    alpha: float = 0.5,
    widths: tuple[int, ...] | None = None,
) -> Any:
    """Build the segmenter for ``input_shape`` (H, W, C) and ``num_classes`` (background
    included); the output is ``(H, W, num_classes)`` softmax scores."""
    layers = keras.layers
    base = BASE_WIDTHS if widths is None else tuple(widths)
    if len(base) != len(BASE_WIDTHS):
        raise ValueError(f"seg_mobilenet takes {len(BASE_WIDTHS)} widths, got {len(base)}")
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
    x = layers.Conv2D(actual[0], 3, strides=1, padding="same", use_bias=False, name="stem")(inputs)
    x = bn_relu(x, "stem")
    skips = []
    for i, ((_, stride), width) in enumerate(zip(BASE_BLOCKS, actual[1:], strict=True), start=1):
        if stride == 2:
            skips.append(x)
        x = separable(x, width, stride, f"enc{i}")
    for j, skip in enumerate(reversed(skips), start=1):
        x = layers.UpSampling2D(2, interpolation="nearest", name=f"up{j}")(x)
        x = layers.Concatenate(name=f"skip{j}")([x, skip])
        x = separable(x, int(skip.shape[-1]), 1, f"dec{j}")
    outputs = layers.Conv2D(num_classes, 1, activation="softmax", name="classes")(x)
    return keras.Model(inputs, outputs, name="seg_mobilenet")

"""MobileNetV1 (Howard et al., 2017) with a width multiplier, for small inputs.

Parameters: ``alpha`` (width multiplier, default 0.5) and ``widths`` (the 14 layer
widths before ``alpha``: stem conv then the 13 pointwise convs; structured pruning
narrows these), ``dropout``. Inputs smaller than 32x32 are resized to 32x32 by the
dataset, since the network downsamples by 32.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

DESCRIPTION = "MobileNetV1 with width multiplier alpha"
# Stem conv then the 13 depthwise-separable blocks: (pointwise filters, depthwise stride).
BASE_BLOCKS: tuple[tuple[int, int], ...] = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
)
BASE_WIDTHS: tuple[int, ...] = (32, *(filters for filters, _ in BASE_BLOCKS))
DEFAULTS: dict[str, Any] = {"alpha": 0.5, "widths": None, "dropout": 0.2}
TRAINING: dict[str, Any] = {"epochs": 20, "batch_size": 32, "learning_rate": 2e-3}
MIN_INPUT_SIZE = 32
DEFAULT_INPUT_SHAPE = (32, 32, 3)


def layer_widths(alpha: float, widths: tuple[int, ...] | None = None) -> tuple[int, ...]:
    """The 14 actual layer widths: ``widths`` (default the paper's) scaled by ``alpha``."""
    base = BASE_WIDTHS if widths is None else tuple(widths)
    if len(base) != len(BASE_WIDTHS):
        raise ValueError(f"mobilenet_v1 takes {len(BASE_WIDTHS)} widths, got {len(base)}")
    return tuple(max(1, int(round(w * alpha))) for w in base)


def build(
    keras: ModuleType,
    input_shape: tuple[int, int, int],
    num_classes: int,
    alpha: float = 0.5,
    widths: tuple[int, ...] | None = None,
    dropout: float = 0.2,
) -> Any:
    """Build MobileNetV1 for ``input_shape`` (H, W, C) and ``num_classes``."""
    layers = keras.layers
    actual = layer_widths(alpha, widths)

    def conv_bn_relu(x: Any, name: str) -> Any:
        x = layers.BatchNormalization(momentum=0.9, name=f"{name}_bn")(x)
        return layers.ReLU(6.0, name=f"{name}_relu")(x)

    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(actual[0], 3, strides=2, padding="same", use_bias=False, name="conv1")(inputs)
    x = conv_bn_relu(x, "conv1")
    for i, ((_, stride), width) in enumerate(zip(BASE_BLOCKS, actual[1:], strict=True), start=1):
        x = layers.DepthwiseConv2D(
            3, strides=stride, padding="same", use_bias=False, name=f"conv_dw_{i}"
        )(x)
        x = conv_bn_relu(x, f"conv_dw_{i}")
        x = layers.Conv2D(width, 1, use_bias=False, name=f"conv_pw_{i}")(x)
        x = conv_bn_relu(x, f"conv_pw_{i}")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="mobilenet_v1")

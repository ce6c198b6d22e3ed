"""EfficientNet-Lite0 (Google, 2020): EfficientNet-B0's MBConv blocks made for integer
accelerators: no squeeze-excitation, ReLU6 instead of swish, stem and head widths fixed.

Parameters: ``dropout`` (before the classifier), ``drop_connect`` (stochastic depth of
the residual blocks). No Keras weights exist for it (Google publishes TF-Hub and
.tflite checkpoints), so it trains from random init. Inputs smaller than 32x32 are resized.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

DESCRIPTION = "EfficientNet-Lite0 (MBConv without squeeze-excitation, ReLU6)"
# (kernel, repeats, channels in, channels out, expansion, first stride): EfficientNet-B0's
BLOCKS: tuple[tuple[int, int, int, int, int, int], ...] = (
    (3, 1, 32, 16, 1, 1),
    (3, 2, 16, 24, 6, 2),
    (5, 2, 24, 40, 6, 2),
    (3, 3, 40, 80, 6, 2),
    (5, 3, 80, 112, 6, 1),
    (5, 4, 112, 192, 6, 2),
    (3, 1, 192, 320, 6, 1),
)
DEFAULTS: dict[str, Any] = {"dropout": 0.2, "drop_connect": 0.2}
TRAINING: dict[str, Any] = {"epochs": 20, "batch_size": 32, "learning_rate": 2e-3}
MIN_INPUT_SIZE = 32
DEFAULT_INPUT_SHAPE = (32, 32, 3)


def build(
    keras: ModuleType,
    input_shape: tuple[int, int, int],
    num_classes: int,
    dropout: float = 0.2,
    drop_connect: float = 0.2,
) -> Any:
    """Build EfficientNet-Lite0 for ``input_shape`` (H, W, C) and ``num_classes``."""
    layers = keras.layers

    def bn_relu6(x: Any, name: str) -> Any:
        x = layers.BatchNormalization(name=name + "bn")(x)
        return layers.ReLU(6.0, name=name + "relu6")(x)

    inputs = keras.Input(shape=input_shape, name="input")
    x = layers.Conv2D(32, 3, strides=2, padding="same", use_bias=False, name="stem_conv")(inputs)
    x = bn_relu6(x, "stem_")
    total = sum(repeats for _, repeats, *_ in BLOCKS)
    index = 0
    for i, (kernel, repeats, c_in, c_out, expansion, first_stride) in enumerate(BLOCKS):
        for j in range(repeats):
            stride = first_stride if j == 0 else 1
            c_in = c_in if j == 0 else c_out
            name = f"block{i + 1}{chr(j + 97)}_"
            shortcut = x
            if expansion != 1:
                x = layers.Conv2D(c_in * expansion, 1, use_bias=False, name=name + "expand_conv")(x)
                x = bn_relu6(x, name + "expand_")
            x = layers.DepthwiseConv2D(
                kernel, strides=stride, padding="same", use_bias=False, name=name + "dwconv"
            )(x)
            x = bn_relu6(x, name + "dw_")
            x = layers.Conv2D(c_out, 1, use_bias=False, name=name + "project_conv")(x)
            x = layers.BatchNormalization(name=name + "project_bn")(x)
            if stride == 1 and c_in == c_out:
                rate = drop_connect * index / total
                if rate > 0:
                    x = layers.Dropout(rate, noise_shape=(None, 1, 1, 1), name=name + "drop")(x)
                x = layers.Add(name=name + "add")([x, shortcut])
            index += 1
    x = layers.Conv2D(1280, 1, use_bias=False, name="top_conv")(x)
    x = bn_relu6(x, "top_")
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if dropout:
        x = layers.Dropout(dropout, name="top_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="efficientnet_lite0")

"""MobileNetV2 (Sandler et al., 2018): inverted residuals with linear bottlenecks.

Parameters: ``alpha`` (width multiplier, default 0.5), ``dropout``, and ``weights``
(``None``: random init; ``imagenet``: Keras' pretrained ImageNet weights, downloaded once
online, then the whole network is fine-tuned on the dataset with a new classifier). The
layers mirror ``keras.applications.MobileNetV2`` one for one, so its weights load into
this graph (``edgebench.artifacts.pretrained``). Inputs smaller than 32x32 are resized to
32x32, since the network downsamples by 32.
Batch-norm momentum is 0.9, not Keras' 0.999 (which suits ImageNet-length training: in
a few hundred steps its moving statistics stay near their start; MobileNetV2 on digits
validated at 12.6% with 99.5% training accuracy).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

DESCRIPTION = "MobileNetV2 (inverted residuals) with width multiplier alpha"
# (expansion, output channels before alpha, repeats, first stride)
BLOCKS: tuple[tuple[int, int, int, int], ...] = (
    (1, 16, 1, 1),
    (6, 24, 2, 2),
    (6, 32, 3, 2),
    (6, 64, 4, 2),
    (6, 96, 3, 1),
    (6, 160, 3, 2),
    (6, 320, 1, 1),
)
DEFAULTS: dict[str, Any] = {"alpha": 0.5, "dropout": 0.2, "weights": None}
TRAINING: dict[str, Any] = {"epochs": 20, "batch_size": 32, "learning_rate": 2e-3}
MIN_INPUT_SIZE = 32
DEFAULT_INPUT_SHAPE = (32, 32, 3)
#: ``weights=imagenet``: the keras.applications builder and the input scaling it expects
#: (inputs in [0, 1] mapped to [-1, 1]).
APPLICATION = "MobileNetV2"
APPLICATION_ALPHAS = (0.35, 0.5, 0.75, 1.0, 1.3, 1.4)


def make_divisible(value: float, divisor: int = 8) -> int:
    """Round a channel count to a multiple of ``divisor`` (never below 90% of it)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def build(
    keras: ModuleType,
    input_shape: tuple[int, int, int],
    num_classes: int,
    alpha: float = 0.5,
    dropout: float = 0.2,
    weights: str | None = None,
) -> Any:
    """Build MobileNetV2 for ``input_shape`` (H, W, C) and ``num_classes``."""
    layers = keras.layers

    def bn(x: Any, name: str) -> Any:
        return layers.BatchNormalization(epsilon=1e-3, momentum=0.9, name=name)(x)

    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    if weights is not None:
        x = layers.Rescaling(2.0, offset=-1.0, name="imagenet_scaling")(x)
    x = layers.Conv2D(
        make_divisible(32 * alpha), 3, strides=2, padding="same", use_bias=False, name="Conv1"
    )(x)
    x = layers.ReLU(6.0, name="Conv1_relu")(bn(x, "bn_Conv1"))
    block_id = 0
    for expansion, filters, repeats, first_stride in BLOCKS:
        for i in range(repeats):
            stride = first_stride if i == 0 else 1
            in_channels = int(x.shape[-1])
            out_channels = make_divisible(int(filters * alpha))
            shortcut = x
            prefix = f"block_{block_id}_" if block_id else "expanded_conv_"
            if block_id:
                x = layers.Conv2D(
                    expansion * in_channels, 1, use_bias=False, name=prefix + "expand"
                )(x)
                x = layers.ReLU(6.0, name=prefix + "expand_relu")(bn(x, prefix + "expand_BN"))
            x = layers.DepthwiseConv2D(
                3, strides=stride, padding="same", use_bias=False, name=prefix + "depthwise"
            )(x)
            x = layers.ReLU(6.0, name=prefix + "depthwise_relu")(bn(x, prefix + "depthwise_BN"))
            x = layers.Conv2D(out_channels, 1, use_bias=False, name=prefix + "project")(x)
            x = bn(x, prefix + "project_BN")
            if stride == 1 and in_channels == out_channels:
                x = layers.Add(name=prefix + "add")([shortcut, x])
            block_id += 1
    last = make_divisible(1280 * alpha) if alpha > 1.0 else 1280
    x = layers.Conv2D(last, 1, use_bias=False, name="Conv_1")(x)
    x = layers.ReLU(6.0, name="out_relu")(bn(x, "Conv_1_bn"))
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="mobilenet_v2")
    if weights is not None:
        from edgebench.artifacts.pretrained import load_application_weights

        load_application_weights(model, keras, APPLICATION, weights, alpha=alpha)
    return model

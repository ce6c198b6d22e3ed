"""MobileNetV3-Small (Howard et al., 2019): inverted residuals with squeeze-excitation and
hard-swish.

Parameters: ``alpha`` (width multiplier, default 0.75), ``dropout``, ``weights`` (``None``
or ``imagenet``: Keras' pretrained weights, alpha 0.75 or 1.0, fine-tuned as a whole with
a new classifier). The layers mirror ``keras.applications.MobileNetV3Small`` one for one;
hard-sigmoid is written as ``Rescaling(1/6, offset=0.5)`` then ``ReLU(max_value=1)``
(exactly relu6(x + 3) / 6, from standard layers that tfmot and both converters know).
Inputs smaller than 32x32 are resized to 32x32, since the network downsamples by 32.
Batch-norm momentum is 0.9, not Keras' 0.999 (which suits ImageNet-length training: in
a few hundred steps its moving statistics stay near their start; MobileNetV2 on digits
validated at 12.6% with 99.5% training accuracy).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

DESCRIPTION = "MobileNetV3-Small (squeeze-excitation, hard-swish) with width multiplier alpha"
DEFAULTS: dict[str, Any] = {"alpha": 0.75, "dropout": 0.2, "weights": None}
TRAINING: dict[str, Any] = {"epochs": 20, "batch_size": 32, "learning_rate": 2e-3}
MIN_INPUT_SIZE = 32
DEFAULT_INPUT_SHAPE = (32, 32, 3)
APPLICATION = "MobileNetV3Small"
# (expansion, output channels before alpha, kernel, stride, squeeze-excite, hard-swish)
BLOCKS: tuple[tuple[float, int, int, int, bool, bool], ...] = (
    (1, 16, 3, 2, True, False),
    (72 / 16, 24, 3, 2, False, False),
    (88 / 24, 24, 3, 1, False, False),
    (4, 40, 5, 2, True, True),
    (6, 40, 5, 1, True, True),
    (6, 40, 5, 1, True, True),
    (3, 48, 5, 1, True, True),
    (3, 48, 5, 1, True, True),
    (6, 96, 5, 2, True, True),
    (6, 96, 5, 1, True, True),
    (6, 96, 5, 1, True, True),
)


def depth(value: float, divisor: int = 8) -> int:
    """Round a channel count to a multiple of ``divisor`` (never below 90% of it)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def build(
    keras: ModuleType,
    input_shape: tuple[int, int, int],
    num_classes: int,
    alpha: float = 0.75,
    dropout: float = 0.2,
    weights: str | None = None,
) -> Any:
    """Build MobileNetV3-Small for ``input_shape`` (H, W, C) and ``num_classes``."""
    layers = keras.layers

    def bn(x: Any, name: str) -> Any:
        return layers.BatchNormalization(epsilon=1e-3, momentum=0.9, name=name)(x)

    def hard_sigmoid(x: Any, name: str) -> Any:
        x = layers.Rescaling(1.0 / 6.0, offset=0.5, name=name + "/scale")(x)
        return layers.ReLU(max_value=1.0, name=name + "/clip")(x)

    def act(x: Any, hard_swish: bool, name: str) -> Any:
        if not hard_swish:
            return layers.ReLU(name=name)(x)
        return layers.Multiply(name=name)([x, hard_sigmoid(x, name + "/hard_sigmoid")])

    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    if weights is not None:
        x = layers.Rescaling(2.0, offset=-1.0, name="imagenet_scaling")(x)
    x = layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False, name="Conv")(x)
    x = act(bn(x, "Conv/BatchNorm"), True, "Conv/hard_swish")
    for block_id, (expansion, filters, kernel, stride, se, hswish) in enumerate(BLOCKS):
        shortcut = x
        in_channels = int(x.shape[-1])
        out_channels = depth(filters * alpha)
        prefix = f"expanded_conv_{block_id}/" if block_id else "expanded_conv/"
        expanded = depth(in_channels * expansion)
        if block_id:
            x = layers.Conv2D(expanded, 1, use_bias=False, name=prefix + "expand")(x)
            x = act(bn(x, prefix + "expand/BatchNorm"), hswish, prefix + "expand/act")
        x = layers.DepthwiseConv2D(
            kernel, strides=stride, padding="same", use_bias=False, name=prefix + "depthwise"
        )(x)
        x = act(bn(x, prefix + "depthwise/BatchNorm"), hswish, prefix + "depthwise/act")
        if se:
            s = layers.GlobalAveragePooling2D(
                keepdims=True, name=prefix + "squeeze_excite/AvgPool"
            )(x)
            s = layers.Conv2D(depth(expanded * 0.25), 1, name=prefix + "squeeze_excite/Conv")(s)
            s = layers.ReLU(name=prefix + "squeeze_excite/Relu")(s)
            s = layers.Conv2D(expanded, 1, name=prefix + "squeeze_excite/Conv_1")(s)
            s = hard_sigmoid(s, prefix + "squeeze_excite/hard_sigmoid")
            x = layers.Multiply(name=prefix + "squeeze_excite/Mul")([x, s])
        x = layers.Conv2D(out_channels, 1, use_bias=False, name=prefix + "project")(x)
        x = bn(x, prefix + "project/BatchNorm")
        if stride == 1 and in_channels == out_channels:
            x = layers.Add(name=prefix + "Add")([shortcut, x])
    x = layers.Conv2D(depth(int(x.shape[-1]) * 6), 1, use_bias=False, name="Conv_1")(x)
    x = act(bn(x, "Conv_1/BatchNorm"), True, "Conv_1/hard_swish")
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    x = layers.Dense(depth(1024 * alpha) if alpha > 1.0 else 1024, name="Conv_2")(x)
    x = act(x, True, "Conv_2/hard_swish")
    if dropout:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="mobilenet_v3_small")
    if weights is not None:
        from edgebench.artifacts.pretrained import load_application_weights

        load_application_weights(
            model, keras, APPLICATION, weights, alpha=alpha, include_preprocessing=False
        )
    return model

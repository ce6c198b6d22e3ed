"""EfficientNet-B0 (Tan & Le, 2019): MBConv blocks with squeeze-excitation and swish.

Parameters: ``width`` (width coefficient, default 1.0: the B0), ``dropout`` (before the
classifier), ``drop_connect`` (stochastic depth of the residual blocks, as trained in the
paper), ``weights`` (``None`` or ``imagenet``: Keras' pretrained weights, fine-tuned as a
whole with a new classifier). The layers mirror ``keras.applications.EfficientNetB0`` one
for one (its built-in input normalisation becomes a per-channel ``Rescaling`` for
``weights=imagenet``, none otherwise). Squeeze-excitation gates and swish are what make
its int8 results differ from the ReLU networks'. Inputs smaller than 32x32 are resized.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

DESCRIPTION = "EfficientNet-B0 (MBConv, squeeze-excitation, swish)"
# (kernel, repeats, channels in, channels out, expansion, first stride)
BLOCKS: tuple[tuple[int, int, int, int, int, int], ...] = (
    (3, 1, 32, 16, 1, 1),
    (3, 2, 16, 24, 6, 2),
    (5, 2, 24, 40, 6, 2),
    (3, 3, 40, 80, 6, 2),
    (5, 3, 80, 112, 6, 1),
    (5, 4, 112, 192, 6, 2),
    (3, 1, 192, 320, 6, 1),
)
DEFAULTS: dict[str, Any] = {"width": 1.0, "dropout": 0.2, "drop_connect": 0.2, "weights": None}
TRAINING: dict[str, Any] = {"epochs": 20, "batch_size": 32, "learning_rate": 2e-3}
MIN_INPUT_SIZE = 32
DEFAULT_INPUT_SHAPE = (32, 32, 3)
APPLICATION = "EfficientNetB0"
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def round_filters(filters: float, width: float, divisor: int = 8) -> int:
    """Channels scaled by the width coefficient, rounded to a multiple of ``divisor``."""
    filters *= width
    rounded = max(divisor, int(filters + divisor / 2) // divisor * divisor)
    return int(rounded + divisor if rounded < 0.9 * filters else rounded)


def build(
    keras: ModuleType,
    input_shape: tuple[int, int, int],
    num_classes: int,
    width: float = 1.0,
    dropout: float = 0.2,
    drop_connect: float = 0.2,
    weights: str | None = None,
) -> Any:
    """Build EfficientNet-B0 for ``input_shape`` (H, W, C) and ``num_classes``."""
    layers = keras.layers
    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    if weights is not None:
        channels = input_shape[2]
        mean = list(IMAGENET_MEAN) if channels == 3 else [sum(IMAGENET_MEAN) / 3]
        std = list(IMAGENET_STD) if channels == 3 else [sum(IMAGENET_STD) / 3]
        x = layers.Rescaling(
            [1.0 / s for s in std],
            offset=[-m / s for m, s in zip(mean, std, strict=True)],
            name="imagenet_normalization",
        )(x)
    x = layers.Conv2D(
        round_filters(32, width), 3, strides=2, padding="same", use_bias=False, name="stem_conv"
    )(x)
    x = layers.BatchNormalization(name="stem_bn")(x)
    x = layers.Activation("swish", name="stem_activation")(x)
    total = sum(repeats for _, repeats, *_ in BLOCKS)
    index = 0
    for i, (kernel, repeats, c_in, c_out, expansion, first_stride) in enumerate(BLOCKS):
        c_in, c_out = round_filters(c_in, width), round_filters(c_out, width)
        for j in range(repeats):
            stride = first_stride if j == 0 else 1
            c_in = c_in if j == 0 else c_out
            name = f"block{i + 1}{chr(j + 97)}_"
            shortcut = x
            filters = c_in * expansion
            if expansion != 1:
                x = layers.Conv2D(filters, 1, use_bias=False, name=name + "expand_conv")(x)
                x = layers.BatchNormalization(name=name + "expand_bn")(x)
                x = layers.Activation("swish", name=name + "expand_activation")(x)
            x = layers.DepthwiseConv2D(
                kernel, strides=stride, padding="same", use_bias=False, name=name + "dwconv"
            )(x)
            x = layers.BatchNormalization(name=name + "bn")(x)
            x = layers.Activation("swish", name=name + "activation")(x)
            se = layers.GlobalAveragePooling2D(keepdims=True, name=name + "se_squeeze")(x)
            se = layers.Conv2D(
                max(1, int(c_in * 0.25)), 1, activation="swish", name=name + "se_reduce"
            )(se)
            se = layers.Conv2D(filters, 1, activation="sigmoid", name=name + "se_expand")(se)
            x = layers.Multiply(name=name + "se_excite")([x, se])
            x = layers.Conv2D(c_out, 1, use_bias=False, name=name + "project_conv")(x)
            x = layers.BatchNormalization(name=name + "project_bn")(x)
            if stride == 1 and c_in == c_out:
                rate = drop_connect * index / total
                if rate > 0:
                    x = layers.Dropout(rate, noise_shape=(None, 1, 1, 1), name=name + "drop")(x)
                x = layers.Add(name=name + "add")([x, shortcut])
            index += 1
    x = layers.Conv2D(round_filters(1280, width), 1, use_bias=False, name="top_conv")(x)
    x = layers.BatchNormalization(name="top_bn")(x)
    x = layers.Activation("swish", name="top_activation")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    if dropout:
        x = layers.Dropout(dropout, name="top_dropout")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs, outputs, name="efficientnet_b0")
    if weights is not None:
        from edgebench.artifacts.pretrained import load_application_weights

        if width != 1.0:
            from edgebench.errors import UsageError

            raise UsageError("weights=imagenet exists for the B0 width (width=1.0) only")
        load_application_weights(model, keras, APPLICATION, weights)
    return model

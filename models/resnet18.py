"""ResNet-18 (He et al., 2016): basic residual blocks, four stages of two.

Parameters: ``width`` (multiplier on the 64-128-256-512 stage widths, default 1.0),
``stem`` (``auto``: the CIFAR stem, a 3x3 stride-1 convolution without max pooling, for
inputs up to 32x32, the ImageNet stem, a 7x7 stride-2 convolution and 3x3 max pooling,
for larger ones; or ``cifar`` / ``imagenet``). Projection shortcuts (1x1 convolution and
batch norm) where a stage changes width or stride. Inputs smaller than 32x32 are resized.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

DESCRIPTION = "ResNet-18 (basic residual blocks; CIFAR stem for 32x32 inputs)"
STAGES: tuple[tuple[int, int], ...] = ((64, 1), (128, 2), (256, 2), (512, 2))
DEFAULTS: dict[str, Any] = {"width": 1.0, "stem": "auto"}
TRAINING: dict[str, Any] = {"epochs": 20, "batch_size": 32, "learning_rate": 2e-3}
MIN_INPUT_SIZE = 32
DEFAULT_INPUT_SHAPE = (32, 32, 3)


def stem_for(input_shape: tuple[int, int, int], stem: str) -> str:
    """``cifar`` or ``imagenet``: what ``stem=auto`` means for this input."""
    if stem not in ("auto", "cifar", "imagenet"):
        from edgebench.errors import UsageError

        raise UsageError(f"resnet18: stem={stem!r}; use auto, cifar or imagenet")
    if stem != "auto":
        return stem
    return "cifar" if max(input_shape[:2]) <= 32 else "imagenet"


def build(
    keras: ModuleType,
    input_shape: tuple[int, int, int],
    num_classes: int,
    width: float = 1.0,
    stem: str = "auto",
) -> Any:
    """Build ResNet-18 for ``input_shape`` (H, W, C) and ``num_classes``."""
    layers = keras.layers

    def conv_bn(x: Any, filters: int, kernel: int, stride: int, name: str) -> Any:
        x = layers.Conv2D(
            filters, kernel, strides=stride, padding="same", use_bias=False, name=name + "_conv"
        )(x)
        return layers.BatchNormalization(momentum=0.9, epsilon=1e-5, name=name + "_bn")(x)

    base = max(1, int(round(64 * width)))
    inputs = keras.Input(shape=input_shape, name="input")
    if stem_for(input_shape, stem) == "cifar":
        x = layers.ReLU(name="stem_relu")(conv_bn(inputs, base, 3, 1, "stem"))
    else:
        x = layers.ReLU(name="stem_relu")(conv_bn(inputs, base, 7, 2, "stem"))
        x = layers.MaxPooling2D(3, strides=2, padding="same", name="stem_pool")(x)
    for s, (channels, first_stride) in enumerate(STAGES, start=1):
        filters = max(1, int(round(channels * width)))
        for b in range(2):
            stride = first_stride if b == 0 else 1
            name = f"stage{s}_block{b + 1}"
            shortcut = x
            if stride != 1 or int(x.shape[-1]) != filters:
                shortcut = conv_bn(x, filters, 1, stride, name + "_shortcut")
            y = layers.ReLU(name=name + "_relu1")(conv_bn(x, filters, 3, stride, name + "_1"))
            y = conv_bn(y, filters, 3, 1, name + "_2")
            x = layers.Add(name=name + "_add")([shortcut, y])
            x = layers.ReLU(name=name + "_relu2")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="resnet18")

"""Small CNN: conv-BN-ReLU blocks with max pooling and a dense head.

The quickest zoo model to train; parameters ``widths`` (filters per conv block) and
``dense`` (units of the hidden dense layer, 0 for none).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

DESCRIPTION = "small CNN (conv-BN-ReLU blocks, max pooling, dense head)"
DEFAULTS: dict[str, Any] = {"widths": (16, 32), "dense": 64}
TRAINING: dict[str, Any] = {"epochs": 15, "batch_size": 32, "learning_rate": 2e-3}
MIN_INPUT_SIZE = 8
DEFAULT_INPUT_SHAPE = (28, 28, 1)


def build(
    keras: ModuleType,
    input_shape: tuple[int, int, int],
    num_classes: int,
    widths: tuple[int, ...] = (16, 32),
    dense: int = 64,
) -> Any:
    """Build the small CNN for ``input_shape`` (H, W, C) and ``num_classes``."""
    layers = keras.layers
    inputs = keras.Input(shape=input_shape, name="input")
    x = inputs
    for i, width in enumerate(widths):
        x = layers.Conv2D(int(width), 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"conv{i}_bn")(x)
        x = layers.ReLU(name=f"conv{i}_relu")(x)
        if min(x.shape[1], x.shape[2]) >= 4:
            x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    if dense:
        x = layers.Dense(int(dense), activation="relu", name="fc")(x)
    outputs = layers.Dense(num_classes, activation="softmax", name="predictions")(x)
    return keras.Model(inputs, outputs, name="small_cnn")

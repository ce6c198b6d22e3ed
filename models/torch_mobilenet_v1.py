"""MobileNetV1 (Howard et al., 2017) in PyTorch, with a width multiplier, for small inputs.

The PyTorch twin of ``mobilenet_v1`` (same blocks, widths and defaults), so that the
PyTorch workflow of the seed reports (structured pruning with Torch-Pruning, fine-tuning,
ONNX export, ONNX Runtime static quantization) runs on the same architecture as the Keras
one. The module takes NCHW images and returns logits.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

FRAMEWORK = "torch"
DESCRIPTION = "MobileNetV1 in PyTorch, width multiplier alpha"
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
DEFAULTS: dict[str, Any] = {"alpha": 0.5, "dropout": 0.2}
TRAINING: dict[str, Any] = {"epochs": 20, "batch_size": 32, "learning_rate": 2e-3}
MIN_INPUT_SIZE = 32
DEFAULT_INPUT_SHAPE = (32, 32, 3)


def build(
    torch: ModuleType,
    input_shape: tuple[int, int, int],
    num_classes: int,
    alpha: float = 0.5,
    dropout: float = 0.2,
) -> Any:
    """Build MobileNetV1 for NCHW images of ``input_shape`` (H, W, C) and ``num_classes``."""
    nn = torch.nn
    channels = input_shape[2]

    def width(filters: int) -> int:
        return max(1, int(round(filters * alpha)))

    def conv_bn_relu(inputs: int, outputs: int, kernel: int, stride: int, groups: int) -> Any:
        return nn.Sequential(
            nn.Conv2d(inputs, outputs, kernel, stride, kernel // 2, groups=groups, bias=False),
            nn.BatchNorm2d(outputs, momentum=0.1),
            nn.ReLU6(inplace=True),
        )

    layers = [conv_bn_relu(channels, width(32), 3, 2, 1)]
    current = width(32)
    for filters, stride in BASE_BLOCKS:
        layers.append(conv_bn_relu(current, current, 3, stride, current))  # depthwise
        layers.append(conv_bn_relu(current, width(filters), 1, 1, 1))  # pointwise
        current = width(filters)

    class MobileNetV1(nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.features = nn.Sequential(*layers)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.dropout = nn.Dropout(dropout)
            self.classifier = nn.Linear(current, num_classes)

        def forward(self, x: Any) -> Any:
            x = self.pool(self.features(x)).flatten(1)
            return self.classifier(self.dropout(x))

        def output_layers(self) -> list[Any]:
            return [self.classifier]

    return MobileNetV1()

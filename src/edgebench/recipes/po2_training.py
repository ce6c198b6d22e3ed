"""Power-of-two quantization-aware training: ``qat-po2`` (6 bits) or ``qat-po2-b<B>``.

Post-training power-of-two quantization (``dfq<B>-po2-pc``) snaps every kernel to signed
powers of two and loses most of the accuracy below 8 bits; training with the snapping in
the loop lets the rest of the network adapt. Batch norm is folded into the layers first
(the converters fold it anyway, which would break the powers of two), then the model is
fine-tuned with each kernel's forward pass on its power-of-two levels (one sign bit and
``2^(B-1)-1`` exponents per output channel, ``compression.dfq.quantize_power_of_two``)
while the optimizer's updates go to a float copy (the straight-through estimator of
BinaryConnect: the gradient at the snapped weights moves the float weights). The artifact
holds the snapped values as float32, like ``dfq``'s, so both runtimes run the same
weights; ``compression.dfq.is_power_of_two`` checks them in the artifact file. A following
``ft<E>`` sets the epochs (default 2, or ``--fine-tune-epochs``). Keras only: PyTorch's
ONNX export folds batch norm into the convolutions after training, off the levels.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from edgebench.compression.dfq import packed_bits, quantize_weights
from edgebench.errors import UsageError
from edgebench.recipes.core import BuildContext, StepKind
from edgebench.recipes.dfq import QUANTIZABLE
from edgebench.recipes.training_steps import WrappedTraining, fit_model

DEFAULT_PO2_BITS = 6


def _po2_kernels(model: Any) -> list[tuple[Any, int]]:
    """The (kernel variable, output-channel axis) pairs of ``model``'s conv/dense layers."""
    found = []
    for layer in model.layers:
        for attribute, axis in QUANTIZABLE.get(type(layer).__name__, ()):
            found.append((getattr(layer, attribute), axis))
    return found


@dataclass(frozen=True)
class PowerOfTwoTraining(WrappedTraining):
    """``qat-po2[-b<B>]``: training with kernels on signed power-of-two levels."""

    weight_bits: int = DEFAULT_PO2_BITS
    family: ClassVar[str] = "qat-po2"
    group: ClassVar[str] = "qat"
    sweep_axis: ClassVar[tuple[str, str] | None] = ("bits", "weight bits")

    @property
    def token(self) -> str:
        return "qat-po2" + ("" if self.weight_bits == DEFAULT_PO2_BITS else f"-b{self.weight_bits}")

    @property
    def bits(self) -> int | None:
        return self.weight_bits

    @property
    def sweep_value(self) -> float | None:
        return float(self.weight_bits)

    @property
    def sweep_prefix(self) -> str:
        return self.token

    @property
    def sweep_pattern(self) -> str:
        return "qat-po2-b*"

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "scheme": "qat-po2", "granularity": "pc"}

    def snap(self, weights: np.ndarray, axis: int) -> np.ndarray:
        """``weights`` on this step's power-of-two levels, per output channel."""
        return quantize_weights(weights, self.weight_bits, "po2", axis).values

    def fine_tuned(
        self, model: Any, context: BuildContext, epochs: int, chosen_by: str
    ) -> tuple[Any, dict[str, Any]]:
        """Fold batch norm, train through the snapped kernels, leave them snapped."""
        from edgebench.frameworks.keras.graph import fold_batchnorm
        from edgebench.frameworks.keras.tfcompat import import_keras

        keras = import_keras()
        folded = fold_batchnorm(model)
        kernels = _po2_kernels(folded)
        shadows = [variable.numpy().astype(np.float32) for variable, _ in kernels]
        snapped = [self.snap(w, axis) for w, (_, axis) in zip(shadows, kernels, strict=True)]
        for (variable, _), values in zip(kernels, snapped, strict=True):
            variable.assign(values)
        step = self

        class SnapKernels(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
            """After each batch: the optimizer's move goes to the float copy; the kernel
            goes back onto the levels of the moved copy."""

            def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
                for index, (variable, axis) in enumerate(kernels):
                    shadows[index] += variable.numpy() - snapped[index]
                    snapped[index] = step.snap(shadows[index], axis)
                    variable.assign(snapped[index])

        meta = (
            fit_model(folded, context, epochs, chosen_by, [SnapKernels()])
            if epochs
            else {"fine_tune_epochs": 0}
        )
        quantized = sum(int(w.size) for w in snapped)
        ranges = sum(int(w.shape[axis]) for w, (_, axis) in zip(snapped, kernels, strict=True))
        total = int(folded.count_params())
        bits = packed_bits(quantized, ranges, self.weight_bits, "po2", total - quantized)
        context.log(f"{self.token}: {len(kernels)} kernels on power-of-two levels")
        return folded, {
            **meta,
            "quantized_params": quantized,
            "float_params": total - quantized,
            "ranges": ranges,
            "packed_bytes": int(np.ceil(bits / 8)),
            "distinct_magnitudes": {
                variable.name: int(np.unique(np.abs(values[values != 0])).size)
                for (variable, _), values in zip(kernels, snapped, strict=True)
            },
        }


def _parse(match: re.Match[str]) -> PowerOfTwoTraining:
    bits = int(match[1]) if match[1] else DEFAULT_PO2_BITS
    if not 2 <= bits <= 8:
        raise UsageError(f"{match[0]}: power-of-two training takes 2 to 8 bits")
    return PowerOfTwoTraining(bits)


PO2_TRAINING = StepKind(
    "qat-po2",
    re.compile(r"qat-po2(?:-b(\d+))?"),
    _parse,
    "training with kernels on signed power-of-two levels, per channel (6 bits; -bB for B "
    "bits, 2..8), batch norm folded first; a following ft<E> sets the epochs",
    "qat-po2",
)

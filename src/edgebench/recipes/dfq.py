"""Data-free low-bit weight quantization of the float model: ``dfq<B>-<scheme>-<gran>``.

B in 2..8, scheme ``sym``/``asym``/``po2``, granularity ``pt`` (per tensor) or ``pc``
(per output channel); ``-skip=first,last`` or ``-skip=PATTERN`` (fnmatch on layer names)
keeps those layers in float. The kernels of convolution and dense layers are snapped to
the scheme's levels in the Keras model before conversion, so both runtimes run the same
quantized weights (stored as float32 in the artifact). The record gets the packed size an
honest low-bit format needs, and per-tensor statistics before and after.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import numpy as np

from edgebench.compression.dfq import packed_bits, quantize_weights
from edgebench.compression.tensor_stats import describe_tensor, quantization_error
from edgebench.recipes.core import BuildContext, Stage, Step, StepKind

# Keras layer class -> (kernel attribute, per-output-channel axis).
QUANTIZABLE: dict[str, tuple[tuple[str, int], ...]] = {
    "Conv1D": (("kernel", -1),),
    "Conv2D": (("kernel", -1),),
    "Conv3D": (("kernel", -1),),
    "Conv2DTranspose": (("kernel", -2),),
    "Dense": (("kernel", -1),),
    "DepthwiseConv2D": (("depthwise_kernel", 2),),
    "SeparableConv2D": (("depthwise_kernel", 2), ("pointwise_kernel", -1)),
}


@dataclass(frozen=True)
class DataFreeQuantization(Step):
    """Snap the weights of conv/dense kernels to ``bits``-bit levels, no data needed."""

    weight_bits: int
    scheme: str
    granularity: str
    skip: tuple[str, ...] = ()

    stage: ClassVar[Stage] = "model"
    family: ClassVar[str] = "dfq"
    group: ClassVar[str] = "data-free"
    sweep_axis: ClassVar[tuple[str, str] | None] = ("bits", "weight bits")

    @property
    def token(self) -> str:
        base = f"dfq{self.weight_bits}-{self.scheme}-{self.granularity}"
        return base + (f"-skip={','.join(self.skip)}" if self.skip else "")

    @property
    def bits(self) -> int | None:
        return self.weight_bits

    @property
    def sweep_value(self) -> float | None:
        return float(self.weight_bits)

    @property
    def sweep_prefix(self) -> str:
        return f"dfq{self.weight_bits}-"

    @property
    def sweep_pattern(self) -> str:
        return "dfq*-"

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "scheme": f"dfq-{self.scheme}",
            "granularity": self.granularity,
            "skip": list(self.skip),
        }

    def skipped(self, names: list[str]) -> set[str]:
        """Names of the quantizable layers ``skip`` keeps in float."""
        chosen: set[str] = set()
        for rule in self.skip:
            if rule == "first" and names:
                chosen.add(names[0])
            elif rule == "last" and names:
                chosen.add(names[-1])
            else:
                chosen.update(n for n in names if fnmatch.fnmatchcase(n, rule))
        return chosen

    def quantizable_layers(self, model: Any) -> list[tuple[str, int]]:
        """The layers this step quantizes (name, kernel parameters), in model order: what a
        per-layer sensitivity analysis measures (``compression.sensitivity``)."""
        return [
            (
                layer.name,
                sum(
                    int(np.prod(getattr(layer, a).shape))
                    for a, _ in QUANTIZABLE[type(layer).__name__]
                ),
            )
            for layer in model.layers
            if type(layer).__name__ in QUANTIZABLE
        ]

    def keeping_float(self, layers: Iterable[str]) -> DataFreeQuantization:
        """This step with exactly ``layers`` kept in float (``-skip=`` by name)."""
        return replace(self, skip=tuple(sorted(layers)))

    def transform(self, model: Any, context: BuildContext) -> tuple[Any, dict[str, Any]]:
        """Quantize the kernels in place; return the model and the size and tensor statistics."""
        layers = [layer for layer in model.layers if type(layer).__name__ in QUANTIZABLE]
        names = [layer.name for layer in layers]
        keep_float = self.skipped(names)
        tensors: list[dict[str, Any]] = []
        quantized_params = ranges = 0
        for layer in layers:
            if layer.name in keep_float:
                continue
            for attribute, axis in QUANTIZABLE[type(layer).__name__]:
                variable = getattr(layer, attribute)
                original = variable.numpy()
                channel_axis = axis if self.granularity == "pc" else None
                result = quantize_weights(original, self.weight_bits, self.scheme, channel_axis)
                variable.assign(result.values)
                quantized_params += original.size
                ranges += result.ranges
                tensors.append(
                    {
                        "tensor": variable.name,
                        "layer": layer.name,
                        "shape": list(original.shape),
                        "before": describe_tensor(original),
                        "after": describe_tensor(result.values),
                        "error": quantization_error(original, result.values),
                    }
                )
        total = int(model.count_params())
        float_params = total - quantized_params
        bits = packed_bits(quantized_params, ranges, self.weight_bits, self.scheme, float_params)
        context.log(
            f"{self.token}: {len(tensors)} tensors quantized, {len(keep_float)} layers kept in float"
        )
        return model, {
            "quantized_params": quantized_params,
            "float_params": float_params,
            "ranges": ranges,
            "packed_bytes": int(np.ceil(bits / 8)),
            "float_layers": sorted(keep_float),
            "tensors": tensors,
        }


DFQ = StepKind(
    name="dfq",
    pattern=re.compile(
        r"dfq([2-8])-(sym|asym|po2)-(pt|pc)(?:-skip=([\w*?.\[\]/:-]+(?:,[\w*?.\[\]/:-]+)*))?"
    ),
    parse=lambda m: DataFreeQuantization(
        int(m[1]), m[2], m[3], tuple(dict.fromkeys(m[4].split(","))) if m[4] else ()
    ),
    help="data-free B-bit weights (B 2..8), sym/asym/po2, pt/pc, optional -skip=first,last",
    example="dfq4-asym-pc",
)

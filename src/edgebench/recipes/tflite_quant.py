"""Post-training quantization with the TFLite converter: dyn8, int8, int8io, fp16, int16x8.

- ``dyn8``: dynamic-range quantization (int8 weights, float activations).
- ``int8``: full-integer quantization calibrated on ``--calibration-samples`` training
  images, int8 kernels only (``TFLITE_BUILTINS_INT8``), float input and output.
- ``int8io``: ``int8`` with int8 input and output tensors (the runtime quantizes the
  inputs with the tensor's scale and zero point).
- ``fp16``: float16 weights.
- ``int16x8``: 16-bit activations and 8-bit weights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from edgebench.recipes.core import BuildContext, Stage, Step, StepKind

_SCHEMES: dict[str, dict[str, Any]] = {
    "dyn8": {
        "bits": 8,
        "calibrated": False,
        "help": "dynamic-range: int8 weights, float activations",
    },
    "int8": {"bits": 8, "calibrated": True, "help": "full integer, int8 kernels only"},
    "int8io": {
        "bits": 8,
        "calibrated": True,
        "help": "full integer with int8 input/output tensors",
    },
    "fp16": {"bits": 16, "calibrated": False, "help": "float16 weights"},
    "int16x8": {"bits": 8, "calibrated": True, "help": "16-bit activations, 8-bit weights"},
}


@dataclass(frozen=True)
class TFLiteQuantization(Step):
    """One of the TFLite converter's post-training quantization schemes."""

    scheme: str

    stage: ClassVar[Stage] = "export"
    formats: ClassVar[frozenset[str]] = frozenset({"tflite"})
    group: ClassVar[str] = "quantization"

    @property
    def token(self) -> str:
        return self.scheme

    @property
    def family(self) -> str:  # type: ignore[override]
        return self.scheme

    @property
    def integer_kernels(self) -> bool:  # type: ignore[override]
        return self.scheme in ("dyn8", "int8", "int8io")

    @property
    def bits(self) -> int | None:
        return None if self.scheme == "fp16" else int(_SCHEMES[self.scheme]["bits"])

    @property
    def uses_calibration(self) -> bool:  # type: ignore[override]
        return bool(_SCHEMES[self.scheme]["calibrated"])

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "scheme": f"tflite-{self.scheme}", "tool": "TFLiteConverter"}

    def supports_torch_export(self, artifact_format: str) -> bool:
        """``int8io`` of a PyTorch model: litert-torch's PT2E static quantization (its
        graphs take and give int8 tensors, which is ``int8io``; the other schemes are the
        TFLite converter's, for Keras models)."""
        return self.scheme == "int8io" and artifact_format == "tflite"

    def export_torch(
        self, module: Any, artifact_format: str, out_path: Path, context: BuildContext
    ) -> dict[str, Any]:
        """litert-torch PT2E: per-channel symmetric int8 weights, int8 activations
        calibrated on the same training images as the Keras schemes (histogram observer)."""
        from edgebench.frameworks.pytorch.export import export_tflite_int8

        input_shape = context.model_input_shape()
        calibration = context.calibration_inputs(input_shape)
        context.log("litert-torch PT2E int8 conversion")
        meta = export_tflite_int8(module, input_shape, out_path, calibration)
        return {
            **meta,
            "calibration_samples": len(calibration),
            "calibration_method": "histogram (torchao PT2E observer)",
        }

    def export(
        self, model: Any, artifact_format: str, out_path: Path, context: BuildContext
    ) -> dict[str, Any]:
        """Convert ``model`` with this scheme's converter settings."""
        from edgebench.artifacts.convert import keras_to_tflite
        from edgebench.frameworks.keras.tfcompat import import_tensorflow

        tf = import_tensorflow()
        meta: dict[str, Any] = {}
        calibration = None
        if self.uses_calibration:
            calibration = context.calibration_inputs(tuple(model.inputs[0].shape[1:]))
            meta.update(calibration_samples=len(calibration), calibration_method="minmax (TFLite)")

        def configure(converter: Any) -> None:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]
            if calibration is not None:

                def representative() -> Any:
                    for sample in calibration:
                        yield [sample[None].astype("float32")]

                converter.representative_dataset = representative
            if self.scheme in ("int8", "int8io"):
                converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
            if self.scheme == "int8io":
                converter.inference_input_type = tf.int8
                converter.inference_output_type = tf.int8
            if self.scheme == "fp16":
                converter.target_spec.supported_types = [tf.float16]
            if self.scheme == "int16x8":
                converter.target_spec.supported_ops = [
                    tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
                ]

        context.log(f"TFLite {self.scheme} conversion")
        keras_to_tflite(model, out_path, configure)
        return meta


TFLITE_QUANTIZATION: tuple[StepKind, ...] = tuple(
    StepKind(
        name=scheme,
        pattern=re.compile(re.escape(scheme)),
        parse=lambda _m, scheme=scheme: TFLiteQuantization(scheme),
        help=f"TFLite {info['help']}",
        example=scheme,
    )
    for scheme, info in _SCHEMES.items()
)

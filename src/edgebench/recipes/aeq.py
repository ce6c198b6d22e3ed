"""LiteRT quantization of a ``.tflite`` file with Google's AI Edge Quantizer
(``ai-edge-quantizer``): what a user's converted model gets on LiteRT, and a second path to
the same schemes for every other source (it starts from the float ``.tflite`` export).

- ``aeq-dyn8``: dynamic range, int8 weights per channel, float activations;
- ``aeq-w8``: weight-only int8 (dequantized at load, float kernels);
- ``aeq-int8``: static int8 weights and activations, calibrated on the same training
  samples as ``int8`` (``--calibration-samples``), prepared by the model's input contract.

``-skip=LAYER,...`` keeps the named layers in float: a ``no_quantize`` entry of the
quantizer's recipe per rule (its per-operator configuration, by a regular expression on
the operator's name; ``recipes.layer_rules``), a mixed-precision variant.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from edgebench.errors import ConversionError
from edgebench.recipes.core import BuildContext, Stage, Step, StepKind
from edgebench.recipes.layer_rules import (
    SKIP_SUFFIX,
    component_regex,
    matched,
    parse_skip,
    skip_token,
)

#: token -> (the AEQ recipe function, threshold family, integer kernels, calibrates).
SCHEMES: dict[str, tuple[str, str, bool, bool]] = {
    "dyn8": ("dynamic_wi8_afp32", "dyn8", False, False),
    "w8": ("weight_only_wi8_afp32", "dyn8", False, False),
    "int8": ("static_wi8_ai8", "int8", True, True),
}


def _quantizer() -> Any:
    try:
        from ai_edge_quantizer import quantizer, recipe
    except ImportError as exc:
        raise ConversionError(
            f'AI Edge Quantizer is not installed: pip install "edgebench[aeq]" ({exc})'
        ) from exc
    return quantizer, recipe


@dataclass(frozen=True)
class EdgeQuantizer(Step):
    """An AI Edge Quantizer recipe applied to the float ``.tflite`` file."""

    scheme: str
    #: layers kept in float (``recipes.layer_rules``).
    skip: tuple[str, ...] = ()
    stage: ClassVar[Stage] = "export"
    formats: ClassVar[frozenset[str]] = frozenset({"tflite"})
    needs_keras: ClassVar[bool] = False
    group: ClassVar[str] = "quantization"

    @property
    def token(self) -> str:
        return f"aeq-{self.scheme}" + skip_token(self.skip)

    @property
    def family(self) -> str:  # type: ignore[override]
        return SCHEMES[self.scheme][1]

    @property
    def integer_kernels(self) -> bool:  # type: ignore[override]
        return SCHEMES[self.scheme][2]

    @property
    def uses_calibration(self) -> bool:  # type: ignore[override]
        return SCHEMES[self.scheme][3]

    @property
    def bits(self) -> int | None:
        return 8

    def sensitivity_layers(self, float_file: Path) -> list[tuple[str, int]]:
        """The layers a per-layer sensitivity analysis varies: the weights of the float
        ``.tflite`` (``recipes.layer_rules``)."""
        from edgebench.recipes.layer_rules import tflite_weight_layers

        return tflite_weight_layers(float_file)

    def keeping_float(self, layers: Iterable[str]) -> EdgeQuantizer:
        """This step with exactly ``layers`` kept in float (``-skip=``)."""
        return replace(self, skip=tuple(sorted(layers)))

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "scheme": f"ai-edge-quantizer {SCHEMES[self.scheme][0]}",
            "skip": list(self.skip),
        }

    def export(
        self, model: Any, artifact_format: str, out_path: Path, context: BuildContext
    ) -> dict[str, Any]:
        """Quantize the float ``.tflite`` with the scheme's recipe (calibrated for int8), in
        a process of its own (the quantizer's native parts stay out of the run's process,
        and a crash there fails this row with its reason)."""
        import numpy as np

        _quantizer()  # installed, or the one-line reason here
        source = context.float_file("tflite")
        scratch = out_path.with_name("aeq-scratch")
        scratch.mkdir(exist_ok=True)
        signed = None
        calibration_count = None
        float_tensors = []
        if self.skip:
            float_tensors = matched(_tensor_names(source), self.skip, source.name)
        arguments = [str(source), str(out_path), self.scheme, json.dumps(list(self.skip))]
        if self.uses_calibration:
            signed = with_signature(source, scratch / "signed.tflite")
            arguments[0] = str(signed or source)
            signature, input_name, shape = _signature_input(Path(arguments[0]))
            samples = context.calibration_inputs(context.fixed_input_shape(shape))
            calibration_count = len(samples)
            np.save(scratch / "calibration.npy", samples.astype(np.float32), allow_pickle=False)
            arguments += [str(scratch / "calibration.npy"), signature, input_name]
        try:
            _quantize_apart(arguments, self.token)
        finally:
            import shutil

            shutil.rmtree(scratch, ignore_errors=True)
        from edgebench.provenance import package_versions

        version = package_versions(("ai-edge-quantizer",)).get("ai-edge-quantizer")
        meta: dict[str, Any] = {
            "quantizer": f"ai-edge-quantizer {version}",
            "calibration_samples": calibration_count,
        }
        if signed is not None:
            meta["signature"] = "added (serving_default: the subgraph's inputs and outputs)"
        if self.skip:
            meta["float_tensors"] = float_tensors
        return meta


def _quantize_apart(arguments: list[str], token: str) -> None:
    """``python -m edgebench.recipes.aeq SRC DST SCHEME SKIP_JSON [CALIBRATION.npy SIGNATURE INPUT]``
    (``artifacts.convert.run_apart``); ``ConversionError`` with the quantizer's reason."""
    from edgebench.artifacts.convert import run_apart

    run_apart("edgebench.recipes.aeq", arguments, f"AI Edge Quantizer refused the model ({token})")


def _tensor_names(path: Path) -> list[str]:
    """The names of the tensors of a ``.tflite`` file (operators are named by their outputs)."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    names = [str(detail["name"]) for detail in interpreter.get_tensor_details()]
    del interpreter
    return names


def recipe_with_float_layers(recipe: list[dict[str, Any]], skip: list[str]) -> list[dict[str, Any]]:
    """The quantizer's ``recipe`` with a ``no_quantize`` entry for every operator whose name
    holds one of the ``skip`` layers (later entries win in AI Edge Quantizer's recipe).

    >>> recipe_with_float_layers([{"regex": ".*"}], ["conv1"])[1]["algorithm_key"]
    'no_quantize'
    """
    return [
        *recipe,
        *(
            {"regex": component_regex(rule), "operation": "*", "algorithm_key": "no_quantize"}
            for rule in skip
        ),
    ]


def _quantize_here(source: str, target: str, scheme: str, skip: str, *calibration: str) -> None:
    """The quantization itself (the child process of :func:`_quantize_apart`; its stdout
    is kept apart by ``child_main``)."""
    import numpy as np

    quantizer, recipes = _quantizer()
    qt = quantizer.Quantizer(source)
    recipe = getattr(recipes, SCHEMES[scheme][0])()
    qt.load_quantization_recipe(recipe_with_float_layers(list(recipe), json.loads(skip)))
    result = None
    if calibration:
        samples_path, signature, input_name = calibration
        samples = np.load(samples_path, allow_pickle=False)
        data = {signature: [{input_name: s[None].astype("float32")} for s in samples]}
        result = qt.calibrate(data, num_threads=1)
    quantized = qt.quantize(result, enable_progress_bar=False, enable_progress_report=False)
    quantized.export_model(target, overwrite=True)


def _main(argv: list[str]) -> int:
    from edgebench.artifacts.convert import child_main

    return child_main(
        len(argv) in (4, 7) and argv[2] in SCHEMES,
        "python -m edgebench.recipes.aeq SRC DST SCHEME SKIP_JSON [CALIB SIG INPUT]",
        lambda: _quantize_here(*argv),
    )


def with_signature(source: Path, target: Path) -> Path | None:
    """A copy of a ``.tflite`` that has no signature (MediaPipe's and many vendors' files),
    with one: ``serving_default`` over its single subgraph's inputs and outputs, the key AI
    Edge Quantizer calibrates by. ``None`` when the file has a signature already, or more
    than one subgraph (which then fails in calibration with the quantizer's reason)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    data = source.read_bytes()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    if model.signatureDefs or len(model.subgraphs or []) != 1:
        return None
    graph = model.subgraphs[0]

    def tensor_map(index: int) -> Any:
        entry = schema.TensorMapT()
        entry.name, entry.tensorIndex = graph.tensors[index].name, index
        return entry

    signature = schema.SignatureDefT()
    signature.signatureKey, signature.subgraphIndex = b"serving_default", 0
    signature.inputs = [tensor_map(int(i)) for i in graph.inputs]
    signature.outputs = [tensor_map(int(i)) for i in graph.outputs]
    model.signatureDefs = [signature]
    builder = flatbuffers.Builder(len(data) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    target.write_bytes(bytes(builder.Output()))
    return target


def _signature_input(path: Path) -> tuple[str, str, tuple[int | None, ...]]:
    """The model's signature key, its single input's name and per-sample shape."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    signatures = interpreter.get_signature_list()
    if not signatures:
        raise ConversionError(
            f"{path.name} has no signature; AI Edge Quantizer calibrates by signature"
        )
    key = next(iter(signatures))
    inputs = signatures[key]["inputs"]
    if len(inputs) != 1:
        raise ConversionError(f"calibration needs a model with one input, found {len(inputs)}")
    # the model has one input: its details without a signature runner (a runner that the
    # garbage collector frees after its interpreter crashes the process)
    details = interpreter.get_input_details()[0]
    dims = tuple(int(d) if d > 0 else None for d in details["shape_signature"][1:])
    del interpreter
    return key, inputs[0], dims


AEQ_QUANTIZATION = (
    StepKind(
        name="aeq",
        pattern=re.compile(r"aeq-(dyn8|w8|int8)" + SKIP_SUFFIX),
        parse=lambda m: EdgeQuantizer(m[1], parse_skip(m[2])),
        help="AI Edge Quantizer on the float .tflite: dyn8 (dynamic range), w8 (weight-only), "
        "int8 (static, calibrated); -skip=LAYER,... keeps layers in float (no_quantize)",
        example="aeq-int8",
    ),
)


if __name__ == "__main__":
    import sys

    sys.exit(_main(sys.argv[1:]))

"""ONNX Runtime quantization (``onnxruntime.quantization``, after ``quant_pre_process``).

- ``ort-dyn`` / ``ort-dyn-u8``: ``quantize_dynamic`` with int8 (default) or uint8 weights.
- ``ort-qdq[-METHOD][-pc][-rr][-skip=LAYERS]`` and ``ort-qop[...]``: ``quantize_static``
  in QDQ or QOperator format, calibrated on ``--calibration-samples`` training images with
  METHOD ``minmax`` (default, omitted from the id), ``entropy`` or ``percentile``;
  ``-pc`` quantizes weights per channel, ``-rr`` uses reduced range (7-bit) weights;
  ``-skip=`` keeps the named layers in float (``nodes_to_exclude``: the operators whose
  names hold them, ``recipes.layer_rules``), a mixed-precision variant.

These steps start from the float ONNX model, so they also apply to a user's ``.onnx`` file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from edgebench.artifacts.onnx_graph import onnx_input
from edgebench.errors import ConversionError
from edgebench.recipes.core import BuildContext, Stage, Step, StepKind
from edgebench.recipes.layer_rules import SKIP_SUFFIX, matched, parse_skip, skip_token

CALIBRATION_METHODS: tuple[str, ...] = ("minmax", "entropy", "percentile")


#: operators that only a quantized model holds.
_QUANTIZED_OPS = frozenset(
    {"DequantizeLinear", "QuantizeLinear", "QLinearConv", "QLinearMatMul", "ConvInteger",
     "MatMulInteger", "DynamicQuantizeLinear"}
)  # fmt: skip


#: the opset per-channel QDQ needs (DequantizeLinear's ``axis`` came with opset 13).
PER_CHANNEL_OPSET = 13


def _default_opset(model: Any) -> int:
    return max((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), default=0)


def _preprocess(source: Path, target: Path, min_opset: int = 0) -> Path:
    """``quant_pre_process`` (shape inference + graph optimisation); falls back to the source.
    Weights stored as ``Constant`` nodes become initializers first, and a model below
    ``min_opset`` is converted up to it (``onnx.version_converter``; per-channel QDQ on
    an opset-12 model otherwise builds a file ONNX Runtime refuses).

    It runs with the working folder set to ``target``'s (a temporary folder): when its
    symbolic shape inference is incomplete, ONNX Runtime saves ``sym_shape_infer_temp.onnx``
    into the current folder, which would be the user's."""
    import onnx
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from edgebench.artifacts.onnx_graph import constants_to_initializers

    model = onnx.load(str(source))
    quantized = sorted({n.op_type for n in model.graph.node if n.op_type in _QUANTIZED_OPS})
    if quantized:
        raise ConversionError(
            f"the ONNX model is already quantized (it has {', '.join(quantized)} nodes); "
            "ONNX Runtime's quantizers start from float weights"
        )
    changed = constants_to_initializers(model)  # weights as Constant nodes: where quantizers look
    if _default_opset(model) < min_opset:
        from onnx import version_converter

        try:
            model = version_converter.convert_version(model, min_opset)
        except Exception as exc:  # noqa: BLE001 - the converter's reason, in one line
            raise ConversionError(
                f"the model is opset {_default_opset(model)}, and raising it to {min_opset} "
                f"(which per-channel quantization needs) failed: {str(exc)[:300]}"
            ) from exc
        changed = True
    if changed:
        source = target.with_name("initializers.onnx")
        onnx.save(model, str(source))
    try:
        with _working_folder(target.parent):
            quant_pre_process(str(source.resolve()), str(target.resolve()))
    except Exception:  # noqa: BLE001 - pre-processing is an optimisation; quantize the plain model
        return source
    return target


@contextlib.contextmanager
def _working_folder(folder: Path) -> Iterator[None]:
    """Run the body with ``folder`` as the current folder (the build is single-threaded)."""
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


class _Reader:
    """Feeds calibration samples one at a time (an ORT ``CalibrationDataReader``)."""

    def __init__(self, name: str, samples: np.ndarray) -> None:
        self._items = iter([{name: sample[None].astype(np.float32)} for sample in samples])

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._items, None)

    def rewind(self) -> None:  # pragma: no cover - not used by minmax/entropy/percentile
        raise NotImplementedError


@dataclass(frozen=True)
class OrtDynamic(Step):
    """``quantize_dynamic``: weights to 8 bits, activations quantized at run time."""

    weight_type: str = "s8"

    stage: ClassVar[Stage] = "export"
    formats: ClassVar[frozenset[str]] = frozenset({"onnx"})
    family: ClassVar[str] = "ort-dyn"
    group: ClassVar[str] = "quantization"
    integer_kernels: ClassVar[bool] = True
    needs_keras: ClassVar[bool] = False

    @property
    def token(self) -> str:
        return "ort-dyn" if self.weight_type == "s8" else f"ort-dyn-{self.weight_type}"

    @property
    def bits(self) -> int | None:
        return 8

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "scheme": "ort-dynamic", "weight_type": self.weight_type}

    def export(
        self, model: Any, artifact_format: str, out_path: Path, context: BuildContext
    ) -> dict[str, Any]:
        """Dynamic quantization of the float ONNX model (in a process of its own)."""
        context.log(f"ONNX Runtime dynamic quantization ({self.weight_type} weights)")
        _quantize_apart(
            ["dynamic", str(context.float_onnx()), str(out_path), self.weight_type],
            "quantize_dynamic",
        )
        return {}


@dataclass(frozen=True)
class OrtStatic(Step):
    """``quantize_static`` in QDQ or QOperator format."""

    quant_format: str  # "qdq" or "qop"
    method: str = "minmax"
    per_channel: bool = False
    reduce_range: bool = False
    #: layers kept in float (``recipes.layer_rules``).
    skip: tuple[str, ...] = ()

    stage: ClassVar[Stage] = "export"
    formats: ClassVar[frozenset[str]] = frozenset({"onnx"})
    needs_keras: ClassVar[bool] = False
    uses_calibration: ClassVar[bool] = True
    group: ClassVar[str] = "quantization"
    integer_kernels: ClassVar[bool] = True

    @property
    def token(self) -> str:
        parts = [f"ort-{self.quant_format}"]
        if self.method != "minmax":
            parts.append(self.method)
        if self.per_channel:
            parts.append("pc")
        if self.reduce_range:
            parts.append("rr")
        return "-".join(parts) + skip_token(self.skip)

    @property
    def family(self) -> str:  # type: ignore[override]
        return f"ort-{self.quant_format}"

    @property
    def bits(self) -> int | None:
        return 8

    def sensitivity_layers(self, float_file: Path) -> list[tuple[str, int]]:
        """The layers a per-layer sensitivity analysis varies: the weight-carrying
        operators of the float ``.onnx`` (``recipes.layer_rules``)."""
        from edgebench.recipes.layer_rules import onnx_weight_layers

        return onnx_weight_layers(float_file)

    def keeping_float(self, layers: Iterable[str]) -> OrtStatic:
        """This step with exactly ``layers`` kept in float (``-skip=``)."""
        return replace(self, skip=tuple(sorted(layers)))

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "scheme": f"ort-static-{self.quant_format}",
            "calibration_method": self.method,
            "per_channel": self.per_channel,
            "reduce_range": self.reduce_range,
            "skip": list(self.skip),
        }

    def export(
        self, model: Any, artifact_format: str, out_path: Path, context: BuildContext
    ) -> dict[str, Any]:
        """Static quantization of the float ONNX model, calibrated on training samples (in a
        process of its own; the samples are handed over as an ``.npy``)."""
        float_onnx = context.float_onnx()
        name, dynamic = onnx_input(float_onnx)
        shape = context.fixed_input_shape(dynamic)
        samples = context.calibration_inputs(shape)
        context.log(f"ONNX Runtime static quantization {self.token} on {len(samples)} samples")
        with tempfile.TemporaryDirectory() as tmp:
            calibration = Path(tmp) / "calibration.npy"
            np.save(calibration, np.asarray(samples, np.float32), allow_pickle=False)
            excluded = Path(tmp) / "excluded.json"
            _quantize_apart(
                ["static", str(float_onnx), str(out_path), name, str(calibration),
                 self.quant_format, self.method, str(int(self.per_channel)),
                 str(int(self.reduce_range)), json.dumps(list(self.skip)), str(excluded)],
                "quantize_static",
            )  # fmt: skip
            float_nodes = json.loads(excluded.read_text()) if self.skip else []
        meta: dict[str, Any] = {
            "calibration_samples": len(samples),
            "activation_type": "int8",
            "weight_type": "int8",
        }
        if self.skip:
            meta["float_nodes"] = float_nodes
        return meta


def _quantize_apart(arguments: list[str], tool: str) -> None:
    """``python -m edgebench.recipes.ort_quant ...`` (``artifacts.convert.run_apart``): ONNX
    Runtime's quantizers, its shape inference and onnx's version converter run in a process
    of their own (in the run's process, with TensorFlow and LiteRT beside them, they left
    objects that crashed the garbage collector later); their refusal is one line."""
    from edgebench.artifacts.convert import run_apart

    run_apart("edgebench.recipes.ort_quant", arguments, f"{tool} failed")


def quantize_here(arguments: list[str]) -> None:
    """The quantization itself (the child process of :func:`_quantize_apart`):
    ``dynamic SRC DST WEIGHT_TYPE`` or ``static SRC DST INPUT SAMPLES.npy FORMAT METHOD
    PER_CHANNEL REDUCE_RANGE SKIP_JSON EXCLUDED.json`` (the nodes the skip rules kept in
    float are written to ``EXCLUDED.json``)."""
    from onnxruntime.quantization import (
        CalibrationMethod,
        QuantFormat,
        QuantType,
        quantize_dynamic,
        quantize_static,
    )

    kind, source, target = arguments[:3]
    with tempfile.TemporaryDirectory() as tmp:
        if kind == "dynamic":
            ready = _preprocess(Path(source), Path(tmp) / "pre.onnx")
            weight = QuantType.QInt8 if arguments[3] == "s8" else QuantType.QUInt8
            quantize_dynamic(str(ready), target, weight_type=weight)
            return
        name, samples_path, quant_format, method, per_channel, reduce_range = arguments[3:9]
        rules, excluded_path = json.loads(arguments[9]), Path(arguments[10])
        methods = {
            "minmax": CalibrationMethod.MinMax,
            "entropy": CalibrationMethod.Entropy,
            "percentile": CalibrationMethod.Percentile,
        }
        channels = per_channel == "1"
        ready = _preprocess(
            Path(source), Path(tmp) / "pre.onnx", PER_CHANNEL_OPSET if channels else 0
        )
        excluded: list[str] = []
        if rules:
            import onnx

            names = [n.name for n in onnx.load(str(ready)).graph.node if n.name]
            excluded = matched(names, rules, "the ONNX model")
        excluded_path.write_text(json.dumps(excluded))
        quantize_static(
            str(ready),
            target,
            _Reader(name, np.load(samples_path, allow_pickle=False)),
            quant_format=QuantFormat.QDQ if quant_format == "qdq" else QuantFormat.QOperator,
            per_channel=channels,
            reduce_range=reduce_range == "1",
            calibrate_method=methods[method],
            nodes_to_exclude=excluded,
        )


def _main(argv: list[str]) -> int:
    from edgebench.artifacts.convert import child_main

    kind = argv[0] if argv else None
    return child_main(
        kind in ("dynamic", "static") and len(argv) == (4 if kind == "dynamic" else 11),
        "python -m edgebench.recipes.ort_quant dynamic|static SRC DST ...",
        lambda: quantize_here(argv),
    )


ORT_QUANTIZATION: tuple[StepKind, ...] = (
    StepKind(
        name="ort-dyn",
        pattern=re.compile(r"ort-dyn(?:-(s8|u8))?"),
        parse=lambda m: OrtDynamic(m[1] or "s8"),
        help="ONNX Runtime dynamic quantization; -u8 for uint8 weights",
        example="ort-dyn",
    ),
    StepKind(
        name="ort-static",
        pattern=re.compile(
            r"ort-(qdq|qop)(?:-(minmax|entropy|percentile))?(-pc)?(-rr)?" + SKIP_SUFFIX
        ),
        parse=lambda m: OrtStatic(m[1], m[2] or "minmax", bool(m[3]), bool(m[4]), parse_skip(m[5])),
        help="ONNX Runtime static quantization: QDQ or QOperator, calibration method, -pc per "
        "channel, -rr reduced range, -skip=LAYER,... keeps layers in float (nodes_to_exclude)",
        example="ort-qdq-entropy-pc",
    ),
)


if __name__ == "__main__":
    import sys

    sys.exit(_main(sys.argv[1:]))

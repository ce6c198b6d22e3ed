"""Artifacts: built model files and what can be read off them (sizes, parameters)."""

from __future__ import annotations

import gzip
import lzma
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgebench.artifacts.cache import file_sha256

# TFLite ops whose third input is a bias (int32 in integer models).
_TFLITE_BIAS_OPS = {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV", "CONV_3D"}
# TFLite TensorType -> numpy dtype, for the types weights come in.
_TFLITE_WEIGHT_TYPES = {
    0: np.float32,
    1: np.float16,
    2: np.int32,
    3: np.uint8,
    9: np.int8,
    7: np.int16,
    11: np.float64,
}
_ONNX_WEIGHT_TYPES = {1, 2, 3, 5, 6, 10, 11}  # float, uint8, int8, int16, int32, float16, double


@dataclass(frozen=True)
class WeightCount:
    """Parameters stored in an artifact: all weight elements, the nonzero ones, and a
    summary of each weight tensor of rank 2 or more (kernels)."""

    total: int
    nonzero: int
    tensors: tuple[dict[str, Any], ...] = ()


def _kernel_summary(name: str, values: np.ndarray, shape: tuple[int, ...]) -> dict[str, Any]:
    return {
        "name": name,
        "shape": list(shape),
        "zero_fraction": float(np.mean(values == 0)) if values.size else 0.0,
        "distinct": int(np.unique(values).size),
    }


@dataclass(frozen=True)
class Artifact:
    """A built model file for one format, with the facts the records report."""

    path: Path
    format: str  # "tflite" or "onnx"
    sha256: str
    file_bytes: int
    gzip_bytes: int
    lzma_bytes: int
    params_in_artifact: int | None
    nonzero_params: int | None
    source_params: int | None = None
    trainable_params: int | None = None
    macs: int | None = None
    build_seconds: float | None = None
    cache_hit: bool | None = None
    tool_versions: dict[str, str] = field(default_factory=dict)
    null_reasons: dict[str, str] = field(default_factory=dict)
    #: what each compression step did (scheme, bits, calibration, tensor statistics, ...).
    steps: list[dict[str, Any]] = field(default_factory=list)
    #: per kernel tensor in the file: name, shape, fraction of zeros, distinct values.
    weight_tensors: list[dict[str, Any]] = field(default_factory=list)
    #: how the zoo model was trained (budget and result; ``artifacts.budget``), else ``None``.
    training: dict[str, Any] | str | None = None
    #: what turns the model's outputs into its task's input (``tasks.adapters``), if anything.
    output_adapter: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for the run JSON."""
        data = asdict(self)
        data["path"] = str(self.path)
        return data


def compressed_sizes(data: bytes) -> tuple[int, int]:
    """gzip (level 9) and lzma (xz preset 9, 7-zip's algorithm) sizes of ``data``."""
    return len(gzip.compress(data, compresslevel=9, mtime=0)), len(lzma.compress(data, preset=9))


def tflite_schema() -> Any:
    """The TFLite flatbuffer schema module (from ai_edge_litert, else TensorFlow)."""
    try:
        from ai_edge_litert import schema_py_generated
    except ImportError:
        from edgebench.frameworks.keras.tfcompat import import_tensorflow

        import_tensorflow()
        from tensorflow.lite.python import schema_py_generated  # type: ignore[no-redef]
    return schema_py_generated


def enum_names(enum: Any) -> dict[int, str]:
    """Value -> name of a flatbuffer schema enum (``BuiltinOperator``, ``TensorType``)."""
    return {v: k for k, v in vars(enum).items() if not k.startswith("_")}


def builtin_code(model: Any, op: Any) -> int:
    """An operator's builtin code (new schemas keep small codes in the deprecated field)."""
    code = model.OperatorCodes(op.OpcodeIndex())
    return max(code.BuiltinCode(), code.DeprecatedBuiltinCode())


def tflite_weight_count(data: bytes) -> WeightCount:
    """Count the weight elements of a ``.tflite`` flatbuffer.

    Weights are constant tensors of float or 8/16-bit integer type, plus the int32
    biases of convolution and fully connected ops; int32/int64 shape constants are
    not parameters. A buffer shared by several tensors counts once.
    """
    schema = tflite_schema()
    model = schema.Model.GetRootAs(data, 0)
    op_names = enum_names(schema.BuiltinOperator)
    seen_buffers: set[int] = set()
    total = nonzero = 0
    kernels: list[dict[str, Any]] = []
    for s in range(model.SubgraphsLength()):
        graph = model.Subgraphs(s)
        bias_tensors: set[int] = set()
        for o in range(graph.OperatorsLength()):
            op = graph.Operators(o)
            if op_names.get(builtin_code(model, op)) in _TFLITE_BIAS_OPS and op.InputsLength() > 2:
                bias_tensors.add(int(op.Inputs(2)))
        for t in range(graph.TensorsLength()):
            tensor = graph.Tensors(t)
            index = tensor.Buffer()
            dtype = _TFLITE_WEIGHT_TYPES.get(tensor.Type())
            if index == 0 or index in seen_buffers or dtype is None:
                continue
            if dtype == np.int32 and t not in bias_tensors:
                continue
            buffer = model.Buffers(index)
            if buffer.Offset() > 1:
                raw = data[buffer.Offset() : buffer.Offset() + buffer.Size()]
            elif buffer.DataLength() > 0:
                raw = buffer.DataAsNumpy().tobytes()
            else:
                continue
            seen_buffers.add(index)
            values = np.frombuffer(raw, dtype=dtype)
            total += int(values.size)
            nonzero += int(np.count_nonzero(values))
            shape = tuple(int(d) for d in tensor.ShapeAsNumpy()) if tensor.ShapeLength() else ()
            if len(shape) >= 2:
                kernels.append(_kernel_summary(tensor.Name().decode(), values, shape))
    return WeightCount(total, nonzero, tuple(kernels))


def onnx_weight_count(path: Path) -> WeightCount:
    """Count the weight elements of an ``.onnx`` model (initializers of weight types, no
    scalars; weights an exporter stored as ``Constant`` nodes counted as initializers)."""
    import onnx
    from onnx import numpy_helper

    from edgebench.artifacts.onnx_graph import constants_to_initializers

    model = onnx.load(str(path))
    constants_to_initializers(model)
    total = nonzero = 0
    kernels: list[dict[str, Any]] = []
    for initializer in model.graph.initializer:
        if initializer.data_type not in _ONNX_WEIGHT_TYPES:
            continue
        values = numpy_helper.to_array(initializer)
        if values.size <= 1:
            continue
        total += int(values.size)
        nonzero += int(np.count_nonzero(values))
        if values.ndim >= 2:
            kernels.append(_kernel_summary(initializer.name, values.ravel(), values.shape))
    return WeightCount(total, nonzero, tuple(kernels))


def tflite_file_weight_count(path: Path) -> WeightCount:
    """:func:`tflite_weight_count` of the file at ``path``."""
    return tflite_weight_count(path.read_bytes())


def weight_count(path: Path, artifact_format: str) -> WeightCount:
    """Count weights of an artifact file of ``artifact_format`` (the format's ``weights``
    function, ``formats.registry``)."""
    from edgebench.formats import format_spec

    count = format_spec(artifact_format).function("weights")
    if count is None:
        raise ValueError(f"the {artifact_format} format declares no weight counter")
    return count(path)


def read_facts(path: Path, artifact_format: str) -> dict[str, Any]:
    """What is slow to read off an artifact file (compressed sizes, weight counts), as
    JSON the cache stores beside the file, so a warm run does not compress it again."""
    data = path.read_bytes()
    gzip_bytes, lzma_bytes = compressed_sizes(data)
    facts: dict[str, Any] = {"gzip_bytes": gzip_bytes, "lzma_bytes": lzma_bytes}
    try:
        counts = weight_count(path, artifact_format)
        facts["weights"] = {
            "total": counts.total,
            "nonzero": counts.nonzero,
            "tensors": list(counts.tensors),
        }
    except Exception as exc:  # noqa: BLE001 - counting is best effort; say why it failed
        facts["weights_error"] = f"cannot count weights in {path.name}: {type(exc).__name__}: {exc}"
    return facts


def describe_artifact(
    path: Path,
    artifact_format: str,
    *,
    source_params: int | None = None,
    build_seconds: float | None = None,
    cache_hit: bool | None = None,
    tool_versions: dict[str, str] | None = None,
    facts: dict[str, Any] | None = None,
) -> Artifact:
    """Read sizes, hash and weight counts off an artifact file (``facts``: what
    :func:`read_facts` returned for it when it was built)."""
    if facts is None:
        facts = read_facts(path, artifact_format)
    reasons: dict[str, str] = {}
    weights = facts.get("weights")
    counts: WeightCount | None = None
    if weights is not None:
        counts = WeightCount(weights["total"], weights["nonzero"], tuple(weights["tensors"]))
    else:
        reason = str(facts.get("weights_error", "weights were not counted"))
        reasons.update(params_in_artifact=reason, nonzero_params=reason)
    if source_params is None:
        reasons["source_params"] = (
            "the source is a converted file; its own parameter count is unknown"
        )
    return Artifact(
        path=path,
        format=artifact_format,
        sha256=file_sha256(path),
        file_bytes=path.stat().st_size,
        gzip_bytes=int(facts["gzip_bytes"]),
        lzma_bytes=int(facts["lzma_bytes"]),
        params_in_artifact=None if counts is None else counts.total,
        nonzero_params=None if counts is None else counts.nonzero,
        weight_tensors=[] if counts is None else list(counts.tensors),
        source_params=source_params,
        build_seconds=build_seconds,
        cache_hit=cache_hit,
        tool_versions=dict(tool_versions or {}),
        null_reasons=reasons,
    )

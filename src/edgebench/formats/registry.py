"""Artifact formats and exporters by name: built-ins (``tflite``, ``onnx``; Keras and
PyTorch to each), the ``edgebench.formats`` and ``edgebench.exporters`` entry point groups, and
registrations made in this process.

Example (a conftest that adds a format, its exporter from Keras, and a runtime for it)::

    from edgebench.formats import ArtifactFormat, Exporter, register_exporter, register_format

    register_format(ArtifactFormat("tflite.gz", ".tflite.gz", weights="toy_gz:weights"))
    register_exporter(Exporter("keras->tflite.gz", "keras", "tflite.gz", "toy_gz:export"))
    # a runtime whose spec says artifact_format="tflite.gz" now gets rows of that format
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgebench.errors import ConversionError
from edgebench.registry import Registry, import_path


@dataclass(frozen=True)
class ArtifactFormat:
    """A format artifacts are written in. Each function is ``"module:attribute"``:

    - ``weights(path) -> WeightCount`` (``artifacts.artifact``): the weights in a file, for
      the parameter and sparsity columns (empty: not counted, the fields null with why);
    - ``metadata(path) -> {"task": ..., "output_adapter": ...}``: what a file declares;
    - ``inspect(path) -> [cause, ...]``: causes of a slowdown read off the graph, for the
      findings (operators the float model does not run, ...);
    - ``verify(path)``: load a built file once with its runtime, ``ConversionError`` with
      the runtime's reason when it refuses it (the row fails at build time).
    """

    name: str
    suffix: str
    description: str = ""
    weights: str = ""
    metadata: str = ""
    inspect: str = ""
    verify: str = ""

    def function(self, role: str) -> Callable[..., Any] | None:
        """The ``weights``, ``metadata`` or ``inspect`` function, ``None`` when not given."""
        path = getattr(self, role)
        return import_path(path, f"artifact format {self.name!r} {role}") if path else None


@dataclass(frozen=True)
class Exporter:
    """Writes a ``framework`` model (``keras``, ``torch``) or a file of another artifact
    format (``tflite``, ``onnx``: called as ``factory(source_path, out_path, context)``,
    ``context`` the ``recipes.BuildContext`` that settles the input shape) as ``format``:
    ``factory`` is
    ``"module:attribute"``, called by the framework (``frameworks/*/adapter.py``) as
    ``factory(model, out_path)`` for Keras and ``factory(module, input_shape, out_path)``
    for PyTorch (NHWC ``input_shape``); it returns what ran (or ``None``) and raises
    ``ConversionError`` with the converter's reason when it refuses the model."""

    name: str
    framework: str
    format: str
    factory: str
    description: str = ""

    def load_factory(self) -> Callable[[Any, Path], None]:
        """Import the factory (``UsageError`` naming the exporter if it cannot)."""
        return import_path(self.factory, f"exporter {self.name!r}")


_C = "edgebench.artifacts.convert"
_A = "edgebench.artifacts.artifact"
_M = "edgebench.artifacts.metadata"
_F = "edgebench.report.findings"
_T = "edgebench.frameworks.pytorch.export"
_V = "edgebench.artifacts.verify"
BUILTIN_FORMATS: tuple[ArtifactFormat, ...] = (
    ArtifactFormat(
        "tflite",
        ".tflite",
        "a TFLite flatbuffer (LiteRT)",
        weights=f"{_A}:tflite_file_weight_count",
        metadata=f"{_M}:tflite_metadata",
        inspect=f"{_F}:tflite_file_causes",
        verify=f"{_V}:tflite_loads",
    ),
    ArtifactFormat(
        "onnx",
        ".onnx",
        "an ONNX model (ONNX Runtime)",
        weights=f"{_A}:onnx_weight_count",
        metadata=f"{_M}:onnx_metadata",
        inspect=f"{_F}:onnx_file_causes",
        verify=f"{_V}:onnx_loads",
    ),
)
BUILTIN_EXPORTERS: tuple[Exporter, ...] = (
    Exporter("keras->tflite", "keras", "tflite", f"{_C}:keras_to_tflite", "TFLiteConverter"),
    Exporter("keras->onnx", "keras", "onnx", f"{_C}:keras_to_onnx", "tf2onnx"),
    Exporter("tflite->onnx", "tflite", "onnx", f"{_C}:tflite_to_onnx", "tf2onnx reads .tflite"),
    Exporter(
        "onnx->tflite", "onnx", "tflite", f"{_C}:onnx_to_tflite", "onnx2tf, input layout kept"
    ),
    Exporter("torch->onnx", "torch", "onnx", f"{_T}:export_onnx", "torch.onnx.export, NHWC"),
    Exporter("torch->tflite", "torch", "tflite", f"{_T}:export_tflite", "litert-torch, NHWC"),
)

FORMATS: Registry[ArtifactFormat] = Registry(
    "artifact format", "edgebench.formats", BUILTIN_FORMATS, ArtifactFormat
)
EXPORTERS: Registry[Exporter] = Registry(
    "exporter", "edgebench.exporters", BUILTIN_EXPORTERS, Exporter
)


def register_format(spec: ArtifactFormat) -> None:
    """Register ``spec`` in this process (packages can use the entry point instead)."""
    FORMATS.register(spec)


def unregister_format(name: str) -> None:
    """Remove a format registered with :func:`register_format` (for tests)."""
    FORMATS.unregister(name)


def register_exporter(spec: Exporter) -> None:
    """Register ``spec`` in this process (packages can use the entry point instead)."""
    EXPORTERS.register(spec)


def unregister_exporter(name: str) -> None:
    """Remove an exporter registered with :func:`register_exporter` (for tests)."""
    EXPORTERS.unregister(name)


def format_names() -> tuple[str, ...]:
    """Every known artifact format, built-ins first."""
    return FORMATS.names()


def format_spec(name: str) -> ArtifactFormat:
    """The format ``name``; an unknown name is a ``UsageError`` listing the known ones."""
    return FORMATS.get(name)


def formats_written_by(framework: str) -> tuple[str, ...]:
    """The artifact formats some exporter writes a ``framework`` model as."""
    return tuple(
        dict.fromkeys(s.format for s in EXPORTERS.specs().values() if s.framework == framework)
    )


def exporter_for(framework: str, artifact_format: str) -> Exporter:
    """The exporter that writes a ``framework`` model as ``artifact_format``;
    ``ConversionError`` naming what exists when there is none."""
    for spec in EXPORTERS.specs().values():
        if spec.framework == framework and spec.format == artifact_format:
            return spec
    known = ", ".join(EXPORTERS.names())
    raise ConversionError(
        f"no exporter writes a {framework} model as {artifact_format} (exporters: {known})"
    )

"""Artifact formats and the exporters that write them: a new format (an ``.mnn``, a
compressed ``.tflite``) is one module plus an :class:`ArtifactFormat` and an
:class:`Exporter` registration; a runtime that reads it names it as its
``artifact_format``."""

from __future__ import annotations

from edgebench.formats.registry import (
    ArtifactFormat,
    Exporter,
    exporter_for,
    format_names,
    format_spec,
    formats_written_by,
    register_exporter,
    register_format,
    unregister_exporter,
    unregister_format,
)

__all__ = [
    "ArtifactFormat",
    "Exporter",
    "exporter_for",
    "format_names",
    "format_spec",
    "formats_written_by",
    "register_exporter",
    "register_format",
    "unregister_exporter",
    "unregister_format",
]

"""Runtimes: LiteRT (TFLite) and ONNX Runtime behind one small interface, by name through
the registry (``registry.py``); a new runtime is one module plus a ``RuntimeSpec``."""

from __future__ import annotations

from edgebench.runtimes.base import InferenceSession, Runtime, RuntimeInfo
from edgebench.runtimes.registry import (
    DEFAULT_PROVIDER,
    RuntimeSpec,
    artifact_format,
    make_runtime,
    register_runtime,
    runtime_names,
    runtime_spec,
)

__all__ = [
    "DEFAULT_PROVIDER",
    "InferenceSession",
    "Runtime",
    "RuntimeInfo",
    "RuntimeSpec",
    "artifact_format",
    "make_runtime",
    "register_runtime",
    "runtime_names",
    "runtime_spec",
]

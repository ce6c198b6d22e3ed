"""Runtimes: LiteRT (TFLite) and ONNX Runtime, behind one small interface."""

from __future__ import annotations

from edgebench.errors import UsageError
from edgebench.runtimes.base import InferenceSession, Runtime, RuntimeInfo
from edgebench.runtimes.litert import LiteRTRuntime
from edgebench.runtimes.onnxrt import DEFAULT_PROVIDER, OnnxRuntime

RUNTIME_NAMES: tuple[str, ...] = ("litert", "onnxruntime")


def make_runtime(name: str, onnx_provider: str = DEFAULT_PROVIDER) -> Runtime:
    """The runtime called ``name``."""
    if name == "litert":
        return LiteRTRuntime()
    if name == "onnxruntime":
        return OnnxRuntime(onnx_provider)
    raise UsageError(f"unknown runtime {name!r}; known: {', '.join(RUNTIME_NAMES)}")


__all__ = [
    "DEFAULT_PROVIDER",
    "RUNTIME_NAMES",
    "InferenceSession",
    "LiteRTRuntime",
    "OnnxRuntime",
    "Runtime",
    "RuntimeInfo",
    "make_runtime",
]

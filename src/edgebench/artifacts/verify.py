"""A built file is loaded once by its runtime before it is trusted: one the runtime
refuses (a quantizer's graph ONNX Runtime calls INVALID_GRAPH, a flatbuffer LiteRT cannot
allocate) fails its rows at build time with the runtime's own reason, instead of being
cached and failing every row that runs it."""

from __future__ import annotations

from pathlib import Path

from edgebench.errors import ConversionError


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0][:400]}" if text else type(exc).__name__


def onnx_loads(path: Path) -> None:
    """ONNX Runtime builds a CPU session of the file."""
    try:
        import onnxruntime as ort
    except ImportError:  # the runtime is not installed here: its rows say so later
        return
    options = ort.SessionOptions()
    options.log_severity_level = 3
    try:
        ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # noqa: BLE001 - the runtime's own reason, reworded
        raise ConversionError(f"ONNX Runtime refuses the built file: {_first_line(exc)}") from exc


def tflite_loads(path: Path) -> None:
    """LiteRT's interpreter loads the file and allocates its tensors."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        return
    try:
        Interpreter(model_path=str(path)).allocate_tensors()
    except Exception as exc:  # noqa: BLE001 - the runtime's own reason, reworded
        raise ConversionError(f"LiteRT refuses the built file: {_first_line(exc)}") from exc

"""Conversion of Keras models to ``.tflite`` (TFLiteConverter) and ``.onnx`` (tf2onnx), and
of a user's ``.tflite`` file to ``.onnx`` (tf2onnx)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from edgebench.errors import ConversionError
from edgebench.frameworks.keras.tfcompat import import_tensorflow

ONNX_OPSET = 17
#: seconds a conversion in a process of its own may take.
CONVERT_TIMEOUT_S = 900


def short_converter_message(exc: BaseException, limit: int = 600) -> str:
    """The lines of a converter's error that matter: errors and ops, not stack frames."""
    text = str(exc) or type(exc).__name__
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    wanted = [
        line
        for line in lines
        if re.search(r"error|not supported|unsupported|failed|op|cannot", line, re.IGNORECASE)
        and not line.startswith(("File ", "at ", "Traceback"))
    ]
    message = " | ".join(dict.fromkeys(wanted or lines[-3:]))
    return message[:limit] + ("..." if len(message) > limit else "")


def keras_to_tflite(model: Any, out_path: Path, configure: Any = None) -> None:
    """Convert a Keras model to ``out_path`` with TFLiteConverter.

    ``configure``, if given, is called with the converter before ``convert()`` (the
    quantization recipes set optimizations and representative datasets there).
    """
    tf = import_tensorflow()
    try:
        converter = tf.lite.TFLiteConverter.from_keras_model(model)
        if configure is not None:
            configure(converter)
        flatbuffer = converter.convert()
    except Exception as exc:  # noqa: BLE001 - the converter raises many types
        raise ConversionError(
            f"TFLiteConverter refused the model: {short_converter_message(exc)}"
        ) from exc
    out_path.write_bytes(flatbuffer)


def keras_to_onnx(model: Any, out_path: Path, opset: int = ONNX_OPSET) -> None:
    """Convert a Keras model to ``out_path`` with tf2onnx (dynamic batch dimension)."""
    tf = import_tensorflow()
    try:
        import tf2onnx
    except ImportError as exc:
        raise ConversionError(
            f'tf2onnx is needed for ONNX export: pip install "edgebench[tf]" ({exc})'
        ) from exc
    shape = (None, *tuple(model.inputs[0].shape[1:]))
    signature = (tf.TensorSpec(shape, model.inputs[0].dtype, name="input"),)
    try:
        tf2onnx.convert.from_keras(
            model, input_signature=signature, opset=opset, output_path=str(out_path)
        )
    except Exception as exc:  # noqa: BLE001 - tf2onnx raises many types
        raise ConversionError(f"tf2onnx refused the model: {short_converter_message(exc)}") from exc


def tflite_to_onnx(source: Path, out_path: Path, opset: int = ONNX_OPSET) -> dict[str, Any]:
    """A user's ``.tflite`` file converted to ``.onnx`` by tf2onnx (it reads flatbuffers),
    in a process of its own: a file that crashes the flatbuffer reader (a corrupt or
    hostile one) fails its rows with the reason instead of taking the run down. The
    converter's refusal is a ``ConversionError`` with its reason."""
    import json
    import subprocess
    import sys

    command = [sys.executable, "-m", "edgebench.artifacts.convert", "tflite-to-onnx"]
    try:
        done = subprocess.run(
            [*command, str(source), str(out_path), str(opset)],
            capture_output=True,
            text=True,
            timeout=CONVERT_TIMEOUT_S,
        )
    except subprocess.TimeoutExpired as exc:
        raise ConversionError(
            f"tf2onnx did not convert {source.name} within {CONVERT_TIMEOUT_S} s"
        ) from exc
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1][:600] if lines else f"exit status {done.returncode}"
        if done.returncode < 0:
            reason = f"the converter crashed (signal {-done.returncode}); {reason}"
        raise ConversionError(f"tf2onnx refused {source.name}: {reason}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _tflite_to_onnx_here(source: Path, out_path: Path, opset: int) -> dict[str, Any]:
    """:func:`tflite_to_onnx` in this process (the converter's own process)."""
    try:
        import tf2onnx
    except ImportError as exc:
        raise ConversionError(
            f'tf2onnx converts .tflite files to .onnx: pip install "edgebench[tf]" ({exc})'
        ) from exc
    try:
        tf2onnx.convert.from_tflite(str(source), opset=opset, output_path=str(out_path))
    except Exception as exc:  # noqa: BLE001 - tf2onnx raises many types
        raise ConversionError(short_converter_message(exc)) from exc
    return {"step": "convert", "converter": f"tf2onnx {tf2onnx.__version__}", "opset": opset}


def _main(argv: list[str]) -> int:
    """``python -m edgebench.artifacts.convert tflite-to-onnx SRC DST OPSET``: one
    conversion; what ran as JSON on stdout, or the reason on stderr (exit 2)."""
    import contextlib
    import io
    import json
    import sys

    if len(argv) != 4 or argv[0] != "tflite-to-onnx":
        print(
            "usage: python -m edgebench.artifacts.convert tflite-to-onnx SRC DST OPSET",
            file=sys.stderr,
        )
        return 2
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            meta = _tflite_to_onnx_here(Path(argv[1]), Path(argv[2]), int(argv[3]))
    except ConversionError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(json.dumps(meta))
    return 0


def export_float(model: Any, artifact_format: str, out_path: Path) -> None:
    """Export a float Keras model as ``artifact_format`` (the registered Keras exporter of
    that format, ``formats.registry``)."""
    from edgebench.formats import exporter_for

    exporter_for("keras", artifact_format).load_factory()(model, out_path)


if __name__ == "__main__":
    import sys

    sys.exit(_main(sys.argv[1:]))

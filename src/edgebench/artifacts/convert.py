"""Conversion of Keras models to ``.tflite`` (TFLiteConverter) and ``.onnx`` (tf2onnx), of a
user's ``.tflite`` file to ``.onnx`` (tf2onnx) and of a user's ``.onnx`` to ``.tflite``
(onnx2tf)."""

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


def run_apart(
    module: str, args: list[str], refused: str, timeout: float = CONVERT_TIMEOUT_S
) -> str:
    """Run ``python -m MODULE ARGS...`` in a process of its own and return what it printed:
    a file that crashes a converter or quantizer (a corrupt or hostile one, or a tool's
    own bug) fails its rows with the reason instead of taking the run down. A non-zero exit
    is a ``ConversionError`` ``"<refused>: <the child's last stderr line>"`` (the signal
    when it crashed); running past ``timeout`` seconds is one too."""
    import subprocess
    import sys

    try:
        done = subprocess.run(
            [sys.executable, "-m", module, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as exc:
        raise ConversionError(f"{refused}: it did not finish within {timeout:g} s") from exc
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        reason = lines[-1][:600] if lines else f"exit status {done.returncode}"
        if done.returncode < 0:
            reason = f"it crashed (signal {-done.returncode}); {reason}"
        raise ConversionError(f"{refused}: {reason}")
    return done.stdout


def _convert_apart(
    command: str, source: Path, out_path: Path, tool: str, *args: str
) -> dict[str, Any]:
    """``python -m edgebench.artifacts.convert COMMAND SRC DST ARGS...`` through
    :func:`run_apart`; what ran is the JSON the child printed."""
    import json

    printed = run_apart(
        "edgebench.artifacts.convert",
        [command, str(source), str(out_path), *args],
        f"{tool} refused {source.name}",
    )
    return dict(json.loads(printed.strip().splitlines()[-1]))


def tflite_to_onnx(
    source: Path, out_path: Path, context: Any = None, opset: int = ONNX_OPSET
) -> dict[str, Any]:
    """A user's ``.tflite`` file converted to ``.onnx`` by tf2onnx (it reads flatbuffers),
    in a process of its own (:func:`_convert_apart`). The input keeps the layout the file
    has, so the model's input contract holds for both files."""
    return _convert_apart("tflite-to-onnx", source, out_path, "tf2onnx", str(opset))


def _tflite_to_onnx_here(source: Path, out_path: Path, opset: str) -> dict[str, Any]:
    """:func:`tflite_to_onnx` in this process (the converter's own process)."""
    try:
        import tf2onnx
    except ImportError as exc:
        raise ConversionError(
            f'tf2onnx converts .tflite files to .onnx: pip install "edgebench[tf]" ({exc})'
        ) from exc
    try:
        tf2onnx.convert.from_tflite(str(source), opset=int(opset), output_path=str(out_path))
    except Exception as exc:  # noqa: BLE001 - tf2onnx raises many types
        raise ConversionError(short_converter_message(exc)) from exc
    import onnx

    # an operator tf2onnx cannot map (a custom one, such as MediaPipe's
    # Convolution2DTransposeBias) is left in the graph as TFL_<name>, which no runtime runs
    left = sorted(
        {n.op_type[4:] for n in onnx.load(str(out_path)).graph.node if n.op_type.startswith("TFL_")}
    )
    if left:
        out_path.unlink()
        raise ConversionError(
            f"it has TFLite operator(s) with no ONNX equivalent: {', '.join(left)} "
            "(custom operators of the exporter)"
        )
    return {"step": "convert", "converter": f"tf2onnx {tf2onnx.__version__}", "opset": int(opset)}


#: how onnx2tf is installed beside edgebench (its wheel pins numpy 1.26, TensorFlow 2.19
#: and onnx 1.19 exactly, which the rest of the stack has outgrown; it runs with ours).
ONNX2TF_INSTALL = "pip install --no-deps onnx2tf==1.29.24 onnx-graphsurgeon==0.6.1 sng4onnx==2.0.1"


def onnx_to_tflite(source: Path, out_path: Path, context: Any) -> dict[str, Any]:
    """A user's ``.onnx`` file converted to ``.tflite`` by onnx2tf, in a process of its own.

    The input is fixed to the shape the model's input contract settles (batch 1; dynamic
    dimensions from the declaration) and kept in the ONNX file's layout
    (``keep_shape_absolutely_input_names``: onnx2tf otherwise turns an NCHW input into
    NHWC, and the contract would no longer describe the converted file); the float32 file
    onnx2tf writes is the artifact."""
    from edgebench.artifacts.onnx_graph import onnx_input

    name, sample = onnx_input(source)
    # fixed_input_shape settles every dynamic dimension, or says what to declare
    dims = ",".join(str(d) for d in (1, *context.fixed_input_shape(sample)))
    return _convert_apart("onnx-to-tflite", source, out_path, "onnx2tf", name, dims)


def _onnx_to_tflite_here(source: Path, out_path: Path, name: str, dims: str) -> dict[str, Any]:
    """:func:`onnx_to_tflite` in this process (the converter's own process): the graph made
    static and its node names valid TensorFlow scope names, then onnx2tf."""
    import shutil
    import tempfile

    try:
        import onnx2tf
    except ImportError as exc:
        raise ConversionError(
            f"onnx2tf converts .onnx files to .tflite: {ONNX2TF_INSTALL} ({exc})"
        ) from exc
    from edgebench.artifacts.onnx_graph import static_for_conversion

    shape = tuple(int(d) for d in dims.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        staged = Path(tmp) / "model.onnx"
        static_for_conversion(source, staged, name, shape)
        try:
            onnx2tf.convert(
                input_onnx_file_path=str(staged),
                output_folder_path=str(Path(tmp) / "out"),
                keep_shape_absolutely_input_names=[name],
                output_signaturedefs=True,  # AI Edge Quantizer calibrates by signature
                not_use_onnxsim=True,
                non_verbose=True,
            )
        except Exception as exc:  # noqa: BLE001 - onnx2tf raises many types
            raise ConversionError(short_converter_message(exc)) from exc
        written = Path(tmp) / "out" / "model_float32.tflite"
        if not written.is_file():
            raise ConversionError("onnx2tf wrote no float32 .tflite file")
        # onnx2tf's own .tflite comes from its Keras model and has no signature, which AI
        # Edge Quantizer calibrates by; the SavedModel it writes beside it converts with one
        via = "onnx2tf's SavedModel, TFLiteConverter.from_saved_model"
        try:
            tf = import_tensorflow()
            flatbuffer = tf.lite.TFLiteConverter.from_saved_model(str(Path(tmp) / "out")).convert()
            out_path.write_bytes(flatbuffer)
        except Exception:  # noqa: BLE001 - then onnx2tf's file as it is
            via = "onnx2tf's float32 .tflite (no signature)"
            shutil.copyfile(written, out_path)
    version = getattr(onnx2tf, "__version__", "?")
    return {
        "step": "convert",
        "converter": f"onnx2tf {version}",
        "written_by": via,
        "input_shape": list(shape),
        "input_layout": "kept as in the ONNX file",
    }


_HERE = {"tflite-to-onnx": (_tflite_to_onnx_here, 1), "onnx-to-tflite": (_onnx_to_tflite_here, 2)}


def child_main(arguments_fit: bool, usage: str, run: Any) -> int:
    """What the child process of :func:`run_apart` does: ``run()`` with its stdout kept
    apart, what it returns printed as JSON (when it returns something), or the reason on
    stderr in one line with exit status 2 (the usage when ``arguments_fit`` is false)."""
    import contextlib
    import io
    import json
    import sys

    if not arguments_fit:
        print(f"usage: {usage}", file=sys.stderr)
        return 2
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            result = run()
    except ConversionError as exc:
        print(str(exc).replace("\n", " "), file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the tool's own reason, in one line
        print(short_converter_message(exc), file=sys.stderr)
        return 2
    if result is not None:
        print(json.dumps(result))
    return 0


def _main(argv: list[str]) -> int:
    """``python -m edgebench.artifacts.convert COMMAND SRC DST ARGS...``: one conversion;
    what ran as JSON on stdout, or the reason on stderr (exit 2)."""
    known = _HERE.get(argv[0]) if argv else None
    return child_main(
        known is not None and len(argv) == 3 + known[1],
        "python -m edgebench.artifacts.convert tflite-to-onnx SRC DST OPSET | "
        "onnx-to-tflite SRC DST INPUT_NAME DIMS",
        lambda: known[0](Path(argv[1]), Path(argv[2]), *argv[3:]),  # type: ignore[index]
    )


def export_float(model: Any, artifact_format: str, out_path: Path) -> None:
    """Export a float Keras model as ``artifact_format`` (the registered Keras exporter of
    that format, ``formats.registry``)."""
    from edgebench.formats import exporter_for

    exporter_for("keras", artifact_format).load_factory()(model, out_path)


if __name__ == "__main__":
    import sys

    sys.exit(_main(sys.argv[1:]))

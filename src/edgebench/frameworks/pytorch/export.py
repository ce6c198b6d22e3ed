"""PyTorch model files: loaded without unpickling, exported to ONNX in NHWC.

- ``.pt``: a TorchScript archive (``torch.jit.save``), loaded with ``torch.jit.load``;
- ``.pt2``: a ``torch.export`` program (``torch.export.save``), loaded with
  ``torch.export.load``.

A ``.pt`` that is not a TorchScript archive is usually a pickled module
(``torch.save(model)``); ``torch.load`` on it would run whatever the pickle says, so it is
refused with how to save the model instead. Exported models take NHWC input like every
other artifact here: a permute to NCHW is the first op of the graph (the one place the
layout is handled), so datasets, calibration and runtimes see the same input as for Keras
models. The ONNX export tries the dynamo exporter first and falls back to the TorchScript
one; the record says which ran.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from edgebench.errors import ConversionError

TORCH_KINDS: dict[str, str] = {".pt": "torchscript", ".pt2": "torch-export"}


def import_torch() -> Any:
    """torch, or a ``ConversionError`` saying how to install its CPU build."""
    try:
        import torch
    except ImportError as exc:
        raise ConversionError(
            'PyTorch files need torch: pip install "edgebench[torch]" (the CPU build: '
            "pip install torch --index-url https://download.pytorch.org/whl/cpu)"
        ) from exc
    return torch


def load_torch_model(path: Path, kind: str) -> Any:
    """The module (TorchScript) or exported program's module in ``path``, in eval mode."""
    torch = import_torch()
    if kind == "torchscript":
        if not zipfile.is_zipfile(path) or not _is_torchscript(path):
            raise ConversionError(
                f"{path.name} is not a TorchScript archive (a pickled model saved with "
                "torch.save? edgebench does not unpickle files: torch.load runs the code a "
                "pickle names). Save it with torch.jit.save(torch.jit.script(model)) or "
                "torch.export.save(torch.export.export(model, (example,)), 'model.pt2')"
            )
        try:
            module = torch.jit.load(str(path), map_location="cpu")
        except Exception as exc:  # noqa: BLE001 - torch's own reasons, reworded
            raise ConversionError(f"torch.jit.load refused {path.name}: {exc}") from exc
        return module.eval()
    with _quiet_torch_export() as heard:
        try:
            program = torch.export.load(str(path))
        except Exception as exc:  # noqa: BLE001 - torch's own reasons, reworded
            cause = heard[-1] if heard else str(exc)
            raise ConversionError(f"torch.export.load refused {path.name}: {cause}") from exc
    return program.module()


@contextlib.contextmanager
def _quiet_torch_export() -> Iterator[list[str]]:
    """torch.export.load logs a whole traceback as a warning before it raises "check the
    warnings above"; the traceback's last line is kept (yielded) for the one-line reason
    and nothing is printed."""
    import logging

    heard: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines = [line for line in record.getMessage().strip().splitlines() if line.strip()]
            if record.exc_info and record.exc_info[1] is not None:
                lines.append(f"{type(record.exc_info[1]).__name__}: {record.exc_info[1]}")
            if lines:
                heard.append(lines[-1].strip()[:300])

    logger = logging.getLogger("torch.export")  # torch gives it a stderr handler of its own
    handlers, propagate = logger.handlers[:], logger.propagate
    logger.handlers, logger.propagate = [Keep()], False
    try:
        yield heard
    finally:
        logger.handlers, logger.propagate = handlers, propagate


def _is_torchscript(path: Path) -> bool:
    """A TorchScript archive holds ``code/`` (the scripted source) beside ``data.pkl``."""
    with zipfile.ZipFile(path) as archive:
        return any("/code/" in name or name.startswith("code/") for name in archive.namelist())


def export_onnx(module: Any, input_shape: tuple[int, ...], out_path: Path) -> dict[str, Any]:
    """Export ``module`` (NCHW input) to ONNX, then give the graph an NHWC input of
    ``input_shape`` (H, W, C) through a leading Transpose, with a dynamic batch; returns
    what ran (exporter, opset)."""
    torch = import_torch()
    height, width, channels = input_shape
    example = torch.zeros((1, channels, height, width), dtype=torch.float32)
    errors = []
    for exporter in ("dynamo", "torchscript"):
        try:
            # the dynamo exporter prints its progress; the run's output is pytest's
            with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
                torch.onnx.export(
                    module,
                    (example,),
                    str(out_path),
                    input_names=["input_nchw"],
                    output_names=["output"],
                    dynamic_axes={"input_nchw": {0: "batch"}, "output": {0: "batch"}},
                    opset_version=18,
                    dynamo=exporter == "dynamo",
                )
            to_nhwc_input(out_path, input_shape)
            return {"exporter": f"torch.onnx.export ({exporter})", "opset": 18, "layout": "NHWC"}
        except Exception as exc:  # noqa: BLE001 - try the other exporter, then say both
            errors.append(f"{exporter}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    raise ConversionError("torch.onnx.export refused the model: " + "; ".join(errors))


def to_nhwc_input(path: Path, input_shape: tuple[int, ...]) -> None:
    """Replace the graph's NCHW input by an NHWC one of ``input_shape`` (H, W, C) feeding a
    Transpose to NCHW: the one place the layout is handled."""
    import onnx
    from onnx import TensorProto, helper

    model = onnx.load(str(path))
    graph = model.graph
    old = graph.input[0]
    nchw = old.name
    height, width, channels = input_shape
    nhwc = helper.make_tensor_value_info(
        "input", TensorProto.FLOAT, ["batch", height, width, channels]
    )
    graph.node.insert(
        0, helper.make_node("Transpose", ["input"], [nchw], perm=[0, 3, 1, 2], name="nhwc_to_nchw")
    )
    graph.input.remove(old)
    graph.input.insert(0, nhwc)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


class NHWCInput:
    """Wraps an NCHW module so that it takes NHWC images (a permute as its first op)."""

    def __new__(cls, module: Any) -> Any:
        torch = import_torch()

        class _NHWC(torch.nn.Module):  # type: ignore[misc, name-defined]
            def __init__(self) -> None:
                super().__init__()
                self.inner = module

            def forward(self, x: Any) -> Any:
                return self.inner(x.permute(0, 3, 1, 2))

        return _NHWC().eval()


def import_litert_torch() -> Any:
    """litert_torch (Google's PyTorch-to-LiteRT converter), or a ``ConversionError``."""
    try:
        import litert_torch
    except ImportError as exc:
        raise ConversionError(
            "converting a PyTorch model to .tflite needs litert-torch: "
            'pip install "edgebench[litert-torch]" (see docs/pytorch.md)'
        ) from exc
    return litert_torch


def _refused(converter: str, exc: Exception) -> ConversionError:
    """The converter's refusal as a ``ConversionError``: its type and first line."""
    first = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""
    return ConversionError(f"{converter} refused the model: {type(exc).__name__}: {first}")


def export_tflite(module: Any, input_shape: tuple[int, ...], out_path: Path) -> dict[str, Any]:
    """Convert ``module`` (NCHW input) to a ``.tflite`` file with an NHWC input of
    ``input_shape`` (H, W, C), batch 1, through litert-torch; the converter's refusal is a
    ``ConversionError`` with its message."""
    torch = import_torch()
    litert_torch = import_litert_torch()
    height, width, channels = input_shape
    example = torch.zeros((1, height, width, channels), dtype=torch.float32)
    try:
        # the converter prints its stages; the run's output is pytest's
        with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
            converted = litert_torch.convert(NHWCInput(module), (example,))
            converted.export(str(out_path))
    except Exception as exc:  # noqa: BLE001 - the converter's own reason, reworded
        raise _refused("litert-torch", exc) from exc
    version = getattr(litert_torch, "__version__", None)
    if version is None:
        from edgebench.provenance import package_versions

        version = package_versions(("litert-torch",)).get("litert-torch")
    return {"exporter": f"litert-torch {version}", "layout": "NHWC", "batch": 1}


def export_tflite_int8(
    module: Any, input_shape: tuple[int, ...], out_path: Path, calibration: Any
) -> dict[str, Any]:
    """``module`` quantized with litert-torch's PT2E quantizer (static, per-channel
    symmetric int8 weights, int8 activations observed on ``calibration``, NHWC images)
    and converted to a ``.tflite`` with int8 input and output tensors, batch 1."""
    torch = import_torch()
    litert_torch = import_litert_torch()
    try:
        from litert_torch.quantize.pt2e_quantizer import (
            PT2EQuantizer,
            get_symmetric_quantization_config,
        )
        from litert_torch.quantize.quant_config import QuantConfig
        from torchao.quantization.pt2e.quantize_pt2e import convert_pt2e, prepare_pt2e
    except ImportError as exc:
        raise ConversionError(f"litert-torch's PT2E quantizer does not import: {exc}") from exc
    height, width, channels = input_shape
    example = (torch.zeros((1, height, width, channels), dtype=torch.float32),)
    quantizer = PT2EQuantizer().set_global(get_symmetric_quantization_config(is_per_channel=True))
    try:
        with torch.no_grad(), contextlib.redirect_stdout(io.StringIO()):
            graph = torch.export.export(NHWCInput(module).eval(), example).module()
            prepared = prepare_pt2e(graph, quantizer)
            for image in calibration:
                prepared(torch.from_numpy(image[None].astype("float32")))
            quantized = convert_pt2e(prepared, fold_quantize=False)
            converted = litert_torch.convert(
                quantized, example, quant_config=QuantConfig(pt2e_quantizer=quantizer)
            )
            converted.export(str(out_path))
    except Exception as exc:  # noqa: BLE001 - the converter's own reason, reworded
        raise _refused("litert-torch PT2E quantization", exc) from exc
    from edgebench.provenance import package_versions

    versions = package_versions(("litert-torch", "torchao"))
    return {
        "exporter": f"litert-torch {versions.get('litert-torch')} PT2E "
        f"(torchao {versions.get('torchao')})",
        "scheme": "int8 static, per-channel symmetric weights, int8 input/output",
        "layout": "NHWC",
        "batch": 1,
    }

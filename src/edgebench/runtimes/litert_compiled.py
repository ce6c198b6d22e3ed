"""LiteRT's CompiledModel API (``ai_edge_litert.compiled_model``, LiteRT 2.x): the
``.tflite`` artifacts the ``litert`` runtime runs, compiled for an accelerator (CPU via
XNNPACK, GPU, NPU through a vendor dispatch library) and run with tensor buffers, the way
Google's ``benchmark_litert_model.py`` runs them.

``--runtimes litert-compiled`` with ``--litert-accelerator cpu|gpu|npu`` (default cpu).
An accelerator that cannot compile a one-operator probe model on this machine makes the
runtime unavailable with LiteRT's reason (its rows skip); no CPU fallback is allowed, so a
row labelled gpu ran on the GPU.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from edgebench.errors import InferenceError, RuntimeUnavailable
from edgebench.provenance import package_version
from edgebench.runtimes.base import RuntimeInfo
from edgebench.runtimes.litert import dequantize, quantize

ACCELERATORS: tuple[str, ...] = ("cpu", "gpu", "npu")
DEFAULT_ACCELERATOR = "cpu"


def _import_compiled() -> tuple[Any, Any, Any, Any]:
    try:
        from ai_edge_litert.compiled_model import CompiledModel, CpuOptions, Options
        from ai_edge_litert.hardware_accelerator import HardwareAccelerator
    except ImportError as exc:
        raise RuntimeUnavailable(
            "LiteRT's CompiledModel API needs ai-edge-litert 2.x "
            f'(pip install "edgebench[tflite]"): {exc}'
        ) from exc
    return CompiledModel, CpuOptions, Options, HardwareAccelerator


def probe_model() -> bytes:
    """A one-operator ``.tflite`` (ABS of a 1x4 float tensor), built with LiteRT's own
    flatbuffer schema, to find out whether an accelerator can compile anything here."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    code = schema.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.ABS
    code.version = 1
    tensors = []
    for name in ("x", "y"):
        tensor = schema.TensorT()
        tensor.shape, tensor.type, tensor.buffer, tensor.name = [1, 4], 0, 0, name
        tensors.append(tensor)
    operator = schema.OperatorT()
    operator.opcodeIndex, operator.inputs, operator.outputs = 0, [0], [1]
    graph = schema.SubGraphT()
    graph.tensors, graph.inputs, graph.outputs, graph.operators = tensors, [0], [1], [operator]
    model = schema.ModelT()
    model.version, model.operatorCodes, model.subgraphs = 3, [code], [graph]
    model.buffers = [schema.BufferT()]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


class CompiledSession:
    """A compiled model with one input, run through its signature 0 with tensor buffers."""

    def __init__(self, model: Any, path: Path, quantization: dict[str, Any]) -> None:
        self._model = model
        self._path = path
        signature = model.get_signature_by_index(0)
        key = signature["key"]
        inputs = model.get_input_tensor_details(key)
        outputs = model.get_output_tensor_details(key)
        if len(inputs) != 1 or not outputs:
            raise InferenceError(
                f"{path.name}: edgebench runs models with one input; this one has {len(inputs)}"
            )
        self._input = next(iter(inputs.values()))
        self._signature_outputs = [outputs[name]["name"] for name in signature["outputs"]]
        # the litert runtime's orders: every output by tensor name (TFLite_Detection_
        # PostProcess, :1, :2, :3), the scores from the interpreter's first output
        self._outputs = sorted(outputs.values(), key=lambda d: str(d["name"]))
        first = quantization.get("first_output_index")
        self._first = next((i for i, d in enumerate(self._outputs) if d.get("index") == first), 0)
        self._in_buffers = model.create_input_buffers(0)
        self._out_buffers = model.create_output_buffers(0)
        shape = [int(d) for d in self._input["shape"]]
        self._batch = shape[0] if shape else 1
        self.input_shape: tuple[int | None, ...] = tuple(shape[1:])
        self.input_dtype = np.dtype(self._input["dtype"])
        self.batch_flexible = False
        self._in_quant = quantization.get("input", (0.0, 0))
        self._out_quant = quantization.get("outputs", {})

    def _prepare_input(self, batch: np.ndarray) -> np.ndarray:
        scale, zero_point = self._in_quant
        integer_model = np.issubdtype(self.input_dtype, np.integer) and scale
        if integer_model and not np.issubdtype(batch.dtype, np.integer):
            return quantize(batch, self.input_dtype, scale, zero_point)
        return np.ascontiguousarray(batch.astype(self.input_dtype, copy=False))

    def _buffer_position(self, detail: dict[str, Any]) -> int:
        """Where ``detail``'s buffer is among the output buffers (the signature's order)."""
        return self._signature_outputs.index(detail["name"])

    def _read(self, index: int) -> np.ndarray:
        detail = self._outputs[index]
        dtype = np.dtype(detail["dtype"])
        shape = [int(d) for d in detail["shape"]]
        buffer = self._out_buffers[self._buffer_position(detail)]
        out = np.asarray(buffer.read(int(np.prod(shape)), dtype)).reshape(shape)
        scale, zero_point = self._out_quant.get(detail["name"], (0.0, 0))
        if np.issubdtype(out.dtype, np.integer) and scale:
            return dequantize(out, scale, zero_point)
        return out

    def run_outputs(self, batch: np.ndarray) -> list[np.ndarray]:
        """Every output for ``batch`` in tensor-name order, dequantized (one sample at a
        time: the compiled model has a fixed batch)."""
        if len(batch) != self._batch:
            parts = [self.run_outputs(batch[i : i + 1]) for i in range(len(batch))]
            return [np.concatenate(list(column)) for column in zip(*parts, strict=True)]
        try:
            self._in_buffers[0].write(self._prepare_input(batch))
            self._model.run_by_index(0, self._in_buffers, self._out_buffers)
            return [self._read(i) for i in range(len(self._outputs))]
        except Exception as exc:  # noqa: BLE001 - the runtime's own errors, reworded
            raise InferenceError(
                f"LiteRT CompiledModel failed running {self._path.name}: {exc}"
            ) from exc

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Scores (the interpreter's first output, as the litert runtime) for ``batch``."""
        return self.run_outputs(batch)[self._first]

    def bind(self, sample: np.ndarray) -> Callable[[], object]:
        """One run on ``sample`` (batch 1): write the input buffer, run, read the output."""
        model, ins, outs = self._model, self._in_buffers, self._out_buffers
        prepared = self._prepare_input(sample)
        detail = self._outputs[self._first]
        count = int(np.prod([int(d) for d in detail["shape"]]))
        dtype = np.dtype(detail["dtype"])
        out = outs[self._buffer_position(detail)]

        def invoke_once() -> object:
            ins[0].write(prepared)
            model.run_by_index(0, ins, outs)
            return out.read(count, dtype)

        return invoke_once


class LiteRTCompiledRuntime:
    """Runs ``.tflite`` artifacts through LiteRT's CompiledModel on one accelerator."""

    name = "litert-compiled"
    artifact_format = "tflite"
    profile_unavailable = (
        "LiteRT's CompiledModel Python API exposes no per-operator timer (the litert rows of "
        "the same artifact carry its operators timed in isolation)"
    )

    def __init__(self, accelerator: str = DEFAULT_ACCELERATOR) -> None:
        self.accelerator = accelerator.lower()

    def _flag(self) -> Any:
        *_, hardware = _import_compiled()
        return {"cpu": hardware.CPU, "gpu": hardware.GPU, "npu": hardware.NPU}[self.accelerator]

    def unavailable_reason(self) -> str | None:
        """Why the CompiledModel API or the accelerator cannot be used here, or ``None``
        (the accelerator compiles a one-operator probe model, without CPU fallback)."""
        if self.accelerator not in ACCELERATORS:
            return (
                f"unknown LiteRT accelerator {self.accelerator!r}; known: {', '.join(ACCELERATORS)}"
            )
        try:
            compiled, *_ = _import_compiled()
            compiled.from_buffer(probe_model(), hardware_accel=self._flag())
        except RuntimeUnavailable as exc:
            return str(exc)
        except Exception as exc:  # noqa: BLE001 - LiteRT's reason, reworded
            lines = [line.strip(" └") for line in str(exc).strip().splitlines() if line.strip()]
            return (
                f"LiteRT cannot compile for the {self.accelerator.upper()} accelerator on this "
                f"machine ({'; '.join(lines[-2:]) or type(exc).__name__})"
            )
        return None

    def info(self) -> RuntimeInfo:
        """The CompiledModel API, its version and the accelerator."""
        return RuntimeInfo(
            self.name,
            "ai_edge_litert.compiled_model",
            package_version("ai-edge-litert") or "unknown",
            f"CompiledModel {self.accelerator.upper()}"
            + (" (XNNPACK)" if self.accelerator == "cpu" else ""),
        )

    def load(self, path: Path, threads: int) -> CompiledSession:
        """``path`` compiled for the accelerator (CPU kernels with ``threads`` threads)."""
        compiled, cpu_options, options, _ = _import_compiled()
        try:
            model = compiled.from_file(
                str(path),
                options=options(
                    hardware_accelerators=self._flag(),
                    cpu_options=cpu_options(num_threads=threads),
                ),
            )
        except Exception as exc:  # noqa: BLE001 - any load failure is the file's fault
            raise InferenceError(f"LiteRT CompiledModel cannot load {path.name}: {exc}") from exc
        return CompiledSession(model, path, _quantization(path))


def _quantization(path: Path) -> dict[str, Any]:
    """Input and output (scale, zero point) of a ``.tflite`` (the CompiledModel's tensor
    details do not carry them), read with LiteRT's interpreter without allocating."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    inputs = interpreter.get_input_details()
    outputs = interpreter.get_output_details()
    return {
        "first_output_index": outputs[0]["index"] if outputs else None,
        "input": tuple(inputs[0].get("quantization", (0.0, 0))) if inputs else (0.0, 0),
        "outputs": {
            d["name"]: tuple(d.get("quantization", (0.0, 0)))
            for d in interpreter.get_output_details()
        },
    }

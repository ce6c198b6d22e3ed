"""LiteRT (TFLite) runtime: ``ai_edge_litert``, else ``tflite_runtime``, else ``tf.lite``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from edgebench.errors import InferenceError, RuntimeUnavailable
from edgebench.provenance import package_version
from edgebench.runtimes.base import RuntimeInfo

PROVIDER = "CPU (builtin kernels + XNNPACK delegate)"


def _import_interpreter() -> tuple[type, str, str]:
    """The Interpreter class, the implementation's module and its distribution name
    (versions are looked up only for records: importlib.metadata costs the memory
    worker megabytes)."""
    try:
        from ai_edge_litert.interpreter import Interpreter

        return Interpreter, "ai_edge_litert", "ai-edge-litert"
    except ImportError:
        pass
    try:
        from tflite_runtime.interpreter import Interpreter

        return Interpreter, "tflite_runtime", "tflite-runtime"
    except ImportError:
        pass
    try:
        from edgebench.frameworks.keras.tfcompat import import_tensorflow

        tf = import_tensorflow()
        return tf.lite.Interpreter, "tensorflow.lite", "tensorflow"
    except (ImportError, RuntimeUnavailable) as exc:
        raise RuntimeUnavailable(
            'no TFLite runtime: pip install "edgebench[tflite]" (ai-edge-litert), '
            "or tflite-runtime, or tensorflow"
        ) from exc


def quantize(values: np.ndarray, dtype: np.dtype, scale: float, zero_point: int) -> np.ndarray:
    """Float values to a quantized tensor's integer type (round half to even, clip)."""
    info = np.iinfo(dtype)
    q = np.round(values / scale) + zero_point
    return np.clip(q, info.min, info.max).astype(dtype)


def dequantize(values: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """A quantized tensor's integers back to float32."""
    return ((values.astype(np.float32) - zero_point) * scale).astype(np.float32)


class LiteRTSession:
    """A TFLite interpreter with one input and one output."""

    def __init__(self, interpreter: Any, path: Path) -> None:
        self._interpreter = interpreter
        self._path = path
        inputs = interpreter.get_input_details()
        outputs = interpreter.get_output_details()
        if len(inputs) != 1 or len(outputs) < 1:
            raise InferenceError(
                f"{path.name}: edgebench runs models with one input; this one has {len(inputs)}"
            )
        self._input = inputs[0]
        self._output = outputs[0]
        # every output, in tensor-name order (TFLite_Detection_PostProcess, :1, :2, :3)
        self._outputs = sorted(outputs, key=lambda d: str(d.get("name", "")))
        signature = self._input.get("shape_signature", self._input["shape"])
        self.input_shape: tuple[int | None, ...] = tuple(
            None if int(d) < 0 else int(d) for d in signature[1:]
        )
        self.input_dtype = np.dtype(self._input["dtype"])
        self.batch_flexible = int(signature[0]) < 0 if len(signature) else False
        self._batch: int | None = int(self._input["shape"][0]) if len(signature) else None

    def _resize(self, batch: int) -> None:
        if batch == self._batch:
            return
        shape = [batch, *[int(d) for d in self._input["shape"][1:]]]
        self._interpreter.resize_tensor_input(self._input["index"], shape)
        self._interpreter.allocate_tensors()
        self._batch = batch

    def _prepare_input(self, batch: np.ndarray) -> np.ndarray:
        scale, zero_point = self._input.get("quantization", (0.0, 0))
        if (
            np.issubdtype(self.input_dtype, np.integer)
            and scale
            and not np.issubdtype(batch.dtype, np.integer)
        ):
            return quantize(batch, self.input_dtype, scale, zero_point)
        return batch.astype(self.input_dtype, copy=False)

    def _read_output(self, detail: dict[str, Any] | None = None) -> np.ndarray:
        detail = self._output if detail is None else detail
        out = self._interpreter.get_tensor(detail["index"])
        scale, zero_point = detail.get("quantization", (0.0, 0))
        if np.issubdtype(out.dtype, np.integer) and scale:
            return dequantize(out, scale, zero_point)
        return out

    def run_outputs(self, batch: np.ndarray) -> list[np.ndarray]:
        """Every output for ``batch`` in tensor-name order, dequantized (one sample at a
        time for a fixed-batch model)."""
        try:
            if not self.batch_flexible and len(batch) != self._batch:
                parts = [self.run_outputs(batch[i : i + 1]) for i in range(len(batch))]
                return [np.concatenate(list(column)) for column in zip(*parts, strict=True)]
            self._resize(len(batch))
            self._interpreter.set_tensor(self._input["index"], self._prepare_input(batch))
            self._interpreter.invoke()
            return [np.array(self._read_output(d)) for d in self._outputs]
        except InferenceError:
            raise
        except Exception as exc:  # noqa: BLE001 - the runtime's own errors, reworded
            raise InferenceError(f"LiteRT failed running {self._path.name}: {exc}") from exc

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Scores for ``batch``; fixed-batch models are run one sample at a time."""
        try:
            if not self.batch_flexible and len(batch) != self._batch:
                return np.concatenate([self.run(batch[i : i + 1]) for i in range(len(batch))])
            self._resize(len(batch))
            self._interpreter.set_tensor(self._input["index"], self._prepare_input(batch))
            self._interpreter.invoke()
            return self._read_output()
        except InferenceError:
            raise
        except Exception as exc:  # noqa: BLE001 - the runtime's own errors, reworded
            raise InferenceError(f"LiteRT failed running {self._path.name}: {exc}") from exc

    def bind(self, sample: np.ndarray) -> Callable[[], object]:
        """One invoke on ``sample`` (batch 1): set the input, invoke, read the output."""
        if self.batch_flexible or self._batch != 1:
            self._resize(1)
        prepared = self._prepare_input(sample)
        interpreter, in_index, out_index = (
            self._interpreter,
            self._input["index"],
            self._output["index"],
        )

        def invoke_once() -> object:
            interpreter.set_tensor(in_index, prepared)
            interpreter.invoke()
            return interpreter.get_tensor(out_index)

        return invoke_once


class LiteRTRuntime:
    """Runs ``.tflite`` artifacts."""

    name = "litert"
    artifact_format = "tflite"

    def unavailable_reason(self) -> str | None:
        """Why no TFLite interpreter can be imported, or ``None``."""
        try:
            _import_interpreter()
        except RuntimeUnavailable as exc:
            return str(exc)
        return None

    def info(self) -> RuntimeInfo:
        """Which interpreter implementation runs, and its version."""
        _, implementation, distribution = _import_interpreter()
        return RuntimeInfo(
            self.name, implementation, package_version(distribution) or "unknown", PROVIDER
        )

    def profile_operators(
        self,
        path: Path,
        threads: int,
        rounds: int,
        warmup: int,
        make_sample: Callable[[Any], np.ndarray],
    ) -> dict[str, Any]:
        """Per-operator times: LiteRT's Python API has no in-graph operator profiler, so
        each operator is timed alone as a one-operator model (``runtimes.litert_ops``)."""
        from edgebench.runtimes.litert_ops import profile_isolated

        interpreter_class, _, _ = _import_interpreter()
        return profile_isolated(interpreter_class, path, threads, rounds, warmup)

    def load(self, path: Path, threads: int) -> LiteRTSession:
        """An interpreter for ``path`` with ``threads`` threads, tensors allocated."""
        interpreter_class, _, _ = _import_interpreter()
        try:
            interpreter = interpreter_class(model_path=str(path), num_threads=threads)
            interpreter.allocate_tensors()
        except Exception as exc:  # noqa: BLE001 - any load failure is the file's fault
            raise InferenceError(f"LiteRT cannot load {path.name}: {exc}") from exc
        return LiteRTSession(interpreter, path)

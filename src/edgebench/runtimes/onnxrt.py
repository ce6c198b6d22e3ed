"""ONNX Runtime: ``.onnx`` artifacts on a chosen execution provider."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from edgebench.errors import InferenceError, RuntimeUnavailable
from edgebench.runtimes.base import DEFAULT_PROVIDER, RuntimeInfo

_ONNX_TYPES = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8,
    "tensor(int32)": np.int32,
    "tensor(int64)": np.int64,
}


def _import_onnxruntime() -> Any:
    try:
        import onnxruntime
    except ImportError as exc:
        raise RuntimeUnavailable(
            f'onnxruntime is not installed: pip install "edgebench[onnx]" ({exc})'
        ) from exc
    return onnxruntime


class OnnxSession:
    """An ``onnxruntime.InferenceSession`` with one input."""

    def __init__(self, session: Any, path: Path) -> None:
        self._session = session
        self._path = path
        inputs = session.get_inputs()
        if len(inputs) != 1:
            raise InferenceError(
                f"{path.name}: edgebench runs models with one input; this one has {len(inputs)}"
            )
        self._input_name = inputs[0].name
        shape = list(inputs[0].shape)
        self.batch_flexible = not shape or not isinstance(shape[0], int)
        self._batch = None if self.batch_flexible else int(shape[0])
        self.input_shape: tuple[int | None, ...] = tuple(
            d if isinstance(d, int) and d > 0 else None for d in shape[1:]
        )
        self.input_dtype = np.dtype(_ONNX_TYPES.get(inputs[0].type, np.float32))

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Scores for ``batch``; fixed-batch models are run one sample at a time."""
        if not self.batch_flexible and len(batch) != self._batch:
            return np.concatenate([self.run(batch[i : i + 1]) for i in range(len(batch))])
        try:
            feed = {self._input_name: batch.astype(self.input_dtype, copy=False)}
            return self._session.run(None, feed)[0]
        except Exception as exc:  # noqa: BLE001 - the runtime's own errors, reworded
            raise InferenceError(f"ONNX Runtime failed running {self._path.name}: {exc}") from exc

    def run_outputs(self, batch: np.ndarray) -> list[np.ndarray]:
        """Every output for ``batch``, in the model's order (one sample at a time for a
        fixed-batch model)."""
        if not self.batch_flexible and len(batch) != self._batch:
            parts = [self.run_outputs(batch[i : i + 1]) for i in range(len(batch))]
            return [np.concatenate(list(column)) for column in zip(*parts, strict=True)]
        try:
            feed = {self._input_name: batch.astype(self.input_dtype, copy=False)}
            return [np.asarray(o) for o in self._session.run(None, feed)]
        except Exception as exc:  # noqa: BLE001 - the runtime's own errors, reworded
            raise InferenceError(f"ONNX Runtime failed running {self._path.name}: {exc}") from exc

    def bind(self, sample: np.ndarray) -> Callable[[], object]:
        """One ``session.run`` on ``sample`` (batch 1), outputs fetched."""
        session, feed = self._session, {self._input_name: sample.astype(self.input_dtype)}

        def invoke_once() -> object:
            return session.run(None, feed)

        return invoke_once


def operator_times(profile: list[dict[str, Any]], skip_runs: int) -> dict[str, Any]:
    """Per-node kernel times from an ONNX Runtime profile (the JSON list of trace events
    ``end_profiling`` writes), the first ``skip_runs`` runs (warm-up) left out: nodes as
    ``{"name", "op", "us", "calls"}`` (``us`` summed over the runs kept) and the runs'
    own durations (``run_us``), whose excess over the nodes is the framework's overhead."""
    runs = sorted(
        (e for e in profile if e.get("cat") == "Session" and e.get("name") == "model_run"),
        key=lambda e: e["ts"],
    )
    kept = runs[skip_runs:]
    start = kept[0]["ts"] if kept else float("inf")
    nodes: dict[str, dict[str, Any]] = {}
    for event in profile:
        name = str(event.get("name", ""))
        if event.get("cat") != "Node" or not name.endswith("_kernel_time"):
            continue
        if event.get("ts", 0) < start:
            continue
        node = name[: -len("_kernel_time")]
        entry = nodes.setdefault(
            node,
            {"name": node, "op": event.get("args", {}).get("op_name", "?"), "us": 0.0, "calls": 0},
        )
        entry["us"] += float(event.get("dur", 0))
        entry["calls"] += 1
    return {
        "nodes": list(nodes.values()),
        "runs": len(kept),
        "run_us": [float(e.get("dur", 0)) for e in kept],
    }


class OnnxRuntime:
    """Runs ``.onnx`` artifacts with ONNX Runtime."""

    name = "onnxruntime"
    artifact_format = "onnx"

    def __init__(self, provider: str = DEFAULT_PROVIDER) -> None:
        self.provider = provider

    def unavailable_reason(self) -> str | None:
        """Why onnxruntime or the chosen provider cannot be used, or ``None``."""
        try:
            ort = _import_onnxruntime()
        except RuntimeUnavailable as exc:
            return str(exc)
        available = ort.get_available_providers()
        if self.provider not in available:
            return f"execution provider {self.provider} is not available (have: {', '.join(available)})"
        return None

    def info(self) -> RuntimeInfo:
        """Version and execution provider."""
        ort = _import_onnxruntime()
        return RuntimeInfo(self.name, "onnxruntime", ort.__version__, self.provider)

    def profile_operators(
        self,
        path: Path,
        threads: int,
        rounds: int,
        warmup: int,
        make_sample: Callable[[Any], np.ndarray],
    ) -> dict[str, Any]:
        """Per-operator kernel times of ``rounds`` runs after ``warmup``, from ONNX
        Runtime's own session profiler (``SessionOptions.enable_profiling``), in a session
        of its own (the profiler's overhead never reaches the latency figures)."""
        import json
        import tempfile

        with tempfile.TemporaryDirectory(prefix="edgebench-ort-profile-") as folder:
            session = self.load(path, threads, profile_prefix=str(Path(folder) / "profile"))
            invoke = session.bind(make_sample(session))
            from edgebench.instruments.watched_process import beat

            for done in range(warmup + rounds):
                invoke()
                beat(f"profiled rounds {done + 1}/{warmup + rounds}")
            written = Path(session._session.end_profiling())
            profile = json.loads(written.read_text())
        times = operator_times(profile, warmup)
        times["tool"] = "ONNX Runtime session profiler (SessionOptions.enable_profiling)"
        return times

    def load(self, path: Path, threads: int, profile_prefix: str | None = None) -> OnnxSession:
        """A session for ``path`` with ``threads`` intra-op threads, sequential execution
        (profiled into ``profile_prefix``*.json when given)."""
        ort = _import_onnxruntime()
        options = ort.SessionOptions()
        if profile_prefix is not None:
            options.enable_profiling = True
            options.profile_file_prefix = profile_prefix
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        try:
            session = ort.InferenceSession(str(path), options, providers=[self.provider])
        except Exception as exc:  # noqa: BLE001 - any load failure is the file's fault
            raise InferenceError(f"ONNX Runtime cannot load {path.name}: {exc}") from exc
        return OnnxSession(session, path)

"""The edgebench session: settings, the benchmark matrix, and memoised work.

One object per pytest process (like pytest-benchmark's ``BenchmarkSession``). It
owns the artifact builder and remembers datasets, artifacts, failures and accuracy
results, so each is computed once per process however many tests need it. It does
not import pytest; the plugin turns its exceptions into test outcomes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from edgebench.build.artifacts import Artifact
from edgebench.build.cache import ArtifactCache
from edgebench.build.pipeline import ArtifactBuilder
from edgebench.build.sources import ModelSource
from edgebench.build.zoo import Architecture
from edgebench.cases import Matrix, Variant, build_matrix
from edgebench.data.datasets import Dataset, load_dataset, random_inputs
from edgebench.data.preprocess import adapt_images
from edgebench.devices import DeviceProfile
from edgebench.errors import EdgebenchError
from edgebench.instruments.accuracy import accuracy_drop_points, top1_accuracy
from edgebench.recipes import Recipe, StepRegistry, parse_recipe
from edgebench.runtimes import InferenceSession, Runtime, make_runtime
from edgebench.thresholds import Threshold, threshold_for

T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """Resolved options of a session."""

    profile: DeviceProfile
    sources: tuple[ModelSource, ...]
    datasets: tuple[str, ...]
    recipes: tuple[Recipe, ...]
    runtimes: tuple[str, ...]
    threads: tuple[int, ...]
    rounds: int
    warmup: int
    max_accuracy_drop: float
    onnx_provider: str
    base_dir: Path
    cores: int
    eval_batch_size: int = 1
    seed: int = 0
    verbose: bool = False
    calibration_samples: int = 200
    thresholds: dict[str, float | None] = field(default_factory=dict)
    isolate: bool = False
    worker_timeout_s: float = 120.0
    meter: str = "auto"
    meter_command: str = ""
    energy_seconds: float = 5.0
    baseline: tuple[Path, ...] = ()
    max_slowdown: dict[str, float] = field(default_factory=lambda: {"p50": 0.10})
    gate_retries: int = 8
    expect_speedup: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The settings as recorded in the run file."""
        return {
            "device": self.profile.name,
            "models": [s.id for s in self.sources],
            "datasets": list(self.datasets),
            "variants": [r.id for r in self.recipes],
            "runtimes": list(self.runtimes),
            "threads": list(self.threads),
            "rounds": self.rounds,
            "warmup": self.warmup,
            "max_accuracy_drop": self.max_accuracy_drop,
            "onnx_provider": self.onnx_provider,
            "seed": self.seed,
            "eval_batch_size": self.eval_batch_size,
            "isolate": self.isolate,
            "meter": self.meter,
            "energy_seconds": self.energy_seconds,
            "baseline": [str(p) for p in self.baseline],
            "max_slowdown": dict(self.max_slowdown),
            "gate_retries": self.gate_retries,
            "expect_speedup": dict(self.expect_speedup),
            "worker_timeout_s": self.worker_timeout_s,
            "calibration_samples": self.calibration_samples,
            "thresholds": dict(self.thresholds),
        }


@dataclass(frozen=True)
class AccuracyResult:
    """Accuracy of a variant and its drop against the fp32 baseline (``None`` + reason if not measurable)."""

    accuracy: float | None
    baseline_accuracy: float | None
    drop_points: float | None
    samples: int | None
    null_reasons: dict[str, str] = field(default_factory=dict)

    def values(self) -> dict[str, Any]:
        """Record fields."""
        return {
            "accuracy": self.accuracy,
            "baseline_accuracy": self.baseline_accuracy,
            "accuracy_drop": self.drop_points,
            "eval_samples": self.samples,
        }


def packed_size(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """``packed_bytes`` of the last data-free quantization step, when there is one."""
    packed = [s["packed_bytes"] for s in steps if s.get("packed_bytes") is not None]
    return {"packed_bytes": packed[-1]} if packed else {}


class EdgebenchSession:
    """State shared by the benchmark tests of one pytest process."""

    def __init__(
        self,
        settings: Settings,
        architectures: dict[str, Architecture],
        registry: StepRegistry,
        cache: ArtifactCache,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.builder = ArtifactBuilder(
            cache,
            architectures,
            seed=settings.seed,
            verbose=settings.verbose,
            calibration_samples=settings.calibration_samples,
        )
        self.matrix: Matrix = build_matrix(
            settings.sources,
            settings.datasets,
            settings.recipes,
            settings.runtimes,
            settings.profile.name,
            settings.threads,
            settings.cores,
        )
        self._memo: dict[tuple[Any, ...], Any] = {}

    def _once(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """Compute once per process; a failure is remembered and raised again."""
        if key not in self._memo:
            try:
                self._memo[key] = ("ok", compute())
            except EdgebenchError as exc:
                self._memo[key] = ("error", exc)
        status, value = self._memo[key]
        if status == "error":
            raise value
        return value

    # -- inputs -------------------------------------------------------------------

    def dataset(self, spec: str) -> Dataset:
        """The dataset ``spec``; raises ``DatasetUnavailable`` with how to get it."""
        return self._once(("dataset", spec), lambda: load_dataset(spec, self.settings.base_dir))

    def runtime(self, name: str) -> Runtime:
        """The runtime ``name``; raises ``RuntimeUnavailable`` when it cannot be used."""

        def make() -> Runtime:
            from edgebench.errors import RuntimeUnavailable

            runtime = make_runtime(name, self.settings.onnx_provider)
            reason = runtime.unavailable_reason()
            if reason:
                raise RuntimeUnavailable(reason)
            return runtime

        return self._once(("runtime", name), make)

    def artifact(self, variant: Variant) -> Artifact:
        """The built (or cached) artifact of ``variant``."""
        return self._once(
            (
                "artifact",
                variant.source.id,
                variant.dataset,
                variant.recipe.id,
                variant.artifact_format,
            ),
            lambda: self.builder.artifact(
                variant.source,
                self.dataset(variant.dataset),
                variant.recipe,
                variant.artifact_format,
            ),
        )

    def variant_facts(self, variant: Variant) -> dict[str, Any]:
        """Record fields that depend on the variant only: runtime identity, artifact facts."""
        info = self.runtime(variant.runtime).info()
        artifact = self.artifact(variant)
        return {
            "runtime_impl": info.implementation,
            "runtime_version": info.version,
            "provider": info.provider,
            "artifact_format": artifact.format,
            "artifact_path": str(artifact.path),
            "artifact_sha256": artifact.sha256,
            "build_seconds": artifact.build_seconds,
            "cache_hit": artifact.cache_hit,
            "params": artifact.source_params
            if artifact.source_params is not None
            else artifact.params_in_artifact,
            "trainable_params": artifact.trainable_params,
            "macs": artifact.macs,
            "params_in_artifact": artifact.params_in_artifact,
            "nonzero_params": artifact.nonzero_params,
            "file_bytes": artifact.file_bytes,
            "gzip_bytes": artifact.gzip_bytes,
            "lzma_bytes": artifact.lzma_bytes,
            "compression": artifact.steps,
            "weight_tensors": artifact.weight_tensors,
            **packed_size(artifact.steps),
        }

    def load(self, variant: Variant, threads: int) -> InferenceSession:
        """A runtime session of the variant's artifact with ``threads`` threads."""
        return self.runtime(variant.runtime).load(self.artifact(variant).path, threads)

    def latency_input(self, variant: Variant, session: InferenceSession) -> np.ndarray:
        """One input sample (batch 1): the first test image fitted to the model, else random."""
        dataset = self.dataset(variant.dataset)
        shape = tuple(d if d is not None else 1 for d in session.input_shape)
        if dataset.x_test is not None:
            try:
                return self._fit_inputs(dataset, dataset.x_test[:1], session)
            except ValueError:
                pass  # the model does not fit the dataset: time it on its own input shape
        return random_inputs(shape, np.float32, 1, seed=self.settings.seed)

    def _fit_inputs(self, dataset: Dataset, x: np.ndarray, session: InferenceSession) -> np.ndarray:
        """Dataset inputs in the model's input shape (raises ``ValueError`` when they do not fit)."""
        if None in session.input_shape:
            raise ValueError(f"model input shape {session.input_shape} has unknown dimensions")
        if dataset.adapt_to_model:
            return adapt_images(x, session.input_shape)  # type: ignore[arg-type]
        if tuple(x.shape[1:]) != tuple(session.input_shape):
            raise ValueError(
                f"dataset samples of shape {tuple(x.shape[1:])} do not match model input "
                f"{session.input_shape} (npz arrays are fed as given)"
            )
        return x

    def threshold(self, variant: Variant) -> Threshold:
        """The accuracy-drop threshold that applies to ``variant``."""
        return threshold_for(
            variant.recipe, self.settings.thresholds, self.settings.max_accuracy_drop
        )

    # -- memory ---------------------------------------------------------------------

    def _worker_job(self, variant: Variant, threads: int, rounds: int) -> dict[str, Any]:
        return {
            "runtime": variant.runtime,
            "onnx_provider": self.settings.onnx_provider,
            "artifact": str(self.artifact(variant).path),
            "threads": threads,
            "rounds": rounds,
            "warmup": self.settings.warmup,
        }

    def _baseline(self, runtime: str) -> dict[str, Any]:
        from edgebench.instruments.isolated import run_worker

        job = {"runtime": runtime, "onnx_provider": self.settings.onnx_provider, "artifact": None}
        return self._once(
            ("memory-baseline", runtime), lambda: run_worker(job, self.settings.worker_timeout_s)
        )

    def memory(self, variant: Variant, threads: int) -> dict[str, Any]:
        """Peak memory of the variant's artifact in a fresh worker, and over the idle
        baseline of the same runtime measured the same way in this session."""
        from edgebench.instruments.isolated import memory_fields, run_worker

        baseline = self._baseline(variant.runtime)
        job = self._worker_job(variant, threads, min(self.settings.rounds, 100))
        return memory_fields(run_worker(job, self.settings.worker_timeout_s), baseline)

    def isolated_latency(self, variant: Variant, threads: int) -> dict[str, Any]:
        """Latency timed in a fresh worker: the same warm-up and rounds, raw samples back."""
        from edgebench.instruments.isolated import run_worker
        from edgebench.instruments.latency import latency_values

        job = self._worker_job(variant, threads, self.settings.rounds)
        result = run_worker(job, self.settings.worker_timeout_s)
        values = latency_values(result["samples_s"])
        values["warmup_rounds"] = self.settings.warmup
        values["latency_timer"] = "isolated worker (edgebench.worker), 1 invoke per round, batch 1"
        return values

    # -- gates ----------------------------------------------------------------------

    def baseline_row(self, variant: Variant, threads: int) -> list[list[float]]:
        """The latency samples (ms) of the same row in each baseline run that has it."""
        from edgebench.data.datasets import dataset_id
        from edgebench.results import load_run

        def index() -> dict[tuple[Any, ...], list[list[float]]]:
            rows: dict[tuple[Any, ...], list[list[float]]] = {}
            for path in self.settings.baseline:
                for r in load_run(path)[1]:
                    if r.latency_samples_ms:
                        key = (r.model, r.dataset, r.recipe, r.runtime, r.threads, r.device)
                        rows.setdefault(key, []).append(r.latency_samples_ms)
            return rows

        if not self.settings.baseline:
            return []
        rows = self._once(("baseline-rows",), index)
        key = (
            variant.source.id,
            dataset_id(variant.dataset),
            variant.recipe.id,
            variant.runtime,
            threads,
            variant.device,
        )
        return rows.get(key, [])

    def baseline_name(self) -> str | None:
        """How messages name the baseline: a file name, or ``N runs (first .. last)``."""
        runs = self.settings.baseline
        if not runs:
            return None
        if len(runs) == 1:
            return runs[0].name
        return f"{len(runs)} runs ({runs[0].name} .. {runs[-1].name})"

    def remember_latency(self, variant: Variant, threads: int, p50_ms: float) -> None:
        """Keep this process's p50s for same-run gates (``--expect-speedup``)."""
        self._memo[("p50", variant.id, threads)] = ("ok", p50_ms)

    def remembered_p50(self, variant: Variant, threads: int) -> float | None:
        """A p50 measured earlier in this process, if any."""
        entry = self._memo.get(("p50", variant.id, threads))
        return None if entry is None else entry[1]

    # -- power and energy -------------------------------------------------------------

    def _meter(self) -> tuple[Any, str | None]:
        """(meter or None, reason when None), probed once per session."""
        from edgebench.meters import MeterUnavailable, make_meter

        def probe() -> tuple[Any, str | None]:
            try:
                meter = make_meter(self.settings.meter, self.settings.meter_command)
            except MeterUnavailable as exc:
                return None, f"no meter: {exc}"
            return (None, "no meter: --meter none") if meter is None else (meter, None)

        return self._once(("meter",), probe)

    def energy(self, variant: Variant, threads: int) -> tuple[dict[str, Any], dict[str, str]]:
        """Power and energy per image over a window of steady inference (values, null reasons)."""
        from edgebench.instruments.energy import energy_window, idle_power
        from edgebench.results import POWER_FIELDS

        session = self.load(variant, threads)  # a broken artifact fails here, meter or not
        invoke = session.bind(self.latency_input(variant, session))
        meter, reason = self._meter()
        if meter is None:
            return {}, {name: str(reason) for name in POWER_FIELDS}
        name, command, period = meter.name, self.settings.meter_command, meter.period_s
        seconds = self.settings.energy_seconds
        idle = self._once(("idle-power",), lambda: idle_power(name, command, period, seconds))
        values = energy_window(name, command, period, seconds, invoke, idle["power_idle_w"])
        values.update(meter=meter.name, meter_scope=meter.scope, meter_period_s=period)
        return values, {}

    # -- accuracy -------------------------------------------------------------------

    def _plain_accuracy(self, variant: Variant) -> tuple[float | None, int | None, str | None]:
        """(accuracy, samples, reason-if-None) of a variant over the whole test split."""
        dataset = self.dataset(variant.dataset)
        if not dataset.labelled:
            return None, None, f"dataset {dataset.name!r} has no labels"
        assert dataset.x_test is not None and dataset.y_test is not None
        session = self.load(variant, threads=self.settings.cores)
        try:
            x = self._fit_inputs(dataset, dataset.x_test, session)
        except ValueError as exc:
            return None, None, f"model input does not fit dataset {dataset.name}: {exc}"
        probe = np.asarray(session.run(x[:1])).reshape(1, -1)
        if dataset.num_classes is not None and probe.shape[1] != dataset.num_classes:
            return (
                None,
                None,
                f"model has {probe.shape[1]} outputs but dataset {dataset.name} has "
                f"{dataset.num_classes} classes",
            )
        accuracy = top1_accuracy(session.run, x, dataset.y_test, self.settings.eval_batch_size)
        return accuracy, len(x), None

    def plain_accuracy(self, variant: Variant) -> tuple[float | None, int | None, str | None]:
        """Memoised :meth:`_plain_accuracy` (once per variant and process)."""
        return self._once(("accuracy", variant.id), lambda: self._plain_accuracy(variant))

    def baseline_recipe(self) -> Recipe:
        """The fp32 recipe, the accuracy reference."""
        return parse_recipe("fp32", self.registry)

    def accuracy(self, variant: Variant) -> AccuracyResult:
        """Accuracy of ``variant`` and its drop against fp32 on the same runtime."""
        accuracy, samples, reason = self.plain_accuracy(variant)
        reasons: dict[str, str] = {}
        if accuracy is None:
            reasons = {
                k: str(reason)
                for k in ("accuracy", "baseline_accuracy", "accuracy_drop", "eval_samples")
            }
            return AccuracyResult(None, None, None, None, reasons)
        if variant.recipe.is_baseline:
            return AccuracyResult(accuracy, accuracy, 0.0, samples)
        baseline = variant.with_recipe(self.baseline_recipe())
        try:
            base_accuracy, _, base_reason = self.plain_accuracy(baseline)
        except EdgebenchError as exc:
            base_accuracy, base_reason = None, f"fp32 baseline failed: {exc}"
        if base_accuracy is None:
            reasons = {
                k: f"no fp32 baseline accuracy: {base_reason}"
                for k in ("baseline_accuracy", "accuracy_drop")
            }
            return AccuracyResult(accuracy, None, None, samples, reasons)
        return AccuracyResult(
            accuracy, base_accuracy, accuracy_drop_points(base_accuracy, accuracy), samples
        )

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

from edgebench.artifacts.artifact import Artifact
from edgebench.artifacts.cache import ArtifactCache
from edgebench.artifacts.pipeline import ArtifactBuilder
from edgebench.artifacts.zoo import Architecture
from edgebench.cases import (
    DeviceAxis,
    LatencyCase,
    Matrix,
    SensitivityCase,
    Variant,
    build_matrix,
)
from edgebench.data.contract import first_input
from edgebench.data.datasets import Dataset, load_dataset
from edgebench.devices import DeviceProfile
from edgebench.errors import DeviceUnreachable, EdgebenchError, UsageError
from edgebench.measurements.accuracy import TaskScore
from edgebench.measurements.base import MeasureContext
from edgebench.progress import NULL_PROGRESS, Progress
from edgebench.recipes import Recipe, StepRegistry, parse_recipe
from edgebench.runtimes import InferenceSession, Runtime, make_runtime
from edgebench.settings import Settings
from edgebench.targets import make_target
from edgebench.targets.base import CheckedTarget
from edgebench.tasks import Task, make_task
from edgebench.thresholds import Threshold, threshold_for

T = TypeVar("T")
#: seconds between two progress lines of a long job on a target (a board reports each second).
PROGRESS_EVERY_S = 15.0


@dataclass(frozen=True)
class AccuracyResult:
    """Accuracy of a variant and its drop against the fp32 baseline (``None`` + reason if not measurable)."""

    accuracy: float | None
    baseline_accuracy: float | None
    drop_points: float | None
    samples: int | None
    null_reasons: dict[str, str] = field(default_factory=dict)
    #: the record field name of the task's headline metric (``accuracy``, ``miou``, ``map50``).
    metric: str | None = None
    #: every metric the task reported (the headline one included).
    metrics: dict[str, Any] | None = None
    #: the prediction on the first test image (segmentation and detection).
    sample: dict[str, Any] | None = None
    #: why the accuracy test fails although nothing raised (a model/task mismatch).
    failure: str | None = None
    #: how the images became the model's input (``data.contract.describe_input``).
    input_contract: str | None = None

    def values(self) -> dict[str, Any]:
        """Record fields."""
        return {
            "accuracy": self.accuracy,
            "baseline_accuracy": self.baseline_accuracy,
            "accuracy_drop": self.drop_points,
            "eval_samples": self.samples,
            "metric": self.metric,
            "metrics": self.metrics,
            "sample_prediction": self.sample,
            "input_contract": self.input_contract,
        }


def packed_size(steps: list[dict[str, Any]]) -> dict[str, Any]:
    """``packed_bytes`` of the last data-free quantization step, when there is one."""
    packed = [s["packed_bytes"] for s in steps if s.get("packed_bytes") is not None]
    return {"packed_bytes": packed[-1]} if packed else {}


def device_axis(profile: DeviceProfile, settings: Settings) -> DeviceAxis:
    """A device of the matrix: ``--threads`` or the profile's thread counts; a device that
    is this machine skips counts above its cores, a board's rows are never skipped here."""
    if profile.remote:
        threads = settings.explicit_threads or profile.threads or (1,)
        return DeviceAxis(profile.name, tuple(threads), None)
    threads = settings.explicit_threads or profile.thread_counts(settings.cores)
    return DeviceAxis(profile.name, tuple(threads), settings.cores)


class EdgebenchSession:
    """State shared by the benchmark tests of one pytest process."""

    def __init__(
        self,
        settings: Settings,
        architectures: dict[str, Architecture],
        registry: StepRegistry,
        cache: ArtifactCache,
        progress: Progress = NULL_PROGRESS,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.progress = progress
        self.builder = ArtifactBuilder(
            cache,
            architectures,
            seed=settings.seed,
            verbose=settings.verbose,
            calibration_samples=settings.calibration_samples,
            train_epochs=settings.train_epochs,
            fine_tune_epochs=settings.fine_tune_epochs,
            file_output_adapter=settings.output_adapter,
            progress=progress,
            kd_teacher=settings.kd_teacher,
        )
        self.matrix: Matrix = build_matrix(
            settings.sources,
            settings.datasets,
            settings.recipes,
            settings.runtimes,
            [device_axis(p, settings) for p in settings.device_profiles()],
            convert=settings.convert,
        )
        self._memo: dict[tuple[Any, ...], Any] = {}
        self._p50s: dict[tuple[str, int], float] = {}

    def _once(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """Compute once per process; a failure is remembered and raised again, except a
        board that dropped its link (the next row may reconnect; a board that cannot be
        reached at all is remembered by its target)."""
        if key not in self._memo:
            try:
                self._memo[key] = ("ok", compute())
            except DeviceUnreachable:
                raise  # a dropped link may come back; the target remembers a board it cannot reach
            except EdgebenchError as exc:
                self._memo[key] = ("error", exc)
        status, value = self._memo[key]
        if status == "error":
            raise value
        return value

    # -- inputs -------------------------------------------------------------------

    def dataset(self, spec: str) -> Dataset:
        """The dataset ``spec``; raises ``DatasetUnavailable`` with how to get it."""
        return self._once(("dataset", spec), lambda: self._load_dataset(spec))

    def _load_dataset(self, spec: str) -> Dataset:
        """The dataset ``spec``, with the user's class groups (``--class-groups``) when given."""
        from dataclasses import replace

        dataset = load_dataset(spec, self.settings.base_dir)
        groups_file = self.settings.option("class_groups")
        if groups_file and dataset.task == "classify":
            from edgebench.data.hierarchy import read_groups

            path = Path(groups_file)
            if not path.is_absolute():
                path = self.settings.base_dir / path
            dataset = replace(dataset, class_groups=read_groups(path, dataset.num_classes))
        return dataset

    def check_datasets(self) -> None:
        """Load and check every dataset of the run now, before anything trains: a dataset
        whose contents are wrong is a ``UsageError`` naming the split, index and value; one
        that cannot be had here stays for its rows to skip with how to get it."""
        from edgebench.errors import DatasetInvalid, DatasetUnavailable

        for spec in self.settings.datasets:
            try:
                self.dataset(spec)
            except DatasetInvalid as exc:
                raise UsageError(str(exc)) from exc
            except DatasetUnavailable:
                continue

    def runtime(self, name: str) -> Runtime:
        """The runtime ``name``; raises ``RuntimeUnavailable`` when it cannot be used."""

        def make() -> Runtime:
            from edgebench.errors import RuntimeUnavailable

            runtime = make_runtime(name, dict(self.settings.runtime_options))
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
            "inputs": self.dataset(variant.dataset).inputs.describe(),
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
            "recipe_spec": variant.recipe.describe(),
            **self.device_facts(variant.device, variant.id),
            "compression": artifact.steps,
            "weight_tensors": artifact.weight_tensors,
            "training": artifact.training,
            "output_adapter": artifact.output_adapter,
            **packed_size(artifact.steps),
        }

    def load(self, variant: Variant, threads: int) -> InferenceSession:
        """A runtime session of the variant's artifact with ``threads`` threads."""
        return self.runtime(variant.runtime).load(self.artifact(variant).path, threads)

    def latency_input(self, variant: Variant, session: InferenceSession) -> np.ndarray:
        """One input sample (batch 1): the first test image fitted to the model, else random."""
        return first_input(
            self.dataset(variant.dataset),
            session.input_shape,
            self.settings.seed,
            variant.source.contract,
        )

    @property
    def task(self) -> Task:
        """The task the session's models are scored on."""
        return self._once(
            ("task", self.settings.task),
            lambda: make_task(self.settings.task, self.settings.options),
        )

    @property
    def target(self) -> CheckedTarget:
        """The target of the session's first device."""
        return self.target_for(self.settings.profile.name)

    def target_for(self, device: str) -> CheckedTarget:
        """The target that runs ``device``'s jobs (the profile's; ``ssh`` for boards)."""
        profile = self.settings.device(device)

        def make() -> CheckedTarget:
            from edgebench.progress import at_most_every

            target = make_target(
                profile.target_name,
                timeout_s=self.settings.stall_timeout_s,
                **profile.target_options(self.builder.cache.root),
                **self._target_option_values(profile.target_name),
            )
            target.show_progress(
                at_most_every(
                    PROGRESS_EVERY_S, lambda text: self.progress.line(f"{device}: {text}")
                )
            )
            return target

        return self._once(("target", device), make)

    def _target_option_values(self, name: str) -> dict[str, Any]:
        """The options target ``name`` declares, checked, by key."""
        from edgebench.targets.registry import target_spec

        return {o.key: self.settings.option(o.key) for o in target_spec(name).options}

    def _targets(self) -> dict[str, CheckedTarget]:
        """The targets made so far, by device."""
        return {
            key[1]: value[1]
            for key, value in self._memo.items()
            if key[0] == "target" and value[0] == "ok"
        }

    def transfers(self) -> dict[str, dict[str, Any]]:
        """What this process sent to each board: ``{device: {host, files, bytes, reached,
        failure}}`` (``reached``: whether the board ever answered)."""
        found = {device: target.transfers() for device, target in self._targets().items()}
        return {device: sent for device, sent in found.items() if sent is not None}

    def close(self) -> None:
        """Close the connections to boards."""
        for target in self._targets().values():
            target.close()

    def row_host(self, variant: Variant) -> dict[str, Any]:
        """``device_host``: the board of the pool that this process measures on (a row's
        field: under xdist, rows of one variant may run on different boards)."""
        target = self.target_for(variant.device)
        return {"device_host": target.label_for(variant.id)} if target.remote else {}

    def is_remote(self, variant: Variant) -> bool:
        """Whether ``variant`` is measured on a board rather than on this machine."""
        return self.target_for(variant.device).remote

    def device_facts(self, device: str, row: str = "") -> dict[str, Any]:
        """Facts of the machine that measures ``device``'s row ``row`` (in a pool of boards,
        that row's board), read there (once per machine)."""
        target = self.target_for(device)
        return self._once(
            ("device-facts", device, target.label_for(row)),
            lambda: {"device_facts": target.facts_for(row)},
        )

    def context(self, case: LatencyCase) -> MeasureContext:
        """What a measurement of ``case`` may use (see ``measurements.base``)."""
        variant = case.variant
        return MeasureContext(
            case=case,
            artifact=self.artifact(variant),
            dataset=self.dataset(variant.dataset),
            runtime=self.runtime(variant.runtime),
            task=self.task,
            target=self.target_for(variant.device),
            settings=self.settings,
            once=self._once,
            input_sample=lambda session: self.latency_input(variant, session),
        )

    def sensitivity_cases(self) -> list[SensitivityCase]:
        """The analyses ``--sensitivity`` asks for (``UsageError`` for a recipe whose step
        cannot keep layers in float)."""
        from edgebench.cases import sensitivity_cases
        from edgebench.recipes import parse_recipes, split_variants
        from edgebench.recipes.core import starts_with_a_step

        texts = split_variants(
            self.settings.option("sensitivity") or "", starts_with_a_step(self.registry)
        )
        recipes = parse_recipes(texts, self.registry)
        for recipe in recipes:
            if len(recipe.steps) != 1 or not hasattr(recipe.steps[0], "keeping_float"):
                raise UsageError(
                    f"--sensitivity {recipe.id}: a sensitivity analysis needs one step that can "
                    "keep chosen layers in float (dfq<B>-<scheme>-<granularity>, e.g. "
                    "dfq4-sym-pc; ort-qdq[-...], ort-qop[-...]; aeq-int8)"
                )
        return sensitivity_cases(self.settings.sources, self.settings.datasets, recipes)

    def sensitivity(self, case: SensitivityCase) -> dict[str, Any]:
        """The per-layer sensitivity of ``case`` (``edgebench.sensitivity``)."""
        from edgebench.sensitivity import run_sensitivity

        return run_sensitivity(self, case)

    def threshold(self, variant: Variant) -> Threshold:
        """The accuracy-drop threshold that applies to ``variant``."""
        return threshold_for(
            variant.recipe, self.settings.thresholds, self.settings.max_accuracy_drop
        )

    # -- gates ----------------------------------------------------------------------

    def baseline_row(self, variant: Variant, threads: int) -> list[list[float]]:
        """The latency samples (ms) of the same row in each baseline run that has it."""
        from edgebench.results import load_run, row_key_of

        def index() -> dict[tuple[Any, ...], list[list[float]]]:
            rows: dict[tuple[Any, ...], list[list[float]]] = {}
            for path in self.settings.baseline:
                for r in load_run(path)[1]:
                    if r.latency_samples_ms:
                        rows.setdefault(r.row_key, []).append(r.latency_samples_ms)
            return rows

        if not self.settings.baseline:
            return []
        rows = self._once(("baseline-rows",), index)
        key = row_key_of(variant.key(), threads)
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
        self._p50s[(variant.id, threads)] = p50_ms

    def remembered_p50(self, variant: Variant, threads: int) -> float | None:
        """A p50 measured earlier in this process, if any."""
        return self._p50s.get((variant.id, threads))

    # -- accuracy -------------------------------------------------------------------

    def _plain_accuracy(self, variant: Variant) -> TaskScore:
        """The task's metrics of a variant over the whole test split."""
        from edgebench.measurements.accuracy import task_metric

        return task_metric(self.context(LatencyCase(variant, self.settings.cores)))

    def plain_accuracy(self, variant: Variant) -> TaskScore:
        """Memoised :meth:`_plain_accuracy` (once per variant and process)."""
        return self._once(("accuracy", variant.id), lambda: self._plain_accuracy(variant))

    def baseline_recipe(self) -> Recipe:
        """The fp32 recipe, the accuracy reference."""
        return parse_recipe("fp32", self.registry)

    def accuracy(self, variant: Variant) -> AccuracyResult:
        """Accuracy of ``variant`` and its drop against fp32 on the same runtime."""
        score = self.plain_accuracy(variant)
        accuracy, samples = score.value, score.samples
        if accuracy is None:
            reasons = {
                k: str(score.reason)
                for k in (
                    "accuracy",
                    "baseline_accuracy",
                    "accuracy_drop",
                    "eval_samples",
                    "metrics",
                )
            }
            failure = f"{variant.id}: {score.reason}" if score.failed else None
            return AccuracyResult(None, None, None, None, reasons, failure=failure)
        found = {
            "metric": score.metric or self.task.headline,
            "metrics": score.metrics,
            "sample": score.sample,
            "input_contract": score.contract,
        }
        if variant.recipe.is_baseline:
            return AccuracyResult(accuracy, accuracy, 0.0, samples, **found)
        baseline = variant.with_recipe(self.baseline_recipe())
        try:
            base = self.plain_accuracy(baseline)
            base_accuracy, base_reason = base.value, base.reason
        except EdgebenchError as exc:
            base_accuracy, base_reason = None, f"fp32 baseline failed: {exc}"
        if base_accuracy is None:
            reasons = {
                k: f"no fp32 baseline accuracy: {base_reason}"
                for k in ("baseline_accuracy", "accuracy_drop")
            }
            return AccuracyResult(accuracy, None, None, samples, reasons, **found)
        drop = self.task.drop_points(base_accuracy, accuracy)
        return AccuracyResult(accuracy, base_accuracy, drop, samples, **found)

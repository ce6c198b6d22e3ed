"""The benchmark matrix: variants (model x dataset x recipe x runtime) and thread counts.

A test id reads like the row it produces:
``test_latency[mobilenet_v1-digits-fp32-litert-t2]`` and
``test_accuracy[mobilenet_v1-digits-fp32-litert]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from edgebench.artifacts.sources import ModelFile, ModelSource
from edgebench.data.datasets import dataset_id
from edgebench.recipes import Recipe
from edgebench.runtimes.registry import artifact_format, runtimes_for_format


@dataclass(frozen=True)
class Variant:
    """One compression variant of one model on one dataset and runtime."""

    source: ModelSource
    dataset: str  # the dataset spec
    recipe: Recipe
    runtime: str
    device: str
    #: whether the id names the device (when a session measures on several devices).
    show_device: bool = field(default=False, compare=False)

    @property
    def id(self) -> str:
        """``model-dataset-recipe-runtime`` (``...-runtime-device`` with several devices)."""
        base = f"{self.source.id}-{dataset_id(self.dataset)}-{self.recipe.id}-{self.runtime}"
        return f"{base}-{self.device}" if self.show_device else base

    @property
    def artifact_format(self) -> str:
        """The artifact format the runtime loads."""
        return artifact_format(self.runtime)

    def key(self) -> dict[str, str]:
        """The record key fields of this variant."""
        return {
            "model": self.source.id,
            "dataset": dataset_id(self.dataset),
            "recipe": self.recipe.id,
            "runtime": self.runtime,
            "device": self.device,
        }

    def with_recipe(self, recipe: Recipe) -> Variant:
        """The same variant with another recipe (e.g. the fp32 baseline)."""
        return replace(self, recipe=recipe)


@dataclass(frozen=True)
class LatencyCase:
    """A variant at a thread count; ``skip_reason`` when it cannot run here."""

    variant: Variant
    threads: int
    skip_reason: str | None = None

    @property
    def id(self) -> str:
        """``model-dataset-recipe-runtime-tN``."""
        return f"{self.variant.id}-t{self.threads}"


@dataclass(frozen=True)
class SensitivityCase:
    """A per-layer sensitivity analysis: one model on one dataset, for one recipe."""

    source: ModelSource
    dataset: str
    recipe: Recipe

    @property
    def id(self) -> str:
        """``model-dataset-recipe``."""
        return f"{self.source.id}-{dataset_id(self.dataset)}-{self.recipe.id}"


def sensitivity_cases(
    sources: Sequence[ModelSource], datasets: Sequence[str], recipes: Sequence[Recipe]
) -> list[SensitivityCase]:
    """One analysis per model, dataset and recipe."""
    return [SensitivityCase(s, d, r) for s in sources for d in datasets for r in recipes]


@dataclass(frozen=True)
class Matrix:
    """The collected variants and latency cases, and what was left out and why."""

    variants: tuple[Variant, ...]
    latency_cases: tuple[LatencyCase, ...]
    excluded: tuple[tuple[str, str], ...]  # (variant id, reason)


def exclusion_reason(
    source: ModelSource, recipe: Recipe, runtime: str, convert: bool = True
) -> str | None:
    """Why ``recipe`` of ``source`` cannot run on ``runtime``, or ``None`` when it can
    (``convert``: a model file may reach the runtime through a registered converter)."""
    fmt = artifact_format(runtime)
    model_framework = source.framework
    if model_framework is not None:
        from edgebench.frameworks.registry import framework

        obstacle = framework(model_framework).obstacle(source, recipe, fmt, runtime)
        if obstacle is not None:
            return obstacle
    if isinstance(source, ModelFile) and source.native_format is not None:
        from edgebench.formats import formats_written_by

        converts = fmt in formats_written_by(source.native_format)
        if source.native_format != fmt and converts and not convert:
            return f".{source.native_format} files run on their own runtimes only (--convert false)"
        if source.native_format != fmt and not converts:
            other = (
                " or ".join(runtimes_for_format(source.native_format)) or "no registered runtime"
            )
            return f".{source.native_format} files run on {other} only (no converter to {fmt})"
        if recipe.needs_keras:
            return f"recipe {recipe.id} needs a Keras model; {source.id} is a converted file"
    if not recipe.supports(fmt):
        return f"recipe {recipe.id} cannot be expressed as {fmt} for {runtime}"
    return None


@dataclass(frozen=True)
class DeviceAxis:
    """One device of the matrix: its name, thread counts, and the cores of this machine
    when the device is this machine (``None`` for a board: its rows are not skipped here)."""

    name: str
    threads: tuple[int, ...]
    local_cores: int | None


def build_matrix(
    sources: Sequence[ModelSource],
    datasets: Sequence[str],
    recipes: Sequence[Recipe],
    runtimes: Sequence[str],
    device: str | Sequence[DeviceAxis],
    threads: Sequence[int] = (),
    cores: int | None = None,
    convert: bool = True,
) -> Matrix:
    """Every runnable variant x thread count on each device (``device`` is one name with
    ``threads`` and ``cores``, or several :class:`DeviceAxis`); thread counts above this
    machine's cores are skipped for the devices that are this machine."""
    devices = (
        [DeviceAxis(device, tuple(threads), cores)] if isinstance(device, str) else list(device)
    )
    several = len(devices) > 1
    variants: list[Variant] = []
    cases: list[LatencyCase] = []
    excluded: list[tuple[str, str]] = []
    for axis in devices:
        for source in sources:
            for dataset in datasets:
                for recipe in recipes:
                    for runtime in runtimes:
                        variant = Variant(source, dataset, recipe, runtime, axis.name, several)
                        reason = exclusion_reason(source, recipe, runtime, convert)
                        if reason is not None:
                            excluded.append((variant.id, reason))
                            continue
                        variants.append(variant)
                        for count in axis.threads:
                            cores_here = axis.local_cores
                            skip = (
                                f"{count} threads > {cores_here} usable cores on this machine"
                                if cores_here is not None and count > cores_here
                                else None
                            )
                            cases.append(LatencyCase(variant, count, skip))
    return Matrix(tuple(variants), tuple(cases), tuple(excluded))

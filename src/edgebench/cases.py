"""The benchmark matrix: variants (model x dataset x recipe x runtime) and thread counts.

A test id reads like the row it produces:
``test_latency[mobilenet_v1-digits-fp32-litert-t2]`` and
``test_accuracy[mobilenet_v1-digits-fp32-litert]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from edgebench.build.sources import ModelFile, ModelSource
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

    @property
    def id(self) -> str:
        """``model-dataset-recipe-runtime``."""
        return f"{self.source.id}-{dataset_id(self.dataset)}-{self.recipe.id}-{self.runtime}"

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
class Matrix:
    """The collected variants and latency cases, and what was left out and why."""

    variants: tuple[Variant, ...]
    latency_cases: tuple[LatencyCase, ...]
    excluded: tuple[tuple[str, str], ...]  # (variant id, reason)


def exclusion_reason(source: ModelSource, recipe: Recipe, runtime: str) -> str | None:
    """Why ``recipe`` of ``source`` cannot run on ``runtime``, or ``None`` when it can."""
    fmt = artifact_format(runtime)
    if isinstance(source, ModelFile) and source.native_format is not None:
        if source.native_format != fmt:
            other = (
                " or ".join(runtimes_for_format(source.native_format)) or "no registered runtime"
            )
            return f".{source.native_format} files run on {other} only (no converter to {fmt})"
        if recipe.needs_keras:
            return f"recipe {recipe.id} needs a Keras model; {source.id} is a converted file"
    if not recipe.supports(fmt):
        return f"recipe {recipe.id} cannot be expressed as {fmt} for {runtime}"
    return None


def build_matrix(
    sources: Sequence[ModelSource],
    datasets: Sequence[str],
    recipes: Sequence[Recipe],
    runtimes: Sequence[str],
    device: str,
    threads: Sequence[int],
    cores: int,
) -> Matrix:
    """Every runnable variant x thread count; thread counts above ``cores`` are skipped."""
    variants: list[Variant] = []
    cases: list[LatencyCase] = []
    excluded: list[tuple[str, str]] = []
    for source in sources:
        for dataset in datasets:
            for recipe in recipes:
                for runtime in runtimes:
                    variant = Variant(source, dataset, recipe, runtime, device)
                    reason = exclusion_reason(source, recipe, runtime)
                    if reason is not None:
                        excluded.append((variant.id, reason))
                        continue
                    variants.append(variant)
                    for count in threads:
                        skip = (
                            f"{count} threads > {cores} usable cores on this machine"
                            if count > cores
                            else None
                        )
                        cases.append(LatencyCase(variant, count, skip))
    return Matrix(tuple(variants), tuple(cases), tuple(excluded))

"""Compression recipes: the grammar, the registry and the built-in steps."""

from __future__ import annotations

import functools

from edgebench.errors import UsageError
from edgebench.recipes.aeq import AEQ_QUANTIZATION
from edgebench.recipes.baseline import FLOAT32, Float32
from edgebench.recipes.core import (
    ALL_FORMATS,
    BuildContext,
    Recipe,
    Step,
    StepKind,
    StepRegistry,
    expand_ranges,
    parse_recipe,
    parse_recipes,
    split_variants,
)
from edgebench.recipes.dfq import DFQ
from edgebench.recipes.distillation import DISTILLATION
from edgebench.recipes.lowrank import LOW_RANK
from edgebench.recipes.ort_quant import ORT_QUANTIZATION
from edgebench.recipes.po2_training import PO2_TRAINING
from edgebench.recipes.tflite_quant import TFLITE_QUANTIZATION
from edgebench.recipes.training_steps import TRAINING_STEPS

BUILTIN_STEP_KINDS: tuple[StepKind, ...] = (
    FLOAT32,
    *TFLITE_QUANTIZATION,
    *ORT_QUANTIZATION,
    *AEQ_QUANTIZATION,
    DFQ,
    *TRAINING_STEPS,
    DISTILLATION,
    LOW_RANK,
    PO2_TRAINING,
)


@functools.lru_cache(maxsize=4096)
def describe_recipe(text: str) -> Recipe | None:
    """A recipe string of a saved record, parsed with the built-in steps (``None`` for a
    recipe of steps this process does not know, such as a third party's): the report
    reads groups, sweeps and bits from it rather than from the string."""
    try:
        return parse_recipe(text, default_registry())
    except UsageError:
        return None


def default_registry() -> StepRegistry:
    """A registry holding the built-in step kinds."""
    registry = StepRegistry()
    for kind in BUILTIN_STEP_KINDS:
        registry.register(kind)
    return registry


__all__ = [
    "ALL_FORMATS",
    "BuildContext",
    "BUILTIN_STEP_KINDS",
    "FLOAT32",
    "Float32",
    "Recipe",
    "Step",
    "StepKind",
    "StepRegistry",
    "default_registry",
    "describe_recipe",
    "expand_ranges",
    "parse_recipe",
    "parse_recipes",
    "split_variants",
]

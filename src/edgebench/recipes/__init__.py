"""Compression recipes: the grammar, the registry and the built-in steps."""

from __future__ import annotations

from edgebench.recipes.baseline import FLOAT32, Float32
from edgebench.recipes.core import (
    ALL_FORMATS,
    Recipe,
    Step,
    StepKind,
    StepRegistry,
    parse_recipe,
    parse_recipes,
)

BUILTIN_STEP_KINDS: tuple[StepKind, ...] = (FLOAT32,)


def default_registry() -> StepRegistry:
    """A registry holding the built-in step kinds."""
    registry = StepRegistry()
    for kind in BUILTIN_STEP_KINDS:
        registry.register(kind)
    return registry


__all__ = [
    "ALL_FORMATS",
    "BUILTIN_STEP_KINDS",
    "FLOAT32",
    "Float32",
    "Recipe",
    "Step",
    "StepKind",
    "StepRegistry",
    "default_registry",
    "parse_recipe",
    "parse_recipes",
]

"""Recipes: a compression variant as a chain of steps with a stable string form.

A recipe string such as ``prune0.5+ft2+int8`` is parsed, token by token, by the step
kinds in a :class:`StepRegistry`. Each parsed step is a frozen dataclass whose
``token`` reproduces its string form, so a recipe's id is stable and reads like the
row it produces. Steps come in two stages:

- ``model`` steps transform the float model (pruning, fine-tuning, data-free weight
  quantization) and can be shared by every runtime;
- ``export`` steps decide how the model is converted for one artifact format
  (``fp32``, full-integer TFLite, ONNX Runtime static quantization, ...).

A recipe holds any number of model steps followed by at most one export step; with
none, it exports the float model as is (the ``fp32`` row).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import ClassVar, Literal

from edgebench.errors import UsageError

Stage = Literal["model", "export"]
ALL_FORMATS: frozenset[str] = frozenset({"tflite", "onnx"})


@dataclass(frozen=True)
class Step:
    """One step of a recipe; subclasses are frozen dataclasses with their parameters."""

    stage: ClassVar[Stage] = "model"
    #: artifact formats an export step can produce (model steps apply to all).
    formats: ClassVar[frozenset[str]] = ALL_FORMATS

    @property
    def token(self) -> str:  # pragma: no cover - every subclass overrides it
        """The step's stable string form (a part of the test id)."""
        raise NotImplementedError


@dataclass(frozen=True)
class StepKind:
    """How to recognise and parse one kind of step token."""

    name: str
    pattern: re.Pattern[str]
    parse: Callable[[re.Match[str]], Step]
    help: str
    example: str


@dataclass
class StepRegistry:
    """The step kinds a session knows; third parties add theirs through a hook."""

    kinds: dict[str, StepKind] = field(default_factory=dict)

    def register(self, kind: StepKind) -> None:
        """Add a step kind; its name must be new."""
        if kind.name in self.kinds:
            raise UsageError(f"recipe step kind {kind.name!r} is registered twice")
        self.kinds[kind.name] = kind

    def parse_step(self, token: str) -> Step:
        """Parse one token, e.g. ``fp32``; the error lists what is known."""
        for kind in self.kinds.values():
            match = kind.pattern.fullmatch(token)
            if match:
                return kind.parse(match)
        known = "; ".join(f"{k.example} ({k.help})" for k in self.kinds.values())
        raise UsageError(f"unknown recipe step {token!r}; known steps: {known}")


@dataclass(frozen=True)
class Recipe:
    """A parsed variant: model steps then at most one export step."""

    steps: tuple[Step, ...]

    @property
    def id(self) -> str:
        """The recipe's string form, as in test ids (``fp32`` for the plain float model)."""
        return "+".join(step.token for step in self.steps) or "fp32"

    @property
    def model_steps(self) -> tuple[Step, ...]:
        """Steps that transform the float model."""
        return tuple(s for s in self.steps if s.stage == "model")

    @property
    def export_step(self) -> Step | None:
        """The step that decides the conversion, or ``None`` for a float export."""
        exports = [s for s in self.steps if s.stage == "export"]
        return exports[0] if exports else None

    @property
    def is_baseline(self) -> bool:
        """Whether this recipe is the uncompressed float model (the accuracy reference)."""
        return not self.model_steps and (
            self.export_step is None or self.export_step.token == "fp32"
        )

    def supports(self, artifact_format: str) -> bool:
        """Whether the recipe can be expressed as an artifact of ``artifact_format``."""
        step = self.export_step
        return step is None or artifact_format in step.formats

    def __str__(self) -> str:
        return self.id


def parse_recipe(text: str, registry: StepRegistry) -> Recipe:
    """Parse ``a+b+c`` into a :class:`Recipe`, checking the order of stages."""
    text = text.strip()
    if not text:
        raise UsageError("empty recipe")
    tokens = text.split("+")
    if any(not t for t in tokens):
        raise UsageError(f"malformed recipe {text!r}: empty step between '+' signs")
    steps = tuple(registry.parse_step(t) for t in tokens)
    exports = [i for i, s in enumerate(steps) if s.stage == "export"]
    if len(exports) > 1:
        raise UsageError(
            f"recipe {text!r} has more than one export step "
            f"({', '.join(steps[i].token for i in exports)}); keep one, last"
        )
    if exports and exports[0] != len(steps) - 1:
        raise UsageError(
            f"recipe {text!r}: the export step {steps[exports[0]].token!r} must come last"
        )
    return Recipe(steps)


def parse_recipes(texts: Iterable[str], registry: StepRegistry) -> list[Recipe]:
    """Parse a list of recipes, dropping duplicates but keeping order."""
    seen: dict[str, Recipe] = {}
    for text in texts:
        recipe = parse_recipe(text, registry)
        seen.setdefault(recipe.id, recipe)
    return list(seen.values())

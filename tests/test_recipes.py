import re
from dataclasses import dataclass
from typing import ClassVar

import pytest

from edgebench.errors import UsageError
from edgebench.recipes import Step, StepKind, default_registry, parse_recipe, parse_recipes
from edgebench.recipes.core import Stage


@dataclass(frozen=True)
class Prune(Step):
    sparsity: float

    @property
    def token(self) -> str:
        return f"toyprune{self.sparsity:g}"


@dataclass(frozen=True)
class TfliteOnly(Step):
    stage: ClassVar[Stage] = "export"
    formats: ClassVar[frozenset[str]] = frozenset({"tflite"})

    @property
    def token(self) -> str:
        return "toyint8"


@pytest.fixture
def registry():
    registry = default_registry()
    registry.register(
        StepKind(
            "toyprune",
            re.compile(r"toyprune(0?\.\d+)"),
            lambda m: Prune(float(m[1])),
            "prune",
            "toyprune0.5",
        )
    )
    registry.register(
        StepKind("toyint8", re.compile("toyint8"), lambda m: TfliteOnly(), "int8", "toyint8")
    )
    return registry


def test_fp32_is_the_baseline(registry):
    recipe = parse_recipe("fp32", registry)
    assert recipe.id == "fp32"
    assert recipe.is_baseline
    assert recipe.supports("tflite") and recipe.supports("onnx")


def test_chain_id_is_stable_and_normalised(registry):
    recipe = parse_recipe("toyprune.50+toyint8", registry)
    assert recipe.id == "toyprune0.5+toyint8"
    assert [s.token for s in recipe.model_steps] == ["toyprune0.5"]
    assert recipe.export_step.token == "toyint8"
    assert not recipe.is_baseline
    assert recipe.supports("tflite") and not recipe.supports("onnx")


def test_model_steps_alone_export_to_every_format(registry):
    recipe = parse_recipe("toyprune0.5", registry)
    assert recipe.export_step is None
    assert recipe.supports("onnx") and not recipe.is_baseline


def test_unknown_step_lists_known_steps(registry):
    with pytest.raises(UsageError, match=r"unknown recipe step 'int4'.*fp32.*toyprune0\.5"):
        parse_recipe("int4", registry)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty recipe"),
        ("toyprune0.5++toyint8", "empty step"),
        ("toyint8+toyprune0.5", "must come last"),
        ("fp32+toyint8", "more than one export step"),
    ],
)
def test_malformed_recipes(registry, text, message):
    with pytest.raises(UsageError, match=message):
        parse_recipe(text, registry)


def test_parse_recipes_drops_duplicates_keeping_order(registry):
    recipes = parse_recipes(["toyint8", "fp32", "toyint8", " fp32 "], registry)
    assert [r.id for r in recipes] == ["toyint8", "fp32"]


def test_registering_a_kind_twice_is_an_error(registry):
    with pytest.raises(UsageError, match="registered twice"):
        registry.register(registry.kinds["fp32"])

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


def test_ft_after_prune_or_cluster_is_bound_when_parsed():
    from edgebench.recipes.core import FineTuned
    from edgebench.thresholds import threshold_for

    registry = default_registry()
    recipe = parse_recipe("prune0.5+ft2+int8", registry)
    assert recipe.id == "prune0.5+ft2+int8"
    bound, export = recipe.steps
    assert isinstance(bound, FineTuned) and bound.token == "prune0.5+ft2"
    assert bound.fine_tune.epochs == 2 and export.token == "int8"
    # ft after a step that does not train in a wrapper stays a step of its own
    assert [s.token for s in parse_recipe("sprune0.3+ft5", registry).steps] == ["sprune0.3", "ft5"]
    # the ft family still selects a threshold, before the pruning family
    assert threshold_for(parse_recipe("prune0.5+ft2", registry), {"ft": 3.0}, 1.0).points == 3.0


def test_recipes_describe_their_group_sweep_and_kernels():
    from edgebench.recipes import describe_recipe

    registry = default_registry()
    groups = {
        text: parse_recipe(text, registry).group
        for text in (
            "fp32",
            "int8",
            "ort-qdq-pc",
            "dfq4-asym-pc",
            "prune0.5+ft2",
            "sprune0.3+int8",
            "cluster16",
            "qat",
            "ft3+int8",
        )
    }
    assert groups == {
        "fp32": "fp32",
        "int8": "quantization",
        "ort-qdq-pc": "quantization",
        "dfq4-asym-pc": "data-free",
        "prune0.5+ft2": "pruning",
        "sprune0.3+int8": "structured pruning",
        "cluster16": "clustering",
        "qat": "qat",
        "ft3+int8": "other",
    }
    sweep = parse_recipe("prune0.4+ft2+int8", registry).sweep()
    assert (sweep.name, sweep.value, sweep.series, sweep.pattern) == (
        "sparsity",
        0.4,
        "+ft2+int8",
        "prune*+ft2+int8",
    )
    bits = parse_recipe("prune0.5+dfq4-asym-pc", registry).sweep(axis="bits")
    assert (bits.value, bits.before, bits.series, bits.pattern) == (
        4.0,
        "prune0.5",
        "asym-pc",
        "prune0.5+dfq*-asym-pc",
    )
    assert (
        parse_recipe("prune0.5+dfq4-asym-pc", registry).sweep(axis="bits", first_only=True) is None
    )
    assert [
        parse_recipe(t, registry).integer_kernels
        for t in ("int8", "dyn8", "ort-dyn", "fp16", "int16x8", "dfq8-sym-pc")
    ] == [True, True, True, False, False, False]
    spec = parse_recipe("sprune0.3+int8", registry).describe()
    assert spec["group"] == "structured pruning" and spec["sweep"] == {
        "name": "fraction",
        "value": 0.3,
    }
    assert [s["step"] for s in spec["steps"]] == ["sprune0.3", "int8"] and spec["bits"] == 8
    assert describe_recipe("mystep3") is None  # a third party's step: the report says "other"

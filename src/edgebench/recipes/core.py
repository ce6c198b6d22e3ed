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
from pathlib import Path
from typing import Any, ClassVar, Literal, Protocol

import numpy as np

from edgebench.errors import UsageError

Stage = Literal["model", "export"]
#: the built-in formats; as a step's ``formats`` (this very object) it means "every
#: registered format" (see ``Step.exports_to``).
ALL_FORMATS: frozenset[str] = frozenset({"tflite", "onnx"})


@dataclass(frozen=True)
class BuildContext(Protocol):
    """What a step may ask of the artifact builder while it runs."""

    #: representative samples for calibration (``--calibration-samples``).
    calibration_samples: int
    #: the session's seed, for anything random (training, ranking, sampling).
    seed: int
    #: whether to log what is built (``pytest -s``).
    verbose: bool
    #: where training bars and summary lines go (``edgebench.progress``).
    progress: Any
    #: "model on dataset, recipe", for progress titles.
    title: str
    #: the task of the dataset's labels (its losses train the model).
    task: str

    def training_data(self, input_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The labelled training split fitted to ``input_shape``, less the validation
        images (raises if there is none)."""
        ...

    def training_settings(self) -> dict[str, Any]:
        """The model's training settings (``artifacts.budget.TRAINING_DEFAULTS`` keys)."""
        ...

    def fine_tune_epochs(self, default: int) -> tuple[int, str]:
        """Epochs for a training step whose recipe names none, and where they came from."""
        ...

    def objective(self, model: Any) -> Any:
        """The loss, target encoding and metrics that fine-tune ``model``
        (``frameworks.keras.objectives.Objective``)."""
        ...

    def fixed_input_shape(self, sample_shape: tuple[int | None, ...]) -> tuple[int, ...]:
        """A model input shape (per sample) with its dynamic dimensions fixed by the
        model's input contract (``UsageError`` with the declaration to add otherwise)."""
        ...

    def calibration_inputs(self, input_shape: tuple[int, ...]) -> np.ndarray:
        """Training samples fitted to ``input_shape`` (random inputs for ``random``)."""
        ...

    def float_file(self, artifact_format: str) -> Path:
        """The float ``artifact_format`` file of the model this export step starts from
        (built, converted or as the user gave it; cached)."""
        ...

    def float_onnx(self) -> Path:
        """The float ``.onnx`` export of the model this export step starts from (cached)."""
        ...

    def model_input_shape(self) -> tuple[int, int, int]:
        """The model's input (H, W, C) for this dataset (PyTorch steps build examples)."""
        ...

    def teacher(self) -> Any:
        """What a distilling step learns from, loaded afresh by its framework: the float
        model of ``--kd-teacher``, else the one at the root of the recipe (the ``fp32``
        row's model)."""
        ...

    def teacher_name(self) -> str:
        """Which model :meth:`teacher` is, for the record."""
        ...

    def log(self, message: str) -> None:
        """Progress output (shown with ``pytest -s``)."""
        ...


class Step:
    """One step of a recipe; subclasses are frozen dataclasses with their parameters."""

    stage: ClassVar[Stage] = "model"
    #: artifact formats an export step can produce (model steps apply to all);
    #: ``ALL_FORMATS`` means every format a registered exporter writes.
    formats: ClassVar[frozenset[str]] = ALL_FORMATS

    def exports_to(self, artifact_format: str) -> bool:
        """Whether this export step can write ``artifact_format``."""
        if self.formats is ALL_FORMATS:
            from edgebench.formats import format_names

            return artifact_format in format_names()
        return artifact_format in self.formats

    #: the threshold family (``[tool.edgebench.thresholds]`` key), e.g. ``int8``.
    family: ClassVar[str] = ""
    #: whether the step trains (fine-tuning settings are then part of its cache key).
    trains: ClassVar[bool] = False
    #: whether the step needs a Keras model (not a converted .onnx/.tflite file).
    needs_keras: ClassVar[bool] = True
    #: whether the step reads calibration samples (their count is then part of the cache key).
    uses_calibration: ClassVar[bool] = False
    #: the report group rows are grouped by (``quantization``, ``pruning``, ...).
    group: ClassVar[str] = "other"
    #: the parameter a sweep of this step varies: (short name, axis label), e.g.
    #: ``("sparsity", "sparsity")``; ``None`` for steps that are not swept.
    sweep_axis: ClassVar[tuple[str, str] | None] = None
    #: whether the step makes the runtime run integer (int8) kernels.
    integer_kernels: ClassVar[bool] = False
    #: whether a following ``ft<E>`` sets this step's own fine-tuning (bound at parse time).
    binds_fine_tune: ClassVar[bool] = False

    @property
    def token(self) -> str:  # pragma: no cover - every subclass overrides it
        """The step's stable string form (a part of the test id)."""
        raise NotImplementedError

    @property
    def bits(self) -> int | None:
        """Weight bit width this step leaves (``None``: float, or not a quantizer)."""
        return None

    @property
    def sweep_value(self) -> float | None:
        """The value of the swept parameter (``None`` when the step is not swept)."""
        return None

    @property
    def sweep_prefix(self) -> str:
        """The start of the token that names the swept value (``prune0.5`` of
        ``prune0.5-poly``); the rest of the recipe names the series."""
        return ""

    @property
    def sweep_pattern(self) -> str:
        """:attr:`sweep_prefix` with the value as ``*`` (``dfq*-`` for ``dfq4-``)."""
        return ""

    def families(self) -> tuple[str, ...]:
        """The threshold families of this step, outermost last."""
        return (self.family,) if self.family else ()

    def describe(self) -> dict[str, Any]:
        """Metadata recorded with every artifact the step produces."""
        return {"step": self.token, "family": self.family, "bits": self.bits}

    def transform(self, model: Any, context: BuildContext) -> tuple[Any, dict[str, Any]]:
        """(model stage) Return the transformed Keras model and metadata about it."""
        raise NotImplementedError(f"{self.token} is not a model step")

    def supports_torch(self) -> bool:
        """(model stage) Whether :meth:`transform_torch` can apply the step to a PyTorch
        module."""
        return False

    def transform_torch(self, module: Any, context: BuildContext) -> dict[str, Any]:
        """(model stage) Transform the ``torch.nn.Module`` in place; return metadata."""
        raise NotImplementedError(f"{self.token} has no PyTorch implementation")

    def supports_torch_export(self, artifact_format: str) -> bool:
        """(export stage) Whether :meth:`export_torch` writes this step's ``artifact_format``
        artifact from a PyTorch module (its own converter, not the exported ONNX file)."""
        return False

    def export_torch(
        self, module: Any, artifact_format: str, out_path: Path, context: BuildContext
    ) -> dict[str, Any]:
        """(export stage) Write the artifact of the ``torch.nn.Module``; return metadata."""
        raise NotImplementedError(f"{self.token} has no PyTorch exporter")

    def export(
        self, model: Any, artifact_format: str, out_path: Path, context: BuildContext
    ) -> dict[str, Any]:
        """(export stage) Write the artifact to ``out_path``; return metadata about it.

        ``model`` is a Keras model, or ``None`` when the source is a converted file
        (possible only for steps with ``needs_keras = False``).
        """
        raise NotImplementedError(f"{self.token} is not an export step")


@dataclass(frozen=True)
class FineTuned(Step):
    """A step that trains inside a wrapper (prune, cluster) with the epochs of the ``ft<E>``
    that follows it: ``prune0.5+ft2`` is one step, bound when the recipe is parsed."""

    inner: Step
    fine_tune: Step
    trains: ClassVar[bool] = True

    @property
    def token(self) -> str:
        return f"{self.inner.token}+{self.fine_tune.token}"

    @property
    def family(self) -> str:  # type: ignore[override]
        return self.inner.family

    @property
    def group(self) -> str:  # type: ignore[override]
        return self.inner.group

    @property
    def sweep_axis(self) -> tuple[str, str] | None:  # type: ignore[override]
        return self.inner.sweep_axis

    @property
    def sweep_value(self) -> float | None:
        return self.inner.sweep_value

    @property
    def sweep_prefix(self) -> str:
        return self.inner.sweep_prefix

    @property
    def sweep_pattern(self) -> str:
        return self.inner.sweep_pattern

    @property
    def bits(self) -> int | None:
        return self.inner.bits

    def families(self) -> tuple[str, ...]:
        return (*self.inner.families(), *self.fine_tune.families())

    def describe(self) -> dict[str, Any]:
        return {**self.inner.describe(), "step": self.token}

    def transform(self, model: Any, context: BuildContext) -> tuple[Any, dict[str, Any]]:
        """The inner step, fine-tuned for the bound epochs."""
        return self.inner.fine_tuned(  # type: ignore[attr-defined]
            model, context, self.fine_tune.epochs, "recipe"
        )

    def supports_torch(self) -> bool:
        return self.inner.supports_torch()

    def transform_torch(self, module: Any, context: BuildContext) -> dict[str, Any]:
        """(PyTorch) The inner step, fine-tuned for the bound epochs."""
        return self.inner.fine_tuned_torch(  # type: ignore[attr-defined]
            module, context, self.fine_tune.epochs, "recipe"
        )


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
class Sweep:
    """Where a recipe sits in a sweep: ``name`` and ``label`` of the axis, the ``value``,
    the index of the swept step, the recipe before it (``before``) and the rest of the
    recipe after the swept value (``series``: the sweep's other settings, ``asym-pc``)."""

    name: str
    label: str
    value: float
    index: int
    before: str
    series: str
    #: the recipe with the swept value as ``*`` (``dfq*-asym-pc``): the sweep's name.
    pattern: str


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

    @property
    def needs_keras(self) -> bool:
        """Whether any step needs a Keras model as its input."""
        return any(step.needs_keras for step in self.steps if step.token != "fp32")

    def torch_obstacle(self) -> str | None:
        """Why the recipe cannot be applied to a PyTorch model, or ``None`` when it can:
        model steps with a PyTorch implementation, then a float export or an export step
        that starts from the exported ONNX file."""
        for step in self.model_steps:
            if not step.supports_torch():
                return (
                    f"step {step.token} has no PyTorch implementation (PyTorch models take "
                    "sprune, prune, ft, kd, lowrank, the ONNX Runtime quantizers and int8io)"
                )
        export = self.export_step
        if (
            export is not None
            and export.token != "fp32"
            and export.needs_keras
            and not any(export.supports_torch_export(f) for f in export.formats)
        ):
            return (
                f"step {export.token} converts a Keras model; PyTorch models are exported "
                "(to .onnx, then the ONNX Runtime quantizers; to .tflite as float, or int8io "
                "through litert-torch's PT2E quantizer)"
            )
        return None

    @property
    def bits(self) -> int | None:
        """The smallest weight bit width any step leaves, ``None`` when all float."""
        widths = [step.bits for step in self.steps if step.bits is not None]
        return min(widths) if widths else None

    @property
    def group(self) -> str:
        """The report group of the recipe: its first step's (``fp32`` for the baseline)."""
        return "fp32" if self.is_baseline else self.steps[0].group

    @property
    def integer_kernels(self) -> bool:
        """Whether any step makes the runtime run int8 kernels."""
        return any(step.integer_kernels for step in self.steps)

    def sweep(self, axis: str | None = None, first_only: bool = False) -> Sweep | None:
        """The first swept step of the recipe (of sweep axis ``axis`` when given; the first
        step only with ``first_only``), or ``None``."""
        done: list[str] = []
        for index, step in enumerate(self.steps):
            swept = step.sweep_axis is not None and step.sweep_value is not None
            if swept and (axis is None or step.sweep_axis[0] == axis):  # type: ignore[index]
                name, label = step.sweep_axis  # type: ignore[misc]
                before = "+".join(done)
                series = self.id[len("+".join([*done, step.sweep_prefix])) :]
                pattern = "+".join([*done, step.sweep_pattern]) + series
                return Sweep(name, label, step.sweep_value, index, before, series, pattern)  # type: ignore[arg-type]
            if first_only:
                return None
            done.append(step.token)
        return None

    def describe(self) -> dict[str, Any]:
        """The structured recipe, as the record carries it."""
        sweep = self.sweep()
        return {
            "id": self.id,
            "group": self.group,
            "bits": self.bits,
            "steps": [step.describe() for step in self.steps],
            "sweep": None if sweep is None else {"name": sweep.name, "value": sweep.value},
        }

    def supports(self, artifact_format: str) -> bool:
        """Whether the recipe can be expressed as an artifact of ``artifact_format``."""
        step = self.export_step
        return step is None or step.exports_to(artifact_format)

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
    steps = _bind_fine_tuning(tuple(registry.parse_step(t) for t in tokens))
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


def _bind_fine_tuning(steps: tuple[Step, ...]) -> tuple[Step, ...]:
    """``prune0.5`` followed by ``ft2`` becomes one :class:`FineTuned` step."""
    bound: list[Step] = []
    for step in steps:
        if bound and step.family == "ft" and bound[-1].binds_fine_tune:
            bound[-1] = FineTuned(bound[-1], step)
        else:
            bound.append(step)
    return tuple(bound)


_RANGE = re.compile(r"(\d+)\.\.(\d+)")


def expand_ranges(text: str) -> list[str]:
    """Expand one integer range ``A..B`` in a recipe: ``dfq2..4-sym-pt`` -> dfq2, dfq3, dfq4.

    >>> expand_ranges("dfq7..8-asym-pc")
    ['dfq7-asym-pc', 'dfq8-asym-pc']
    """
    match = _RANGE.search(text)
    if not match:
        return [text]
    low, high = int(match[1]), int(match[2])
    if low > high:
        raise UsageError(f"empty range {match[0]!r} in recipe {text!r}")
    return [text[: match.start()] + str(v) + text[match.end() :] for v in range(low, high + 1)]


def split_variants(option: str, starts_recipe: Callable[[str], bool] | None = None) -> list[str]:
    """Split a ``--variants`` comma list; a comma inside ``skip=a,b`` stays in its recipe.
    After a ``skip=`` list, a piece starts a new recipe when ``starts_recipe`` says so
    (:func:`starts_with_a_step`; without one: when it reads like a step, letters then a digit).

    >>> split_variants("fp32,dfq4-sym-pc-skip=first,last,int8")
    ['fp32', 'dfq4-sym-pc-skip=first,last', 'int8']
    """
    parts: list[str] = []
    for piece in (p.strip() for p in option.split(",")):
        if not piece:
            continue
        if starts_recipe is not None:
            new_recipe = starts_recipe(piece)
        else:
            new_recipe = bool(re.match(r"^[a-z-]+\d", piece))
        if parts and "skip=" in parts[-1].rsplit("+", 1)[-1] and not new_recipe:
            parts[-1] += "," + piece
        else:
            parts.append(piece)
    return parts


def starts_with_a_step(registry: StepRegistry) -> Callable[[str], bool]:
    """Whether a piece of a comma list begins with a step ``registry`` parses (ranges
    expanded): where a ``skip=`` list ends and the next recipe begins.

    >>> from edgebench.recipes import default_registry
    >>> check = starts_with_a_step(default_registry())
    >>> check("ort-qdq-skip=conv1"), check("conv_pw_2"), check("dfq2..4-sym-pc")
    (True, False, True)
    """

    def check(piece: str) -> bool:
        first = expand_ranges(piece.split("+", 1)[0])[0]
        try:
            registry.parse_step(first)
        except UsageError:
            return False
        return True

    return check


def parse_recipes(texts: Iterable[str], registry: StepRegistry) -> list[Recipe]:
    """Parse recipes (expanding ``A..B`` ranges), dropping duplicates but keeping order."""
    seen: dict[str, Recipe] = {}
    for text in texts:
        for expanded in expand_ranges(text.strip()):
            recipe = parse_recipe(expanded, registry)
            seen.setdefault(recipe.id, recipe)
    return list(seen.values())

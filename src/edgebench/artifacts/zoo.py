"""The zoo: architecture modules found in the models folder, and zoo model specs.

A zoo spec names an architecture and optional builder parameters:
``mobilenet_v1`` or ``mobilenet_v1:alpha=0.75`` (values are Python literals).
"""

from __future__ import annotations

import ast
import hashlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from edgebench.data.contract import InputContract
from edgebench.errors import UsageError

DEFAULT_ZOO_MODEL = "mobilenet_v1"
#: the zoo model ``--model auto`` picks for each task.
DEFAULT_ZOO_MODELS: dict[str, str] = {
    "classify": DEFAULT_ZOO_MODEL,
    "segment": "seg_mobilenet",
    "detect": "det_centernet",
}


@dataclass(frozen=True)
class Architecture:
    """A zoo architecture: its module (with ``build``) and the file it came from."""

    name: str
    module: ModuleType
    path: Path
    source_sha256: str

    @property
    def defaults(self) -> dict[str, Any]:
        """Builder parameters and their defaults."""
        return dict(getattr(self.module, "DEFAULTS", {}))

    @property
    def training(self) -> dict[str, Any]:
        """Training settings: ``artifacts.budget.TRAINING_DEFAULTS`` updated with the module's
        ``TRAINING`` (epochs are a ceiling under the step budget)."""
        from edgebench.artifacts.budget import training_settings

        return training_settings(getattr(self.module, "TRAINING", {}))

    @property
    def framework(self) -> str:
        """What ``build`` returns: ``keras`` (a Keras model, the default) or ``torch`` (a
        ``torch.nn.Module`` taking NCHW images and returning logits)."""
        return str(getattr(self.module, "FRAMEWORK", "keras"))

    @property
    def positional(self) -> str | None:
        """The parameter a bare value sets (``POSITIONAL``): ``tv:mobilenet_v2`` is
        ``tv:arch=mobilenet_v2``."""
        value = getattr(self.module, "POSITIONAL", None)
        return None if value is None else str(value)

    @property
    def listed(self) -> bool:
        """Whether ``--model zoo`` includes the architecture (``LISTED``, default true)."""
        return bool(getattr(self.module, "LISTED", True))

    @property
    def task(self) -> str:
        """The task the architecture's outputs are for (``TASK``; ``classify`` if unset)."""
        return str(getattr(self.module, "TASK", "classify"))

    @property
    def min_input_size(self) -> int:
        """Smallest input height/width the architecture accepts."""
        return int(getattr(self.module, "MIN_INPUT_SIZE", 1))

    @property
    def default_input_shape(self) -> tuple[int, int, int]:
        """Input shape used when the dataset has none (``random``)."""
        return tuple(getattr(self.module, "DEFAULT_INPUT_SHAPE", (32, 32, 3)))  # type: ignore[return-value]

    @property
    def description(self) -> str:
        """One line describing the architecture."""
        return str(getattr(self.module, "DESCRIPTION", self.name))

    def input_shape_for(self, sample_shape: tuple[int, ...] | None) -> tuple[int, int, int]:
        """Model input shape for dataset samples of ``sample_shape`` (resized up if small)."""
        if sample_shape is None:
            return self.default_input_shape
        if len(sample_shape) != 3:
            raise UsageError(
                f"{self.name} needs image data (H, W, C), got samples of {sample_shape}"
            )
        height, width, channels = sample_shape
        size = self.min_input_size
        return (max(height, size), max(width, size), channels)


def load_architectures(models_dir: Path) -> dict[str, Architecture]:
    """Import every ``*.py`` module in ``models_dir`` that defines ``build``."""
    found: dict[str, Architecture] = {}
    if not models_dir.is_dir():
        return found
    for path in sorted(models_dir.glob("*.py")):
        if path.name.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"edgebench_zoo.{path.stem}", path)
        if spec is None or spec.loader is None:  # pragma: no cover - defensive
            continue
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:  # noqa: BLE001 - a broken builder is a usage error
            raise UsageError(
                f"cannot import zoo module {path}: {type(exc).__name__}: {exc}"
            ) from exc
        if callable(getattr(module, "build", None)):
            source = hashlib.sha256(path.read_bytes()).hexdigest()
            found[path.stem] = Architecture(path.stem, module, path, source)
    return found


@dataclass(frozen=True)
class ZooSpec:
    """A zoo model: architecture name and the builder parameters that differ from defaults."""

    name: str
    params: tuple[tuple[str, Any], ...] = field(default=())
    #: the architecture's framework (``keras`` or ``torch``); not part of the id.
    framework: str = field(default="keras", compare=False)
    #: the parameter written bare in the id (``tv:mobilenet_v2``); not part of the id.
    positional: str | None = field(default=None, compare=False)

    @property
    def contract(self) -> InputContract:
        """A zoo model takes the dataset's images as they are: NHWC, RGB, [0, 1]."""
        return InputContract(layout="NHWC")

    @property
    def id(self) -> str:
        """Id in test names: ``mobilenet_v1``, ``mobilenet_v1:alpha=0.75``, ``tv:resnet18``."""
        if not self.params:
            return self.name
        parts = [
            _literal(v) if k == self.positional else f"{k}={_literal(v)}"
            for k, v in sorted(self.params, key=lambda kv: kv[0] != self.positional)
        ]
        return self.name + ":" + ":".join(parts)

    def builder_params(self, architecture: Architecture) -> dict[str, Any]:
        """Defaults of ``architecture`` updated with this spec's parameters."""
        return {**architecture.defaults, **dict(self.params)}


def _literal(value: Any) -> str:
    if isinstance(value, tuple | list):
        return "(" + ",".join(_literal(v) for v in value) + ")"
    return str(value)


def parse_zoo_spec(text: str, architectures: dict[str, Architecture]) -> ZooSpec:
    """Parse ``name[:key=value...]``; unknown names list the known ones."""
    name, *assignments = text.strip().split(":")
    if name not in architectures:
        known = ", ".join(sorted(architectures)) or "none"
        raise UsageError(f"unknown zoo model {name!r}; known zoo models: {known}")
    params: dict[str, Any] = {}
    positional = architectures[name].positional
    for assignment in assignments:
        key, sep, raw = assignment.partition("=")
        if not sep and positional is not None and key and positional not in params:
            params[positional] = key.strip()
            continue
        if not sep or not key:
            raise UsageError(f"malformed zoo parameter {assignment!r} in {text!r}; use key=value")
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError) as exc:
            default = architectures[name].defaults.get(key.strip(), 0)
            if not (raw.isidentifier() and (default is None or isinstance(default, str))):
                raise UsageError(f"zoo parameter {key}={raw!r} is not a Python literal") from exc
            value = raw  # a bare name for a text parameter: weights=DEFAULT
        params[key.strip()] = tuple(value) if isinstance(value, list) else value
    defaults = architectures[name].defaults
    unknown = sorted(set(params) - set(defaults))
    if unknown:
        raise UsageError(
            f"{name} has no parameter(s) {', '.join(unknown)}; "
            f"its parameters: {', '.join(sorted(defaults)) or 'none'}"
        )
    changed = tuple(sorted((k, v) for k, v in params.items() if defaults.get(k) != v))
    return ZooSpec(name, changed, architectures[name].framework, positional)

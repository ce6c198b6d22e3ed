"""What a model framework does for the artifact builder.

The builder (``artifacts.pipeline``) has one path for every framework: it keys and caches
each stage, and asks the model's framework to do the framework's part. A framework is one
module with a class of this shape plus a :class:`FrameworkSpec` registration
(``frameworks.registry``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from edgebench.artifacts.budget import TrainingBudget
    from edgebench.artifacts.zoo import Architecture
    from edgebench.progress import Progress


@dataclass(frozen=True)
class TrainingRun:
    """One training of a zoo model: the data already fitted to the model's input (NHWC
    images), the budget, and where progress goes."""

    budget: TrainingBudget
    train: tuple[np.ndarray, np.ndarray]
    validation: tuple[np.ndarray, np.ndarray]
    test: tuple[np.ndarray, np.ndarray] | None
    #: the kind of labels (a task's ``labels``: ``classify``, ``segment``, ``detect``).
    labels: str
    num_classes: int
    seed: int
    title: str
    progress: Progress


@dataclass(frozen=True)
class ZooModel:
    """A zoo architecture to build: the module, its input (H, W, C), classes and
    builder parameters."""

    architecture: Architecture
    input_shape: tuple[int, int, int]
    num_classes: int
    params: dict[str, Any]


class Framework(Protocol):
    """A model framework (Keras, PyTorch): build, train, transform, save, load, export.

    Example (a framework whose models are numpy weight dicts)::

        class NumpyFramework:
            name = "numpy"
            cache_kind = "numpy-zoo-float"
            model_file = "weights.npz"

            def tools(self, base, *, export=False):
                return base
            ...
    """

    #: the registered name (``keras``, ``torch``): a zoo module's ``FRAMEWORK``.
    name: str
    #: the cache entry kind of a zoo model's float weights (part of the cache key).
    cache_kind: str
    #: the file (or the file in the folder) an entry saves the model in.
    model_file: str
    #: the kind :meth:`load` is given for a model this framework saved.
    saved_kind: str

    def obstacle(self, source: Any, recipe: Any, artifact_format: str, runtime: str) -> str | None:
        """Why ``recipe`` of ``source`` (a zoo spec or model file of this framework) cannot
        become an ``artifact_format`` artifact for ``runtime``; ``None`` when it can. Says
        what to install when a converter is missing."""
        ...

    def tools(self, base: dict[str, str], *, export: bool = False) -> dict[str, str]:
        """Package versions that decide a model (with ``export``, also its export)."""
        ...

    def build_zoo(self, zoo: ZooModel, seed: int) -> tuple[Any, dict[str, Any]]:
        """A fresh, seeded model of ``zoo``; with the thread settings training will use."""
        ...

    def constructor(self, zoo: ZooModel) -> Any:
        """What :meth:`load` needs to rebuild a saved zoo model's structure (``None``
        when the saved file holds it); cheap: nothing is imported until it is called."""
        ...

    def train(self, model: Any, zoo: ZooModel, run: TrainingRun) -> tuple[Any, dict[str, Any]]:
        """Train ``model`` in place; the ``TrainingResult`` and the record's extra facts."""
        ...

    def counts(self, model: Any, input_shape: tuple[int, ...]) -> dict[str, Any]:
        """``params``, ``trainable_params`` and ``macs`` (``None``: not countable)."""
        ...

    def save(self, model: Any, folder: Path) -> None:
        """Save ``model`` into the cache entry ``folder``."""
        ...

    def load(self, path: Path, kind: str, *, trusted: bool, constructor: Any = None) -> Any:
        """The model saved at ``path`` (``kind`` as a model file's kind); ``trusted`` when
        edgebench wrote it; ``constructor`` rebuilds a zoo structure for its weights."""
        ...

    def step_obstacle(self, step: Any) -> str | None:
        """Why recipe ``step`` cannot be applied to a model of this framework, or ``None``."""
        ...

    def transform(self, step: Any, model: Any, context: Any) -> tuple[Any, dict[str, Any]]:
        """Model ``step`` applied to ``model``: the new model and what the step records."""
        ...

    def export_needs_model(self, step: Any, artifact_format: str) -> bool:
        """Whether exporting with ``step`` reads the model (else it starts from a file the
        context provides, such as the float ONNX export)."""
        ...

    def export(
        self, step: Any, model: Any, artifact_format: str, out_path: Path, context: Any
    ) -> dict[str, Any]:
        """Write the artifact of ``model`` (``None`` when not needed) with export ``step``."""
        ...

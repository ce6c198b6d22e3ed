"""What every task provides: the metric of a model's outputs against the labels, how a
drop is computed, and the losses that train and fine-tune a model for it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from edgebench.data.datasets import Dataset


class Task(Protocol):
    """What "accuracy" means for a model (classification today; segmentation and
    detection are further modules)."""

    #: the registered name (``classify``).
    name: str
    #: the record field of the headline metric: gates, drops and tables use it.
    headline: str
    #: the table header of the headline metric (``Accuracy``, ``mIoU``, ``mAP@0.5``).
    metric_label: str
    #: the kind of labels the task scores, matched against a dataset's ``task``
    #: (``classify``, ``segment``, ``detect``; a task without it scores class labels).
    labels: str

    def check_outputs(self, outputs: np.ndarray, dataset: Dataset) -> str | None:
        """Why a model whose first batch gave ``outputs`` cannot be scored on
        ``dataset`` (say what the model has and what the dataset needs), or ``None``."""
        ...

    def evaluate(
        self,
        predict: Callable[[np.ndarray], np.ndarray],
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
    ) -> dict[str, float]:
        """The task's metrics over ``x``/``y``, the headline one included."""
        ...

    def drop_points(self, baseline: float, value: float) -> float:
        """The drop of the headline metric from ``baseline`` to ``value``, in points."""
        ...

    def training_loss(self, model: Any) -> Any:
        """The Keras loss a model of this task is trained with."""
        ...

    def fine_tune_loss(self, model: Any) -> Any:
        """The Keras loss a compressed model is fine-tuned with."""
        ...

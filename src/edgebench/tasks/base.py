"""What every task provides: the metric of a model's outputs against the labels, how a
drop is computed (the losses that train a model live with its framework:
``frameworks.keras.objectives``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

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

"""Classification: top-1 accuracy of the arg-max over integer labels (the headline), and
top-5 where there are more than 10 classes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from edgebench.instruments.accuracy import accuracy_drop_points, top_k_accuracies

if TYPE_CHECKING:
    from edgebench.data.datasets import Dataset


#: top-5 is reported for models with more classes than this.
TOP5_ABOVE_CLASSES = 10


class ClassifyTask:
    """Top-1 accuracy; the model's output is one score per class."""

    name = "classify"
    #: the kind of labels it scores (a dataset's ``task``).
    labels = "classify"
    headline = "accuracy"
    metric_label = "Accuracy"

    def check_outputs(self, outputs: np.ndarray, dataset: Dataset) -> str | None:
        """A class count that differs from the dataset's."""
        scores = np.asarray(outputs).reshape(len(outputs), -1)
        if dataset.num_classes is not None and scores.shape[1] != dataset.num_classes:
            return (
                f"model has {scores.shape[1]} outputs but dataset {dataset.name} has "
                f"{dataset.num_classes} classes"
            )
        return None

    def evaluate(
        self,
        predict: Callable[[np.ndarray], np.ndarray],
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
    ) -> dict[str, float]:
        """``{"accuracy": top-1}`` in [0, 1], with ``"top5"`` beside it when the model
        scores more than 10 classes."""
        found, classes = top_k_accuracies(predict, x, y, batch_size, (1, 5))
        metrics = {"accuracy": found[1]}
        if classes > TOP5_ABOVE_CLASSES:
            metrics["top5"] = found[5]
        return metrics

    def drop_points(self, baseline: float, value: float) -> float:
        """Percentage points lost from ``baseline`` to ``value``."""
        return accuracy_drop_points(baseline, value)

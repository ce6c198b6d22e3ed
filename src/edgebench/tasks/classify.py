"""Classification: top-1 accuracy of the arg-max over integer labels (the headline), top-5
where there are more than 10 classes, and coarse accuracy where the dataset groups its
classes (``data.hierarchy``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from edgebench.instruments.accuracy import accuracy_drop_points, top_k_accuracies

if TYPE_CHECKING:
    from edgebench.data.datasets import Dataset
    from edgebench.data.hierarchy import ClassGroups


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

    def evaluate_grouped(
        self,
        predict: Callable[[np.ndarray], np.ndarray],
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
        groups: ClassGroups,
    ) -> dict[str, float]:
        """:meth:`evaluate`'s metrics and ``coarse_accuracy``: the share of samples whose
        predicted class (the arg-max) is in the label's group, from the same pass.

        >>> import numpy as np
        >>> from edgebench.data.hierarchy import groups_from_mapping
        >>> groups = groups_from_mapping("g", {"a": [0, 1], "b": [2]}, 3)
        >>> scores = np.array([[0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])  # predicts 1, then 2
        >>> ClassifyTask().evaluate_grouped(lambda b: scores[: len(b)], np.zeros(2),
        ...                                 np.array([0, 2]), 2, groups)
        {'accuracy': 0.5, 'coarse_accuracy': 1.0}
        """
        predicted: list[np.ndarray] = []

        def remembering(batch: np.ndarray) -> np.ndarray:
            scores = predict(batch)
            flat = np.asarray(scores).reshape(len(batch), -1)
            predicted.append(flat.argmax(axis=1))
            return scores

        metrics = self.evaluate(remembering, x, y, batch_size)
        fine = np.concatenate(predicted)
        labels = np.asarray(y).reshape(-1)
        if fine.max(initial=0) >= len(groups.coarse_of):
            return metrics  # a class beyond the groups: the class-count check reports it
        metrics["coarse_accuracy"] = float(np.mean(groups.coarse(fine) == groups.coarse(labels)))
        return metrics

    def drop_points(self, baseline: float, value: float) -> float:
        """Percentage points lost from ``baseline`` to ``value``."""
        return accuracy_drop_points(baseline, value)

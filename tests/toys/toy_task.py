"""A task: top-2 accuracy (the label among the two highest scores)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from edgebench.tasks.classify import ClassifyTask
from edgebench.tasks.registry import TaskSpec


class TopTwoTask(ClassifyTask):
    """Classification scored by top-2 accuracy."""

    name = "top2"
    headline = "top2"
    metric_label = "Top-2"

    def evaluate(
        self,
        predict: Callable[[np.ndarray], np.ndarray],
        x: np.ndarray,
        y: np.ndarray,
        batch_size: int,
    ) -> dict[str, float]:
        scores = np.concatenate(
            [np.asarray(predict(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]
        ).reshape(len(x), -1)
        top2 = np.argsort(scores, axis=1)[:, -2:]
        return {"top2": float(np.mean((top2 == y[:, None]).any(axis=1)))}


SPEC = TaskSpec(
    "top2", "toy_task:TopTwoTask", "top-2 accuracy", metric="top2", metric_header="Top-2"
)

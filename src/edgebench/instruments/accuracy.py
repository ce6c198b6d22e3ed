"""Top-1 accuracy of a runtime session over a labelled split, in batches."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def top1_accuracy(
    predict: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
) -> float:
    """Fraction of samples whose arg-max prediction equals the label, in [0, 1].

    ``predict`` maps a batch of inputs to a batch of scores (logits or probabilities).
    """
    if len(x) != len(y):
        raise ValueError(f"{len(x)} inputs but {len(y)} labels")
    if len(x) == 0:
        raise ValueError("empty evaluation split")
    correct = 0
    for start in range(0, len(x), batch_size):
        scores = np.asarray(predict(x[start : start + batch_size]))
        scores = scores.reshape(scores.shape[0], -1)
        correct += int(np.sum(scores.argmax(axis=1) == y[start : start + batch_size]))
    return correct / len(x)


def accuracy_drop_points(baseline: float, variant: float) -> float:
    """Drop in percentage points from ``baseline`` to ``variant`` (both fractions)."""
    return (baseline - variant) * 100.0

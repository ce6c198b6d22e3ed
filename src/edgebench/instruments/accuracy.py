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


def top_k_accuracies(
    predict: Callable[[np.ndarray], np.ndarray],
    x: np.ndarray,
    y: np.ndarray,
    batch_size: int,
    ks: tuple[int, ...] = (1, 5),
) -> tuple[dict[int, float], int]:
    """Fraction of samples whose label is among the ``k`` highest scores, for each ``k``
    (a ``k`` not below the class count is left out: it would be 1 by construction), and
    the class count (scores per sample).

    >>> scores = np.array([[0.1, 0.5, 0.4], [0.6, 0.3, 0.1]])
    >>> top_k_accuracies(lambda b: scores[: len(b)], np.zeros(2), np.array([2, 0]), 2, (1, 2))
    ({1: 0.5, 2: 1.0}, 3)
    """
    if len(x) != len(y):
        raise ValueError(f"{len(x)} inputs but {len(y)} labels")
    if len(x) == 0:
        raise ValueError("empty evaluation split")
    hits: dict[int, int] = {}
    classes = 0
    for start in range(0, len(x), batch_size):
        scores = np.asarray(predict(x[start : start + batch_size]))
        scores = scores.reshape(scores.shape[0], -1)
        classes = scores.shape[1]
        labels = y[start : start + batch_size].reshape(-1, 1)
        # ranked as arg-max ranks: higher score first, the lower class index first on ties
        order = np.argsort(-scores, axis=1, kind="stable")
        rank = np.argmax(order == labels, axis=1)
        for k in ks:
            if k < scores.shape[1] or k == 1:
                hits[k] = hits.get(k, 0) + int(np.sum(rank < k))
    return {k: count / len(x) for k, count in hits.items()}, classes


def accuracy_drop_points(baseline: float, variant: float) -> float:
    """Drop in percentage points from ``baseline`` to ``variant`` (both fractions)."""
    return (baseline - variant) * 100.0

"""Knowledge distillation, as plain numpy: the reference the framework losses are tested
against (Hinton, Vinyals and Dean, 2015).

The student learns from the labels and from the teacher's softened outputs:

    loss = (1 - alpha) * CE(labels, softmax(z_s))
           + alpha * T^2 * KL(softmax(z_t / T) || softmax(z_s / T))

``T`` (the temperature) spreads the teacher's probability over the classes it thinks
alike; the ``T^2`` keeps the soft term's gradients on the scale of the hard term's as T
grows. A model that ends in softmax gives probabilities, not logits: their logarithm is
the logits less a constant per sample, which every softmax above ignores, so
:func:`logits_of` turns either into logits.
"""

from __future__ import annotations

import numpy as np

#: the temperature and soft-term weight when a recipe names none (``kd5``).
DEFAULT_TEMPERATURE = 4.0
DEFAULT_ALPHA = 0.9
#: probabilities are clipped here before their logarithm (a softmax output of exactly 0).
PROBABILITY_FLOOR = 1e-12


def logits_of(outputs: np.ndarray, probabilities: bool) -> np.ndarray:
    """Logits (up to a constant per sample) of a model's outputs: the outputs themselves,
    or the logarithm of probabilities.

    >>> logits_of(np.array([[0.5, 0.25, 0.25]]), probabilities=True).round(3).tolist()
    [[-0.693, -1.386, -1.386]]
    """
    outputs = np.asarray(outputs, dtype=np.float64)
    if probabilities:
        return np.log(np.clip(outputs, PROBABILITY_FLOOR, None))
    return outputs


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Softmax over the last axis of ``logits / temperature`` (stable).

    >>> softmax(np.array([[0.0, 0.0]])).tolist()
    [[0.5, 0.5]]
    """
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    scaled = scaled - scaled.max(axis=-1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=-1, keepdims=True)


def log_softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Logarithm of :func:`softmax` (stable)."""
    scaled = np.asarray(logits, dtype=np.float64) / temperature
    shifted = scaled - scaled.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def distillation_loss(
    student_logits: np.ndarray,
    teacher_logits: np.ndarray,
    labels: np.ndarray,
    temperature: float = DEFAULT_TEMPERATURE,
    alpha: float = DEFAULT_ALPHA,
) -> float:
    """The mean distillation loss of a batch (see the module's formula).

    With ``alpha=0`` it is the plain cross-entropy; a student equal to the teacher has no
    soft term:

    >>> z = np.array([[2.0, 0.0, -1.0]])
    >>> round(distillation_loss(z, z, np.array([0]), alpha=1.0), 12)
    0.0
    """
    labels = np.asarray(labels).astype(np.int64).ravel()
    hard = -log_softmax(student_logits)[np.arange(len(labels)), labels]
    soft_teacher = softmax(teacher_logits, temperature)
    kl = np.sum(
        soft_teacher
        * (log_softmax(teacher_logits, temperature) - log_softmax(student_logits, temperature)),
        axis=-1,
    )
    return float(np.mean((1 - alpha) * hard + alpha * temperature**2 * kl))

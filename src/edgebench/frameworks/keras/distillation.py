"""Knowledge distillation for Keras students: the teacher's logits as targets and the
loss of ``compression.distillation`` in TensorFlow.

The targets of each training sample are one row ``[label, teacher logits...]``, so the
shuffled batches of the ordinary fine-tuning path carry the teacher's outputs with their
labels; the teacher runs once over the training split, not once per epoch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgebench.compression.distillation import logits_of
from edgebench.frameworks.keras.objectives import Objective, ends_in_softmax
from edgebench.frameworks.keras.tfcompat import import_tensorflow

PREDICT_BATCH = 256


def teacher_logits(teacher: Any, x: np.ndarray) -> np.ndarray:
    """The teacher's logits (up to a constant per sample) on ``x``, as float32."""
    outputs = teacher.predict(x, batch_size=PREDICT_BATCH, verbose=0)
    if isinstance(outputs, (list, tuple)):
        outputs = outputs[0]
    return logits_of(outputs, ends_in_softmax(teacher)).astype(np.float32)


def distillation_objective(
    student: Any, logits: np.ndarray, temperature: float, alpha: float
) -> Objective:
    """The objective that fine-tunes ``student`` towards the labels and the teacher's
    ``logits`` (one row per training sample, in the split's order)."""
    tf = import_tensorflow()
    probabilities = ends_in_softmax(student)
    floor = 1e-12

    def student_logits(y_pred: Any) -> Any:
        return tf.math.log(tf.clip_by_value(y_pred, floor, 1.0)) if probabilities else y_pred

    def distillation(y_true: Any, y_pred: Any) -> Any:
        labels = tf.cast(y_true[:, 0], tf.int32)
        teacher = y_true[:, 1:]
        z = student_logits(y_pred)
        hard = tf.nn.sparse_softmax_cross_entropy_with_logits(labels, z)
        soft = tf.nn.softmax(teacher / temperature)
        kl = tf.reduce_sum(
            soft * (tf.nn.log_softmax(teacher / temperature) - tf.nn.log_softmax(z / temperature)),
            axis=-1,
        )
        return (1.0 - alpha) * hard + alpha * temperature**2 * kl

    def accuracy(y_true: Any, y_pred: Any) -> Any:
        labels = tf.cast(y_true[:, 0], tf.int64)
        return tf.cast(tf.equal(tf.argmax(y_pred, axis=-1), labels), tf.float32)

    def encode(labels: np.ndarray) -> np.ndarray:
        labels = np.asarray(labels).reshape(len(labels), -1)[:, :1].astype(np.float32)
        if len(labels) != len(logits):
            raise ValueError(f"{len(labels)} labels for {len(logits)} teacher outputs")
        return np.concatenate([labels, logits], axis=1)

    return Objective(loss=distillation, encode=encode, metrics=(accuracy,))  # type: ignore[arg-type]

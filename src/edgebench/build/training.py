"""Seeded training of zoo models on a dataset."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgebench.build.tfcompat import import_keras, import_tensorflow


@dataclass(frozen=True)
class TrainingResult:
    """What training did: epochs, final metrics and wall time."""

    epochs: int
    train_accuracy: float | None
    test_accuracy: float | None
    seconds: float


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and TensorFlow and make TensorFlow's ops deterministic."""
    tf = import_tensorflow()
    keras = import_keras()
    keras.utils.set_random_seed(seed)
    with contextlib.suppress(AttributeError):  # older TensorFlow has no op determinism
        tf.config.experimental.enable_op_determinism()


def fit_classifier(
    model: Any,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray | None,
    y_test: np.ndarray | None,
    *,
    epochs: int,
    batch_size: int,
    learning_rate: float,
    seed: int,
    verbose: int = 0,
    task: str = "classify",
) -> TrainingResult:
    """Train ``model`` with Adam and cosine learning-rate decay; evaluate on the test split."""
    from edgebench.tasks import make_task

    keras = import_keras()
    seed_everything(seed)
    steps = max(1, int(np.ceil(len(x_train) / batch_size))) * max(1, epochs)
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps)
    model.compile(
        optimizer=keras.optimizers.Adam(schedule),
        loss=make_task(task).training_loss(model),
        metrics=["accuracy"],
    )
    started = time.perf_counter()
    history = model.fit(
        x_train, y_train, epochs=epochs, batch_size=batch_size, shuffle=True, verbose=verbose
    )
    seconds = time.perf_counter() - started
    train_acc = history.history.get("accuracy", [None])[-1] if epochs else None
    test_acc = None
    if x_test is not None and y_test is not None:
        test_acc = float(model.evaluate(x_test, y_test, verbose=0, batch_size=256)[1])
    return TrainingResult(
        epochs, None if train_acc is None else float(train_acc), test_acc, seconds
    )

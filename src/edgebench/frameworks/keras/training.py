"""Seeded training and fine-tuning of Keras models on a dataset, within a budget.

The input pipeline is ``tf.data`` (shuffled with the seed, batched, prefetched: no
Python work per sample), TensorFlow uses the cores this process may run on, and the
progress of every run goes to a :class:`~edgebench.progress.Progress` (a bar through
pytest's terminal, or nothing).
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgebench.artifacts.budget import TrainingBudget
from edgebench.frameworks.keras.tfcompat import import_keras, import_tensorflow
from edgebench.progress import NULL_PROGRESS, Progress


@dataclass(frozen=True)
class TrainingResult:
    """What a training run did: epochs run, the best epoch, metrics and wall time."""

    epochs: int
    best_epoch: int | None
    stopped_early: bool
    train_accuracy: float | None
    validation_accuracy: float | None
    test_accuracy: float | None
    seconds: float
    final_loss: float | None
    validation_loss: float | None = None

    def as_record(self) -> dict[str, Any]:
        """The result as stored beside the budget."""
        return {
            "epochs_run": self.epochs,
            "best_epoch": self.best_epoch,
            "stopped_early": self.stopped_early,
            "train_accuracy": self.train_accuracy,
            "validation_accuracy": self.validation_accuracy,
            "keras_test_accuracy": self.test_accuracy,
            "train_seconds": round(self.seconds, 3),
            "final_loss": self.final_loss,
            "validation_loss": self.validation_loss,
        }


def seed_everything(seed: int) -> None:
    """Seed Python, numpy and TensorFlow and make TensorFlow's ops deterministic."""
    tf = import_tensorflow()
    keras = import_keras()
    keras.utils.set_random_seed(seed)
    with contextlib.suppress(AttributeError):  # older TensorFlow has no op determinism
        tf.config.experimental.enable_op_determinism()


def usable_cores() -> int:
    """CPU cores this process may run on (its affinity mask, else the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def configure_tensorflow_threads() -> dict[str, int]:
    """Give TensorFlow's intra-op pool every usable core (once per process; TensorFlow
    refuses a change after its runtime started, which is then kept as it is)."""
    tf = import_tensorflow()
    cores = usable_cores()
    with contextlib.suppress(RuntimeError):
        tf.config.threading.set_intra_op_parallelism_threads(cores)
        tf.config.threading.set_inter_op_parallelism_threads(min(2, cores))
    return {
        "intra_op_threads": tf.config.threading.get_intra_op_parallelism_threads(),
        "inter_op_threads": tf.config.threading.get_inter_op_parallelism_threads(),
    }


def input_pipeline(x: np.ndarray, y: np.ndarray, batch_size: int, seed: int, shuffle: bool) -> Any:
    """A ``tf.data`` pipeline over ``(x, y)``: seeded shuffle each epoch, batches, prefetch."""
    tf = import_tensorflow()
    data = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        data = data.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return data.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def progress_callback(progress: Progress, title: str, budget: TrainingBudget) -> Any:
    """A Keras callback that drives ``progress``: one bar over the planned steps, with
    epoch, loss, accuracy and (after each epoch) validation accuracy."""
    keras = import_keras()

    class _ProgressCallback(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.bar: Any = None
            self.epoch = 0
            self.validation: dict[str, Any] = {}

        def on_train_begin(self, logs: Any = None) -> None:
            self.bar = progress.bar(title, total=budget.planned_steps, unit="step")

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            self.epoch = epoch + 1

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            logs = logs or {}
            self.bar.update(1)
            if batch % 10 == 0 or batch + 1 == budget.steps_per_epoch:
                shown = {**logs, **self.validation}
                self.bar.set_postfix(
                    progress_postfix(self.epoch, budget.epochs, shown), refresh=False
                )

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            # the last validation accuracy stays on the bar through the next epoch
            logs = logs or {}
            self.validation = {k: v for k, v in logs.items() if k == "val_accuracy"}
            self.bar.set_postfix(progress_postfix(epoch + 1, budget.epochs, logs), refresh=False)

        def on_train_end(self, logs: Any = None) -> None:
            if self.bar is not None:
                self.bar.close()

    return _ProgressCallback()


def progress_postfix(epoch: int, epochs: int, logs: dict[str, Any]) -> dict[str, str]:
    """What a training bar shows beside the count: epoch, loss, accuracy, validation accuracy."""
    shown = {"epoch": f"{epoch}/{epochs}"}
    for key, label in (("loss", "loss"), ("accuracy", "acc"), ("val_accuracy", "val_acc")):
        if key in logs:
            shown[label] = f"{float(logs[key]):.4f}"
    return shown


def fit(
    model: Any,
    budget: TrainingBudget,
    data: tuple[np.ndarray, np.ndarray],
    *,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    test: tuple[np.ndarray, np.ndarray] | None = None,
    seed: int,
    title: str,
    progress: Progress = NULL_PROGRESS,
    callbacks: list[Any] | None = None,
    monitor: str = "val_accuracy",
) -> TrainingResult:
    """Fit a compiled ``model`` within ``budget`` (early stopping on ``validation`` when
    the budget has a patience, watching ``monitor``, keeping the best epoch); evaluate on
    ``test`` (its accuracy, when the model is compiled with it)."""
    keras = import_keras()
    x, y = data
    all_callbacks = [*(callbacks or []), progress_callback(progress, title, budget)]
    val_data = None
    if validation is not None and len(validation[0]):
        val_data = input_pipeline(*validation, budget.batch_size, seed, shuffle=False)
        if budget.patience is not None:
            all_callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor=monitor,
                    patience=budget.patience,
                    restore_best_weights=True,
                    mode="min" if monitor.endswith("loss") else "max",
                    start_from_epoch=budget.watch_from_epoch,
                )
            )
    started = time.perf_counter()
    history = model.fit(
        input_pipeline(x, y, budget.batch_size, seed, shuffle=True),
        epochs=budget.epochs,
        validation_data=val_data,
        callbacks=all_callbacks,
        verbose=0,
    )
    seconds = time.perf_counter() - started
    logs = history.history
    epochs_run = len(logs.get("loss", []))
    watched = logs.get(monitor)
    best_epoch = None
    if watched:
        pick = np.argmin if monitor.endswith("loss") else np.argmax
        best_epoch = int(pick(watched)) + 1
    stopped_early = epochs_run < budget.epochs
    kept = best_epoch if budget.patience is not None and best_epoch is not None else epochs_run
    val_curve = logs.get("val_accuracy")
    validation_accuracy = float(val_curve[kept - 1]) if val_curve else None
    val_losses = logs.get("val_loss")
    validation_loss = float(val_losses[kept - 1]) if val_losses else None
    test_accuracy = None
    if test is not None and "accuracy" in logs:
        test_accuracy = float(model.evaluate(*test, verbose=0, batch_size=256)[1])
    return TrainingResult(
        epochs=epochs_run,
        best_epoch=best_epoch,
        stopped_early=stopped_early,
        train_accuracy=float(logs["accuracy"][-1]) if logs.get("accuracy") else None,
        validation_accuracy=validation_accuracy,
        test_accuracy=test_accuracy,
        seconds=seconds,
        final_loss=float(logs["loss"][-1]) if logs.get("loss") else None,
        validation_loss=validation_loss,
    )


def compile_for_training(
    model: Any, loss: Any, budget: TrainingBudget, metrics: tuple[str, ...] = ("accuracy",)
) -> None:
    """Adam with cosine decay of the budget's learning rate over its planned steps."""
    keras = import_keras()
    schedule = keras.optimizers.schedules.CosineDecay(
        budget.learning_rate, max(1, budget.planned_steps)
    )
    model.compile(optimizer=keras.optimizers.Adam(schedule), loss=loss, metrics=list(metrics))


def fine_tune_record(budget: TrainingBudget, result: TrainingResult) -> dict[str, Any]:
    """What a fine-tuning step records (Keras and PyTorch alike): its epochs, final loss,
    and the budget with the run's result."""
    return {
        "fine_tune_epochs": result.epochs,
        "fine_tune_final_loss": result.final_loss,
        "fine_tune": {**budget.as_record(), **result.as_record()},
    }


def summary_line(what: str, budget: TrainingBudget, result: TrainingResult) -> str:
    """One line for the terminal after a training run.

    >>> from edgebench.artifacts.budget import TrainingBudget
    >>> b = TrainingBudget(13, 256, 0.0057, 215, 55000, 5000, 4, "step budget")
    >>> r = TrainingResult(11, 7, True, 0.95, 0.912, None, 190.4, 0.2)
    >>> summary_line("trained mobilenet_v1 on fashion-mnist", b, r)
    'trained mobilenet_v1 on fashion-mnist: 11/13 epochs (stopped early, best 7), batch 256, 190 s, validation accuracy 91.20%'
    """
    epochs = f"{result.epochs}/{budget.epochs} epochs"
    if result.stopped_early:
        epochs += f" (stopped early, best {result.best_epoch})"
    if result.validation_accuracy is not None:
        val = f"validation accuracy {result.validation_accuracy:.2%}"
    elif result.validation_loss is not None:
        val = f"validation loss {result.validation_loss:.4f}"
    else:
        val = "no validation split"
    return f"{what}: {epochs}, batch {budget.batch_size}, {result.seconds:.0f} s, {val}"

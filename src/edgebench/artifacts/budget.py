"""How long to train: a budget of optimizer steps that scales with the data (pure).

A fixed epoch count is fine for 1,437 digits and far too long for 60,000 images, so
the zoo's ``TRAINING`` settings are a ceiling, and the budget is chosen from the size
of the training split:

- the batch size grows from the architecture's (32) in powers of two, up to
  ``max_batch_size`` (256), until the planned epochs fit in ``max_steps`` optimizer
  steps; the learning rate follows the square root of the batch growth;
- if even the largest batch does not fit, the epochs are cut to what fits;
- a validation split (``validation_fraction`` of the training split, at most
  ``max_validation`` images) is carved off before training; training stops early when
  its accuracy has not improved for ``patience`` epochs (at least a quarter of the
  planned epochs), watched from the second half of the planned epochs on (the cosine
  learning rate is still high before that), and the best epoch's weights are kept.

``--train-epochs N`` trains exactly N epochs (no early stopping; the batch still grows
to keep the steps bounded where it can). Fine-tuning (``prune``, ``cluster``, ``qat``,
``ft``) uses the same batch rule with its own step bound and the epochs of the recipe.

>>> plan_training(1293, {"epochs": 20, "batch_size": 32, "learning_rate": 2e-3}).batch_size
32
>>> plan_training(54000, {"epochs": 20, "batch_size": 32, "learning_rate": 2e-3}).batch_size
256
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

#: defaults for the keys an architecture's ``TRAINING`` may set.
TRAINING_DEFAULTS: dict[str, Any] = {
    "epochs": 10,
    "batch_size": 32,
    "learning_rate": 1e-3,
    "max_steps": 3000,
    "max_batch_size": 256,
    "validation_fraction": 0.1,
    "max_validation": 5000,
    "patience": 4,
    "fine_tune_max_steps": 600,
}


@dataclass(frozen=True)
class TrainingBudget:
    """The planned budget of one training or fine-tuning run."""

    #: epochs planned (early stopping may end sooner).
    epochs: int
    batch_size: int
    learning_rate: float
    steps_per_epoch: int
    train_samples: int
    validation_samples: int
    #: epochs without validation improvement before stopping; ``None``: no early stopping.
    patience: int | None
    #: where the epochs came from: "step budget", "--train-epochs", "recipe", ...
    chosen_by: str
    #: epochs before early stopping starts watching the validation accuracy.
    watch_from_epoch: int = 0

    @property
    def planned_steps(self) -> int:
        """Optimizer steps if every planned epoch runs."""
        return self.epochs * self.steps_per_epoch

    def as_record(self) -> dict[str, Any]:
        """The budget as stored in the cache entry and the run file."""
        return {**asdict(self), "planned_steps": self.planned_steps}


def training_settings(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """``TRAINING_DEFAULTS`` updated with an architecture's ``TRAINING``."""
    return {**TRAINING_DEFAULTS, **(overrides or {})}


def validation_size(n_samples: int, settings: dict[str, Any]) -> int:
    """Images carved off the training split for validation (0 when it would be too small).

    >>> validation_size(1437, training_settings())
    143
    >>> validation_size(60000, training_settings())
    5000
    >>> validation_size(40, training_settings())
    0
    """
    wanted = int(n_samples * float(settings["validation_fraction"]))
    wanted = min(wanted, int(settings["max_validation"]))
    return wanted if wanted >= 20 and n_samples - wanted >= 20 else 0


def _batch_for(n_samples: int, epochs: int, base: int, largest: int, max_steps: int) -> int:
    batch = base
    while batch * 2 <= largest and epochs * math.ceil(n_samples / batch) > max_steps:
        batch *= 2
    return min(batch, max(1, n_samples))


def _plan(
    n_samples: int,
    settings: dict[str, Any],
    epochs: int,
    max_steps: int,
    *,
    cut_epochs: bool,
    validation: int,
    patience: int | None,
    chosen_by: str,
    learning_rate: float,
) -> TrainingBudget:
    if n_samples <= 0:
        raise ValueError("there are no training samples")
    base = int(settings["batch_size"])
    batch = _batch_for(n_samples, epochs, base, int(settings["max_batch_size"]), max_steps)
    steps_per_epoch = math.ceil(n_samples / batch)
    if cut_epochs and epochs * steps_per_epoch > max_steps:
        epochs = max(1, max_steps // steps_per_epoch)
    scale = math.sqrt(batch / base) if batch > base else 1.0
    return TrainingBudget(
        epochs=epochs,
        batch_size=batch,
        learning_rate=float(learning_rate) * scale,
        steps_per_epoch=steps_per_epoch,
        train_samples=n_samples,
        validation_samples=validation,
        patience=patience,
        chosen_by=chosen_by,
    )


def plan_training(
    n_train_split: int, settings: dict[str, Any], *, epochs: int | None = None
) -> TrainingBudget:
    """The budget for training a zoo model on a training split of ``n_train_split`` images.

    ``epochs`` (``--train-epochs``) trains exactly that many epochs without early
    stopping; otherwise the architecture's epochs are a ceiling under ``max_steps``.

    >>> b = plan_training(54000, training_settings({"epochs": 20, "learning_rate": 2e-3}))
    >>> (b.epochs, b.batch_size, b.train_samples, b.validation_samples, b.planned_steps)
    (15, 256, 49000, 5000, 2880)
    """
    settings = training_settings(settings)
    validation = validation_size(n_train_split, settings)
    fixed = epochs is not None
    budget = _plan(
        n_train_split - validation,
        settings,
        int(epochs if fixed else settings["epochs"]),
        int(settings["max_steps"]),
        cut_epochs=not fixed,
        validation=validation,
        patience=None,
        chosen_by="--train-epochs" if fixed else "step budget",
        learning_rate=float(settings["learning_rate"]),
    )
    if fixed or not validation:
        return budget
    return replace(
        budget,
        patience=max(int(settings["patience"]), budget.epochs // 4),
        watch_from_epoch=budget.epochs // 2,
    )


def plan_fine_tuning(
    n_samples: int, settings: dict[str, Any], epochs: int, *, chosen_by: str, lr_fraction: float
) -> TrainingBudget:
    """The budget for ``epochs`` of fine-tuning on ``n_samples`` images: the epochs are
    the recipe's (or ``--fine-tune-epochs``), the batch grows to keep the steps within
    ``fine_tune_max_steps`` where it can, the learning rate is ``lr_fraction`` of
    training's.

    >>> plan_fine_tuning(49000, training_settings(), 2, chosen_by="default", lr_fraction=0.5).batch_size
    256
    """
    settings = training_settings(settings)
    return _plan(
        n_samples,
        settings,
        epochs,
        int(settings["fine_tune_max_steps"]),
        cut_epochs=False,
        validation=0,
        patience=None,
        chosen_by=chosen_by,
        learning_rate=float(settings["learning_rate"]) * lr_fraction,
    )


def split_validation(n_samples: int, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the training part and the validation part (``count`` images, seeded,
    stratification-free), each sorted.

    >>> train, val = split_validation(10, 3, seed=0)
    >>> len(train), len(val), sorted({*train, *val}) == list(range(10))
    (7, 3, True)
    """
    order = np.random.default_rng(seed).permutation(n_samples)
    return np.sort(order[count:]), np.sort(order[:count])

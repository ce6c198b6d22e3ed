"""The training budget: optimizer steps bounded as the data grows (pure, no training)."""

from __future__ import annotations

import numpy as np
import pytest

from edgebench.artifacts.budget import (
    plan_fine_tuning,
    plan_training,
    split_validation,
    training_settings,
    validation_size,
)

MOBILENET = training_settings({"epochs": 20, "batch_size": 32, "learning_rate": 2e-3})


def test_small_data_keeps_the_architectures_epochs_and_batch():
    budget = plan_training(1437, MOBILENET)  # digits' training split
    assert (budget.epochs, budget.batch_size, budget.learning_rate) == (20, 32, 2e-3)
    assert budget.validation_samples == 143 and budget.train_samples == 1294
    assert budget.planned_steps == 20 * 41 <= MOBILENET["max_steps"]
    assert budget.chosen_by == "step budget"
    assert budget.patience == 5 and budget.watch_from_epoch == 10


def test_large_data_grows_the_batch_then_cuts_epochs_within_the_step_bound():
    budget = plan_training(60000, MOBILENET)  # fashion-mnist
    assert budget.batch_size == MOBILENET["max_batch_size"] == 256
    assert budget.validation_samples == MOBILENET["max_validation"] == 5000
    assert budget.steps_per_epoch == int(np.ceil(55000 / 256))
    assert budget.epochs == MOBILENET["max_steps"] // budget.steps_per_epoch == 13
    assert budget.planned_steps <= MOBILENET["max_steps"]
    # Adam's learning rate follows the square root of the batch growth
    assert budget.learning_rate == pytest.approx(2e-3 * np.sqrt(256 / 32))


@pytest.mark.parametrize("n", [500, 5000, 20000, 60000, 600000])
def test_steps_stay_bounded_whatever_the_data_size(n):
    budget = plan_training(n, MOBILENET)
    assert budget.planned_steps <= MOBILENET["max_steps"] or budget.epochs == 1
    assert budget.epochs >= 1


def test_the_batch_grows_only_as_far_as_needed():
    # 6,000 images: 20 epochs at batch 32 is 3,380 steps; batch 64 fits (1,700 steps)
    budget = plan_training(6000, MOBILENET)
    assert budget.batch_size == 64 and budget.epochs == 20


def test_explicit_epochs_train_exactly_that_many_without_early_stopping():
    budget = plan_training(60000, MOBILENET, epochs=30)
    assert budget.epochs == 30 and budget.patience is None
    assert budget.chosen_by == "--train-epochs"
    assert budget.batch_size == 256  # the batch still grows to keep the steps down


def test_fine_tuning_keeps_the_recipes_epochs_and_bounds_its_steps():
    small = plan_fine_tuning(1294, MOBILENET, 2, chosen_by="default", lr_fraction=0.5)
    assert (small.epochs, small.batch_size, small.learning_rate) == (2, 32, 1e-3)
    large = plan_fine_tuning(55000, MOBILENET, 5, chosen_by="recipe", lr_fraction=0.5)
    assert large.epochs == 5 and large.batch_size == 256 and large.patience is None
    assert large.chosen_by == "recipe" and large.validation_samples == 0


def test_validation_split_is_seeded_disjoint_and_complete():
    train, val = split_validation(100, 10, seed=3)
    again_train, again_val = split_validation(100, 10, seed=3)
    assert np.array_equal(train, again_train) and np.array_equal(val, again_val)
    assert not set(train) & set(val) and len(train) + len(val) == 100
    assert not np.array_equal(val, split_validation(100, 10, seed=4)[1])


def test_no_validation_split_when_it_would_be_too_small():
    assert validation_size(100, MOBILENET) == 0
    budget = plan_training(100, MOBILENET)
    assert budget.validation_samples == 0 and budget.patience is None


def test_the_budget_record_names_everything_that_decided_it():
    record = plan_training(60000, MOBILENET).as_record()
    assert set(record) >= {
        "epochs",
        "batch_size",
        "learning_rate",
        "steps_per_epoch",
        "train_samples",
        "validation_samples",
        "patience",
        "chosen_by",
        "planned_steps",
    }

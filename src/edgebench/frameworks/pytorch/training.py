"""Seeded training and fine-tuning of PyTorch classifiers within the step budget.

The same budget (``artifacts.budget``), validation split, early stopping and progress bars as
the Keras path (``frameworks.keras.training``), so a PyTorch row's ``training`` record reads like a
Keras one. Images arrive NHWC from the datasets and become NCHW tensors once
(``pytorch.modules.to_nchw``). The loss is cross-entropy on the module's logits; Adam with
a cosine learning rate over the planned steps, as for Keras models.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from edgebench.artifacts.budget import TrainingBudget
from edgebench.errors import ConversionError
from edgebench.frameworks.keras.training import TrainingResult, progress_postfix, usable_cores
from edgebench.frameworks.pytorch.modules import import_torch, to_nchw
from edgebench.progress import NULL_PROGRESS, Progress

EVAL_BATCH = 512


def configure_torch_threads() -> dict[str, int]:
    """Give PyTorch's intra-op pool every usable core."""
    torch = import_torch()
    torch.set_num_threads(usable_cores())
    return {"intra_op_threads": int(torch.get_num_threads())}


def seed_torch(seed: int) -> None:
    """Seed Python, numpy and torch, and ask torch for deterministic kernels."""
    torch = import_torch()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)


def check_task(task: str) -> None:
    """PyTorch zoo models are trained as classifiers; other tasks say so."""
    if task != "classify":
        raise ConversionError(
            f"training a PyTorch model for the {task} task is not built yet (PyTorch zoo "
            "models train as classifiers); export it yourself and pass the .pt/.pt2 file"
        )


def evaluate(module: Any, x: Any, y: Any) -> tuple[float, float]:
    """Mean cross-entropy and top-1 accuracy of ``module`` on NCHW tensor ``x`` and
    integer labels ``y``, in one pass."""
    torch = import_torch()
    module.eval()
    total, correct = 0.0, 0
    with torch.no_grad():
        for start in range(0, len(x), EVAL_BATCH):
            logits, labels = module(x[start : start + EVAL_BATCH]), y[start : start + EVAL_BATCH]
            total += float(torch.nn.functional.cross_entropy(logits, labels, reduction="sum"))
            correct += int((logits.argmax(1) == labels).sum())
    count = max(1, len(x))
    return total / count, correct / count


def _tensors(data: tuple[np.ndarray, np.ndarray]) -> tuple[Any, Any]:
    torch = import_torch()
    x, y = data
    return torch.from_numpy(to_nchw(x)), torch.from_numpy(np.asarray(y).astype(np.int64))


def fit(
    module: Any,
    budget: TrainingBudget,
    data: tuple[np.ndarray, np.ndarray],
    *,
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    test: tuple[np.ndarray, np.ndarray] | None = None,
    seed: int,
    title: str,
    progress: Progress = NULL_PROGRESS,
    after_step: Callable[[], None] | None = None,
    loss: Callable[[Any, Any, Any], Any] | None = None,
) -> TrainingResult:
    """Train ``module`` (NCHW logits) on NHWC images ``data`` within ``budget``: seeded
    shuffles, Adam with cosine decay, early stopping on the validation accuracy when the
    budget has a patience (the best epoch's weights kept); ``after_step`` runs after every
    optimizer step (pruning masks). ``loss(logits, labels, index)`` replaces the
    cross-entropy (``index``: the batch's positions in ``data``, for per-sample targets)."""
    torch = import_torch()
    x, y = _tensors(data)
    val = _tensors(validation) if validation is not None and len(validation[0]) else None
    optimizer = torch.optim.Adam(module.parameters(), lr=budget.learning_rate)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=max(1, budget.planned_steps)
    )
    order = torch.Generator().manual_seed(seed)
    bar = progress.bar(title, total=budget.planned_steps, unit="step")
    best: tuple[float, int, dict[str, Any]] | None = None
    val_curve: list[float] = []
    losses: list[float] = []
    train_accuracy: float | None = None
    waited = 0
    started = time.perf_counter()
    epochs_run = 0
    try:
        for epoch in range(1, budget.epochs + 1):
            module.train()
            permutation = torch.randperm(len(x), generator=order)
            seen = correct = 0
            running = 0.0
            for step, start in enumerate(range(0, len(x), budget.batch_size)):
                index = permutation[start : start + budget.batch_size]
                logits = module(x[index])
                if loss is None:
                    batch_loss = torch.nn.functional.cross_entropy(logits, y[index])
                else:
                    batch_loss = loss(logits, y[index], index)
                optimizer.zero_grad(set_to_none=True)
                batch_loss.backward()
                optimizer.step()
                schedule.step()
                if after_step is not None:
                    after_step()
                seen += len(index)
                correct += int((logits.detach().argmax(1) == y[index]).sum())
                running += float(batch_loss.detach()) * len(index)
                bar.update(1)
                if step % 10 == 0:
                    shown = {"loss": running / seen, "accuracy": correct / seen}
                    if val_curve:
                        shown["val_accuracy"] = val_curve[-1]
                    bar.set_postfix(progress_postfix(epoch, budget.epochs, shown), refresh=False)
            epochs_run = epoch
            losses.append(running / max(1, seen))
            train_accuracy = correct / max(1, seen)
            if val is None:
                continue
            val_curve.append(evaluate(module, *val)[1])
            shown = {"loss": losses[-1], "accuracy": train_accuracy, "val_accuracy": val_curve[-1]}
            bar.set_postfix(progress_postfix(epoch, budget.epochs, shown), refresh=False)
            if budget.patience is None:
                continue
            if best is None or val_curve[-1] > best[0]:
                best = (val_curve[-1], epoch, copy.deepcopy(module.state_dict()))
                waited = 0
            elif epoch > budget.watch_from_epoch:
                waited += 1
                if waited >= budget.patience:
                    break
    finally:
        bar.close()
    seconds = time.perf_counter() - started
    best_epoch = None
    if val_curve:
        best_epoch = int(np.argmax(val_curve)) + 1
    kept = epochs_run
    if best is not None:
        module.load_state_dict(best[2])
        kept = best[1]
        best_epoch = best[1]
    validation_accuracy = val_curve[kept - 1] if val_curve else None
    validation_loss = evaluate(module, *val)[0] if val is not None else None
    test_accuracy = evaluate(module, *_tensors(test))[1] if test is not None else None
    module.eval()
    return TrainingResult(
        epochs=epochs_run,
        best_epoch=best_epoch,
        stopped_early=epochs_run < budget.epochs,
        train_accuracy=train_accuracy,
        validation_accuracy=validation_accuracy,
        test_accuracy=test_accuracy,
        seconds=seconds,
        final_loss=losses[-1] if losses else None,
        validation_loss=validation_loss,
    )


def fine_tune(
    module: Any,
    context: Any,
    epochs: int,
    chosen_by: str,
    *,
    lr_fraction: float,
    after_step: Callable[[], None] | None = None,
    loss: Callable[[Any, Any, Any], Any] | None = None,
    data: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, Any]:
    """Fine-tune ``module`` for ``epochs`` on the build context's training split (less the
    validation images), within ``artifacts.budget.plan_fine_tuning``; return what happened, in
    the fields the Keras steps record. ``loss`` as :func:`fit`'s; ``data``: that split when the
    caller read it already."""
    from edgebench.artifacts.budget import plan_fine_tuning
    from edgebench.frameworks.keras.training import fine_tune_record, summary_line

    if epochs <= 0:
        return {"fine_tune_epochs": 0}
    check_task(context.task)
    x, y = data if data is not None else context.training_data(context.model_input_shape())
    budget = plan_fine_tuning(
        len(x), context.training_settings(), epochs, chosen_by=chosen_by, lr_fraction=lr_fraction
    )
    configure_torch_threads()
    seed_torch(context.seed)
    context.log(f"fine-tuning (PyTorch): {budget.as_record()}")
    result = fit(
        module,
        budget,
        (x, y),
        seed=context.seed,
        title=f"fine-tuning {context.title}",
        progress=context.progress,
        after_step=after_step,
        loss=loss,
    )
    context.progress.line(summary_line(f"fine-tuned {context.title}", budget, result))
    return fine_tune_record(budget, result)

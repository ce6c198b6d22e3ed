"""Accuracy: the task's metric over the whole test split, batch ``--eval-batch-size``,
once per variant (independent of threads); the drop is against the fp32 variant of the
same model, dataset and runtime (see ``EdgebenchSession.accuracy``)."""

from __future__ import annotations

from typing import Any

from edgebench.measurements.base import MeasureColumn, MeasureContext, Measurement

FIELDS: tuple[str, ...] = (
    "accuracy",
    "baseline_accuracy",
    "accuracy_drop",
    "eval_samples",
)


def task_metric(context: MeasureContext) -> tuple[float | None, int | None, str | None]:
    """(headline metric, samples, reason-if-None) of the row's artifact over the test split."""
    from edgebench.data.preprocess import fit_inputs

    dataset = context.dataset
    if not dataset.labelled:
        return None, None, f"dataset {dataset.name!r} has no labels"
    assert dataset.x_test is not None and dataset.y_test is not None
    session = context.load()
    try:
        x = fit_inputs(dataset, dataset.x_test, session.input_shape)
    except ValueError as exc:
        return None, None, f"model input does not fit dataset {dataset.name}: {exc}"
    mismatch = context.task.check_outputs(session.run(x[:1]), dataset)
    if mismatch:
        return None, None, mismatch
    metrics = context.task.evaluate(
        session.run, x, dataset.y_test, context.settings.eval_batch_size
    )
    return metrics[context.task.headline], len(x), None


def _measure(context: MeasureContext) -> tuple[dict[str, Any], dict[str, str]]:
    value, samples, reason = task_metric(context)
    if value is None:
        return {}, {"accuracy": str(reason), "eval_samples": str(reason)}
    return {"accuracy": value, "eval_samples": samples}, {}


ACCURACY = Measurement(
    "accuracy",
    (
        MeasureColumn("accuracy", "Accuracy", "{:.2%}", "accuracy"),
        MeasureColumn("accuracy_drop", "Drop [pts]", "{:+.2f}", "drop"),
    ),
    _measure,
    FIELDS,
    "the accuracy test of this variant did not run in this session",
)

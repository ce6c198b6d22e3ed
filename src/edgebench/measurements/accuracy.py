"""Accuracy: the task's metric over the whole test split, batch ``--eval-batch-size``,
once per variant (independent of threads); the drop is against the fp32 variant of the
same model, dataset and runtime (see ``EdgebenchSession.accuracy``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from edgebench.measurements.base import MeasureColumn, MeasureContext, Measurement
from edgebench.option_decl import Option


@dataclass
class AccuracyRecord:
    """The record fields of the accuracy measurement: one group of a row (``results.Record``)."""

    accuracy: float | None = None
    baseline_accuracy: float | None = None
    accuracy_drop: float | None = None
    accuracy_threshold: float | None = None
    eval_samples: int | None = None
    #: the field name of the task's headline metric that ``accuracy`` holds
    #: (``accuracy``: top-1; ``miou``; ``map50``), and every metric the task reported.
    metric: str | None = None
    metrics: dict[str, Any] | None = None
    #: the prediction on the first test image (a class mask, or boxes), for pictures.
    sample_prediction: dict[str, Any] | None = None
    #: how the dataset's images became the model's input: layout, size, channel order,
    #: scale and normalisation (``data.contract``), as read from the file or declared.
    input_contract: str | None = None


FIELDS: tuple[str, ...] = (
    "accuracy",
    "baseline_accuracy",
    "accuracy_drop",
    "eval_samples",
    "metric",
    "metrics",
    "input_contract",
)


@dataclass(frozen=True)
class TaskScore:
    """The task's headline metric of a row (``None`` with the reason when not measurable),
    the samples it was measured on, and every metric the task reports."""

    value: float | None
    samples: int | None
    reason: str | None
    metrics: dict[str, Any] = field(default_factory=dict)
    #: what the model predicted for the first test image (tasks with a ``sample``).
    sample: dict[str, Any] | None = None
    #: the metric is null because the model or the data is not what the task scores (the
    #: accuracy test fails with the reason), not merely unmeasurable here.
    failed: bool = False
    #: how the images became the model's input (``data.contract.describe_input``).
    contract: str | None = None
    #: the metric ``value`` is (``--accuracy-metric``; ``None``: the task's headline).
    metric: str | None = None


def task_metric(context: MeasureContext) -> TaskScore:
    """The task's metrics of the row's artifact over the test split."""
    from edgebench.data.contract import fit_inputs
    from edgebench.data.lazy import FittedInputs, is_lazy

    dataset = context.dataset
    if not dataset.labelled:
        return TaskScore(None, None, f"dataset {dataset.name!r} has no labels")
    labels = getattr(context.task, "labels", "classify")
    if dataset.task != labels:
        return TaskScore(
            None,
            None,
            f"dataset {dataset.name} has {dataset.task} labels and the task is "
            f"{context.task.name} (--task {dataset.task} scores it)",
            failed=True,
        )
    assert dataset.x_test is not None and dataset.y_test is not None
    session = context.load()
    model = context.case.variant.source.id
    try:
        if is_lazy(dataset.x_test):  # a big set: prepared a batch at a time, never whole
            x: Any = FittedInputs(
                dataset.x_test,
                lambda rows: fit_inputs(
                    dataset, rows, session.input_shape, context.input_contract, model
                ),
            )
        else:
            x = fit_inputs(
                dataset, dataset.x_test, session.input_shape, context.input_contract, model
            )
    except ValueError as exc:
        return TaskScore(None, None, f"model input does not fit dataset {dataset.name}: {exc}")
    from edgebench.tasks.adapters import adapted, adapter_spec, model_outputs

    batch = context.settings.option("eval_batch_size")
    decode = getattr(context.artifact, "output_adapter", None)
    predict = adapted(model_outputs(session, decode), decode)
    outputs = None
    if context.target.remote:
        # the device's own kernels: every output computed there, scored here
        every = decode is not None and adapter_spec(decode).outputs == "all"
        outputs = remote_outputs(context, x, batch, every)
        predict = adapted(precomputed(outputs), decode)
    mismatch = context.task.check_outputs(predict(x[:1]), dataset)
    if mismatch:
        # a classifier whose class count differs keeps a null accuracy; outputs that are not
        # what a segmentation or detection task scores fail the model's accuracy test
        return TaskScore(None, None, mismatch, failed=dataset.task != "classify")
    if outputs is not None:
        predict = adapted(precomputed(outputs), decode)  # from the start again
    first: list[np.ndarray] = []

    def remembering(batch: np.ndarray) -> np.ndarray:
        out = predict(batch)
        if not first:
            first.append(np.asarray(out)[:1])
        return out

    metrics = evaluate_task(context.task, remembering, x, dataset, batch)
    chosen = chosen_metric(context.settings, context.task)
    if chosen not in metrics:
        reason = missing_metric(chosen, context.task, metrics, dataset)
        return TaskScore(None, None, reason, failed=True)
    sample = None
    if hasattr(context.task, "sample") and first:
        sample = context.task.sample(first[0], tuple(dataset.y_test.shape[1:3]))
    value = float(metrics[chosen])
    from edgebench.data.contract import describe_input

    described = (
        describe_input(context.input_contract, session.input_shape, context.case.variant.source.id)
        if dataset.adapt_to_model
        else "the dataset's arrays, fed as given"
    )
    return TaskScore(value, len(x), None, dict(metrics), sample, contract=described, metric=chosen)


def evaluate_task(
    task: Any, predict: Callable[[Any], Any], x: Any, dataset: Any, batch: int
) -> dict[str, float]:
    """The task's metrics of ``predict`` over ``x`` and the dataset's test labels, with the
    coarse accuracy beside them when the dataset groups its classes and the task scores
    groups (``evaluate_grouped``)."""
    grouped = getattr(task, "evaluate_grouped", None)
    if dataset.class_groups is not None and grouped is not None:
        return dict(grouped(predict, x, dataset.y_test, batch, dataset.class_groups))
    return dict(task.evaluate(predict, x, dataset.y_test, batch))


def chosen_metric(settings: Any, task: Any) -> str:
    """The metric the accuracy column, drop and gate use: ``--accuracy-metric``, else the
    task's headline."""
    return str(settings.option("accuracy_metric") or task.headline)


def missing_metric(chosen: str, task: Any, metrics: dict[str, Any], dataset: Any) -> str:
    """Why ``--accuracy-metric chosen`` has no value, and how to get one.

    >>> class T: name = "classify"
    >>> class D: name = "digits"
    >>> missing_metric("coarse_accuracy", T, {"accuracy": 0.9}, D)[:70]
    '--accuracy-metric coarse_accuracy: the classify task reported accuracy'
    """
    hint = (
        " (coarse_accuracy needs class groups: CIFAR-100 and Fashion-MNIST have them "
        "built in, --class-groups FILE gives them to any dataset)"
        if chosen == "coarse_accuracy"
        else ""
    )
    return (
        f"--accuracy-metric {chosen}: the {task.name} task reported "
        f"{', '.join(metrics)} on {dataset.name}{hint}"
    )


#: the most input bytes one ``predict`` job carries to a board: a big test split (10,000
#: images at 224x224 are 6 GB as float32) goes over in parts of about this size, prepared
#: one part at a time here, never whole.
REMOTE_PART_BYTES = 64 * 2**20


def remote_parts(rows: int, row_bytes: int, batch_size: int) -> list[tuple[int, int]]:
    """``(start, stop)`` of the parts a split of ``rows`` rows of ``row_bytes`` each goes
    over in: at most :data:`REMOTE_PART_BYTES` each (at least one row), a whole number of
    batches.

    >>> remote_parts(10, 2**25, 1)
    [(0, 2), (2, 4), (4, 6), (6, 8), (8, 10)]
    >>> remote_parts(5, 4, 2)
    [(0, 5)]
    """
    per = max(1, REMOTE_PART_BYTES // max(1, row_bytes))
    per = max(batch_size, per - per % batch_size)
    return [(start, min(rows, start + per)) for start in range(0, rows, per)]


def remote_outputs(
    context: MeasureContext, x: Any, batch_size: int, every: bool = False
) -> np.ndarray | list[np.ndarray]:
    """The model's outputs for ``x``, computed by ``predict`` jobs on the row's target,
    in parts of at most :data:`REMOTE_PART_BYTES` of inputs (each part goes over once,
    keyed by its sha256): the first output, or with ``every`` the list of all of them
    (for adapters that read them all)."""
    import tempfile
    from pathlib import Path

    from edgebench.jobs import PredictJob

    row_bytes = int(np.prod(x.shape[1:])) * np.dtype(x.dtype).itemsize
    parts: list[Any] = []
    with tempfile.TemporaryDirectory(prefix="edgebench-predict-") as name:
        folder = Path(name)
        for k, (start, stop) in enumerate(remote_parts(len(x), row_bytes, batch_size)):
            inputs = folder / f"inputs-{k}.npy"
            np.save(inputs, np.ascontiguousarray(x[start:stop]), allow_pickle=False)
            job = context.job(
                kind=PredictJob,
                inputs=str(inputs),
                outputs=str(folder / f"outputs-{k}.npy"),
                batch_size=batch_size,
                all_outputs=every,
            )
            result = context.target.run(job)
            inputs.unlink()
            loaded = np.load(result["outputs"], allow_pickle=False)
            if every:
                with loaded as archive:  # an .npz: output_0, output_1, ... in the model's order
                    parts.append([archive[f"output_{i}"] for i in range(len(archive.files))])
            else:
                parts.append(loaded)
    if not every:
        return np.concatenate(parts)
    return [np.concatenate(column) for column in zip(*parts, strict=True)]


def precomputed(outputs: np.ndarray | list[np.ndarray]) -> Callable[[np.ndarray], Any]:
    """A ``predict`` that returns the next ``len(batch)`` rows of ``outputs`` (of each of
    them, for a list of outputs); the task calls it over the split in order, as it would
    call the model."""
    cursor = [0]

    def predict(batch: np.ndarray) -> Any:
        start = cursor[0]
        cursor[0] = start + len(batch)
        if isinstance(outputs, list):
            return [o[start : start + len(batch)] for o in outputs]
        return outputs[start : start + len(batch)]

    return predict


def _measure(context: MeasureContext) -> tuple[dict[str, Any], dict[str, str]]:
    score = task_metric(context)
    if score.value is None:
        reason = str(score.reason)
        return {}, {"accuracy": reason, "eval_samples": reason, "metrics": reason}
    fields = {"accuracy": score.value, "eval_samples": score.samples, "metrics": score.metrics}
    metric = score.metric or context.task.headline
    return {**fields, "metric": metric, "input_contract": score.contract}, {}


ACCURACY = Measurement(
    "accuracy",
    (
        MeasureColumn("accuracy", "Accuracy", "{:.2%}", "accuracy"),
        MeasureColumn("accuracy_drop", "Drop [pts]", "{:+.2f}", "drop"),
    ),
    _measure,
    FIELDS,
    "the accuracy test of this variant did not run in this session",
    options=(
        Option(
            "--eval-batch-size",
            "edgebench_eval_batch_size",
            "1",
            "batch size of the accuracy pass; 1 is what a device runs (dynamic quantization "
            "computes activation ranges per batch, so larger batches change its accuracy)",
            kind="int",
            minimum=1,
            maximum=65_536,
        ),
        Option(
            "--accuracy-metric",
            "edgebench_accuracy_metric",
            "",
            "the metric the accuracy column, its drop and the accuracy gate use: the task's "
            "headline by default (top-1 accuracy, mIoU, mAP@0.5), or another it reports, "
            "such as coarse_accuracy (class groups) or top5",
        ),
        Option(
            "--sensitivity",
            "edgebench_sensitivity",
            "",
            "per-layer sensitivity of these recipes (comma list of dfq<B>-... recipes): each "
            "layer quantized alone and kept alone in float, measured on the test split "
            "(bench/test_sensitivity.py); proposes the float layers that keep the drop within "
            "--sensitivity-max-drop, as a recipe to bench; 'edgebench report' draws the table "
            "and plot",
        ),
        Option(
            "--sensitivity-max-drop",
            "edgebench_sensitivity_max_drop",
            "",
            "the drop in points the proposed mixed-precision recipe must stay within (default: "
            "the recipe's accuracy threshold, else --max-accuracy-drop)",
            kind="float",
            minimum=0.0,
            maximum=100.0,
            optional=True,
        ),
        Option(
            "--class-groups",
            "edgebench_class_groups",
            "",
            'a JSON file grouping the dataset\'s classes ({"groups": {"tops": [0, 2], ...}}): '
            "classify reports coarse_accuracy beside the accuracy; CIFAR-100's superclasses "
            "and a Fashion-MNIST grouping are built in",
        ),
    ),
)

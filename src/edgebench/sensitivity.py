"""``--sensitivity`` analyses of a session: the float model, its test split as the model
takes it, the task's metric, the threshold, and the cache entry that keeps the result
(``frameworks.keras.sensitivity.analyse`` measures; ``compression.sensitivity`` decides)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from edgebench.artifacts.cache import cache_key
from edgebench.errors import NotApplicable, UsageError
from edgebench.measurements.accuracy import chosen_metric, evaluate_task, missing_metric
from edgebench.thresholds import threshold_for

if TYPE_CHECKING:
    from edgebench.cases import SensitivityCase
    from edgebench.data.datasets import Dataset
    from edgebench.session import EdgebenchSession

#: bumped when the analysis changes, so cached analyses are measured again.
ANALYSIS_VERSION = 2


def max_drop_for(session: EdgebenchSession, case: SensitivityCase) -> float:
    """``--sensitivity-max-drop``, else the recipe's accuracy threshold, else
    ``--max-accuracy-drop``."""
    settings = session.settings
    given = settings.option("sensitivity_max_drop")
    if given is not None:
        return float(given)
    points = threshold_for(case.recipe, settings.thresholds, settings.max_accuracy_drop).points
    return float(settings.max_accuracy_drop if points is None else points)


def run_sensitivity(session: EdgebenchSession, case: SensitivityCase) -> dict[str, Any]:
    """The analysis of ``case``, cached by the float model, recipe, test split, class
    groups, metric and threshold; ``NotApplicable`` for a model it cannot analyse."""
    dataset = session.dataset(case.dataset)
    if not dataset.labelled:
        raise NotApplicable(f"dataset {dataset.name!r} has no labels to measure a drop on")
    float_model = session.builder.float_model(case.source, dataset)
    if float_model.framework != "keras":
        raise NotApplicable(
            f"{case.recipe.id} snaps Keras weights; {case.source.id} is a "
            f"{float_model.framework} model"
        )
    step = case.recipe.steps[0]
    metric = chosen_metric(session.settings, session.task)
    max_drop = max_drop_for(session, case)
    key = cache_key(
        kind="sensitivity",
        version=ANALYSIS_VERSION,
        model=float_model.key,
        recipe=case.recipe.id,
        data=dataset.fingerprint,
        groups=None if dataset.class_groups is None else dataset.class_groups.coarse_of,
        metric=metric,
        max_drop=max_drop,
    )

    def build(folder: Any) -> dict[str, Any]:
        from edgebench.frameworks.keras.sensitivity import analyse, configurations

        model = float_model.load()
        x = fitted_test_split(case, dataset, tuple(model.inputs[0].shape[1:]))
        score = scorer(session, dataset, x, metric)
        bar = session.progress.bar(
            f"sensitivity of {case.source.id} to {case.recipe.id}",
            total=configurations(len(step.quantizable_layers(model))),
            unit="config",
        )
        try:
            found = analyse(
                model, step, score, max_drop, session.task.drop_points, lambda: bar.update(1)
            )
        finally:
            bar.close()
        return {"sensitivity": found}

    entry = session.builder.cache.get_or_build(key, build)
    return {
        "model": case.source.id,
        "dataset": case.dataset,
        "recipe": case.recipe.id,
        "metric": metric,
        "cache_hit": entry.hit,
        **entry.meta["sensitivity"],
    }


def fitted_test_split(case: SensitivityCase, dataset: Dataset, shape: tuple[Any, ...]) -> Any:
    """The test split as the model takes it (its input contract), a batch at a time for a
    big split."""
    from edgebench.data.contract import fit_inputs
    from edgebench.data.lazy import FittedInputs, is_lazy

    assert dataset.x_test is not None
    source = case.source
    if is_lazy(dataset.x_test):
        return FittedInputs(
            dataset.x_test,
            lambda rows: fit_inputs(dataset, rows, shape, source.contract, source.id),
        )
    return fit_inputs(dataset, dataset.x_test, shape, source.contract, source.id)


def scorer(
    session: EdgebenchSession, dataset: Dataset, x: Any, metric: str
) -> Callable[[Callable[[Any], Any]], float]:
    """``score(predict)``: the task's ``metric`` of ``predict`` over the test split."""
    from edgebench.frameworks.keras.sensitivity import ANALYSIS_BATCH

    def score(predict: Callable[[Any], Any]) -> float:
        metrics = evaluate_task(session.task, predict, x, dataset, ANALYSIS_BATCH)
        if metric not in metrics:
            raise UsageError(missing_metric(metric, session.task, metrics, dataset))
        return float(metrics[metric])

    return score

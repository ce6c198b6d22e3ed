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
ANALYSIS_VERSION = 3


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
    """The analysis of ``case``, cached with what decides it (the model, recipe, test split,
    class groups, metric, threshold); ``NotApplicable`` for a model it cannot analyse. A
    step that snaps Keras weights (``quantizable_layers``: dfq) is measured on the Keras
    model; any other (``sensitivity_layers``: ONNX Runtime's and AI Edge Quantizer's
    static quantization) through the pipeline: each configuration a variant built, cached
    and scored on its runtime like any row."""
    dataset = session.dataset(case.dataset)
    if not dataset.labelled:
        raise NotApplicable(f"dataset {dataset.name!r} has no labels to measure a drop on")
    step = case.recipe.steps[0]
    metric = chosen_metric(session.settings, session.task)
    max_drop = max_drop_for(session, case)
    decided = {
        "kind": "sensitivity",
        "version": ANALYSIS_VERSION,
        "recipe": case.recipe.id,
        "data": dataset.fingerprint,
        "groups": None if dataset.class_groups is None else dataset.class_groups.coarse_of,
        "metric": metric,
        "max_drop": max_drop,
    }
    if hasattr(step, "quantizable_layers"):
        build, where = _on_keras_weights(session, case, dataset, metric, max_drop, decided)
    else:
        build, where = _on_the_runtime(session, case, max_drop, decided)
    entry = session.builder.cache.get_or_build(cache_key(**decided), build)
    return {
        "model": case.source.id,
        "dataset": case.dataset,
        "recipe": case.recipe.id,
        "metric": metric,
        "measured_on": where,
        "cache_hit": entry.hit,
        **entry.meta["sensitivity"],
    }


def _progress(session: EdgebenchSession, case: SensitivityCase, total: int) -> Any:
    return session.progress.bar(
        f"sensitivity of {case.source.id} to {case.recipe.id}", total=total, unit="config"
    )


def _on_keras_weights(
    session: EdgebenchSession,
    case: SensitivityCase,
    dataset: Dataset,
    metric: str,
    max_drop: float,
    decided: dict[str, Any],
) -> tuple[Callable[[Any], dict[str, Any]], str]:
    """The analysis on the Keras model with the step's weights snapped (adds the float
    model to ``decided``)."""
    float_model = session.builder.float_model(case.source, dataset)
    if float_model.framework != "keras":
        raise NotApplicable(
            f"{case.recipe.id} snaps Keras weights; {case.source.id} is a "
            f"{float_model.framework} model"
        )
    decided["model"] = float_model.key
    step = case.recipe.steps[0]

    def build(folder: Any) -> dict[str, Any]:
        from edgebench.frameworks.keras.sensitivity import analyse, configurations

        model = float_model.load()
        x = fitted_test_split(case, dataset, tuple(model.inputs[0].shape[1:]))
        score = scorer(session, dataset, x, metric)
        bar = _progress(session, case, configurations(len(step.quantizable_layers(model))))
        try:
            found = analyse(
                model, step, score, max_drop, session.task.drop_points, lambda: bar.update(1)
            )
        finally:
            bar.close()
        return {"sensitivity": found}

    return build, "the Keras model, weights snapped (what both runtimes run)"


def _on_the_runtime(
    session: EdgebenchSession, case: SensitivityCase, max_drop: float, decided: dict[str, Any]
) -> tuple[Callable[[Any], dict[str, Any]], str]:
    """The analysis through the pipeline: each configuration a variant on a runtime that
    loads the step's format (adds the float artifact and the runtime to ``decided``)."""
    from edgebench.cases import Variant
    from edgebench.compression.sensitivity import analyse_layers
    from edgebench.recipes import Recipe
    from edgebench.runtimes.registry import artifact_format, runtimes_for_format

    step = case.recipe.steps[0]
    formats = sorted(step.formats)
    chosen = [r for r in session.settings.runtimes if artifact_format(r) in formats]
    runtimes = chosen or [r for f in formats for r in runtimes_for_format(f)]
    if not runtimes:
        raise NotApplicable(
            f"no runtime loads the {', '.join(formats)} files {case.recipe.id} writes"
        )
    runtime, device = runtimes[0], session.settings.profile.name

    def variant(recipe: Recipe) -> Variant:
        return Variant(case.source, case.dataset, recipe, runtime, device)

    def value(recipe: Recipe) -> float:
        score = session.plain_accuracy(variant(recipe))
        if score.value is None:
            raise NotApplicable(f"{variant(recipe).id}: {score.reason}")
        return float(score.value)

    fp32_variant = variant(session.baseline_recipe())
    float_file = session.artifact(fp32_variant).path
    decided.update(float_artifact=session.artifact(fp32_variant).sha256, runtime=runtime)
    decided["eval_batch"] = session.settings.option("eval_batch_size")

    def build(folder: Any) -> dict[str, Any]:
        layers = step.sensitivity_layers(float_file)
        bar = _progress(session, case, 1 + 2 * len(layers))

        def evaluate(float_layers: frozenset[str]) -> float:
            found = value(Recipe((step.keeping_float(float_layers),)))
            bar.update(1)
            return found

        try:
            found = analyse_layers(
                layers,
                evaluate,
                value(session.baseline_recipe()),
                max_drop,
                session.task.drop_points,
                lambda kept: step.keeping_float(kept).token,
            )
        finally:
            bar.close()
        return {"sensitivity": {**found, "runtime": runtime}}

    return build, f"{runtime}: each configuration quantized, converted and scored like a row"


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

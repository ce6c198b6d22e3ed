"""Accuracy of every variant over the whole test split, once per runtime.

Fails when a variant loses more accuracy against the fp32 baseline of the same
model, dataset and runtime than its threshold allows (``--max-accuracy-drop`` and
the per-family thresholds, see ``edgebench.thresholds``), and when the model's outputs or
the dataset's labels are not what the task scores (both named).
"""

from __future__ import annotations

import pytest

from edgebench.gates import accuracy_drop_failure


def test_accuracy(edgebench, edgebench_variant, edgebench_record):
    threshold = edgebench.threshold(edgebench_variant)
    with edgebench_record.measuring(edgebench_variant) as row:
        row.facts.update(edgebench.variant_facts(edgebench_variant))
        result = edgebench.accuracy(edgebench_variant)
        row.values.update(result.values())
        row.values["accuracy_threshold"] = threshold.points
        row.null_reasons.update(result.null_reasons)
        if threshold.points is None:
            row.null_reasons["accuracy_threshold"] = threshold.source
    if result.failure:  # the model's outputs or the data are not what the task scores
        pytest.fail(result.failure, pytrace=False)
    if result.drop_points is not None:
        failure = accuracy_drop_failure(
            edgebench_variant.id,
            result.baseline_accuracy,
            result.accuracy,
            result.drop_points,
            threshold.points,
            threshold.source,
        )
        if failure:
            pytest.fail(failure, pytrace=False)

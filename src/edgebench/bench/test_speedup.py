"""Same-run ratio gates (``--expect-speedup=int8:1.3``): a variant must be that many times
faster (p50) than fp32 of the same model, dataset, runtime and thread count, both timed
in this run. They need no baseline, so they hold on any machine."""

from __future__ import annotations

import pytest

from edgebench.gates import speedup_failure


def test_speedup(edgebench, edgebench_speedup_case):
    case = edgebench_speedup_case
    variant, threads = case.variant, case.threads
    if case.skip_reason:
        pytest.skip(case.skip_reason)
    expected = edgebench.settings.expect_speedup[variant.recipe.id]
    fp32 = variant.with_recipe(edgebench.baseline_recipe())
    current, base = (
        edgebench.remembered_p50(variant, threads),
        edgebench.remembered_p50(fp32, threads),
    )
    if current is None or base is None:
        pytest.skip("fp32 and this variant were not both timed in this process (deselected, or -n)")
    failure = speedup_failure(case.id, base, current, expected)
    if failure:
        pytest.fail(failure, pytrace=False)

"""Latency of every variant at every thread count: one invoke of batch 1 per round.

Timed by pytest-benchmark in this process, or with ``--isolate`` in a fresh worker
process that imports only numpy and the runtime (same warm-up and rounds). With
``--baseline``, a row that is significantly slower than the same row of the saved run
(beyond ``--max-slowdown``) fails.
"""

from __future__ import annotations

import pytest

from edgebench.gates import latency_gate
from edgebench.measure.latency import time_invoke


def test_latency(edgebench, edgebench_case, edgebench_record, benchmark, timing):
    variant, threads = edgebench_case.variant, edgebench_case.threads
    failure = None
    with edgebench_record.measuring(variant, threads) as row:
        row.facts.update(edgebench.variant_facts(variant))
        if edgebench.settings.isolate:
            row.values.update(edgebench.isolated_latency(variant, threads))
        else:
            session = edgebench.load(variant, threads)
            sample = edgebench.latency_input(variant, session)
            values, reasons = time_invoke(
                benchmark, session.bind(sample), timing.rounds, timing.warmup
            )
            row.values.update(values)
            row.null_reasons.update(reasons)
        samples = row.values.get("latency_samples_ms")
        if samples:
            edgebench.remember_latency(variant, threads, row.values["latency_p50_ms"])
            baseline = edgebench.settings.baseline
            gate, failure = latency_gate(
                edgebench_case.id,
                edgebench.baseline_samples(variant, threads),
                samples,
                edgebench.settings.max_slowdown,
                None if baseline is None else baseline.name,
            )
            row.values.update(gate)
    if failure:
        pytest.fail(failure, pytrace=False)

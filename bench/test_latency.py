"""Latency of every variant at every thread count: one invoke of batch 1 per round.

Timed by pytest-benchmark in this process, or with ``--isolate`` in a fresh worker
process that imports only numpy and the runtime (same warm-up and rounds).
"""

from __future__ import annotations

from edgebench.measure.latency import time_invoke


def test_latency(edgebench, edgebench_case, edgebench_record, benchmark, timing):
    variant, threads = edgebench_case.variant, edgebench_case.threads
    with edgebench_record.measuring(variant, threads) as row:
        row.facts.update(edgebench.variant_facts(variant))
        if edgebench.settings.isolate:
            row.values.update(edgebench.isolated_latency(variant, threads))
            return
        session = edgebench.load(variant, threads)
        sample = edgebench.latency_input(variant, session)
        values, reasons = time_invoke(benchmark, session.bind(sample), timing.rounds, timing.warmup)
        row.values.update(values)
        row.null_reasons.update(reasons)

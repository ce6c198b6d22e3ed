"""Latency of every variant at every thread count: one invoke of batch 1 per round.

Timed by pytest-benchmark in this process, or with ``--isolate`` in a fresh worker
process that imports only numpy and the runtime (same warm-up and rounds). With
``--baseline``, a row that is significantly slower than the same row of the saved run
(beyond ``--max-slowdown``) is re-timed up to ``--gate-retries`` times, 2 s and 4 s later,
and fails only when every attempt is significantly slower.
"""

from __future__ import annotations

import time

import pytest

from edgebench.gates import latency_gate
from edgebench.measure.latency import time_directly, time_invoke


def test_latency(edgebench, edgebench_case, edgebench_record, benchmark, timing):
    variant, threads = edgebench_case.variant, edgebench_case.threads
    failure = None
    with edgebench_record.measuring(variant, threads) as row:
        row.facts.update(edgebench.variant_facts(variant))
        invoke = None
        if edgebench.settings.isolate:
            row.values.update(edgebench.isolated_latency(variant, threads))
        else:
            session = edgebench.load(variant, threads)
            invoke = session.bind(edgebench.latency_input(variant, session))
            values, reasons = time_invoke(benchmark, invoke, timing.rounds, timing.warmup)
            row.values.update(values)
            row.null_reasons.update(reasons)
        samples = row.values.get("latency_samples_ms")
        if samples:
            edgebench.remember_latency(variant, threads, row.values["latency_p50_ms"])
            settings = edgebench.settings
            name = None if settings.baseline is None else settings.baseline.name
            baseline = edgebench.baseline_samples(variant, threads)
            gate, failure = latency_gate(
                edgebench_case.id, baseline, samples, settings.max_slowdown, name
            )
            for attempt in range(1, settings.gate_retries + 1):
                if failure is None:
                    break
                time.sleep(2.0 * attempt)  # let a transient slow phase of the machine pass
                if invoke is None:  # --isolate: a fresh worker for every attempt
                    retry = edgebench.isolated_latency(variant, threads)["latency_samples_ms"]
                else:
                    retry = [s * 1e3 for s in time_directly(invoke, timing.rounds, timing.warmup)]
                gate, failure = latency_gate(
                    edgebench_case.id, baseline, retry, settings.max_slowdown, name
                )
                gate["latency_gate"] += f" (retry {attempt} of {settings.gate_retries})"
            row.values.update(gate)
    if failure:
        pytest.fail(failure, pytrace=False)

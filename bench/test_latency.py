"""Latency of every variant at every thread count: one invoke of batch 1 per round.

Timed by pytest-benchmark in this process, or with ``--isolate`` in a fresh worker
process that imports only numpy and the runtime (same warm-up and rounds). A small
reference workload is timed around every row, so the gate can tell a slower machine
from a slower model. With ``--baseline``, a row significantly slower than the same row of
the saved run (beyond ``--max-slowdown``, after scaling by the reference) is re-timed up to
``--gate-retries`` times, 2 s and 4 s later, and fails only when every attempt is slower.
"""

from __future__ import annotations

import statistics
import time

import pytest

from edgebench.gates import latency_gate
from edgebench.measure.latency import time_directly, time_invoke
from edgebench.measure.reference import reference_ms


def test_latency(edgebench, edgebench_case, edgebench_record, benchmark, timing):
    variant, threads = edgebench_case.variant, edgebench_case.threads
    settings = edgebench.settings
    failure = None
    with edgebench_record.measuring(variant, threads) as row:
        row.facts.update(edgebench.variant_facts(variant))
        invoke = None

        def timed(first: bool) -> tuple[list[float], float]:
            """One attempt: samples in ms and the reference time around them."""
            before = reference_ms()
            if settings.isolate:
                values = edgebench.isolated_latency(variant, threads)
                samples = values["latency_samples_ms"]
                if first:
                    row.values.update(values)
            elif first:
                values, reasons = time_invoke(benchmark, invoke, timing.rounds, timing.warmup)
                row.values.update(values)
                row.null_reasons.update(reasons)
                samples = values.get("latency_samples_ms")
            else:
                samples = [s * 1e3 for s in time_directly(invoke, timing.rounds, timing.warmup)]
            return samples, statistics.median([before, reference_ms()])

        if not settings.isolate:
            session = edgebench.load(variant, threads)
            invoke = session.bind(edgebench.latency_input(variant, session))
        samples, reference = timed(first=True)
        if samples:
            row.values["reference_ms"] = reference
            edgebench.remember_latency(variant, threads, row.values["latency_p50_ms"])
            name = None if settings.baseline is None else settings.baseline.name
            baseline, baseline_reference = edgebench.baseline_row(variant, threads)

            def judge(samples: list[float], reference: float) -> tuple[dict, str | None]:
                factor = reference / baseline_reference if baseline_reference else None
                return latency_gate(
                    edgebench_case.id, baseline, samples, settings.max_slowdown, name, factor
                )

            gate, failure = judge(samples, reference)
            for attempt in range(1, settings.gate_retries + 1):
                if failure is None:
                    break
                time.sleep(2.0 * attempt)  # let a transient slow phase of the machine pass
                gate, failure = judge(*timed(first=False))
                gate["latency_gate"] += f" (retry {attempt} of {settings.gate_retries})"
            row.values.update(gate)
    if failure:
        pytest.fail(failure, pytrace=False)

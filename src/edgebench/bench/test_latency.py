"""Latency of every variant at every thread count: one invoke of batch 1 per round.

Timed by pytest-benchmark in this process, or with ``--isolate`` in a fresh worker
process that imports only numpy and the runtime (same warm-up and rounds). With
``--baseline``, a row significantly slower than the same row of the saved run (beyond
``--max-slowdown``) is re-timed up to ``--gate-retries`` times over the next half minute
(pauses of 1, 2, then 4 s, see ``gates.retry_pauses``) and fails only when every attempt
is slower: a slow phase of a shared machine ends, a slower model stays slower.
"""

from __future__ import annotations

import time

import pytest

from edgebench.device_facts import temperature_c
from edgebench.gates import gate_with_retries, latency_gate, retry_pauses
from edgebench.instruments.board_state import window_rules
from edgebench.instruments.latency import time_directly, time_invoke
from edgebench.measurements import LATENCY
from edgebench.measurements.latency import (
    LOCK_FIELDS,
    NO_BOARD_LOCK,
    board_values,
    end_to_end_latency,
    temperatures,
)
from edgebench.tasks.adapters import model_outputs


def test_latency(edgebench, edgebench_case, edgebench_record, benchmark, timing):
    variant, threads = edgebench_case.variant, edgebench_case.threads
    settings = edgebench.settings
    failure = None
    with edgebench_record.measuring(variant, threads) as row:
        row.facts.update(edgebench.variant_facts(variant))
        row.values.update(edgebench.row_host(variant))
        invoke = None

        # on a board, or with --isolate, the row's target times it (a fresh worker there)
        through_target = settings.isolate or edgebench.is_remote(variant)

        def timed(first: bool) -> list[float] | None:
            """One attempt: the samples in ms."""
            if through_target:
                values, reasons = LATENCY.measure(edgebench.context(edgebench_case))
                if first:
                    row.values.update(values)
                    row.null_reasons.update(reasons)
                return values["latency_samples_ms"]
            if first:
                rules = edgebench.context(edgebench_case).board_rules()
                with window_rules(rules) as board:
                    before, start = temperature_c(), time.time()
                    values, reasons = time_invoke(
                        benchmark, invoke, timing.rounds, timing.warmup, LATENCY.fields
                    )
                    values.update(temperatures(before, temperature_c()))
                    values.update(
                        timed_window_start_unix_s=start, timed_window_end_unix_s=time.time()
                    )
                reasons.update(dict.fromkeys(LOCK_FIELDS, NO_BOARD_LOCK))
                board_fields, board_reasons = board_values(board)
                values.update(board_fields)
                reasons.update(board_reasons)
                row.values.update(values)
                row.null_reasons.update(reasons)
                return values.get("latency_samples_ms")
            return [s * 1e3 for s in time_directly(invoke, timing.rounds, timing.warmup)]

        if not through_target:
            session = edgebench.load(variant, threads)
            invoke = session.bind(edgebench.latency_input(variant, session))
        samples = timed(first=True)
        if samples and not through_target:
            # invoke + the task's post-processing (box decoding), timed together here
            decode = edgebench.artifact(variant).output_adapter
            values, reasons = end_to_end_latency(
                model_outputs(session, decode),
                edgebench.latency_input(variant, session),
                decode,
                timing.rounds,
                timing.warmup,
            )
            row.values.update(values)
            row.null_reasons.update(reasons)
        if samples:
            edgebench.remember_latency(variant, threads, row.values["latency_p50_ms"])
            name = edgebench.baseline_name()
            baseline = edgebench.baseline_row(variant, threads)
            gate, failure = gate_with_retries(
                lambda samples: latency_gate(
                    edgebench_case.id, baseline, samples, settings.max_slowdown, name
                ),
                samples,
                lambda: timed(first=False) or [],
                retry_pauses(settings.gate_retries),
            )
            row.values.update(gate)
    if failure:
        pytest.fail(failure, pytrace=False)

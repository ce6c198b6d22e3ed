"""Peak memory of every variant at every thread count, in a fresh worker process that
imports only numpy and the runtime; the idle baseline is measured the same way."""

from __future__ import annotations


def test_memory(edgebench, edgebench_case, edgebench_record):
    variant, threads = edgebench_case.variant, edgebench_case.threads
    with edgebench_record.measuring(variant, threads) as row:
        row.facts.update(edgebench.variant_facts(variant))
        row.values.update(edgebench.memory(variant, threads))

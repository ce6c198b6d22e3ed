"""Every registered measurement (memory and energy built in; plugins add theirs through
``pytest_edgebench_measurements``) at every variant and thread count."""

from __future__ import annotations


def test_measure(edgebench, edgebench_measurement, edgebench_case, edgebench_record):
    variant, threads = edgebench_case.variant, edgebench_case.threads
    with edgebench_record.measuring(variant, threads) as row:
        row.facts.update(edgebench.variant_facts(variant))
        row.values.update(edgebench.row_host(variant))
        values, reasons = edgebench_measurement.run(edgebench.context(edgebench_case))
        row.values.update(values)
        row.null_reasons.update(reasons)

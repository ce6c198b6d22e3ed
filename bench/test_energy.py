"""Power and energy per image: the meter brackets a window of steady inference
(``--energy-seconds``) after measuring idle power for as long in the same session.
With no meter every power and energy field is null with the reason."""

from __future__ import annotations


def test_energy(edgebench, edgebench_case, edgebench_record):
    variant, threads = edgebench_case.variant, edgebench_case.threads
    with edgebench_record.measuring(variant, threads) as row:
        row.facts.update(edgebench.variant_facts(variant))
        values, reasons = edgebench.energy(variant, threads)
        row.values.update(values)
        row.null_reasons.update(reasons)

import re

import numpy as np
import pytest

from edgebench.gates import (
    gate_summary,
    gate_with_retries,
    latency_gate,
    retry_pauses,
    speedup_failure,
)
from edgebench.instruments.compare import parse_tolerances, ratio_interval
from edgebench.results import Record


def noisy(center, n=300, seed=0):
    rng = np.random.default_rng(seed)
    return list(center * (1 + 0.05 * rng.standard_normal(n)) + rng.exponential(center * 0.02, n))


def test_identical_distributions_are_not_slower():
    interval = ratio_interval(noisy(1.0, seed=1), noisy(1.0, seed=2))
    assert interval.low < 1.0 < interval.high
    assert not interval.slower_than(0.10)


def test_twice_as_slow_is_significant():
    interval = ratio_interval(noisy(1.0, seed=1), noisy(2.0, seed=2))
    assert interval.ratio == pytest.approx(2.0, rel=0.03)
    assert interval.slower_than(0.10)
    assert interval.low <= interval.ratio <= interval.high


def test_other_statistics_and_determinism():
    a, b = noisy(1.0, seed=3), noisy(1.2, seed=4)
    assert ratio_interval(a, b, "p90") == ratio_interval(a, b, "p90")
    assert ratio_interval(a, b, "mean").ratio == pytest.approx(np.mean(b) / np.mean(a))
    with pytest.raises(ValueError):
        ratio_interval(a, b, "p42")
    with pytest.raises(ValueError):
        ratio_interval([1.0], b)


def test_tolerances():
    assert parse_tolerances("p50:10%, p90:25") == {"p50": 0.10, "p90": 0.25}
    with pytest.raises(ValueError):
        parse_tolerances("p50=10%")


def test_latency_gate_outcomes():
    base, same, slow = noisy(1.0, seed=5), noisy(1.0, seed=6), noisy(2.0, seed=7)
    values, failure = latency_gate("v-t1", [base], same, {"p50": 0.10}, "run.json")
    assert failure is None and values["latency_gate"] == "passed against run.json"
    values, failure = latency_gate("v-t1", [base], slow, {"p50": 0.10}, "run.json")
    assert values["latency_gate"] == "failed"
    assert failure.startswith("v-t1: significantly slower than baseline run.json: p50 ")
    assert (
        "ratio 2.0" in failure
        and "95% interval [" in failure
        and "above the allowed 1.10" in failure
    )
    assert latency_gate("v", [], same, {"p50": 0.1}, "run.json")[0]["latency_gate"].startswith(
        "new row"
    )
    assert latency_gate("v", [base], same, {"p50": 0.1}, None) == (
        {"latency_gate": "no baseline: passed"},
        None,
    )


def test_speedup_gate():
    assert speedup_failure("v", 1.0, 0.5, 1.3) is None
    assert speedup_failure("v", 1.0, 0.9, 1.3) == (
        "v: 1.11x faster than fp32 (p50 0.9000 vs 1.0000 ms), expected at least 1.30x (--expect-speedup)"
    )


def test_retry_pauses_spread_the_attempts_over_half_a_minute():
    assert retry_pauses(0) == [] and retry_pauses(-1) == []
    assert retry_pauses(3) == [1.0, 2.0, 4.0]
    assert sum(retry_pauses(8)) == 27.0


def test_several_baseline_runs_judge_against_the_slowest():
    fast, slow_run = noisy(1.0, seed=1), noisy(1.5, seed=2)
    current = noisy(1.4, seed=3)  # 40% slower than the fast run, within the slow run's reach
    _, failure = latency_gate("v", [fast], current, {"p50": 0.10}, "a.json")
    assert failure is not None
    values, failure = latency_gate("v", [fast, slow_run], current, {"p50": 0.10}, "2 runs")
    assert failure is None
    compared = values["latency_vs_baseline"]
    assert compared["baseline_runs"] == 2
    assert compared["p50"]["baseline_spread"] == pytest.approx(1.5, rel=0.05)
    # a real slowdown beyond every baseline run still fails, and says which run it used
    _, failure = latency_gate("v", [fast, slow_run], noisy(2.0, seed=4), {"p50": 0.10}, "2 runs")
    assert "(the slowest of 2 runs)" in failure


def test_a_noisy_baseline_says_what_the_gate_cannot_see():
    values, failure = latency_gate(
        "v", [noisy(1.0, seed=1), noisy(2.5, seed=2)], noisy(1.2, seed=3), {"p50": 0.1}, "2 runs"
    )
    assert failure is None
    assert "differ by 2.5" in values["latency_gate"] and "can pass as" in values["latency_gate"]
    values, _ = latency_gate("v", [noisy(1.0, seed=1)], noisy(1.0, seed=3), {"p50": 0.1}, "a")
    assert values["latency_gate"] == "passed against a"


def test_gate_summary_counts_outcomes_and_names_the_blind_spots():
    def row(recipe, threads, gate, attempts=None, spread=1.0):
        compared = {"p50": {"baseline_spread": spread, "tolerance": 0.1}}
        return Record(
            "m", "d", recipe, "litert", threads, "host", latency_gate=gate,
            latency_gate_attempts=attempts, latency_vs_baseline=compared,
        )  # fmt: skip

    records = [
        row("fp32", 1, "passed against 5 runs"),
        row("fp32", 2, "passed against 5 runs (retry 2 of 8)", attempts=3, spread=2.08),
        row("int8", 1, "failed (retry 8 of 8)", attempts=9),
        Record("m", "d", "int8io", "litert", 1, "host", latency_gate="new row, not in baseline"),
    ]
    assert gate_summary(records) == [
        "latency gate: 2 rows passed (1 after re-timing), 1 failed, 1 new",
        "  baseline runs spread wider than the tolerance (a smaller slowdown can pass as "
        "noise): fp32-litert-t2 p50 2.08x",
    ]
    assert gate_summary([Record("m", "d", "fp32", "litert", 1, "host")]) == []
    assert gate_summary([row("fp32", 1, "no baseline: passed")]) == []


def test_retries_pause_retime_and_stop_at_the_first_pass():
    base = noisy(1.0, seed=1)
    timings = iter([noisy(2.0, seed=2), noisy(1.0, seed=3), noisy(2.0, seed=4)])
    slept = []

    def judge(samples):
        return latency_gate("v", [base], samples, {"p50": 0.1}, "b.json")

    values, failure = gate_with_retries(
        judge, noisy(2.0, seed=5), lambda: next(timings), retry_pauses(4), slept.append
    )
    assert failure is None and slept == [1.0, 2.0]  # passed at the second re-timing
    assert values["latency_gate"] == "passed against b.json (retry 2 of 4)"
    assert values["latency_gate_attempts"] == 3
    assert [round(r, 1) for r in values["latency_gate_ratios"]] == [2.0, 2.0, 1.0]


def test_a_real_slowdown_fails_every_retry_and_lists_them():
    base, slept = noisy(1.0, seed=1), []
    values, failure = gate_with_retries(
        lambda s: latency_gate("v", [base], s, {"p50": 0.1}, "b.json"),
        noisy(1.5, seed=2),
        lambda: noisy(1.5, seed=len(slept) + 10),
        retry_pauses(3),
        slept.append,
    )
    assert slept == [1.0, 2.0, 4.0] and values["latency_gate"] == "failed (retry 3 of 3)"
    assert re.search(
        r"\(every one of 4 attempts over 7 s was slower; p50 ratios (1\.5\d, ){3}1\.5\d\)$", failure
    )
    # without retries the first verdict stands and nothing is re-timed
    values, failure = gate_with_retries(
        lambda s: latency_gate("v", [base], s, {"p50": 0.1}, "b.json"),
        noisy(1.5, seed=2),
        lambda: pytest.fail("re-timed"),
        [],
    )
    assert failure is not None and "latency_gate_attempts" not in values

"""Pass/fail rules applied to measurements."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from edgebench.results import Record


def accuracy_drop_failure(
    variant_id: str,
    baseline_accuracy: float,
    accuracy: float,
    drop_points: float,
    max_drop_points: float | None,
    source: str = "--max-accuracy-drop",
) -> str | None:
    """A failure message when the accuracy drop exceeds the threshold, else ``None``.

    >>> accuracy_drop_failure("m-d-int8-litert", 0.95, 0.90, 5.0, 1.0) is not None
    True
    """
    if max_drop_points is None or drop_points <= max_drop_points:
        return None
    return (
        f"{variant_id}: accuracy {accuracy * 100:.2f}% vs fp32 baseline "
        f"{baseline_accuracy * 100:.2f}% is a drop of {drop_points:.2f} points, "
        f"above the allowed {max_drop_points:.2f} ({source})"
    )


def latency_gate(
    variant_id: str,
    baseline_runs: list[list[float]],
    current_samples: list[float],
    tolerances: dict[str, float],
    baseline_name: str | None,
) -> tuple[dict[str, object], str | None]:
    """Compare this row's latency samples with the saved baseline's.

    ``baseline_runs`` holds the row's samples from each baseline run that has it. For each
    statistic the gate takes the slowest of those runs, so the spread this machine showed
    between runs is forgiven (with one run, that run). Returns record values
    (``latency_gate`` says what happened) and a failure message when a statistic is
    significantly slower than its tolerance allows: the whole bootstrap interval of
    current/baseline lies above ``1 + tolerance``.

    >>> values, failure = latency_gate("v", [[1.0, 1.1] * 20], [2.0, 2.1] * 20, {"p50": 0.1}, "b")
    >>> values["latency_gate"], failure is not None
    ('failed', True)
    """
    import numpy as np

    from edgebench.instruments.compare import ratio_interval, statistic

    if baseline_name is None:
        return {"latency_gate": "no baseline: passed"}, None
    if not baseline_runs:
        return {"latency_gate": f"new row, not in baseline {baseline_name}"}, None
    ratios: dict[str, object] = {"baseline_runs": len(baseline_runs)}
    values: dict[str, object] = {"latency_vs_baseline": ratios}
    failures = []
    widest_noise = 1.0  # the largest baseline spread beyond its tolerance, if any
    for stat, tolerance in tolerances.items():
        per_run = [
            float(statistic(np.asarray(run, dtype=np.float64), stat)) for run in baseline_runs
        ]
        slowest = baseline_runs[int(np.argmax(per_run))]
        interval = ratio_interval(slowest, current_samples, stat)
        spread = max(per_run) / min(per_run)
        if spread > 1 + tolerance:
            widest_noise = max(widest_noise, spread)
        ratios[stat] = {
            "ratio": interval.ratio,
            "low": interval.low,
            "high": interval.high,
            "tolerance": tolerance,
            "baseline_spread": spread,
        }
        if interval.slower_than(tolerance):
            failures.append(
                f"{stat} {interval.current:.4f} ms vs baseline {interval.baseline:.4f} ms"
                + (f" (the slowest of {len(per_run)} runs)" if len(per_run) > 1 else "")
                + f": ratio {interval.ratio:.3f}, {interval.confidence:.0%} interval "
                f"[{interval.low:.3f}, {interval.high:.3f}] is above the allowed {1 + tolerance:.2f}"
            )
    values["latency_gate"] = "failed" if failures else f"passed against {baseline_name}"
    if not failures and widest_noise > 1.0:
        values["latency_gate"] += (
            f" (its baseline runs differ by {widest_noise:.2f}x among themselves: a smaller "
            "slowdown of this row can pass as this machine's noise)"
        )
    if failures:
        return (
            values,
            f"{variant_id}: significantly slower than baseline {baseline_name}: "
            + "; ".join(failures),
        )
    return values, None


def retry_pauses(retries: int) -> list[float]:
    """Seconds to wait before each re-timing of a row the latency gate found slower.

    1 s, 2 s, then 4 s each: the attempts spread over half a minute with the default 8
    retries (27 s of pauses), longer than the slow phases of a shared VM (seconds to tens
    of seconds), so an unchanged row meets a quiet phase while a slower model stays slower.

    >>> retry_pauses(5)
    [1.0, 2.0, 4.0, 4.0, 4.0]
    """
    return [min(2.0**k, 4.0) for k in range(max(retries, 0))]


def gate_with_retries(
    judge: Callable[[list[float]], tuple[dict[str, object], str | None]],
    samples: list[float],
    retime: Callable[[], list[float]],
    pauses: Sequence[float],
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[dict[str, object], str | None]:
    """Judge ``samples``; while the verdict is a failure, pause and judge a fresh timing.

    Passes at the first attempt that is not significantly slower. A failure after
    re-timing lists every attempt's p50 ratio; the values gain ``latency_gate_attempts``
    and ``latency_gate_ratios`` whenever the row was re-timed.

    >>> verdicts = iter([({"latency_gate": "failed"}, "slower"), ({"latency_gate": "passed"}, None)])
    >>> values, failure = gate_with_retries(lambda s: next(verdicts), [1.0], lambda: [1.0], [0, 0])
    >>> values["latency_gate"], values["latency_gate_attempts"], failure
    ('passed (retry 1 of 2)', 2, None)
    """

    def p50_ratio(values: dict[str, object]) -> float | None:
        compared = values.get("latency_vs_baseline")
        entry = compared.get("p50") if isinstance(compared, dict) else None
        return entry.get("ratio") if isinstance(entry, dict) else None

    values, failure = judge(samples)
    ratios = [p50_ratio(values)]
    for attempt, pause in enumerate(pauses, start=1):
        if failure is None:
            break
        sleep(pause)  # let a slow phase of the machine pass
        values, failure = judge(retime())
        ratios.append(p50_ratio(values))
        values["latency_gate"] = f"{values['latency_gate']} (retry {attempt} of {len(pauses)})"
    if len(ratios) > 1:
        values["latency_gate_attempts"] = len(ratios)
        values["latency_gate_ratios"] = ratios
        if failure:
            waited = sum(pauses[: len(ratios) - 1])
            failure += (
                f" (every one of {len(ratios)} attempts over {waited:.0f} s was slower; p50 ratios "
                + ", ".join("n/a" if r is None else f"{r:.2f}" for r in ratios)
                + ")"
            )
    return values, failure


def speedup_failure(
    variant_id: str, fp32_p50: float, variant_p50: float, expected: float
) -> str | None:
    """A failure message when ``variant`` is not ``expected`` times faster than fp32 (p50)."""
    speedup = fp32_p50 / variant_p50
    if speedup >= expected:
        return None
    return (
        f"{variant_id}: {speedup:.2f}x faster than fp32 (p50 {variant_p50:.4f} vs "
        f"{fp32_p50:.4f} ms), expected at least {expected:.2f}x (--expect-speedup)"
    )


def gate_summary(records: Sequence[Record]) -> list[str]:
    """Terminal lines on the latency gate of a run: outcomes, re-timings, blind spots.

    Empty when no row was judged against a baseline.

    >>> r = Record("m", "d", "fp32", "litert", 1, "host", latency_gate="passed against a.json")
    >>> gate_summary([r])
    ['latency gate: 1 rows passed, 0 failed, 0 new']
    """
    judged = [r for r in records if r.latency_gate and not r.latency_gate.startswith("no baseline")]
    if not judged:
        return []
    failed = [r for r in judged if r.latency_gate.startswith("failed")]  # type: ignore[union-attr]
    new = [r for r in judged if r.latency_gate.startswith("new row")]  # type: ignore[union-attr]
    retimed = [r for r in judged if (r.latency_gate_attempts or 1) > 1 and r not in failed]
    line = f"latency gate: {len(judged) - len(failed) - len(new)} rows passed"
    if retimed:
        line += f" ({len(retimed)} after re-timing)"
    lines = [line + f", {len(failed)} failed, {len(new)} new"]
    blind = []
    for r in judged:
        for stat, entry in (r.latency_vs_baseline or {}).items():
            if isinstance(entry, dict) and entry.get("baseline_spread", 1.0) > 1 + entry.get(
                "tolerance", 0.0
            ):
                blind.append(
                    f"{r.recipe}-{r.runtime}-t{r.threads} {stat} {entry['baseline_spread']:.2f}x"
                )
    if blind:
        lines.append(
            "  baseline runs spread wider than the tolerance (a smaller slowdown can pass as "
            "noise): " + ", ".join(blind)
        )
    return lines

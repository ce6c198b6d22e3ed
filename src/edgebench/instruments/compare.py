"""Is a latency change significant on a noisy machine? A bootstrap interval on the ratio.

The statistic (median, p90, ...) of the current samples divided by the same statistic of
the baseline samples, with a percentile bootstrap interval (both sample sets resampled,
seeded). A slowdown is significant when the whole interval lies above ``1 + tolerance``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

STATISTICS = {
    "p50": 50.0,
    "median": 50.0,
    "p90": 90.0,
    "p95": 95.0,
    "p99": 99.0,
    "min": 0.0,
    "mean": -1.0,
}


def statistic(samples: np.ndarray, name: str, axis: int = -1) -> np.ndarray:
    """The named statistic along ``axis`` (``mean`` or a percentile)."""
    if name == "mean":
        return samples.mean(axis=axis)
    return np.percentile(samples, STATISTICS[name], axis=axis)


@dataclass(frozen=True)
class RatioInterval:
    """current/baseline of a statistic, with its bootstrap interval."""

    statistic: str
    baseline: float
    current: float
    ratio: float
    low: float
    high: float
    confidence: float

    def slower_than(self, tolerance: float) -> bool:
        """Whether the whole interval lies above ``1 + tolerance``."""
        return self.low > 1.0 + tolerance


def ratio_interval(
    baseline: Sequence[float],
    current: Sequence[float],
    stat: str = "p50",
    confidence: float = 0.95,
    resamples: int = 2000,
    seed: int = 0,
) -> RatioInterval:
    """Bootstrap interval of ``stat(current) / stat(baseline)``.

    >>> r = ratio_interval([1.0] * 50, [2.0] * 50)
    >>> (r.ratio, r.low, r.high)
    (2.0, 2.0, 2.0)
    """
    if stat not in STATISTICS:
        raise ValueError(f"unknown statistic {stat!r}; known: {', '.join(STATISTICS)}")
    a = np.asarray(baseline, dtype=np.float64)
    b = np.asarray(current, dtype=np.float64)
    if a.size < 2 or b.size < 2:
        raise ValueError("need at least two samples on each side")
    rng = np.random.default_rng(seed)
    boot_a = statistic(a[rng.integers(0, a.size, (resamples, a.size))], stat)
    boot_b = statistic(b[rng.integers(0, b.size, (resamples, b.size))], stat)
    ratios = boot_b / boot_a
    tail = (1.0 - confidence) / 2 * 100
    low, high = np.percentile(ratios, [tail, 100 - tail])
    base_value, current_value = float(statistic(a, stat)), float(statistic(b, stat))
    return RatioInterval(
        stat,
        base_value,
        current_value,
        current_value / base_value,
        float(low),
        float(high),
        confidence,
    )


def parse_tolerances(text: str) -> dict[str, float]:
    """``p50:10%,p90:25%`` -> {"p50": 0.10, "p90": 0.25}."""
    found: dict[str, float] = {}
    for item in (p.strip() for p in text.split(",")):
        if not item:
            continue
        name, sep, value = item.partition(":")
        if not sep or name not in STATISTICS:
            raise ValueError(
                f"{item!r}: expected STAT:PERCENT with STAT one of {', '.join(STATISTICS)}"
            )
        try:
            percent = float(value.strip().rstrip("%"))
        except ValueError:
            raise ValueError(f"{item!r}: {value!r} is not a percentage") from None
        if not 0 <= percent <= 10_000:  # also refuses nan and inf
            raise ValueError(f"{item!r}: the percentage must be finite, from 0 to 10000")
        found[name] = percent / 100.0
    return found

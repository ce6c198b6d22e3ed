"""Latency statistics computed from raw per-invoke samples."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

PERCENTILES: tuple[int, ...] = (50, 90, 95, 99)


@dataclass(frozen=True)
class LatencyStats:
    """Latency of one invoke, in milliseconds, over ``rounds`` timed samples."""

    mean_ms: float
    std_ms: float
    min_ms: float
    p50_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    rounds: int
    throughput_ips: float

    def as_dict(self) -> dict[str, float | int]:
        """Plain dict for the run JSON."""
        return asdict(self)


def latency_stats(samples_s: Sequence[float]) -> LatencyStats:
    """Summarise per-invoke samples given in seconds.

    Percentiles use linear interpolation between order statistics (numpy's default);
    ``std`` is the sample standard deviation (0 for a single sample); throughput is
    images per second at batch 1, ``1 / mean``.

    >>> latency_stats([0.001, 0.002, 0.003]).p50_ms
    2.0
    """
    data = np.asarray(samples_s, dtype=np.float64)
    if data.size == 0:
        raise ValueError("no latency samples")
    if not np.all(np.isfinite(data)) or np.any(data < 0):
        raise ValueError("latency samples must be finite and non-negative")
    ms = data * 1e3
    p50, p90, p95, p99 = (float(v) for v in np.percentile(ms, PERCENTILES))
    mean = float(ms.mean())
    return LatencyStats(
        mean_ms=mean,
        std_ms=float(ms.std(ddof=1)) if ms.size > 1 else 0.0,
        min_ms=float(ms.min()),
        p50_ms=p50,
        p90_ms=p90,
        p95_ms=p95,
        p99_ms=p99,
        max_ms=float(ms.max()),
        rounds=int(ms.size),
        throughput_ips=1e3 / mean if mean > 0 else math.inf,
    )

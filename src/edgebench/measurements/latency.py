"""Latency: warm-up, then timed rounds of one invoke of batch 1; raw samples kept.

In the pytest process the timer is pytest-benchmark's (``bench/test_latency.py``); this
measurement times the row through its target instead (``--isolate``), by the same rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from edgebench.measurements.base import MeasureColumn, MeasureContext, Measurement

FIELDS: tuple[str, ...] = (
    "latency_mean_ms",
    "latency_std_ms",
    "latency_min_ms",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "latency_max_ms",
    "rounds",
    "throughput_ips",
    "latency_samples_ms",
)


def temperatures(before: float | None, after: float | None) -> dict[str, Any]:
    """``temperature_before_c``/``temperature_after_c`` of the timed loop (where readable)."""
    return {"temperature_before_c": before, "temperature_after_c": after}


def isolated_latency(context: MeasureContext) -> tuple[dict[str, Any], dict[str, str]]:
    """Latency timed by the target's worker: the same warm-up and rounds, raw samples back."""
    from edgebench.instruments.latency import latency_values

    result = context.target.run(context.job())
    values = latency_values(result["samples_s"])
    values.update(
        temperatures(result.get("temperature_before_c"), result.get("temperature_after_c"))
    )
    values["warmup_rounds"] = context.settings.warmup
    where = f" on {result['host']}" if result.get("host") else ""
    values["latency_timer"] = (
        f"isolated worker{where} (edgebench.worker), 1 invoke per round, batch 1"
    )
    return values, {}


#: the end-to-end latency fields (invoke + the task's post-processing).
END_TO_END_FIELDS: tuple[str, ...] = ("end_to_end_p50_ms", "end_to_end_p90_ms")


def end_to_end_latency(
    run: Callable[[np.ndarray], np.ndarray],
    sample: np.ndarray,
    adapter_name: str | None,
    rounds: int,
    warmup: int,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Invoke plus the output adapter's post-processing (box decoding), timed together
    round by round with the same warm-up and rounds as the invoke alone; null with the
    reason for a model without post-processing."""
    from edgebench.instruments.stats import latency_stats
    from edgebench.instruments.timing import time_directly
    from edgebench.tasks.adapters import adapter

    if adapter_name is None:
        reason = "the model has no post-processing (no output adapter): the invoke is the whole"
        return {}, dict.fromkeys(END_TO_END_FIELDS, reason)
    decode = adapter(adapter_name)
    stats = latency_stats(time_directly(lambda: decode(run(sample)), rounds, warmup))
    return {"end_to_end_p50_ms": stats.p50_ms, "end_to_end_p90_ms": stats.p90_ms}, {}


LATENCY = Measurement(
    "latency",
    (
        MeasureColumn("latency_p50_ms", "p50 [ms]", "{:.3f}", "p50"),
        MeasureColumn("latency_p90_ms", "p90 [ms]", "{:.3f}", "p90"),
        MeasureColumn("latency_mean_ms", "Avg latency [ms]", "{:.3f}", "mean"),
    ),
    isolated_latency,
    FIELDS,
    "the latency test of this row did not run in this session",
)

"""Latency measurement through pytest-benchmark's timer (``benchmark.pedantic``)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from edgebench.instruments.stats import latency_stats
from edgebench.instruments.timing import time_directly

__all__ = ["latency_values", "time_directly", "time_invoke", "timer_disabled_reason"]


def latency_values(samples_s: list[float]) -> dict[str, Any]:
    """Record fields from raw per-invoke samples (seconds), the samples kept in ms."""
    stats = latency_stats(samples_s)
    values: dict[str, Any] = {
        f"latency_{k}" if k.endswith("_ms") else k: v for k, v in stats.as_dict().items()
    }
    values["latency_samples_ms"] = [round(s * 1e3, 6) for s in samples_s]
    return values


def timer_disabled_reason(benchmark: Any) -> str:
    """Why pytest-benchmark's timer is off for this test."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return (
            "not timed: tests run in parallel pytest-xdist workers (-n), where timing is "
            "unreliable; run the latency tests without -n"
        )
    return "not timed: pytest-benchmark is disabled (--benchmark-disable)"


def time_invoke(
    benchmark: Any,
    invoke_once: Callable[[], object],
    rounds: int,
    warmup: int,
    fields: tuple[str, ...] = (),
) -> tuple[dict[str, Any], dict[str, str]]:
    """Time ``invoke_once`` for ``rounds`` rounds after ``warmup`` rounds, one call per round.

    Returns record values and null reasons. With the timer disabled (xdist, or
    ``--benchmark-disable``) the call still runs once, so errors surface, and every
    latency field (``fields``: the latency measurement's) is ``None`` with the reason.
    """
    if getattr(benchmark, "disabled", False):
        benchmark.pedantic(invoke_once, rounds=1, iterations=1)
        reason = timer_disabled_reason(benchmark)
        return {}, {name: reason for name in fields}
    benchmark.pedantic(invoke_once, rounds=rounds, warmup_rounds=warmup, iterations=1)
    values = latency_values(list(benchmark.stats.stats.data))
    values["warmup_rounds"] = warmup
    values["latency_timer"] = "pytest-benchmark pedantic, 1 invoke per round, batch 1"
    benchmark.extra_info.update({"edgebench": values})
    return values, {}

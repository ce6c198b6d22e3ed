"""The timing loop shared by re-timing in pytest and the isolated worker (no heavy imports)."""

from __future__ import annotations

import time
from collections.abc import Callable


def time_directly(invoke_once: Callable[[], object], rounds: int, warmup: int) -> list[float]:
    """``warmup`` untimed calls, then ``rounds`` calls timed one by one with
    ``time.perf_counter``; the samples in seconds (the rules pytest-benchmark's
    ``pedantic`` follows with ``iterations=1``)."""
    for _ in range(warmup):
        invoke_once()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        invoke_once()
        samples.append(time.perf_counter() - start)
    return samples

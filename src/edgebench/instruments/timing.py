"""The timing loop shared by re-timing in pytest and the isolated worker (no heavy imports)."""

from __future__ import annotations

import time
from collections.abc import Callable

from edgebench.instruments.watched_process import BEAT_EVERY_S, beat


def time_directly(invoke_once: Callable[[], object], rounds: int, warmup: int) -> list[float]:
    """``warmup`` untimed calls, then ``rounds`` calls timed one by one with
    ``time.perf_counter``; the samples in seconds (the rules pytest-benchmark's
    ``pedantic`` follows with ``iterations=1``). A worker reports its progress about once
    a second, between rounds (outside the timed calls), gated here on the clock the loop
    reads anyway (``force``: beat's own throttle, on another clock, would skip some)."""
    next_beat = time.perf_counter() + BEAT_EVERY_S
    for done in range(warmup):
        invoke_once()
        if time.perf_counter() >= next_beat:
            beat(f"warm-up {done + 1}/{warmup}", force=True)
            next_beat = time.perf_counter() + BEAT_EVERY_S
    samples = []
    for done in range(rounds):
        start = time.perf_counter()
        invoke_once()
        end = time.perf_counter()
        samples.append(end - start)
        if end >= next_beat:
            beat(f"rounds {done + 1}/{rounds}", force=True)
            next_beat = time.perf_counter() + BEAT_EVERY_S
    return samples

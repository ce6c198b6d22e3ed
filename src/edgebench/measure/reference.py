"""A fixed reference workload, timed next to each latency row, that tells how fast the
machine is at that moment. The latency gate scales the baseline by the ratio of the two
runs' reference times, so a whole-machine slow phase (CPU steal on a shared VM) is not
mistaken for a slower model."""

from __future__ import annotations

import time

import numpy as np

_SIZE = 64


def reference_ms(seconds: float = 0.05) -> float:
    """Median time in ms of one small float32 matrix product, over ``seconds``."""
    rng = np.random.default_rng(0)
    a = rng.random((_SIZE, _SIZE), dtype=np.float32)
    b = rng.random((_SIZE, _SIZE), dtype=np.float32)
    samples = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(samples) < 20:
        start = time.perf_counter()
        np.dot(a, b)
        samples.append(time.perf_counter() - start)
    return float(np.median(samples)) * 1e3

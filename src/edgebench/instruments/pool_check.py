"""Boards of one pool compared on the same row: a board whose fp32 p50 differs from the
others by more than the noise (a board running hot, on another governor, or simply not
identical) is flagged.

In a pool every fp32 row is timed on every board (the row's own board first, then the
others, same job); per board, the p50 ratio to the row's own board with its bootstrap
interval (``instruments.compare``). A board is flagged when the whole interval lies
outside ``1 +/- TOLERANCE``: the difference is larger than both its noise and what the
docs call the same speed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: boards within 3% of each other in p50 count as the same speed.
TOLERANCE = 0.03


def compare_boards(
    own: str, own_samples_ms: Sequence[float], others: dict[str, Sequence[float]]
) -> dict[str, Any]:
    """Per board: its p50, the ratio to ``own``'s with the 95% interval, and whether it
    is flagged; ``flags``: one line per flagged board.

    >>> found = compare_boards("a", [1.0] * 20, {"b": [1.5] * 20})
    >>> found["flags"]
    ['b: fp32 p50 1.50x the p50 on a (95% interval 1.50-1.50), beyond 3% and the noise']
    """
    import numpy as np

    from edgebench.instruments.compare import ratio_interval

    boards: dict[str, Any] = {own: {"p50_ms": float(np.median(own_samples_ms)), "ratio": 1.0}}
    flags = []
    for label, samples in others.items():
        r = ratio_interval(own_samples_ms, samples, "p50")
        off = r.low > 1 + TOLERANCE or r.high < 1 - TOLERANCE
        boards[label] = {
            "p50_ms": r.current,
            "ratio": r.ratio,
            "low": r.low,
            "high": r.high,
            "flagged": off,
        }
        if off:
            flags.append(
                f"{label}: fp32 p50 {r.ratio:.2f}x the p50 on {own} (95% interval "
                f"{r.low:.2f}-{r.high:.2f}), beyond {TOLERANCE:.0%} and the noise"
            )
    return {"boards": boards, "flags": flags}

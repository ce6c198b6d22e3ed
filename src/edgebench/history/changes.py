"""Where a row's figure moved beyond its noise, over a sequence of runs (pure).

Binary segmentation: in a stretch of runs, every split k (``min_side`` runs or more on
each side) compares the mean of the runs before k with the mean of the runs from k on, in
units of the standard error of that difference; the split with the largest such jump is a
change when the jump is ``threshold`` standard errors or more and at least
``min_relative`` of the level, and the two stretches on either side are searched again.
The noise is read from the differences of consecutive runs (a step moves only one of
them): 1.4826 x their median absolute deviation / sqrt 2, the standard deviation of
normal run-to-run noise, never below ``NOISE_FLOOR`` of the level.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: a stretch is split only with this many runs on each side.
MIN_SIDE = 3
#: a change is this many standard errors, and this share of the level, at least.
THRESHOLD = 6.0
MIN_RELATIVE = 0.03
#: the smallest noise (relative to the level): a perfectly flat series still has some.
NOISE_FLOOR = 1e-3


@dataclass(frozen=True)
class Change:
    """A step at ``index`` (the first run at the new level)."""

    index: int
    before: float
    after: float
    noise: float
    #: the jump in standard errors.
    score: float

    @property
    def relative(self) -> float:
        """The jump relative to the level before (``+0.3``: 30% higher)."""
        return (self.after - self.before) / self.before if self.before else math.inf


def noise_of(values: Sequence[float]) -> float:
    """The run-to-run noise of ``values`` (see the module).

    >>> round(noise_of([1.0, 1.0, 1.0, 5.0, 5.0, 5.0]), 6)  # one step, no noise: the floor
    0.003
    """
    series = np.asarray(values, dtype=np.float64)
    level = float(np.median(np.abs(series))) if len(series) else 0.0
    floor = NOISE_FLOOR * max(level, 1e-12)
    if len(series) < 3:
        return floor
    steps = np.diff(series)
    mad = float(np.median(np.abs(steps - np.median(steps))))
    return max(1.4826 * mad / math.sqrt(2), floor)


def change_points(
    values: Sequence[float],
    threshold: float = THRESHOLD,
    min_relative: float = MIN_RELATIVE,
    min_side: int = MIN_SIDE,
) -> list[Change]:
    """The steps of ``values``, in order (see the module).

    >>> [c.index for c in change_points([1.0, 1.01, 0.99, 1.0, 1.02, 1.3, 1.31, 1.29, 1.3, 1.32])]
    [5]
    >>> change_points([1.0, 1.01, 0.99, 1.0, 1.02, 1.01, 0.98, 1.0])
    []
    """
    series = np.asarray(values, dtype=np.float64)
    noise = noise_of(series)
    found: list[Change] = []

    def search(low: int, high: int) -> None:
        best: Change | None = None
        for k in range(low + min_side, high - min_side + 1):
            left, right = series[low:k], series[k:high]
            before, after = float(left.mean()), float(right.mean())
            error = noise * math.sqrt(1 / len(left) + 1 / len(right))
            change = Change(k, before, after, noise, abs(after - before) / error)
            if best is None or change.score > best.score:
                best = change
        if best is None or best.score < threshold:
            return
        if abs(best.after - best.before) < min_relative * max(abs(best.before), abs(best.after)):
            return
        found.append(best)
        search(low, best.index)
        search(best.index, high)

    search(0, len(series))
    return sorted(found, key=lambda c: c.index)

"""What every meter provides, and the sysfs root that tests can move."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from edgebench.errors import EdgebenchError


class MeterUnavailable(EdgebenchError):
    """The meter cannot be read here: absent, no permission, or unsupported."""


def sysfs_root() -> Path:
    """``/``, or ``$EDGEBENCH_SYSFS_ROOT`` (a fake tree for tests)."""
    return Path(os.environ.get("EDGEBENCH_SYSFS_ROOT", "/"))


@dataclass(frozen=True)
class PowerReading:
    """Energy in joules since an arbitrary origin (counter meters) or power in watts (sampled)."""

    joules: float | None = None
    watts: float | None = None


class Meter:
    """A power meter. Counter meters return cumulative joules (wrap handled inside);
    sampled meters return instantaneous watts. ``probe`` does a real read."""

    name: str = "meter"
    scope: str = "unknown"  # package, GPU, board, rail
    kind: str = "counter"  # "counter" or "sampled"
    #: seconds between samples when sampled (or between counter reads for max power).
    period_s: float = 0.05

    def probe(self) -> None:
        """Raise :class:`MeterUnavailable` with the reason when the meter cannot be read."""
        self.read()

    def read(self) -> PowerReading:
        """One reading."""
        raise NotImplementedError

"""Power meters: one module per backend, all behind :class:`~edgebench.meters.base.Meter`."""

from __future__ import annotations

from edgebench.meters.base import Meter, MeterUnavailable, PowerReading
from edgebench.meters.registry import METER_NAMES, make_meter, probe_meters, register_meter

__all__ = [
    "METER_NAMES",
    "Meter",
    "MeterUnavailable",
    "PowerReading",
    "make_meter",
    "probe_meters",
    "register_meter",
]

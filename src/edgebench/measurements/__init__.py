"""Measurements: each declares its record fields, the reason they are null when it did
not run, and its table columns in one place, and measures one row from a small typed
:class:`MeasureContext`.

``LATENCY`` and ``ACCURACY`` have bench tests of their own; ``MEMORY`` and ``ENERGY``
(and ``OP_PROFILE`` with ``--profile-ops``, and third-party measurements, through
``pytest_edgebench_measurements``) run in ``bench/test_measure.py``. A new measurement is one module plus a registration.
"""

from __future__ import annotations

from edgebench.measurements.accuracy import ACCURACY
from edgebench.measurements.base import MeasureColumn, MeasureContext, Measurement
from edgebench.measurements.energy import ENERGY
from edgebench.measurements.latency import LATENCY
from edgebench.measurements.memory import MEMORY
from edgebench.measurements.op_profile import OP_PROFILE

#: the measurements ``bench/test_measure.py`` runs by default (the hook's built-ins).
BUILTIN_MEASUREMENTS: tuple[Measurement, ...] = (MEMORY, ENERGY)
#: every built-in measurement, for the record's fields and the report's columns.
ALL_MEASUREMENTS: tuple[Measurement, ...] = (LATENCY, ACCURACY, MEMORY, ENERGY, OP_PROFILE)

__all__ = [
    "ACCURACY",
    "ALL_MEASUREMENTS",
    "BUILTIN_MEASUREMENTS",
    "ENERGY",
    "LATENCY",
    "MEMORY",
    "OP_PROFILE",
    "MeasureColumn",
    "MeasureContext",
    "Measurement",
]

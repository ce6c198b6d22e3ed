"""Measurements beyond latency and accuracy, as pluggable units with their own columns.

Each :class:`Measurement` runs once per latency row (variant x thread count) in
``bench/test_measure.py`` and fills record fields; its columns join the summary table.
edgebench's memory and energy measurements are registered through the same hook
(``pytest_edgebench_measurements``) that third-party plugins use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edgebench.cases import LatencyCase
    from edgebench.session import EdgebenchSession

MeasureFunction = Callable[
    ["EdgebenchSession", "LatencyCase"], tuple[dict[str, Any], dict[str, str]]
]


@dataclass(frozen=True)
class MeasureColumn:
    """A summary-table column: the record field (or extra column) and how to show it."""

    field: str
    header: str
    fmt: str = "{:.3f}"


@dataclass(frozen=True)
class Measurement:
    """A named measurement: what it adds to the table and the function that measures.

    ``measure(session, case)`` returns record values and reasons for the fields it
    leaves ``None``; it may raise an ``EdgebenchError`` to fail its test.
    """

    name: str
    columns: tuple[MeasureColumn, ...]
    measure: MeasureFunction


def _memory(session: EdgebenchSession, case: LatencyCase) -> tuple[dict[str, Any], dict[str, str]]:
    return session.memory(case.variant, case.threads), {}


def _energy(session: EdgebenchSession, case: LatencyCase) -> tuple[dict[str, Any], dict[str, str]]:
    return session.energy(case.variant, case.threads)


MEMORY = Measurement(
    "memory",
    (MeasureColumn("memory_over_baseline_mb", "Mem over base [MiB]", "{:.1f}"),),
    _memory,
)
ENERGY = Measurement(
    "energy",
    (
        MeasureColumn("power_max_w", "Max power [W]", "{:.2f}"),
        MeasureColumn("energy_net_per_image_mj", "Energy/image [mJ]", "{:.3f}"),
    ),
    _energy,
)
BUILTIN_MEASUREMENTS: tuple[Measurement, ...] = (MEMORY, ENERGY)

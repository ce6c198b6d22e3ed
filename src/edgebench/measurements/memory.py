"""Peak memory: a fresh process on the row's target loads only the runtime and the
artifact; the idle baseline (the runtime alone) is measured the same way right before it,
and subtracted; of three such pairs the median difference counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edgebench.errors import NotApplicable
from edgebench.measurements.base import MeasureColumn, MeasureContext, Measurement


@dataclass
class MemoryRecord:
    """The record fields of the memory measurement: one group of a row (``results.Record``)."""

    peak_memory_mb: float | None = None
    memory_load_peak_mb: float | None = None
    memory_inference_peak_mb: float | None = None
    memory_baseline_mb: float | None = None
    memory_over_baseline_mb: float | None = None
    memory_source: str | None = None
    #: idle + row pairs of fresh workers per memory figure (the median difference counts).
    memory_repeats: int | None = None


FIELDS: tuple[str, ...] = (
    "peak_memory_mb",
    "memory_load_peak_mb",
    "memory_inference_peak_mb",
    "memory_baseline_mb",
    "memory_over_baseline_mb",
    "memory_repeats",
)
#: inference rounds in the memory worker (enough to reach the steady peak).
MAX_ROUNDS = 100
#: idle + row pairs of fresh workers per memory figure (the median difference counts).
REPEATS = 3


def measure_memory(context: MeasureContext) -> tuple[dict[str, Any], dict[str, str]]:
    """Peak memory of the row and over the idle baseline of the same runtime."""
    from edgebench.instruments.memory import memory_fields

    target = context.target
    if not target.fresh_process:
        raise NotApplicable(
            f"target {target.name!r} runs jobs in the pytest process: its peak memory "
            "is not the model's"
        )
    idle_job = context.job(idle=True)
    row_job = context.job(min(context.settings.rounds, MAX_ROUNDS))
    # Idle and row back to back, REPEATS times; the median difference counts. A baseline
    # read once per session would carry that moment's state of the machine into every row
    # of the runtime (one low reading shifted all ONNX Runtime rows by 2 MiB in CI).
    pairs = [(target.run(idle_job), target.run(row_job)) for _ in range(REPEATS)]
    measured = sorted(
        (memory_fields(row, idle) for idle, row in pairs),
        key=lambda values: values["memory_over_baseline_mb"],
    )
    values = measured[len(measured) // 2]
    values["memory_repeats"] = REPEATS
    return values, {}


MEMORY = Measurement(
    "memory",
    (MeasureColumn("memory_over_baseline_mb", "Mem over base [MiB]", "{:.1f}", "memory"),),
    measure_memory,
    FIELDS,
    "the memory test of this row did not run in this session",
)

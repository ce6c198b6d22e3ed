"""Peak memory: a fresh process on the row's target loads only the runtime and the
artifact; the idle baseline (the runtime alone) is measured the same way, once per
runtime and session, and subtracted."""

from __future__ import annotations

from typing import Any

from edgebench.errors import NotApplicable
from edgebench.measurements.base import MeasureColumn, MeasureContext, Measurement

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
#: fresh workers per memory figure (the median one counts).
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
    runtime = context.case.variant.runtime
    baseline = context.once(
        ("memory-baseline", target.name, runtime),
        lambda: median_run(target, context.job(idle=True)),
    )
    result = median_run(target, context.job(min(context.settings.rounds, MAX_ROUNDS)))
    values = memory_fields(result, baseline)
    values["memory_repeats"] = REPEATS
    return values, {}


def median_run(target: Any, job: dict[str, Any]) -> dict[str, Any]:
    """The result with the median peak of :data:`REPEATS` fresh workers: one process's peak
    moves by a MiB or two (allocator arenas), the median of three much less."""
    results = sorted((target.run(job) for _ in range(REPEATS)), key=lambda r: r["peak_kib"] or 0)
    return results[len(results) // 2]


MEMORY = Measurement(
    "memory",
    (MeasureColumn("memory_over_baseline_mb", "Mem over base [MiB]", "{:.1f}", "memory"),),
    measure_memory,
    FIELDS,
    "the memory test of this row did not run in this session",
)

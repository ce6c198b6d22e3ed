"""Latency: warm-up, then timed rounds of one invoke of batch 1; raw samples kept.

In the pytest process the timer is pytest-benchmark's (``bench/test_latency.py``); this
measurement times the row through its target instead (``--isolate``), by the same rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgebench.measurements.base import MeasureColumn, MeasureContext, Measurement
from edgebench.option_decl import Option


@dataclass
class LatencyRecord:
    """The record fields of the latency measurement and the latency gate: one group of a row (``results.Record``)."""

    latency_mean_ms: float | None = None
    latency_std_ms: float | None = None
    latency_min_ms: float | None = None
    latency_p50_ms: float | None = None
    latency_p90_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    latency_max_ms: float | None = None
    rounds: int | None = None
    #: the raw per-invoke samples, for gates and comparisons between runs.
    latency_samples_ms: list[float] | None = None
    warmup_rounds: int | None = None
    #: what the latency gate found: no baseline, new row, passed or failed.
    latency_gate: str | None = None
    #: how many timings the gate judged (1 + re-timings) and the p50 ratio of each.
    latency_gate_attempts: int | None = None
    latency_gate_ratios: list[float | None] | None = None
    #: per statistic: current/baseline ratio with its bootstrap interval and the tolerance.
    latency_vs_baseline: dict[str, Any] | None = None
    throughput_ips: float | None = None
    #: invoke + the task's post-processing (an output adapter's decoding), timed together.
    end_to_end_p50_ms: float | None = None
    end_to_end_p90_ms: float | None = None
    #: the hottest thermal zone just before and just after the timed loop, in degrees C.
    temperature_before_c: float | None = None
    temperature_after_c: float | None = None
    latency_timer: str | None = None
    #: the timed loop (warm-up included) on the measuring machine's clock, Unix seconds:
    #: two runs that shared a board show windows that never overlap.
    timed_window_start_unix_s: float | None = None
    timed_window_end_unix_s: float | None = None
    #: how long the job waited for the board's lock (another controller measuring there),
    #: and who held it (``None``: it was free).
    board_lock_wait_s: float | None = None
    board_lock_waited_for: str | None = None
    #: the measuring machine just before the window (``instruments.board_state``): per
    #: core governor and frequencies, temperature, throttling, load.
    board_state: dict[str, Any] | None = None
    #: what makes the row suspect: throttled now, hot, under load (empty: nothing).
    board_flags: list[str] | None = None
    #: ``--pin-cores``: the cores the row ran on; ``--cooldown``: how long it waited.
    pinned_cores: list[int] | None = None
    cooldown_waited_s: float | None = None
    #: in a pool of boards, an fp32 row timed on every board: per board the p50 and its
    #: ratio to the row's own board, and the boards flagged as off (``pool_check``).
    pool_check: dict[str, Any] | None = None


FIELDS: tuple[str, ...] = (
    "latency_mean_ms",
    "latency_std_ms",
    "latency_min_ms",
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "latency_max_ms",
    "rounds",
    "throughput_ips",
    "latency_samples_ms",
)


def temperatures(before: float | None, after: float | None) -> dict[str, Any]:
    """``temperature_before_c``/``temperature_after_c`` of the timed loop (where readable)."""
    return {"temperature_before_c": before, "temperature_after_c": after}


def isolated_latency(context: MeasureContext) -> tuple[dict[str, Any], dict[str, str]]:
    """Latency timed by the target's worker: the same warm-up and rounds, raw samples back."""
    from edgebench.instruments.latency import latency_values

    job = context.job(board_rules=context.board_rules())
    result = context.target.run(job)
    values = latency_values(result["samples_s"])
    values.update(
        temperatures(result.get("temperature_before_c"), result.get("temperature_after_c"))
    )
    values["warmup_rounds"] = context.settings.warmup
    values["timed_window_start_unix_s"] = result.get("window_start_unix_s")
    values["timed_window_end_unix_s"] = result.get("window_end_unix_s")
    values["board_lock_wait_s"] = result.get("board_lock_wait_s")
    values["board_lock_waited_for"] = result.get("board_lock_waited_for")
    board, reasons = board_values(result.get("board"))
    values.update(board)
    if result.get("board_lock_wait_s") is None:
        reasons.update(dict.fromkeys(LOCK_FIELDS, NO_BOARD_LOCK))
    elif result.get("board_lock_waited_for") is None:
        reasons["board_lock_waited_for"] = "the board was free: the job did not wait"
    where = f" on {result['host']}" if result.get("host") else ""
    values["latency_timer"] = (
        f"isolated worker{where} (edgebench.worker), 1 invoke per round, batch 1"
    )
    values["pool_check"] = pool_check(context, job, result)
    if values["pool_check"] is None:
        reasons["pool_check"] = "not an fp32 row of a pool of boards"
    return values, reasons


def pool_check(context: MeasureContext, job: Any, result: dict[str, Any]) -> dict[str, Any] | None:
    """An fp32 row of a pool timed on every other board too, compared with its own
    board's (``instruments.pool_check``); ``None`` for any other row."""
    boards = context.target.pool()
    if len(boards) < 2 or context.case.variant.recipe.id != "fp32":
        return None
    from edgebench.instruments.pool_check import compare_boards

    own = context.target.label_for(context.case.variant.id)
    others = {
        board: [s * 1e3 for s in context.target.run_on(board, job)["samples_s"]]
        for board in boards
        if board != own
    }
    return compare_boards(own, [s * 1e3 for s in result["samples_s"]], others)


#: the record fields of the window's rules and the machine's state.
BOARD_FIELDS: tuple[str, ...] = ("board_state", "board_flags", "pinned_cores", "cooldown_waited_s")


#: the fields of the board's lock (a board's agent takes it: ``targets.remote_agent``).
LOCK_FIELDS: tuple[str, ...] = ("board_lock_wait_s", "board_lock_waited_for")
NO_BOARD_LOCK = "measured on this machine: only a board's agent takes the board's lock"

#: why a board field is null when its rule was not asked for.
BOARD_NULL_REASONS: dict[str, str] = {
    "pinned_cores": "no --pin-cores: the row ran on every core in board_state.affinity",
    "cooldown_waited_s": "no --cooldown: the row did not wait for the board to cool",
    "board_state": "the target's worker did not read the machine's state",
    "board_flags": "the target's worker did not read the machine's state",
}


def board_values(board: dict[str, Any] | None) -> tuple[dict[str, Any], dict[str, str]]:
    """The record's board fields from what ``board_state.apply_rules`` returned, and the
    reasons for those left null."""
    board = board or {}
    values = {name: board.get(name) for name in BOARD_FIELDS}
    return values, {k: BOARD_NULL_REASONS[k] for k, v in values.items() if v is None}


#: the options of the timed window's rules.
WINDOW_OPTIONS = (
    Option(
        "--cooldown",
        "edgebench_cooldown",
        "",
        "before each timed window, wait until the measuring machine's hottest thermal zone "
        "is below this many degrees C (at most --cooldown-max seconds; a row that did not "
        "cool down is flagged); a machine without a thermal zone fails the row",
        kind="float",
        minimum=0.0,
        maximum=150.0,
        optional=True,
    ),
    Option(
        "--cooldown-max",
        "edgebench_cooldown_max",
        "300",
        "the longest --cooldown waits before a row, in seconds",
        kind="float",
        minimum=0.0,
        maximum=86_400.0,
    ),
    Option(
        "--require-governor",
        "edgebench_require_governor",
        "",
        "the cpufreq governor every core of the row must run (e.g. performance); otherwise "
        "the row fails in one line naming the cores and the command that sets it",
    ),
    Option(
        "--pin-cores",
        "edgebench_pin_cores",
        "",
        "run each measurement on these cores only, e.g. 4-7 (the big cores of a big.LITTLE "
        "board) or 2,3; recorded in pinned_cores",
    ),
)


#: the end-to-end latency fields (invoke + the task's post-processing).
END_TO_END_FIELDS: tuple[str, ...] = ("end_to_end_p50_ms", "end_to_end_p90_ms")


def end_to_end_latency(
    run: Callable[[np.ndarray], np.ndarray],
    sample: np.ndarray,
    adapter_name: str | None,
    rounds: int,
    warmup: int,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Invoke plus the output adapter's post-processing (box decoding), timed together
    round by round with the same warm-up and rounds as the invoke alone; null with the
    reason for a model without post-processing."""
    from edgebench.instruments.stats import latency_stats
    from edgebench.instruments.timing import time_directly
    from edgebench.tasks.adapters import adapter

    if adapter_name is None:
        reason = "the model has no post-processing (no output adapter): the invoke is the whole"
        return {}, dict.fromkeys(END_TO_END_FIELDS, reason)
    decode = adapter(adapter_name)
    stats = latency_stats(time_directly(lambda: decode(run(sample)), rounds, warmup))
    return {"end_to_end_p50_ms": stats.p50_ms, "end_to_end_p90_ms": stats.p90_ms}, {}


LATENCY = Measurement(
    "latency",
    (
        MeasureColumn("latency_p50_ms", "p50 [ms]", "{:.3f}", "p50"),
        MeasureColumn("latency_p90_ms", "p90 [ms]", "{:.3f}", "p90"),
        MeasureColumn("latency_mean_ms", "Avg latency [ms]", "{:.3f}", "mean"),
    ),
    isolated_latency,
    FIELDS,
    "the latency test of this row did not run in this session",
    options=WINDOW_OPTIONS,
)

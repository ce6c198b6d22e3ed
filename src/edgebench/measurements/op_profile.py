"""Per-operator profile (``--profile-ops``): the time per operator type and the slowest
nodes of a row, from the runtime's own profiler, in a pass of its own (a fresh worker on
the row's target, so the latency figures never carry the profiler's overhead)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edgebench.measurements.base import MeasureContext, Measurement


@dataclass
class OpProfileRecord:
    """The record fields of the operator profile (``--profile-ops``): one group of a row (``results.Record``)."""

    #: ``--profile-ops``: time per operator type and the slowest nodes, from the runtime's
    #: own profiler (``edgebench.instruments.op_profile.summarize_profile``)
    op_profile: dict[str, Any] | None = None


FIELDS: tuple[str, ...] = ("op_profile",)


def profile_operators(context: MeasureContext) -> tuple[dict[str, Any], dict[str, str]]:
    """Run the row's ``profile`` job on its target and summarise the node times."""
    from edgebench.instruments.op_profile import summarize_profile
    from edgebench.jobs import ProfileJob

    job = context.job(kind=ProfileJob)
    result = context.target.run(job)
    if "unavailable" in result:
        return {}, {"op_profile": str(result["unavailable"])}
    summary = summarize_profile(
        result["nodes"], int(result["runs"]), result.get("run_us", ()), tool=result["tool"]
    )
    if result.get("method"):
        summary["method"] = result["method"]
    if result.get("skipped"):
        summary["not_profiled"] = list(result["skipped"])
    return {"op_profile": summary}, {}


OP_PROFILE = Measurement(
    "op_profile",
    (),  # the report's operator tables show it (and ``--columns ops``)
    profile_operators,
    FIELDS,
    "no per-operator profile in this session (run with --profile-ops)",
)

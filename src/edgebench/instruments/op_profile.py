"""Per-operator profiles: the runtime profiler's node times summarised per operator type
and per node (pure functions; the worker's ``profile`` job measures)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

#: how many of the slowest nodes a record keeps.
TOP_NODES = 10


def summarize_profile(
    nodes: Sequence[dict[str, Any]],
    runs: int,
    run_us: Sequence[float] = (),
    *,
    tool: str = "",
    top: int = TOP_NODES,
) -> dict[str, Any]:
    """The record's ``op_profile``: per operator type its time per inference (ms), its
    share of the operators' time and its node count; the ``top`` slowest nodes; the
    operators' total per inference and the runs' own median (the rest is overhead).

    >>> p = summarize_profile(
    ...     [{"name": "a", "op": "Conv", "us": 300.0, "calls": 3},
    ...      {"name": "b", "op": "Relu", "us": 100.0, "calls": 3}], runs=3)
    >>> p["by_type"]["Conv"]["share"], round(p["operators_ms"], 4)
    (0.75, 0.1333)
    """
    if runs <= 0:
        raise ValueError("a profile needs at least one run")
    by_type: dict[str, dict[str, Any]] = {}
    for node in nodes:
        entry = by_type.setdefault(str(node["op"]), {"ms": 0.0, "nodes": 0})
        entry["ms"] += float(node["us"]) / 1000.0 / runs
        entry["nodes"] += 1
    total = sum(e["ms"] for e in by_type.values())
    for entry in by_type.values():
        entry["share"] = entry["ms"] / total if total > 0 else None
    ordered = dict(sorted(by_type.items(), key=lambda kv: (-kv[1]["ms"], kv[0])))
    slowest = sorted(nodes, key=lambda n: (-float(n["us"]), str(n["name"])))[:top]
    run_ms = sorted(float(u) / 1000.0 for u in run_us)
    median = None
    if run_ms:
        mid = len(run_ms) // 2
        median = run_ms[mid] if len(run_ms) % 2 else (run_ms[mid - 1] + run_ms[mid]) / 2
    return {
        "tool": tool,
        "runs": runs,
        "operators_ms": total,
        "run_p50_ms": median,
        "run_mean_ms": sum(run_ms) / len(run_ms) if run_ms else None,
        "by_type": ordered,
        "top": [
            {
                "name": str(n["name"]),
                "op": str(n["op"]),
                "ms": float(n["us"]) / 1000.0 / runs,
                "share": (float(n["us"]) / 1000.0 / runs) / total if total > 0 else None,
            }
            for n in slowest
        ],
    }


def top_types(profile: dict[str, Any] | None, count: int = 3) -> list[tuple[str, float]]:
    """The ``count`` operator types with the largest share: ``[(op, share), ...]``."""
    if not profile or not profile.get("by_type"):
        return []
    items = [(op, e["share"]) for op, e in profile["by_type"].items() if e.get("share")]
    return sorted(items, key=lambda kv: -kv[1])[:count]

"""Check a run file from the quick bench: the records the foundation promises are there.

    python ci/check_run.py RUN.json [--runtimes litert,onnxruntime] [--expect-cache-hit]

Exits 1 with one line per problem. Used by .ci/run after the cold and warm bench runs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REQUIRED = (
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_p99_ms",
    "rounds",
    "accuracy",
    "accuracy_drop",
    "params",
    "file_bytes",
    "runtime_version",
    "artifact_sha256",
)


def int8_size_problems(records: list[dict], max_fraction: float) -> list[str]:
    """int8 on LiteRT must be at most ``max_fraction`` of the fp32 file size."""
    sizes = {
        (r["model"], r["recipe"]): r["file_bytes"]
        for r in records
        if r["runtime"] == "litert" and r["recipe"] in ("fp32", "int8") and r.get("file_bytes")
    }
    found = []
    for (model, recipe), size in sizes.items():
        base = sizes.get((model, "fp32"))
        if recipe == "int8" and base and size > max_fraction * base:
            found.append(
                f"{model}: int8 is {size / base:.1%} of the fp32 size, above {max_fraction:.0%}"
            )
    if not any(recipe == "int8" for _, recipe in sizes):
        found.append("no int8 LiteRT record to check the size of")
    return found


def training_problems(records: list[dict]) -> list[str]:
    """Every zoo-model row carries its training budget and what training did."""
    found = []
    for r in records:
        if "." in r["model"]:  # a model file: edgebench did not train it
            continue
        training = r.get("training")
        if not isinstance(training, dict):
            found.append(f"{r['model']} {r['recipe']} {r['runtime']}: no training record")
            continue
        needed = ("epochs", "epochs_run", "batch_size", "planned_steps")
        missing = [k for k in needed if training.get(k) is None]
        if training.get("validation_accuracy") is None and training.get("validation_loss") is None:
            missing.append("a validation accuracy or loss")
        if missing:
            found.append(f"{r['model']} {r['recipe']}: training lacks {', '.join(missing)}")
        elif training["planned_steps"] > 3000 and training.get("chosen_by") == "step budget":
            found.append(f"{r['model']}: {training['planned_steps']} steps exceed the budget")
    return found


def metric_problems(records: list[dict], metric: str) -> list[str]:
    """Every row's headline metric is ``metric``, measured, with the task's other metrics."""
    found = []
    for r in records:
        where = f"{r['model']} {r['recipe']} {r['runtime']} t{r['threads']}"
        if r.get("metric") != metric:
            found.append(f"{where}: headline metric {r.get('metric')!r}, expected {metric!r}")
        elif r.get("accuracy") is None or not isinstance(r.get("metrics"), dict):
            found.append(
                f"{where}: {metric} not measured ({r.get('null_reasons', {}).get('accuracy')})"
            )
        elif r["metrics"].get(metric) != r["accuracy"]:
            found.append(f"{where}: metrics[{metric!r}] differs from the headline figure")
    return found


def problems(run: dict, runtimes: list[str], expect_cache_hit: bool) -> list[str]:
    found: list[str] = []
    threads = run.get("settings", {}).get("threads") or []
    records = run.get("records", [])
    if not run.get("provenance", {}).get("cpu"):
        found.append("provenance lacks the CPU model")
    if not threads:
        found.append("settings lack thread counts")
    for runtime in runtimes:
        for count in threads:
            rows = [
                r
                for r in records
                if r["runtime"] == runtime and r["threads"] == count and r["recipe"] == "fp32"
            ]
            if not rows:
                found.append(f"no fp32 record for {runtime} at {count} threads")
            for row in rows:
                missing = [f for f in REQUIRED if row.get(f) is None]
                if missing:
                    found.append(f"{row['model']} {runtime} t{count}: null {', '.join(missing)}")
                if row.get("errors"):
                    found.append(f"{row['model']} {runtime} t{count}: errors {row['errors']}")
                if expect_cache_hit and row.get("cache_hit") is False:
                    found.append(
                        f"{row['model']} {runtime} t{count}: artifact was rebuilt on a warm run"
                    )
    return found


def op_profile_problems(records: list[dict]) -> list[str]:
    """--profile-ops: every ONNX Runtime and LiteRT row has a profile whose type shares sum
    to 1 (ONNX Runtime's node times within its runs' time); other rows say why none."""
    found = []
    for r in records:
        where = f"{r['model']} {r['recipe']} {r['runtime']} t{r['threads']}"
        profile = r.get("op_profile")
        if r["runtime"] in ("onnxruntime", "litert"):
            if not profile or not profile.get("by_type"):
                found.append(f"{where}: no op_profile ({r['null_reasons'].get('op_profile')})")
                continue
            total = sum(e["share"] for e in profile["by_type"].values())
            if abs(total - 1) > 1e-6:
                found.append(f"{where}: operator shares sum to {total}")
            # ONNX Runtime's in-graph node times fit inside the runs they were taken from:
            # their mean per run within the runs' mean (a mean against a median, as before,
            # failed on a loaded machine where a few slow runs lift the mean alone)
            limit = float("inf")
            if r["runtime"] == "onnxruntime":
                limit = (profile.get("run_mean_ms") or profile["run_p50_ms"] * 1.5) * 1.05
            if not 0 < profile["operators_ms"] <= limit:
                found.append(
                    f"{where}: operators {profile['operators_ms']} ms per run, more than the "
                    f"runs' own mean {profile.get('run_mean_ms')} ms"
                )
        elif profile is None and not r["null_reasons"].get("op_profile"):
            found.append(f"{where}: op_profile null without a reason")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--runtimes", default="litert,onnxruntime")
    parser.add_argument("--expect-cache-hit", action="store_true")
    parser.add_argument(
        "--max-int8-size", type=float, help="largest int8/fp32 LiteRT file size ratio"
    )
    parser.add_argument(
        "--expect-training", action="store_true", help="zoo rows must carry their training budget"
    )
    parser.add_argument("--expect-metric", help="every row's headline metric (miou, map50, ...)")
    parser.add_argument(
        "--expect-op-profile", action="store_true", help="rows profiled with --profile-ops"
    )
    args = parser.parse_args()
    run = json.loads(args.run.read_text())
    found = problems(run, args.runtimes.split(","), args.expect_cache_hit)
    if args.max_int8_size is not None:
        found += int8_size_problems(run["records"], args.max_int8_size)
    if args.expect_training:
        found += training_problems(run["records"])
    if args.expect_metric:
        found += metric_problems(run["records"], args.expect_metric)
    if args.expect_op_profile:
        found += op_profile_problems(run["records"])
    for line in found:
        print(f"check_run: {line}", file=sys.stderr)
    if not found:
        print(f"check_run: {args.run}: {len(run['records'])} records OK")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--runtimes", default="litert,onnxruntime")
    parser.add_argument("--expect-cache-hit", action="store_true")
    args = parser.parse_args()
    run = json.loads(args.run.read_text())
    found = problems(run, args.runtimes.split(","), args.expect_cache_hit)
    for line in found:
        print(f"check_run: {line}", file=sys.stderr)
    if not found:
        print(f"check_run: {args.run}: {len(run['records'])} records OK")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

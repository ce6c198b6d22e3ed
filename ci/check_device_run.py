"""Check a quick bench measured on a board over SSH against the same bench measured here.

    python ci/check_device_run.py LOCAL.json DEVICE.json [DEVICE_AGAIN.json]

Every row of the device run must come from the board (``device_host``) with latency and
memory measured there, and every (model, recipe, runtime) must have the same accuracy as
the local run (the board is this machine's CPU, so the kernels are the same). A second
device run must have sent nothing to the board. Exits 1 with one line per problem.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3):
        print(__doc__)
        return 2
    local, device = (json.loads(Path(p).read_text()) for p in argv[:2])
    problems = []
    accuracy = {(r["model"], r["recipe"], r["runtime"]): r["accuracy"] for r in local["records"]}
    rows = device["records"]
    if not rows:
        problems.append("the device run has no records")
    for r in rows:
        name = f"{r['model']} {r['recipe']} {r['runtime']} t{r['threads']} on {r['device']}"
        if not r.get("device_host"):
            problems.append(f"{name}: not measured on a board (device_host is null)")
        for field in ("latency_p50_ms", "memory_over_baseline_mb", "accuracy"):
            if r.get(field) is None:
                problems.append(f"{name}: {field} is null ({r['null_reasons'].get(field)})")
        expected = accuracy.get((r["model"], r["recipe"], r["runtime"]))
        if expected is not None and r.get("accuracy") != expected:
            problems.append(f"{name}: accuracy {r.get('accuracy')} on the board, {expected} here")
    if len(argv) == 3:
        sent = json.loads(Path(argv[2]).read_text()).get("device_transfers", {})
        for dev, what in sent.items():
            if what["files"]:
                problems.append(
                    f"second run sent {what['files']} file(s) to {dev} ({what['bytes']} B)"
                )
    for line in problems:
        print(f"check_device_run: {line}")
    if not problems:
        print(
            f"check_device_run: {len(rows)} rows measured on the board, accuracy equal to the "
            "local run" + (", second run sent nothing" if len(argv) == 3 else "")
        )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

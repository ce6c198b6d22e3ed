"""How often does an unchanged re-run pass the latency gate on this machine?

    python ci/gate_repeatability.py [--repeats 20] [--baseline-runs 5]
                                    [--max-slowdown p50:10%] [-- PYTEST ARGS]

Runs the latency tests ``--baseline-runs`` times to save the baseline runs, then
``--repeats`` more times against them, and prints how many of the repeats passed. Extra
arguments go to every pytest run (e.g. ``--variants fp32,int8``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run(args: list[str]) -> int:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "bench/", "-q", "-p", "no:cacheprovider", *args],
        capture_output=True,
        text=True,
    ).returncode


def gate_rows(run_file: Path) -> list[tuple[str, int, str]]:
    """(row, attempts, gate outcome) of every gated latency row of a run file."""
    if not run_file.exists():
        return []
    rows = []
    for r in json.loads(run_file.read_text()).get("records", []):
        if r.get("latency_gate"):
            name = f"{r['recipe']}-{r['runtime']}-t{r['threads']}"
            outcome = r["latency_gate"].split(" ")[0]
            rows.append((name, r.get("latency_gate_attempts") or 1, outcome))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--baseline-runs", type=int, default=5)
    parser.add_argument("--max-slowdown", default="p50:10%")
    parser.add_argument("--keep", type=Path, help="keep the run files in this folder")
    parser.add_argument("pytest_args", nargs="*")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.keep or Path(scratch)
        tmp.mkdir(parents=True, exist_ok=True)
        common = ["-k", "latency", *args.pytest_args]
        baselines = [Path(tmp) / f"baseline{i}.json" for i in range(args.baseline_runs)]
        for baseline in baselines:
            if run([*common, f"--edgebench-json={baseline}"]) != 0:
                print(f"gate_repeatability: the baseline run {baseline} failed", file=sys.stderr)
                return 1
        passed, retimed, rows, seconds = 0, 0, 0, []
        for i in range(args.repeats):
            started = time.monotonic()
            code = run(
                [
                    *common,
                    f"--baseline={','.join(map(str, baselines))}",
                    f"--max-slowdown={args.max_slowdown}",
                    f"--edgebench-json={Path(tmp) / f'run{i}.json'}",
                ]
            )
            seconds.append(time.monotonic() - started)
            passed += code == 0
            gated = gate_rows(Path(tmp) / f"run{i}.json")
            rows += len(gated)
            retimed += sum(1 for _, attempts, _ in gated if attempts > 1)
            notes = [
                f"{name}: {outcome} after {attempts} attempts"
                for name, attempts, outcome in gated
                if attempts > 1
            ]
            print(
                f"gate_repeatability: repeat {i + 1}: {'passed' if code == 0 else 'FAILED'} "
                f"in {seconds[-1]:.0f} s" + (f" ({'; '.join(notes)})" if notes else ""),
                flush=True,
            )
    print(
        f"gate_repeatability: {passed} of {args.repeats} unchanged re-runs passed "
        f"({args.max_slowdown}, {args.baseline_runs} baseline runs); {retimed} of {rows} gated rows needed re-timing; "
        f"{min(seconds):.0f}-{max(seconds):.0f} s per run"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

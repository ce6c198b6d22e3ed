"""``tox -e report``: report on the saved runs, and compare the two newest.

python ci/report_runs.py [--runs-dir .edgebench/runs] [--out reports]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from edgebench.cli import main as edgebench
from edgebench.results import saved_runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-dir", default=".edgebench/runs")
    parser.add_argument("--out", default="reports")
    args = parser.parse_args()
    runs = saved_runs(Path(args.runs_dir))
    if not runs:
        print(
            f"report: no saved runs in {args.runs_dir}; run 'pytest bench/' first", file=sys.stderr
        )
        return 1
    code = edgebench(["report", *map(str, runs), "--out", args.out])
    if len(runs) >= 2 and code == 0:
        code = edgebench(
            ["report", "--compare", str(runs[-2]), str(runs[-1]), "--out", args.out, "--no-plots"]
        )
    return code


if __name__ == "__main__":
    sys.exit(main())

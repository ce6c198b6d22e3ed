"""Benchmark: does a row timed on a board over SSH agree with the same row timed in a
fresh local worker, when the "board" is this machine (a local sshd and the device venv)?

Timing happens on the board, never across the link, so the two p50s should agree within
the machine's noise. For each artifact of a run file (fp32 and int8 rows, 1 thread), the
two targets are timed in alternating blocks and the ratio of their medians is printed.

    python ci/ssh_agreement.py .edgebench/ci-cold.json [--blocks 6] [--rounds 300]

Not a gate: it prints the figures docs/devices.md quotes (and exits 1 only when it cannot run).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import device as local_device  # noqa: E402

from edgebench.targets.local_worker import LocalWorkerTarget  # noqa: E402
from edgebench.targets.ssh import SSHTarget  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    rows = local_device.one_thread_rows(args.run)
    if not rows:
        print(f"ssh_agreement: no fp32/int8 rows at 1 thread in {args.run}")
        return 1
    folder = Path(tempfile.mkdtemp(prefix="edgebench-sshd-"))
    try:
        process, config, _ = local_device.start_sshd(folder)
    except (RuntimeError, OSError) as exc:
        print(f"ssh_agreement: no local sshd ({exc})")
        return 1
    ssh = SSHTarget(
        hosts=("edgebench-device",),
        python=str(local_device.device_venv()),
        ssh_config=str(config),
        cache=str(folder / "board-cache"),
    )
    local = LocalWorkerTarget()
    ratios = []
    try:
        for r in rows:
            job = local_device.timing_job(r, args.rounds)
            here, there = [], []
            for _ in range(args.blocks):
                here.append(local_device.p50_ms(local.run(job)))
                there.append(local_device.p50_ms(ssh.run(job)))
            ratio = statistics.median(there) / statistics.median(here)
            ratios.append(ratio)
            print(
                f"ssh_agreement: {r['model']} {r['recipe']} {r['runtime']} t1: local worker p50 "
                f"{statistics.median(here):.4f} ms, ssh target {statistics.median(there):.4f} ms, "
                f"ratio {ratio:.3f} (block medians local {min(here):.4f}-{max(here):.4f}, "
                f"ssh {min(there):.4f}-{max(there):.4f})"
            )
    finally:
        ssh.close()
        process.terminate()
    worst = max(abs(r - 1) for r in ratios)
    print(f"ssh_agreement: {len(ratios)} rows, largest |ratio - 1| = {worst:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

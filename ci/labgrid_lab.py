"""Benchmark: a board lab through labgrid, on this machine (a local sshd "board", a real
labgrid coordinator and exporter on 127.0.0.1, ci/labgrid_local.py).

Measures what docs/labs.md quotes, for the fp32 and int8 rows at 1 thread of a run file:

1. the time to acquire a labgrid place: edgebench's labgrid target (acquire, read the
   place's NetworkService, reach the board) and a bare ``labgrid-client acquire``;
2. p50 on the same board through the labgrid place and through a direct SSH profile,
   timed in alternating blocks (the two should agree within 3%: timing happens on the
   board, the place only tells where it is);
3. two controllers sharing one board: each with its own connection, cache and locks on
   this machine, the same jobs started together; their timed windows (the board's clock)
   must never overlap, and the total time is set against the two run one after the other.

    python ci/labgrid_lab.py .edgebench/ci-cold.json [--blocks 6] [--rounds 300]

Not a gate for the figures; it exits 1 when two timed windows overlap, 2 when it cannot
run here (no sshd, no rows).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import device as local_device  # noqa: E402
from labgrid_local import Lab, client  # noqa: E402

from edgebench.targets.lab_place import LabgridTarget  # noqa: E402
from edgebench.targets.ssh import SSHTarget  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()
    rows = local_device.one_thread_rows(args.run)
    if not rows:
        print(f"labgrid_lab: no fp32/int8 rows at 1 thread in {args.run}")
        return 2
    folder = Path(tempfile.mkdtemp(prefix="edgebench-lab-"))
    try:
        sshd, config, port = local_device.start_sshd(folder / "sshd")
    except (RuntimeError, OSError) as exc:
        print(f"labgrid_lab: no local sshd ({exc})")
        return 2
    lab = Lab(folder / "labgrid", port, {"board-a": "pool=ci"})
    python = str(local_device.device_venv())
    common = {"python": python, "ssh_config": str(config), "cache": str(folder / "board-cache")}
    overlaps = 0
    try:
        # 1. acquiring the place
        bare = []
        for _ in range(5):
            start = time.monotonic()
            client(lab.coordinator, "-p", "board-a", "acquire")
            bare.append(time.monotonic() - start)
            client(lab.coordinator, "-p", "board-a", "release")
        ours = []
        for _ in range(5):
            target = LabgridTarget(place="board-a", coordinator=lab.coordinator, **common)
            start = time.monotonic()
            target.check()  # acquire, NetworkService, ssh, agent, runner
            ours.append((target.acquire_s, time.monotonic() - start))
            target.close()
        print(
            f"labgrid_lab: labgrid-client acquire {statistics.median(bare):.2f} s "
            f"(median of 5, {min(bare):.2f}-{max(bare):.2f}); edgebench's labgrid target: place "
            f"acquired in {statistics.median(a for a, _ in ours):.2f} s, acquired and the board "
            f"reached (ssh, agent, runner) in {statistics.median(t for _, t in ours):.2f} s"
        )
        # 2. the same board through the place and directly
        placed = LabgridTarget(place="board-a", coordinator=lab.coordinator, **common)
        direct = SSHTarget(hosts=("edgebench-device",), **common)
        ratios = []
        try:
            for r in rows:
                job = local_device.timing_job(r, args.rounds)
                via_ssh, via_lab = [], []
                for _ in range(args.blocks):
                    via_ssh.append(local_device.p50_ms(direct.run(job)))
                    via_lab.append(local_device.p50_ms(placed.run(job)))
                ratio = statistics.median(via_lab) / statistics.median(via_ssh)
                ratios.append(ratio)
                print(
                    f"labgrid_lab: {r['model']} {r['recipe']} {r['runtime']} t1: direct ssh p50 "
                    f"{statistics.median(via_ssh):.4f} ms, through the labgrid place "
                    f"{statistics.median(via_lab):.4f} ms, ratio {ratio:.3f} ({args.blocks} "
                    f"alternating blocks of {args.rounds} rounds)"
                )
        finally:
            placed.close()
            direct.close()
        held = client(lab.coordinator, "-p", "board-a", "show")
        print(
            f"labgrid_lab: largest |ratio - 1| = {max(abs(x - 1) for x in ratios):.1%}; "
            f"place released at the end: {'acquired: None' in held or 'acquired:' not in held}"
        )
        # 3. two controllers on one board
        jobs = [local_device.timing_job(r, args.rounds * 10) for r in rows]

        def controller(name: str, out: list) -> None:
            target = SSHTarget(
                hosts=("edgebench-device",),
                python=python,
                ssh_config=str(config),
                cache=str(folder / f"cache-{name}"),
                lock_dir=str(folder / f"locks-{name}"),
            )
            try:
                target.check()
                for job in jobs:
                    out.append(target.run(job))
            finally:
                target.close()

        alone: list = []
        start = time.monotonic()
        controller("alone", alone)
        one = time.monotonic() - start
        results: dict[str, list] = {"a": [], "b": []}
        threads = [threading.Thread(target=controller, args=(n, results[n])) for n in results]
        start = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        both = time.monotonic() - start
        windows = sorted(
            (x["window_start_unix_s"], x["window_end_unix_s"], n)
            for n, found in results.items()
            for x in found
        )
        overlaps = sum(1 for a, b in zip(windows, windows[1:], strict=False) if a[1] > b[0])
        waited = [x.get("board_lock_wait_s") or 0.0 for found in results.values() for x in found]
        print(
            f"labgrid_lab: two controllers on one board, {len(jobs)} jobs each: {len(windows)} "
            f"timed windows, {overlaps} overlapping; together {both:.1f} s, one controller alone "
            f"{one:.1f} s (two alone one after the other: ~{2 * one:.1f} s); jobs waited for "
            f"the board's lock up to {max(waited):.1f} s"
        )
    except subprocess.SubprocessError as exc:
        print(f"labgrid_lab: {exc}")
        return 2
    finally:
        lab.stop()
        sshd.terminate()
    return 1 if overlaps else 0


if __name__ == "__main__":
    sys.exit(main())

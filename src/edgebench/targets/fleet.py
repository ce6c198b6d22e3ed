"""The ``ssh`` target's pool: a device profile with several hosts is a fleet of identical
boards, and its rows are dealt out over them.

Every job names its row (``Job.row``, the variant's id); :func:`host_pool.place_row`
puts all the jobs of a row on one board, chosen by a seeded hash, so the rows spread
evenly and another run (another ``--pool-seed``; random unless given) deals them out
afresh: a slow board does not always take the same rows (the processes of one
pytest-xdist run share a seed). Each board is an
:class:`~edgebench.targets.ssh.SSHTarget` of its own (its connection, its cache, its
locks), reached when a row first needs it. Under pytest-xdist every process deals the
same way, and the boards' own locks keep two measurements off one board.
"""

from __future__ import annotations

import os
import secrets
from typing import Any

from edgebench.targets.base import TargetBase
from edgebench.targets.host_pool import place_row
from edgebench.targets.ssh import SSHTarget


def ssh_target(hosts: tuple[str, ...] = (), pool_seed: str = "", **options: Any) -> Any:
    """The ``ssh`` target's factory: one board, or a fleet when the profile names several."""
    if len(hosts) <= 1:
        return SSHTarget(hosts=hosts, **options)
    return SSHFleet(hosts, pool_seed, **options)


class SSHFleet(TargetBase):
    """Rows dealt out over several boards, each reached over SSH."""

    name = "ssh"
    fresh_process = True
    remote = True

    def __init__(self, hosts: tuple[str, ...], pool_seed: str = "", **options: Any) -> None:
        self.boards = {h: SSHTarget(hosts=(h,), **options) for h in dict.fromkeys(hosts)}
        # xdist's processes of one run share its testrunuid: they deal the rows alike
        self.seed = pool_seed or os.environ.get("PYTEST_XDIST_TESTRUNUID") or secrets.token_hex(4)

    def board_for(self, row: str) -> SSHTarget:
        """The board that measures ``row``."""
        board = self.boards[place_row(row, list(self.boards), self.seed)]
        board.progress = self.progress
        return board

    @property
    def label(self) -> str:
        """The pool's boards."""
        return ", ".join(b.label for b in self.boards.values())

    def label_for(self, row: str) -> str:
        """The board that measures ``row``, as records name it."""
        return self.board_for(row).label

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run ``job`` on its row's board."""
        return self.board_for(str(job.get("row") or "")).run(job)

    def pool(self) -> tuple[str, ...]:
        """The boards' labels."""
        return tuple(b.label for b in self.boards.values())

    def run_on(self, label: str, job: dict[str, Any]) -> dict[str, Any]:
        """Run ``job`` on the board ``label`` whatever its row (a pool check)."""
        board = next(b for b in self.boards.values() if b.label == label)
        board.progress = self.progress
        return board.run(job)

    def check(self) -> None:
        """Reach every board."""
        for board in self.boards.values():
            board.check()

    def facts(self) -> dict[str, Any]:
        """The first board's facts (a row's own board: :meth:`facts_for`)."""
        return self.facts_for("")

    def facts_for(self, row: str) -> dict[str, Any]:
        """The facts of the board that measures ``row``, read there."""
        return self.board_for(row).facts()

    def transfers(self) -> dict[str, Any]:
        """What went to the boards, together and per board, and the seed that dealt the rows."""
        each = {label: b.transfers() for label, b in self.boards.items()}
        reached = [t for t in each.values() if t["reached"]]
        return {
            "host": self.label,
            "files": sum(t["files"] for t in each.values()),
            "bytes": sum(t["bytes"] for t in each.values()),
            "reached": bool(reached),
            "failure": None if reached else next((t["failure"] for t in each.values()), None),
            "boards": each,
            "pool_seed": self.seed,
        }

    def close(self) -> None:
        """End every board's connection."""
        for board in self.boards.values():
            board.close()

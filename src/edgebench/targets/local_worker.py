"""The ``worker`` target: every job in a fresh local ``python -m edgebench.worker``."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

from edgebench.errors import InferenceError
from edgebench.targets.base import TargetBase

#: seconds a job may go without reporting progress (``--stall-timeout``).
DEFAULT_TIMEOUT_S = 120.0


def run_worker(
    job: dict[str, Any],
    timeout_s: float = DEFAULT_TIMEOUT_S,
    on_progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Run one job in a fresh ``python -m edgebench.worker``, stopped when it reports no
    progress for ``timeout_s`` seconds (however long it runs while it does); a crash or a
    hang is an ``InferenceError`` with the exit status and the tail of stderr."""
    from edgebench.instruments.watched_process import Stalled, run_watched

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    try:
        done = run_watched(
            [sys.executable, "-m", "edgebench.worker"],
            json.dumps(job),
            stall_s=timeout_s,
            env=env,
            on_progress=on_progress,
        )
    except Stalled as exc:
        raise InferenceError(f"measurement worker: {exc}") from exc
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:]) or "no stderr"
        raise InferenceError(f"measurement worker exited with status {done.returncode}: {tail}")
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        raise InferenceError(
            f"measurement worker printed no result: {done.stdout[-300:]!r}"
        ) from exc


class LocalWorkerTarget(TargetBase):
    """Runs each job in a fresh local worker process (numpy and the runtime only)."""

    name = "worker"
    fresh_process = True

    def __init__(self, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.timeout_s = timeout_s

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run ``job`` in a fresh worker, stopped after ``timeout_s`` without progress."""
        return run_worker(job, self.timeout_s, self.progress)

"""The ``inprocess`` target: jobs run in the calling process (no isolation; fast)."""

from __future__ import annotations

import json
from typing import Any

from edgebench.targets.base import TargetBase


class InProcessTarget(TargetBase):
    """Runs jobs with :func:`edgebench.worker.run_job` in this process.

    The job and the result go through JSON, as they would over a pipe, so a job that
    only works in-process (an object instead of plain data) fails here too.
    """

    name = "inprocess"
    fresh_process = False

    def __init__(self, timeout_s: float | None = None) -> None:
        self.timeout_s = timeout_s  # not enforceable in-process; kept for a uniform factory

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run ``job`` here."""
        from edgebench.worker import run_job

        return json.loads(json.dumps(run_job(json.loads(json.dumps(job)))))

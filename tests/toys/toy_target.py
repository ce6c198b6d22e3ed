"""A target that writes every job it runs to a journal, then runs it in a fresh worker."""

from __future__ import annotations

import json
import os
from typing import Any

from edgebench.option_decl import Option
from edgebench.targets.base import TargetBase
from edgebench.targets.local_worker import run_worker
from edgebench.targets.registry import TargetSpec


class JournalTarget:
    """Journals each job (``$TOY_JOURNAL``) and runs it in a fresh local worker."""

    name = "journal"
    fresh_process = True

    def __init__(self, timeout_s: float = 60.0) -> None:
        self.timeout_s = timeout_s

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        with open(os.environ["TOY_JOURNAL"], "a") as journal:
            journal.write(json.dumps(job) + "\n")
        return run_worker(job, self.timeout_s)


SPEC = TargetSpec("journal", "toy_target:JournalTarget", "journals jobs, then a fresh worker")


class TimerOnlyTarget(TargetBase):
    """Runs only ``measure`` jobs (timing and memory) in a fresh worker: every other job
    kind a measurement asks for leaves its fields null with the reason."""

    name = "timer-only"
    kinds = frozenset({"measure"})

    def __init__(self, timeout_s: float = 60.0, timer_rounds: int = 0) -> None:
        self.timeout_s = timeout_s
        self.timer_rounds = timer_rounds  # its own option, declared on its spec

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        if job.get("rounds"):
            job = {**job, "rounds": min(job["rounds"], self.timer_rounds)}
        return run_worker(job, self.timeout_s)


TIMER_ONLY = TargetSpec(
    "timer-only",
    "toy_target:TimerOnlyTarget",
    "measure jobs only",
    options=(
        Option(
            "--timer-rounds",
            "edgebench_timer_rounds",
            "25",
            "the most timed rounds a job runs",
            kind="int",
            minimum=1,
            maximum=1000,
        ),
    ),
)

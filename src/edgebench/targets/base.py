"""What every target provides: run one JSON job, return one JSON result."""

from __future__ import annotations

from typing import Any, Protocol


class Target(Protocol):
    """Where measurement jobs run.

    ``run`` takes a job (plain JSON types only: it may cross a process or a network) and
    returns the worker's result; a crash, a hang past the timeout or an unreachable
    target raises ``InferenceError`` with a one-line cause, a missing runtime
    ``RuntimeUnavailable``.
    """

    #: the registered name (``inprocess``, ``worker``, ...).
    name: str
    #: whether every job runs in a process of its own, so that its peak memory is the
    #: runtime's and the model's only (memory measurements need this).
    fresh_process: bool

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run ``job`` and return its result."""
        ...

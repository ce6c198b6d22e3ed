"""What every target provides: run one JSON job, return one JSON result; and what the
session asks of it (where it measures, what it sent, which job kinds it runs).

Targets subclass :class:`TargetBase` for the defaults of a target on this machine. The
session holds every target behind :class:`CheckedTarget` (``make_target`` returns one):
it refuses job kinds the target does not run and gives a target written before the
protocol grew the defaults, so nothing else in edgebench asks ``getattr(target, ...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

from edgebench.errors import JobNotSupported
from edgebench.jobs import JOB_KINDS as _JOB_KINDS

#: the job kinds of :mod:`edgebench.worker` (``measure`` when a job names none).
JOB_KINDS: frozenset[str] = _JOB_KINDS


@runtime_checkable
class Target(Protocol):
    """Where measurement jobs run.

    ``run`` takes a job (plain JSON types only: it may cross a process or a network) and
    returns the worker's result; a crash, a hang past the timeout or an unreachable
    target raises ``InferenceError`` (or ``DeviceUnreachable``) with a one-line cause, a
    missing runtime ``RuntimeUnavailable``, a job kind it does not run ``JobNotSupported``.

    Example (a target on this machine that only times models; the session turns its
    other job kinds into null fields with the reason)::

        class TimerOnly(TargetBase):
            name = "timer-only"
            kinds = frozenset({"measure"})

            def run(self, job):
                from edgebench.targets.local_worker import run_worker

                return run_worker(job, 60)
    """

    #: the registered name (``inprocess``, ``worker``, ...).
    name: str
    #: whether every job runs in a process of its own, so that its peak memory is the
    #: runtime's and the model's only (memory measurements need this).
    fresh_process: bool
    #: whether the jobs run on another machine (a board): its facts are read there, and
    #: the matrix does not skip thread counts above this machine's cores.
    remote: bool
    #: the job kinds it runs; a measurement whose kind is missing leaves its fields null
    #: with the reason.
    kinds: frozenset[str]

    @property
    def label(self) -> str:
        """The machine the rows are measured on, as records and messages name it."""
        ...

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run ``job`` and return its result."""
        ...

    def transfers(self) -> dict[str, Any] | None:
        """What this process sent to the machine (``{host, files, bytes, reached,
        failure}``), ``None`` for a target on this machine."""
        ...

    def check(self) -> None:
        """Make sure jobs can run (reach the board, start its agent); raise
        ``DeviceUnreachable`` with a one-line cause when they cannot."""
        ...

    def facts(self) -> dict[str, Any]:
        """The measuring machine's facts (``edgebench.device_facts.collect``), read there."""
        ...

    def close(self) -> None:
        """End connections (a no-op for a target on this machine)."""
        ...


class TargetBase:
    """Defaults of a target that runs every job kind on this machine."""

    name = "target"
    fresh_process = True
    remote = False
    kinds: frozenset[str] = JOB_KINDS
    #: where a long job's progress goes (a line per report; set by the session, ``None``:
    #: nowhere).
    progress: Callable[[str], None] | None = None

    @property
    def label(self) -> str:
        """This machine."""
        return "this machine"

    def run(self, job: dict[str, Any]) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def transfers(self) -> dict[str, Any] | None:
        """Nothing is sent anywhere."""
        return None

    def check(self) -> None:
        """A target on this machine is always there."""

    def facts(self) -> dict[str, Any]:
        """This machine's facts, read here."""
        from edgebench.device_facts import collect

        return collect()

    def close(self) -> None:
        """Nothing to close."""


class CheckedTarget:
    """What the session holds: a registered target behind the whole protocol. Job kinds
    the target does not run raise ``JobNotSupported`` (their fields become null with the
    reason); parts of the protocol a target leaves out (one written before the protocol
    grew: ``name``, ``fresh_process`` and ``run`` only) take :class:`TargetBase`'s defaults.
    This is the one place that asks a target what it has."""

    def __init__(self, target: Any) -> None:
        self.target = target
        self.name = str(getattr(target, "name", type(target).__name__))
        self.fresh_process = bool(getattr(target, "fresh_process", False))
        self.remote = bool(getattr(target, "remote", False))
        self.kinds = frozenset(getattr(target, "kinds", JOB_KINDS))

    @property
    def label(self) -> str:
        """The target's own label, else "this machine"."""
        return str(getattr(self.target, "label", "this machine"))

    def run(self, job: Any) -> dict[str, Any]:
        """Run ``job`` (a ``jobs.Job``, sent as its JSON form, or that form) if the target
        runs its kind (``JobNotSupported`` otherwise)."""
        if hasattr(job, "to_json"):
            job = job.to_json()
        kind = job.get("kind", "measure")
        if kind not in self.kinds:
            raise JobNotSupported(
                f"target {self.name} does not run {kind} jobs (it runs: "
                f"{', '.join(sorted(self.kinds))})"
            )
        return self.target.run(job)

    def label_for(self, row: str) -> str:
        """The machine that measures ``row`` (a pool's board for it: the target's
        ``label_for``), else the target's label."""
        method = getattr(self.target, "label_for", None)
        return str(method(row)) if callable(method) else self.label

    def facts_for(self, row: str) -> dict[str, Any]:
        """The facts of the machine that measures ``row`` (a pool's board for it: the
        target's ``facts_for``), else :meth:`facts`."""
        method = getattr(self.target, "facts_for", None)
        return dict(method(row)) if callable(method) else self.facts()

    def pool(self) -> tuple[str, ...]:
        """The boards of a pool (the target's ``pool()``), empty for one machine."""
        method = getattr(self.target, "pool", None)
        return tuple(method()) if callable(method) else ()

    def run_on(self, board: str, job: Any) -> dict[str, Any]:
        """Run ``job`` on the pool's board ``board`` (the target's ``run_on``)."""
        if hasattr(job, "to_json"):
            job = job.to_json()
        return dict(self.target.run_on(board, job))

    def show_progress(self, show: Callable[[str], None]) -> None:
        """Hand a target that reports progress (one with a ``progress`` attribute, as
        :class:`TargetBase` has) where its lines go."""
        if hasattr(self.target, "progress"):
            self.target.progress = show

    def transfers(self) -> dict[str, Any] | None:
        """The target's ``transfers()``; ``None`` for a target without it."""
        method = getattr(self.target, "transfers", None)
        return method() if callable(method) else None

    def check(self) -> None:
        """The target's ``check()``, if it has one."""
        method = getattr(self.target, "check", None)
        if callable(method):
            method()

    def facts(self) -> dict[str, Any]:
        """The target's ``facts()``; a remote target without it runs a ``facts`` job, a
        local one reads this machine."""
        method = getattr(self.target, "facts", None)
        if callable(method):
            return dict(method())
        if self.remote:
            return dict(self.run({"kind": "facts"}))
        return TargetBase.facts(self)  # type: ignore[arg-type]

    def close(self) -> None:
        """The target's ``close()``, if it has one."""
        method = getattr(self.target, "close", None)
        if callable(method):
            method()

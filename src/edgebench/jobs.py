"""Worker jobs and their results, one type per kind; JSON on the wire.

A measurement builds a typed job (``MeasureJob``, ``PredictJob``, ...); the session's
target sends its JSON form (``to_json``) to a worker on this machine or a board; the
worker reads it back with :func:`parse_job` (an unknown kind or field, or a value of the
wrong type, is a one-line ``UsageError``) and answers with the result type of the kind.
Results stay plain JSON where the content is open-ended (device facts, an operator
profile, a meter's figures): those kinds answer a dict, or ``{"unavailable": why}``.

Stdlib only: the worker imports this for every job, the idle baseline included.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

from edgebench.errors import UsageError


@dataclass(frozen=True)
class Job:
    """What every job names: the runtime (by name and spec, so a worker can import a
    runtime registered elsewhere), its options, the artifact (``None``: the runtime
    alone, the idle baseline) and the thread count."""

    kind: ClassVar[str] = ""
    runtime: str = ""
    runtime_spec: dict[str, Any] | None = None
    runtime_options: dict[str, Any] = field(default_factory=dict)
    artifact: str | None = None
    threads: int = 1
    #: the row it measures (the variant's id): a pool of boards runs every job of a row on
    #: one board (``targets.fleet``); empty for jobs of no row (facts).
    row: str = ""

    def to_json(self) -> dict[str, Any]:
        """The wire form: ``kind`` plus every field."""
        return {"kind": self.kind, **dataclasses.asdict(self)}

    def replace(self, **changes: Any) -> Job:
        """A copy with ``changes``."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class TimedJob(Job):
    """A job that runs ``rounds`` invokes after ``warmup`` ones."""

    rounds: int = 1
    warmup: int = 0


@dataclass(frozen=True)
class MeasureJob(TimedJob):
    """Peak memory and the timing loop of ``rounds`` invokes after ``warmup``."""

    kind: ClassVar[str] = "measure"
    #: the rules of the timed window (``board_state.apply_rules``: ``cores``,
    #: ``require_governor``, ``cooldown_c``, ``cooldown_max_s``); ``None`` (a memory
    #: job): none, and the machine's state is not read.
    board_rules: dict[str, Any] | None = None


@dataclass(frozen=True)
class PredictJob(Job):
    """The model's outputs for the ``.npy`` at ``inputs``, saved at ``outputs``."""

    kind: ClassVar[str] = "predict"
    inputs: str = ""
    outputs: str = ""
    batch_size: int = 1
    #: every output of the model (an ``.npz``), not the first only (detectors).
    all_outputs: bool = False


@dataclass(frozen=True)
class ProfileJob(TimedJob):
    """Per-operator times from the runtime's own profiler."""

    kind: ClassVar[str] = "profile"


@dataclass(frozen=True)
class EnergyJob(Job):
    """The machine's own meter around ``seconds`` of idle (no artifact) or inference, with
    ``idle_w`` subtracted."""

    kind: ClassVar[str] = "energy"
    meter: str = "none"
    meter_command: str = ""
    seconds: float = 0.0
    idle_w: float | None = None


@dataclass(frozen=True)
class LoopJob(Job):
    """Steady inference for ``seconds`` (a meter read elsewhere brackets it)."""

    kind: ClassVar[str] = "loop"
    seconds: float = 0.0


@dataclass(frozen=True)
class FactsJob(Job):
    """The measuring machine's facts (``device_facts.collect``)."""

    kind: ClassVar[str] = "facts"


JOB_TYPES: dict[str, type[Job]] = {
    cls.kind: cls for cls in (MeasureJob, PredictJob, ProfileJob, EnergyJob, LoopJob, FactsJob)
}
#: the job kinds a worker runs.
JOB_KINDS: frozenset[str] = frozenset(JOB_TYPES)

_NUMBER = (int, float)
_CHECKS: dict[str, tuple[type, ...]] = {
    "int": (int,),
    "float": _NUMBER,
    "str": (str,),
    "bool": (bool,),
    "str | None": (str, type(None)),
    "float | None": (*_NUMBER, type(None)),
    "dict[str, Any]": (dict,),
    "dict[str, Any] | None": (dict, type(None)),
}


def parse_job(data: Any) -> Job:
    """The typed job of a wire form (``kind`` defaults to ``measure``); ``UsageError``
    naming the field when a kind, field or value is not one a worker runs."""
    if not isinstance(data, dict):
        raise UsageError(f"a worker job is a JSON object, not {type(data).__name__}")
    kind = data.get("kind", "measure")
    cls = JOB_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise UsageError(f"unknown job kind {kind!r} (kinds: {', '.join(sorted(JOB_KINDS))})")
    declared = {f.name: f for f in dataclasses.fields(cls)}
    values = {k: v for k, v in data.items() if k != "kind"}
    unknown = sorted(set(values) - set(declared))
    if unknown:
        raise UsageError(f"{kind} job: unknown field(s) {', '.join(unknown)}")
    for name, value in values.items():
        allowed = _CHECKS.get(str(declared[name].type))
        wrong = allowed is not None and not isinstance(value, allowed)
        if wrong or (isinstance(value, bool) and bool not in (allowed or (bool,))):
            raise UsageError(f"{kind} job: {name} is {type(value).__name__}")
    return cls(**values)


class _Result:
    """What every result does: its wire form is its fields."""

    def to_json(self) -> dict[str, Any]:
        """The wire form (``null``: not read, or not reached by an idle job)."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True)
class MeasureResult(_Result):
    """What a ``measure`` job found: peaks in KiB (``None`` where the OS does not say),
    where they were read, the temperatures around the loop and the invoke times (s)."""

    import_peak_kib: int | None
    source: str
    peak_kib: int | None = None
    load_peak_kib: int | None = None
    peak_reset: bool | None = None
    inference_peak_kib: int | None = None
    rss_kib: int | None = None
    temperature_before_c: float | None = None
    temperature_after_c: float | None = None
    samples_s: list[float] | None = None
    #: the timed loop's start and end on the measuring machine's clock (Unix seconds).
    window_start_unix_s: float | None = None
    window_end_unix_s: float | None = None
    #: the machine's state before the window and what the rules did (``board_state``).
    board: dict[str, Any] | None = None


@dataclass(frozen=True)
class PredictResult(_Result):
    """Where a ``predict`` job saved the outputs, for how many samples."""

    outputs: str
    samples: int
    output_count: int | None = None


@dataclass(frozen=True)
class LoopResult(_Result):
    """Images a ``loop`` job ran and the loop's own duration (s)."""

    images: int
    seconds: float

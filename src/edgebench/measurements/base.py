"""A measurement: the record fields it fills, why they are null when it did not run, its
table columns, and the function that measures one row from a :class:`MeasureContext`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import numpy as np

    from edgebench.artifacts.artifact import Artifact
    from edgebench.cases import LatencyCase
    from edgebench.data.contract import InputContract
    from edgebench.data.datasets import Dataset
    from edgebench.jobs import Job
    from edgebench.option_decl import Option
    from edgebench.runtimes.base import InferenceSession, Runtime
    from edgebench.settings import Settings
    from edgebench.targets.base import Target
    from edgebench.tasks.base import Task

T = TypeVar("T")
#: ``measure(context) -> (record values, reasons for the fields left None)``.
MeasureFunction = Callable[["MeasureContext"], tuple[dict[str, Any], dict[str, str]]]


@dataclass(frozen=True)
class MeasureColumn:
    """A summary-table column: the record field (or extra column) and how to show it.

    ``key`` names the column for ``edgebench report --columns`` (empty: not offered)."""

    field: str
    header: str
    fmt: str = "{:.3f}"
    key: str = ""


@dataclass(frozen=True)
class MeasureContext:
    """What a measurement of one row may use: the row (``case``: model, dataset, recipe,
    runtime, device, threads), its built artifact, the dataset, the runtime, the task,
    the target that runs jobs in a fresh process, the settings, and ``once`` (a
    session-wide memo for what is measured once, such as an idle baseline)."""

    case: LatencyCase
    artifact: Artifact
    dataset: Dataset
    runtime: Runtime
    task: Task
    target: Target
    settings: Settings
    once: Callable[[tuple[Any, ...], Callable[[], Any]], Any]
    input_sample: Callable[[InferenceSession], np.ndarray]

    @property
    def threads(self) -> int:
        """The row's thread count."""
        return self.case.threads

    @property
    def input_contract(self) -> InputContract:
        """How the dataset's images become the model's input (``data.contract``)."""
        return self.case.variant.source.contract

    def job(
        self,
        rounds: int | None = None,
        *,
        idle: bool = False,
        kind: type[Job] | None = None,
        **fields: Any,
    ) -> Job:
        """The worker job of this row (``kind``: a ``jobs`` type, ``MeasureJob`` unless
        given; ``idle``: the runtime alone, no artifact) with ``fields`` of its kind; a
        kind that times a loop gets ``rounds`` (the session's unless given) and warm-up."""
        from dataclasses import fields as declared

        from edgebench.jobs import MeasureJob
        from edgebench.runtimes.registry import runtime_spec

        job_type = kind or MeasureJob
        spec = runtime_spec(self.case.variant.runtime)
        values: dict[str, Any] = {
            "runtime": spec.name,
            "runtime_spec": {
                "name": spec.name,
                "artifact_format": spec.artifact_format,
                "factory": spec.factory,
            },
            "runtime_options": dict(self.settings.runtime_options),
            "artifact": None,
            "row": self.case.variant.id,
        }
        names = {f.name for f in declared(job_type)}
        if not idle:
            values.update(artifact=str(self.artifact.path), threads=self.threads)
            if "rounds" in names:
                values.update(
                    rounds=self.settings.rounds if rounds is None else rounds,
                    warmup=self.settings.warmup,
                )
        return job_type(**values, **fields)

    def board_rules(self) -> dict[str, Any]:
        """The rules of a timed window from the options (``--pin-cores``,
        ``--require-governor``, ``--cooldown``), as ``board_state.apply_rules`` takes them."""
        from edgebench.instruments.board_state import rules_from

        return rules_from(self.settings.option)

    def load(self) -> InferenceSession:
        """The artifact loaded in this process with the row's thread count."""
        return self.runtime.load(self.artifact.path, self.threads)


@dataclass(frozen=True)
class Measurement:
    """A named measurement.

    ``measure(context)`` returns record values and reasons for the fields it leaves
    ``None``; it may raise an ``EdgebenchError`` to fail its test. ``fields`` are the
    record fields it owns and ``null_reason`` says why they are null in a row where it
    did not run.
    """

    name: str
    columns: tuple[MeasureColumn, ...]
    measure: MeasureFunction
    fields: tuple[str, ...] = field(default=())
    null_reason: str = ""
    #: the options it takes (``option_decl.Option``), read as ``settings.option(key)``.
    options: tuple[Option, ...] = field(default=())

    def run(self, context: MeasureContext) -> tuple[dict[str, Any], dict[str, str]]:
        """``measure(context)``; when the row's target does not run the kind of job it
        needs, its fields are null with the target's reason (the row is not failed)."""
        from edgebench.errors import JobNotSupported

        try:
            return self.measure(context)
        except JobNotSupported as exc:
            return {}, {name: str(exc) for name in self.fields}

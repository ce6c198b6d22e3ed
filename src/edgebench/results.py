"""The result record and the run store.

A :class:`Record` is one row: (model, dataset, recipe, runtime, threads, device) with
every figure edgebench reports. A figure that was not measured is ``None`` (``null``
in JSON) and ``null_reasons`` says why; there are no placeholder numbers.

Tests do not write records directly: each measurement produces a *fragment* (the
row's key and some fields) that travels with the test report, also from pytest-xdist
workers, and the :class:`RunStore` in the controlling process merges fragments into
records and rewrites the run file atomically after every test, so an interrupted
run keeps what it measured.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from edgebench.artifacts.cache import write_json_atomic
from edgebench.measurements import ACCURACY, ALL_MEASUREMENTS, ENERGY, LATENCY, MEMORY
from edgebench.measurements.accuracy import AccuracyRecord
from edgebench.measurements.energy import EnergyRecord
from edgebench.measurements.latency import LatencyRecord
from edgebench.measurements.memory import MemoryRecord
from edgebench.measurements.op_profile import OpProfileRecord
from edgebench.run_files import (  # re-exported: the writer and the reader agree
    SCHEMA_VERSION,
    UPGRADES,
)

VARIANT_KEYS: tuple[str, ...] = ("model", "dataset", "recipe", "runtime", "device")

LATENCY_FIELDS = LATENCY.fields
ACCURACY_FIELDS = ACCURACY.fields
MEMORY_FIELDS = MEMORY.fields
POWER_FIELDS = ENERGY.fields

# Why a field is null when no measurement filled it.
DEFAULT_NULL_REASONS: dict[str, str] = {
    "macs": "MACs are counted on Keras models only (zoo models and Keras files)",
    "training": "edgebench did not train this model (a user's model file)",
    "output_adapter": "the task scores the model's outputs as they are",
    "sample_prediction": "only segmentation and detection rows keep a sample prediction",
    **{
        f: "timed in the pytest process only (this row was timed through its target, or "
        "no latency test ran)"
        for f in ("end_to_end_p50_ms", "end_to_end_p90_ms")
    },
    "trainable_params": "trainable parameters are known for Keras models only",
    "packed_bytes": "only data-free low-bit (dfq) recipes have a packed size; the file size is the size",
    "latency_vs_baseline": "no baseline row to compare with (see latency_gate)",
    "device_host": "measured on this machine (the device profile has no hosts)",
    **{
        f: "no thermal zone readable on the machine that measured the row, or no latency test ran"
        for f in ("temperature_before_c", "temperature_after_c")
    },
    **{
        f: "not re-timed by the latency gate (no baseline, a new row, passed at the first "
        "timing, or no latency test ran)"
        for f in ("latency_gate_attempts", "latency_gate_ratios")
    },
    **{f: m.null_reason for m in ALL_MEASUREMENTS for f in m.fields},
}


@dataclass
class RowKey:
    """What identifies a row: the variant (model, dataset, recipe, runtime, device) and
    the thread count (``None``: a row of the whole variant, as accuracy is)."""

    model: str
    dataset: str
    recipe: str
    runtime: str
    threads: int | None
    device: str


@dataclass
class VariantRecord:
    """The record fields of the variant (the session fills them, ``variant_facts``): the
    runtime, the artifact and its sizes, how it was made, and the device that ran it."""

    #: what the dataset fed the model (``data.inputs.InputSpec.describe``): layout, dtype,
    #: value range and preprocessing.
    inputs: str | None = None
    runtime_impl: str | None = None
    runtime_version: str | None = None
    provider: str | None = None
    artifact_format: str | None = None
    artifact_path: str | None = None
    artifact_sha256: str | None = None
    build_seconds: float | None = None
    cache_hit: bool | None = None
    params: int | None = None
    trainable_params: int | None = None
    macs: int | None = None
    params_in_artifact: int | None = None
    nonzero_params: int | None = None
    file_bytes: int | None = None
    gzip_bytes: int | None = None
    lzma_bytes: int | None = None
    packed_bytes: int | None = None
    #: the board that measured the row (``user@host[:port]``; ``None``: this machine).
    device_host: str | None = None
    #: the measuring machine, read there: CPU, cores, kernel, versions, governor, temperature.
    device_facts: dict[str, Any] | None = None
    #: the parsed recipe: its group, weight bits, steps and swept parameter.
    recipe_spec: dict[str, Any] | None = None
    #: what each compression step did: scheme, bits, calibration, tensor statistics, ...
    compression: list[dict[str, Any]] | None = None
    #: how the zoo model was trained: the budget (epochs, batch, learning rate, validation
    #: split, step bound) and what happened (epochs run, best epoch, seconds, accuracies).
    training: dict[str, Any] | str | None = None
    #: each kernel tensor in the artifact file: name, shape, fraction of zeros, distinct values.
    weight_tensors: list[dict[str, Any]] | None = None
    #: what turned the model's outputs into its task's input (``tasks.adapters``).
    output_adapter: str | None = None


@dataclass
class RowNotes:
    """What a row carries besides figures: failures, the tests that wrote it, why each
    null field is null, and fields no group declares (a plugin's columns)."""

    errors: list[str] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)
    null_reasons: dict[str, str] = field(default_factory=dict)
    #: columns added by third-party plugins (``pytest_edgebench_record_fragment``).
    extra: dict[str, Any] = field(default_factory=dict)


#: the groups of a record, in the run file's order: the key, then each group declared
#: once by what fills it (the session's variant facts, each measurement's fields).
RECORD_GROUPS: dict[str, type] = {
    "key": RowKey,
    "variant": VariantRecord,
    "latency": LatencyRecord,
    "accuracy": AccuracyRecord,
    "memory": MemoryRecord,
    "energy": EnergyRecord,
    "op_profile": OpProfileRecord,
    "notes": RowNotes,
}


@dataclass
class Record(
    RowNotes,
    OpProfileRecord,
    EnergyRecord,
    MemoryRecord,
    AccuracyRecord,
    LatencyRecord,
    VariantRecord,
    RowKey,
):
    """One row of results: a key plus groups (:data:`RECORD_GROUPS`). Units: ms, MB, W,
    mJ, bytes; accuracy as a fraction in [0, 1]; ``accuracy_drop`` in percentage points."""

    @property
    def variant_key(self) -> tuple[str, ...]:
        """(model, dataset, recipe, runtime, device): the row without its thread count."""
        return tuple(getattr(self, k) for k in VARIANT_KEYS)

    @property
    def row_key(self) -> tuple[Any, ...]:
        """(model, dataset, recipe, runtime, device, threads): what identifies a row."""
        return (*self.variant_key, self.threads)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form; every null measurement field carries a reason."""
        data = asdict(self)
        reasons = dict(self.null_reasons)
        for name, value in data.items():
            if value is None and name not in reasons and name in DEFAULT_NULL_REASONS:
                reasons[name] = DEFAULT_NULL_REASONS[name]
        data["null_reasons"] = {
            k: v for k, v in sorted(reasons.items()) if data.get(k, data["extra"].get(k)) is None
        }
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Record:
        """Rebuild a record from its JSON form; keys it does not declare are kept in
        ``extra`` (a plugin's columns, a newer minor writer's fields), not dropped."""
        names = {f.name for f in fields(cls)}
        known = {k: v for k, v in data.items() if k in names}
        unknown = {k: v for k, v in data.items() if k not in names}
        if unknown:
            known["extra"] = {**unknown, **(known.get("extra") or {})}
        return cls(**known)


def row_key_of(variant: dict[str, str], threads: int | None) -> tuple[Any, ...]:
    """The :attr:`Record.row_key` of a variant's key fields (``Variant.key()``) and threads."""
    return (*(variant[k] for k in VARIANT_KEYS), threads)


def make_fragment(
    variant: dict[str, str],
    threads: int | None,
    values: dict[str, Any],
    null_reasons: dict[str, str] | None = None,
    *,
    test: str = "",
    error: str | None = None,
) -> dict[str, Any]:
    """A measurement fragment: applies to one row (``threads``) or, with
    ``threads=None``, to every row of the variant (accuracy, sizes)."""
    missing = [k for k in VARIANT_KEYS if k not in variant]
    if missing:
        raise ValueError(f"fragment lacks variant key(s) {missing}")
    return {
        "variant": {k: variant[k] for k in VARIANT_KEYS},
        "threads": threads,
        "values": values,
        "null_reasons": dict(null_reasons or {}),
        "test": test,
        "error": error,
    }


class RunStore:
    """Merges fragments into records and keeps the run file on disk up to date."""

    def __init__(self, path: Path | None, header: dict[str, Any]) -> None:
        self.path = path
        self.header = header
        self._rows: dict[tuple[Any, ...], Record] = {}
        self._variant_facts: dict[tuple[str, ...], list[dict[str, Any]]] = {}

    def add(self, fragment: dict[str, Any]) -> None:
        """Merge one fragment and rewrite the run file."""
        variant = fragment["variant"]
        variant_key = tuple(variant[k] for k in VARIANT_KEYS)
        if fragment["threads"] is None:
            self._variant_facts.setdefault(variant_key, []).append(fragment)
            for record in self._rows.values():
                if record.variant_key == variant_key:
                    _apply(record, fragment)
        else:
            row_key = row_key_of(variant, fragment["threads"])
            record = self._rows.get(row_key)
            if record is None:
                record = Record(**variant, threads=fragment["threads"])
                for earlier in self._variant_facts.get(variant_key, []):
                    _apply(record, earlier)
                self._rows[row_key] = record
            _apply(record, fragment)
        self.flush()

    def records(self) -> list[Record]:
        """All rows; a variant measured without any thread row gets one row with ``threads=None``."""
        rows = list(self._rows.values())
        with_rows = {r.variant_key for r in rows}
        for variant_key, facts in self._variant_facts.items():
            if variant_key not in with_rows:
                record = Record(**dict(zip(VARIANT_KEYS, variant_key, strict=True)), threads=None)
                for fact in facts:
                    _apply(record, fact)
                record.null_reasons.setdefault(
                    "latency_p50_ms", "no latency test of this variant ran in this session"
                )
                rows.append(record)
        return rows

    def to_json(self) -> dict[str, Any]:
        """The run file's content."""
        return {
            "schema": SCHEMA_VERSION,
            "groups": record_groups(),
            **self.header,
            "records": [r.to_dict() for r in self.records()],
        }

    def flush(self) -> None:
        """Atomically rewrite the run file (no-op without a path)."""
        if self.path is not None:
            write_json_atomic(self.path, self.to_json())


_RECORD_FIELDS = frozenset(f.name for f in fields(Record)) - {
    "errors",
    "tests",
    "null_reasons",
    "extra",
}


def finite_or_none(value: Any) -> tuple[Any, bool]:
    """``value`` with every non-finite float (NaN, inf) replaced by ``None``, anywhere in
    it, and whether anything was replaced: a run file never holds a number that is not one."""
    if isinstance(value, float) and not math.isfinite(value):
        return None, True
    if isinstance(value, list):
        pairs = [finite_or_none(v) for v in value]
        return [v for v, _ in pairs], any(c for _, c in pairs)
    if isinstance(value, dict):
        pairs = {k: finite_or_none(v) for k, v in value.items()}
        return {k: v for k, (v, _) in pairs.items()}, any(c for _, c in pairs.values())
    return value, False


def _apply(record: Record, fragment: dict[str, Any]) -> None:
    for name, raw in fragment["values"].items():
        value, replaced = finite_or_none(raw)
        if replaced and value is None:
            record.null_reasons[name] = f"the measurement gave {raw!r}, not a finite number"
        if name in _RECORD_FIELDS:
            setattr(record, name, value)
        else:
            record.extra[name] = value
        if not (replaced and value is None):
            record.null_reasons.pop(name, None)
    for name, reason in fragment["null_reasons"].items():
        current = getattr(record, name) if name in _RECORD_FIELDS else record.extra.get(name)
        if current is None:
            record.null_reasons[name] = reason
    if fragment.get("error") and fragment["error"] not in record.errors:
        record.errors.append(fragment["error"])
    if fragment.get("test") and fragment["test"] not in record.tests:
        record.tests.append(fragment["test"])


def saved_runs(folder: Path) -> list[Path]:
    """The run files in ``folder``, oldest first (by modification time)."""
    return sorted(Path(folder).glob("*.json"), key=lambda p: p.stat().st_mtime)


def load_run(path: Path) -> tuple[dict[str, Any], list[Record]]:
    """Read a run file: its header and its records, checked (``run_files``): a bad file is
    one ``RunFileError`` line naming the field; an older schema is upgraded."""
    from edgebench.run_files import read_run

    data = read_run(Path(path), Record, VARIANT_KEYS)
    header = {k: v for k, v in data.items() if k != "records"}
    return header, [Record.from_dict(r) for r in data.get("records", [])]


def record_groups() -> dict[str, list[str]]:
    """Each group's field names, in order (written into run files from schema 2 on)."""
    return {name: [f.name for f in fields(group)] for name, group in RECORD_GROUPS.items()}


def upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """Schema 1 -> 2: the records are unchanged; the ``groups`` header is added, each field
    of the file's records in the group that declares it (fields no group declares are
    left to ``extra`` when a record is read)."""
    present: set[str] = set()
    for record in data.get("records") or []:
        if isinstance(record, dict):
            present.update(record)
    groups = {
        name: [f for f in names if f in present or name in ("key", "notes")]
        for name, names in record_groups().items()
    }
    return {**data, "groups": groups}


UPGRADES[1] = upgrade_v1

"""The milestone table: one line per record, the columns edge teams report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tabulate import tabulate

from edgebench.measurements import ACCURACY, ENERGY, LATENCY, MEMORY
from edgebench.results import Record

NOT_AVAILABLE = "n/a"


@dataclass(frozen=True)
class Column:
    """A table column: header and how to format the value of a record."""

    header: str
    value: Callable[[Record], Any]
    fmt: Callable[[Any], str] = str


def _thousands(v: Any) -> str:
    return f"{int(v):,}"


def _kib(v: Any) -> str:
    return f"{v / 1024:.1f}"


def field_column(field: str, header: str, fmt: str = "{}") -> Column:
    """A column showing a record field, or a third-party column kept in ``extra``."""
    return Column(
        header,
        lambda r: getattr(r, field, None) if hasattr(r, field) else r.extra.get(field),
        fmt.format,
    )


COLUMNS: dict[str, Column] = {
    "model": Column("Model", lambda r: r.model),
    "dataset": Column("Dataset", lambda r: r.dataset),
    "device": Column("Device", lambda r: r.device),
    "recipe": Column("Recipe", lambda r: r.recipe),
    "runtime": Column("Runtime", lambda r: r.runtime),
    "threads": Column("Threads", lambda r: r.threads),
    "params": Column("#Params", lambda r: r.params, _thousands),
    "size": Column("Size [KiB]", lambda r: r.file_bytes, _kib),
    "gzip": Column("gzip [KiB]", lambda r: r.gzip_bytes, _kib),
    "lzma": Column("lzma [KiB]", lambda r: r.lzma_bytes, _kib),
    "packed": Column("Packed [KiB]", lambda r: r.packed_bytes, _kib),
}
# The columns of the measurements (p50, memory, power, accuracy, ...) come from their
# declarations, so a header is written once.
COLUMNS.update(
    {
        c.key: field_column(c.field, c.header, c.fmt)
        for m in (LATENCY, MEMORY, ENERGY, ACCURACY)
        for c in m.columns
        if c.key
    }
)


def fine_tune_epochs(record: Record) -> int | None:
    """Fine-tuning epochs the recipe's steps ran (``None`` when no step fine-tunes)."""
    epochs = [s["fine_tune_epochs"] for s in record.compression or [] if "fine_tune_epochs" in s]
    return sum(epochs) if epochs else None


def epochs_fine_tuned(record: Record) -> int | None:
    """Fine-tuning epochs, 0 for a recipe that does not fine-tune (``None``: the
    artifact's steps are not known, e.g. it was never built)."""
    if record.compression is None:
        return None
    return fine_tune_epochs(record) or 0


COLUMNS["ft"] = Column("FT epochs", epochs_fine_tuned)


def top_operators(profile: dict[str, Any]) -> str:
    """The three operator types with the largest share of a ``--profile-ops`` profile.

    >>> top_operators({"by_type": {"Conv": {"share": 0.62}, "Relu": {"share": 0.09}}})
    'Conv 62%, Relu 9%'
    """
    from edgebench.instruments.op_profile import top_types

    return ", ".join(f"{op} {100 * share:.0f}%" for op, share in top_types(profile, 3))


COLUMNS["ops"] = Column("Top operators", lambda r: r.op_profile, top_operators)

SUMMARY_COLUMNS: tuple[str, ...] = (
    "model",
    "recipe",
    "runtime",
    "threads",
    "params",
    "size",
    "p50",
    "p90",
    "accuracy",
    "drop",
)


def summary_columns(
    measurements: Sequence[Any], *, several_devices: bool = False, metric_label: str = "Accuracy"
) -> list[str | Column]:
    """The terminal's milestone table, in the order a milestone report reads: what was
    done (recipe, fine-tuning epochs, #params), what it costs on the device (memory over
    base, latency, power, energy per image), what it loses (accuracy, drop), its size.
    ``measurements`` are the run's :class:`~edgebench.measurements.Measurement` s;
    ``metric_label`` heads the task's headline metric (``mIoU``, ``mAP@0.5``)."""
    front: list[str | Column] = ["model", "recipe", "ft", "runtime", "threads", "params"]
    if several_devices:
        front.insert(1, "device")  # a laptop-vs-board table
    declared = [
        (m.name, field_column(c.field, c.header, c.fmt)) for m in measurements for c in m.columns
    ]
    memory = [c for name, c in declared if name == MEMORY.name]
    others = [c for name, c in declared if name != MEMORY.name]
    headline: str | Column = "accuracy"
    if metric_label != COLUMNS["accuracy"].header:
        headline = Column(metric_label, COLUMNS["accuracy"].value, COLUMNS["accuracy"].fmt)
    return [*front, *memory, "p50", "p90", *others, headline, "drop", "size"]


def format_cell(column: Column, record: Record) -> str:
    """One cell; ``n/a`` for a value that was not measured."""
    value = column.value(record)
    return NOT_AVAILABLE if value is None else column.fmt(value)


def sort_key(record: Record) -> tuple[Any, ...]:
    """Rows grouped by model, dataset, runtime; baseline first; then thread count."""
    return (
        record.model,
        record.dataset,
        record.runtime,
        record.recipe != "fp32",
        record.recipe,
        record.device,
        record.threads if record.threads is not None else -1,
    )


#: metrics of class groups (``data.hierarchy``), shown beside the headline when rows have
#: them; with ``--accuracy-metric coarse_accuracy`` the fine accuracy goes beside instead.
GROUPED_METRICS: dict[str, str] = {
    "coarse_accuracy": "Coarse accuracy",
    "accuracy": "Fine accuracy",
}


def with_grouped_metrics(columns: Sequence[Column], records: Sequence[Record]) -> list[Column]:
    """``columns`` with the :data:`GROUPED_METRICS` the records report (other than their
    headline) after the accuracy column."""
    metric = next((r.metric for r in records if r.metric), "accuracy")
    extra = [
        Column(title, lambda r, key=key: (r.metrics or {}).get(key), COLUMNS["accuracy"].fmt)
        for key, title in GROUPED_METRICS.items()
        if key != metric and any((r.metrics or {}).get(key) is not None for r in records)
    ]
    if not extra:
        return list(columns)
    result: list[Column] = []
    for column in columns:
        result.append(column)
        if column.value is COLUMNS["accuracy"].value:
            result += extra
    return result


def milestone_table(
    records: Sequence[Record],
    columns: Sequence[str | Column] = SUMMARY_COLUMNS,
    tablefmt: str = "github",
) -> str:
    """Render ``records`` as a table with ``columns`` (names from ``COLUMNS``, or columns)."""
    unknown = [c for c in columns if isinstance(c, str) and c not in COLUMNS]
    if unknown:
        raise ValueError(f"unknown column(s) {', '.join(unknown)}; known: {', '.join(COLUMNS)}")
    chosen = with_grouped_metrics(
        [COLUMNS[c] if isinstance(c, str) else c for c in columns], records
    )
    rows = [[format_cell(c, r) for c in chosen] for r in sorted(records, key=sort_key)]
    return tabulate(
        rows, headers=[c.header for c in chosen], tablefmt=tablefmt, disable_numparse=True
    )

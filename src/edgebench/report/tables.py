"""The report's tables, as plain data: a title, headers and rows of strings.

Pure functions of records; rendering to Markdown, CSV, HTML or JSON is separate.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from edgebench.measurements import ALL_MEASUREMENTS
from edgebench.recipes import describe_recipe
from edgebench.report.columns import (
    COLUMNS,
    GROUPED_METRICS,
    NOT_AVAILABLE,
    Column,
    field_column,
    fine_tune_epochs,
    format_cell,
    sort_key,
)
from edgebench.results import Record

MILESTONE_COLUMNS: tuple[str, ...] = (
    "recipe",
    "ft",
    "params",
    "memory",
    "mean",
    "power",
    "energy",
    "accuracy",
    "drop",
    "size",
    "gzip",
)
EXTRA_COLUMNS: dict[str, Column] = {
    "ft": Column("Fine-tuning epochs", lambda r: fine_tune_epochs(r)),
    "nonzero": field_column("nonzero_params", "Nonzero params", "{:,}"),
    "macs": field_column("macs", "MACs", "{:,}"),
}
FAMILY_ORDER = (
    "fp32",
    "quantization",
    "data-free",
    "pruning",
    "structured pruning",
    "clustering",
    "low-rank",
    "distillation",
    "qat",
    "other",
)


@dataclass(frozen=True)
class Table:
    """A titled table of formatted cells."""

    title: str
    headers: list[str]
    rows: list[list[str]]

    def as_dict(self) -> dict[str, Any]:
        """For the JSON format."""
        return {"title": self.title, "headers": self.headers, "rows": self.rows}


def family_rank(name: str) -> int:
    """Where rows of family ``name`` go in a table (a third party's after the known ones)."""
    return FAMILY_ORDER.index(name) if name in FAMILY_ORDER else len(FAMILY_ORDER)


def family(recipe: str) -> str:
    """The recipe family rows are grouped by (the recipe's group; ``other`` when unknown)."""
    parsed = describe_recipe(recipe)
    return "other" if parsed is None else parsed.group


def resolve_columns(names: Sequence[str]) -> list[Column]:
    """Columns by name (COLUMNS and the report's extra ones)."""
    known = {**COLUMNS, **EXTRA_COLUMNS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError(f"unknown column(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [known[n] for n in names]


def grouped(records: Sequence[Record]) -> dict[tuple[str, str, str], list[Record]]:
    """Records by (model, dataset, runtime); with several devices the runtime part reads
    ``runtime on device`` (a table never mixes two devices' rows)."""
    several = len({r.device for r in records}) > 1
    groups: dict[tuple[str, str, str], list[Record]] = defaultdict(list)
    for record in records:
        runtime = f"{record.runtime} on {record.device}" if several else record.runtime
        groups[(record.model, record.dataset, runtime)].append(record)
    return dict(sorted(groups.items()))


def device_tables(records: Sequence[Record]) -> list[Table]:
    """With several devices: per model and dataset, one row per recipe x runtime x threads
    and, per device, p50, memory over base, energy per image and accuracy."""
    devices = sorted({r.device for r in records})
    if len(devices) < 2:
        return []
    figures = [COLUMNS_BY_KEY[k] for k in ("p50", "memory", "energy", "accuracy")]
    by_model: dict[tuple[str, str], dict[tuple[Any, ...], dict[str, Record]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    for r in records:
        by_model[(r.model, r.dataset)][(r.recipe, r.runtime, r.threads)][r.device] = r
    tables = []
    for (model, dataset), rows in sorted(by_model.items()):
        body = []
        for (recipe, runtime, threads), per_device in sorted(
            rows.items(),
            key=lambda kv: (
                kv[0][1],
                family_rank(family(kv[0][0])),
                kv[0][0],
                kv[0][2] or 0,
            ),
        ):
            cells = [recipe, runtime, NOT_AVAILABLE if threads is None else str(threads)]
            for column in figures:
                for device in devices:
                    record = per_device.get(device)
                    value = None if record is None else getattr(record, column.field)
                    cells.append(NOT_AVAILABLE if value is None else column.fmt.format(value))
            body.append(cells)
        headers = ["Recipe", "Runtime", "Threads"] + [
            f"{column.header} {device}" for column in figures for device in devices
        ]
        tables.append(Table(f"Devices compared: {model} on {dataset}", headers, body))
    return tables


def one_thread_count(records: Sequence[Record]) -> list[Record]:
    """One row per recipe: the lowest thread count measured (milestone tables are per image)."""
    chosen: dict[str, Record] = {}
    for record in sorted(records, key=lambda r: (r.threads is None, r.threads or 0)):
        chosen.setdefault(record.recipe, record)
    return list(chosen.values())


def task_columns(columns: Sequence[Column], rows: Sequence[Record]) -> list[Column]:
    """``columns`` for one table of a task: the accuracy column headed by the task's
    metric (mIoU, mAP@0.5), and the task's second metric beside it when rows have it; the
    end-to-end latency (invoke + post-processing) after the latency when rows have it."""
    from edgebench.tasks.registry import metric_report

    metric = next((r.metric for r in rows if r.metric), "accuracy")
    accuracy = COLUMNS["accuracy"]
    metric_header, beside, _ = metric_report(metric)
    second, header = beside or ("", "")
    end_to_end = any(r.end_to_end_p50_ms is not None for r in rows)
    latency = {COLUMNS[k].header for k in ("p50", "mean") if k in COLUMNS}
    result: list[Column] = []
    for column in columns:
        if column is not accuracy:
            result.append(column)
            if end_to_end and column.header in latency:
                result.append(field_column("end_to_end_p50_ms", "End-to-end p50 [ms]", "{:.3f}"))
                end_to_end = False
            continue
        headline = (
            GROUPED_METRICS["coarse_accuracy"] if metric == "coarse_accuracy" else metric_header
        )
        result.append(Column(headline, accuracy.value, accuracy.fmt))
        beside_keys = [(second, header), *GROUPED_METRICS.items()]
        for key, title in beside_keys:
            if key in (metric, "") or not any((r.metrics or {}).get(key) is not None for r in rows):
                continue
            result.append(
                Column(title, lambda r, key=key: (r.metrics or {}).get(key), accuracy.fmt)
            )
    return result


def milestone_tables(
    records: Sequence[Record], columns: Sequence[str] = MILESTONE_COLUMNS
) -> list[Table]:
    """One milestone table per model x runtime, rows grouped by recipe family; the
    accuracy column is the task's metric (mIoU, mAP@0.5) with its second one beside it."""
    tables = []
    for (model, dataset, runtime), rows in grouped(records).items():
        chosen = task_columns(resolve_columns(columns), rows)
        picked = sorted(
            one_thread_count(rows),
            key=lambda r: (family_rank(family(r.recipe)), sort_key(r)),
        )
        threads = sorted({r.threads for r in picked if r.threads is not None})
        title = f"{model} on {dataset}, {runtime}" + (
            f" (threads {','.join(map(str, threads))})" if threads else ""
        )
        tables.append(
            Table(
                title,
                [c.header for c in chosen],
                [[format_cell(c, r) for c in chosen] for r in picked],
            )
        )
    return tables


def thread_scaling_tables(records: Sequence[Record]) -> list[Table]:
    """p50 latency per thread count, one row per recipe (float vs quantized side by side)."""
    tables = []
    for (model, dataset, runtime), rows in grouped(records).items():
        threads = sorted({r.threads for r in rows if r.threads is not None})
        if len(threads) < 2:
            continue
        by_recipe: dict[str, dict[int, float | None]] = defaultdict(dict)
        for r in rows:
            if r.threads is not None:
                by_recipe[r.recipe][r.threads] = r.latency_p50_ms
        body = [
            [
                recipe,
                *[NOT_AVAILABLE if values.get(t) is None else f"{values[t]:.3f}" for t in threads],
            ]
            for recipe, values in sorted(
                by_recipe.items(), key=lambda kv: (family_rank(family(kv[0])), kv[0])
            )
            if any(v is not None for v in values.values())  # not timed (e.g. data-free only)
        ]
        tables.append(
            Table(
                f"Thread scaling, p50 [ms]: {model} on {dataset}, {runtime}",
                ["Recipe", *[f"{t} thread{'s' if t > 1 else ''}" for t in threads]],
                body,
            )
        )
    return tables


def family_tables(
    records: Sequence[Record],
    title: str,
    families: tuple[str, ...],
    columns: Sequence[str],
    shows: Callable[[list[Record]], bool],
) -> list[Table]:
    """Per model x runtime, the rows of ``families`` (one thread count) with ``columns``
    (the task's metric headed as the task heads it), when ``shows`` the picked rows."""
    tables = []
    for (model, dataset, runtime), rows in grouped(records).items():
        chosen = task_columns(resolve_columns(list(columns)), rows)
        picked = [r for r in one_thread_count(rows) if family(r.recipe) in families]
        if not shows(picked):
            continue
        picked.sort(key=sort_key)
        tables.append(
            Table(
                f"{title}: {model} on {dataset}, {runtime}",
                [c.header for c in chosen],
                [[format_cell(c, r) for c in chosen] for r in picked],
            )
        )
    return tables


def quantization_tables(records: Sequence[Record]) -> list[Table]:
    """Accuracy and size per quantization technique (and fp32), per model x runtime."""
    return family_tables(
        records,
        "Quantization",
        ("fp32", "quantization", "data-free", "qat"),
        ["recipe", "accuracy", "drop", "size", "gzip", "packed"],
        lambda picked: len(picked) >= 2,
    )


def low_rank_tables(records: Sequence[Record]) -> list[Table]:
    """Low-rank factorization beside fp32, per model x runtime: parameters, MACs, latency,
    the task's metric and size."""
    return family_tables(
        records,
        "Low-rank factorization",
        ("fp32", "low-rank"),
        ["recipe", "params", "macs", "p50", "accuracy", "drop", "size"],
        lambda picked: any(family(r.recipe) == "low-rank" for r in picked),
    )


def distillation_pair(recipe: str) -> tuple[str, Any] | None:
    """The recipe that fine-tunes for as many epochs where ``recipe`` distils (``kd<E>``
    becomes ``ft<E>``), and the distilling step; ``None`` for a recipe without one.

    >>> distillation_pair("sprune0.5+kd5-t2")[0]
    'sprune0.5+ft5'
    """
    parsed = describe_recipe(recipe)
    if parsed is None:
        return None
    steps = [s for s in parsed.steps if s.family == "kd"]
    if not steps:
        return None
    step = steps[0]
    tokens = [f"ft{step.epochs}" if s is step else s.token for s in parsed.steps]
    return "+".join(tokens), step


def distillation_tables(records: Sequence[Record]) -> list[Table]:
    """What distillation buys: each ``...+kd<E>`` row beside its ``...+ft<E>`` row (equal
    epochs, the same student), per model x runtime."""
    tables = []
    for (model, dataset, runtime), rows in grouped(records).items():
        by = {r.recipe: r for r in one_thread_count(rows)}
        metric = next((r.metric for r in rows if r.metric), "accuracy")
        header = GROUPED_METRICS["coarse_accuracy"] if metric == "coarse_accuracy" else "Accuracy"
        body = []
        for recipe in sorted(by):
            pair = distillation_pair(recipe)
            if pair is None or pair[0] not in by:
                continue
            plain_recipe, step = pair
            distilled, plain = by[recipe], by[plain_recipe]
            gain = (
                None
                if distilled.accuracy is None or plain.accuracy is None
                else (distilled.accuracy - plain.accuracy) * 100
            )
            body.append(
                [
                    recipe,
                    plain_recipe,
                    str(step.epochs),
                    f"{step.temperature:g}",
                    f"{step.alpha:g}",
                    "n/a" if plain.accuracy is None else f"{plain.accuracy:.2%}",
                    "n/a" if distilled.accuracy is None else f"{distilled.accuracy:.2%}",
                    "n/a" if gain is None else f"{gain:+.2f}",
                ]
            )
        if body:
            tables.append(
                Table(
                    f"Distillation vs fine-tuning: {model} on {dataset}, {runtime}",
                    [
                        "Distilled",
                        "Fine-tuned",
                        "Epochs",
                        "T",
                        "alpha",
                        f"{header} (ft)",
                        f"{header} (kd)",
                        "kd - ft [pts]",
                    ],
                    body,
                )
            )
    return tables


def tensor_tables(records: Sequence[Record]) -> list[Table]:
    """Quartiles of each data-free-quantized tensor before and after, per recipe."""
    tables, seen = [], set()
    for record in records:
        for step in record.compression or []:
            tensors = step.get("tensors")
            key = (record.model, record.dataset, step.get("step"))
            if not tensors or key in seen:
                continue
            seen.add(key)
            rows = []
            for t in tensors:
                b, a, e = t["before"], t["after"], t["error"]
                rows.append(
                    [
                        t["layer"],
                        "x".join(map(str, t["shape"])),
                        f"{b['min']:.4g} / {b['q1']:.4g} / {b['median']:.4g} / {b['q3']:.4g} / {b['max']:.4g}",
                        f"{a['min']:.4g} / {a['q1']:.4g} / {a['median']:.4g} / {a['q3']:.4g} / {a['max']:.4g}",
                        str(b["distinct"]),
                        str(a["distinct"]),
                        NOT_AVAILABLE if e["snr_db"] is None else f"{e['snr_db']:.1f}",
                    ]
                )
            tables.append(
                Table(
                    f"Tensors of {step.get('step')} ({record.model} on {record.dataset})",
                    [
                        "Layer",
                        "Shape",
                        "Before min/q1/median/q3/max",
                        "After min/q1/median/q3/max",
                        "Distinct before",
                        "Distinct after",
                        "SNR [dB]",
                    ],
                    rows,
                )
            )
    return tables


#: operator types shown as columns of an operator table (the rest are summed in "other").
OPERATOR_COLUMNS = 8


def operator_tables(records: Sequence[Record]) -> list[Table]:
    """Per model, dataset, runtime, device and thread count: each recipe's share of
    operator time per operator type (``--profile-ops``), the operator types that take
    the most time in any recipe as columns, the rest as "other"; with the operators' time
    per inference and the profiled runs' median."""
    groups: dict[tuple[Any, ...], list[Record]] = {}
    for r in records:
        if r.op_profile and r.op_profile.get("by_type"):
            groups.setdefault((r.model, r.dataset, r.runtime, r.device, r.threads), []).append(r)
    tables = []
    for (model, dataset, runtime, device, threads), rows in sorted(
        groups.items(), key=lambda kv: tuple(str(k) for k in kv[0])
    ):
        rows = sorted(rows, key=lambda r: (r.recipe != "fp32", r.recipe))
        peak: dict[str, float] = {}
        for r in rows:
            for op, entry in r.op_profile["by_type"].items():  # type: ignore[index]
                peak[op] = max(peak.get(op, 0.0), entry.get("share") or 0.0)
        shown = sorted(peak, key=lambda op: (-peak[op], op))[:OPERATOR_COLUMNS]
        body = []
        for r in rows:
            by_type = r.op_profile["by_type"]  # type: ignore[index]
            shares = [by_type.get(op, {}).get("share") for op in shown]
            other = sum(e.get("share") or 0.0 for op, e in by_type.items() if op not in shown)
            run = r.op_profile.get("run_p50_ms")  # type: ignore[union-attr]
            body.append(
                [
                    r.recipe,
                    *("" if v is None else f"{100 * v:.1f}%" for v in shares),
                    f"{100 * other:.1f}%" if other else "",
                    f"{r.op_profile['operators_ms']:.3f}",  # type: ignore[index]
                    NOT_AVAILABLE if run is None else f"{run:.3f}",
                ]
            )
        tool = rows[0].op_profile.get("tool", "")  # type: ignore[union-attr]
        tables.append(
            Table(
                f"Operator time shares: {model} on {dataset}, {runtime} t{threads} ({device}; {tool})",
                ["Recipe", *shown, "other", "Operators [ms]", "Profiled run p50 [ms]"],
                body,
            )
        )
    return tables


def _key(r: Record) -> tuple[Any, ...]:
    return r.row_key


#: the measurements' column declarations by key (``p50``, ``memory``, ...).
COLUMNS_BY_KEY = {c.key: c for m in ALL_MEASUREMENTS for c in m.columns if c.key}


def comparison_table(a: Sequence[Record], b: Sequence[Record], name_a: str, name_b: str) -> Table:
    """Per row, A and B and the difference, for accuracy, latency, memory, energy.

    Rows present in one run only are listed too, with n/a on the other side (a recipe
    added or dropped between milestones).
    """
    fields = [
        ("accuracy", "Accuracy [%]", 100.0),
        *(
            (c.field, c.header, 1.0)
            for c in (COLUMNS_BY_KEY[k] for k in ("p50", "memory", "energy"))
        ),
    ]
    index_a = {_key(r): r for r in a}
    index_b = {_key(r): r for r in b}
    headers = ["Model", "Recipe", "Runtime", "Threads"]
    for _, label, _ in fields:
        headers += [f"{label} {name_a}", f"{label} {name_b}", "Diff"]
    rows = []
    for key in sorted(
        index_a.keys() | index_b.keys(), key=lambda k: sort_key(index_a.get(k) or index_b[k])
    ):
        ra, rb = index_a.get(key), index_b.get(key)
        any_side = ra or rb
        assert any_side is not None
        row = [
            any_side.model,
            any_side.recipe,
            any_side.runtime,
            NOT_AVAILABLE if any_side.threads is None else str(any_side.threads),
        ]
        for field, _, scale in fields:
            va = None if ra is None else getattr(ra, field)
            vb = None if rb is None else getattr(rb, field)
            row += [
                NOT_AVAILABLE if va is None else f"{va * scale:.3f}",
                NOT_AVAILABLE if vb is None else f"{vb * scale:.3f}",
                NOT_AVAILABLE if va is None or vb is None else f"{(vb - va) * scale:+.3f}",
            ]
        rows.append(row)
    return Table(f"Comparison: {name_a} -> {name_b}", headers, rows)


def throttled_notes(records: Sequence[Record]) -> list[str]:
    """A line per row measured throttled, hot or under load (``board_flags``, read right
    before its timed window), or while its board reported throttling when its facts were
    read (``vcgencmd get_throttled``): its figures are not the board's normal speed."""
    notes = []
    for r in records:
        where = (
            f"{r.model} {r.recipe} on {r.runtime}, {r.device}"
            f"{' (' + r.device_host + ')' if r.device_host else ''}, t{r.threads}"
        )
        flags = [str(f) for f in (r.board_flags or []) if isinstance(f, str)]
        if flags:
            notes.append(f"measured {'; '.join(flags)}: {where}")
        elif ((r.device_facts or {}).get("throttled") or {}).get("throttled_now"):
            notes.append(
                f"throttled while measured: {where} "
                f"(flags {(r.device_facts or {})['throttled']['flags']})"
            )
    return notes


def pool_tables(records: Sequence[Record]) -> list[Table]:
    """Per device with a pool of boards: every fp32 row timed on each board, its p50 and
    the ratio to the row's own board with the 95% interval, boards off flagged."""
    by_device: dict[str, list[list[str]]] = defaultdict(list)
    for r in records:
        check = r.pool_check if isinstance(r.pool_check, dict) else None
        for board, found in sorted((check or {}).get("boards", {}).items()):
            if not isinstance(found, dict) or not isinstance(found.get("p50_ms"), int | float):
                continue
            interval = (
                f"{found['low']:.2f}-{found['high']:.2f}"
                if isinstance(found.get("low"), int | float)
                else "(the row's own board)"
            )
            by_device[r.device].append(
                [
                    r.model,
                    r.runtime,
                    str(r.threads),
                    board,
                    f"{found['p50_ms']:.3f}",
                    f"{found.get('ratio', 1.0):.3f}",
                    interval,
                    "OFF" if found.get("flagged") else "",
                ]
            )
    headers = ["Model", "Runtime", "Threads", "Board", "fp32 p50 [ms]", "Ratio", "95% interval", ""]
    return [
        Table(f"Boards of the pool {device} compared (fp32 on every board)", headers, rows)
        for device, rows in sorted(by_device.items())
    ]


def pool_notes(records: Sequence[Record]) -> list[str]:
    """A line per board of a pool whose fp32 p50 differs beyond the noise."""
    notes = []
    for r in records:
        check = r.pool_check if isinstance(r.pool_check, dict) else {}
        for line in check.get("flags", []) if isinstance(check.get("flags"), list) else []:
            notes.append(f"pool {r.device}, {r.model} on {r.runtime} t{r.threads}: {line}")
    return notes


def finding_notes(header: dict[str, Any]) -> list[str]:
    """The run's slower-than-fp32 findings (with their causes, the operator profile's
    among them) as report notes."""
    notes = []
    found = header.get("findings", {}).get("slower_than_fp32", [])
    for f in found if isinstance(found, list) else []:
        if not (
            isinstance(f, dict)
            and all(isinstance(f.get(k), str) for k in ("model", "recipe", "runtime"))
            and isinstance(f.get("ratio"), int | float)
        ):
            continue  # a finding this reader cannot state is left out, not guessed
        causes = f.get("causes") if isinstance(f.get("causes"), list) else []
        why = "; ".join(str(c) for c in causes) or "no cause detected"
        notes.append(
            f"{f['model']} {f['recipe']} on {f['runtime']} t{f['threads']}: "
            f"{f['ratio']:.2f}x slower than fp32; likely cause: {why}"
        )
    return notes


def recommendations(records: Sequence[Record]) -> list[str]:
    """Per model and runtime: the fastest and the smallest variant within its accuracy threshold."""
    lines = []
    for (model, dataset, runtime), rows in grouped(records).items():
        ok = [
            r
            for r in one_thread_count(rows)
            if r.accuracy_drop is not None
            and r.accuracy is not None
            and (r.accuracy_threshold is None or r.accuracy_drop <= r.accuracy_threshold)
        ]
        timed = [r for r in ok if r.latency_p50_ms is not None]
        sized = [r for r in ok if r.file_bytes is not None]
        if not timed and not sized:
            lines.append(
                f"{model} on {dataset}, {runtime}: no variant has both an accuracy within its threshold and a measurement"
            )
            continue
        parts = []
        if timed:
            fastest = min(timed, key=lambda r: r.latency_p50_ms)
            parts.append(
                f"fastest within threshold: {fastest.recipe} (p50 {fastest.latency_p50_ms:.3f} ms, "
                f"accuracy {fastest.accuracy * 100:.2f}%, drop {fastest.accuracy_drop:+.2f})"
            )
        if sized:
            smallest = min(sized, key=lambda r: r.file_bytes)
            parts.append(
                f"smallest: {smallest.recipe} ({smallest.file_bytes / 1024:.1f} KiB, drop {smallest.accuracy_drop:+.2f})"
            )
        lines.append(f"{model} on {dataset}, {runtime}: " + "; ".join(parts))
    return lines

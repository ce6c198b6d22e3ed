"""Report figures as PNG (matplotlib, Agg backend): Pareto front, threads, bits, sparsity."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from edgebench.recipes import describe_recipe
from edgebench.report.tables import grouped, one_thread_count
from edgebench.results import Record


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of points not dominated (lower x and higher y are better).

    >>> pareto_front([(1.0, 0.9), (2.0, 0.95), (3.0, 0.8)])
    [0, 1]
    """
    front = []
    for i, (x, y) in enumerate(points):
        dominated = any(
            (x2 <= x and y2 >= y) and (x2 < x or y2 > y)
            for j, (x2, y2) in enumerate(points)
            if j != i
        )
        if not dominated:
            front.append(i)
    return front


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_all(records: Sequence[Record], out: Path) -> list[str]:
    """Write the figures the records support into ``out``; return their file names."""
    plt = pyplot()
    written = []
    for (model, dataset, runtime), rows in grouped(records).items():
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{model}-{dataset}-{runtime}")
        picked = [r for r in one_thread_count(rows) if r.accuracy is not None]
        metric = metric_label(picked)
        timed = [r for r in picked if r.latency_p50_ms is not None]
        if len(timed) >= 2:
            fig, ax = plt.subplots(figsize=(7, 5))
            points = [(r.latency_p50_ms, r.accuracy * 100) for r in timed]
            front = set(pareto_front(points))
            for i, (r, (x, y)) in enumerate(zip(timed, points, strict=True)):
                ax.scatter(x, y, color="tab:red" if i in front else "tab:blue", zorder=3)
                ax.annotate(r.recipe, (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
            fx = sorted(points[i] for i in front)
            ax.plot(
                [p[0] for p in fx],
                [p[1] for p in fx],
                color="tab:red",
                linestyle="--",
                label="Pareto front",
            )
            ax.set_xlabel("p50 latency per image [ms]")
            ax.set_ylabel(f"{metric} [%]")
            ax.set_title(f"{metric} vs latency: {model}, {dataset}, {runtime}")
            ax.legend()
            written.append(save_figure(fig, out, f"{stem}-pareto.png"))
        threads = sorted({r.threads for r in rows if r.threads})
        if len(threads) >= 2:
            fig, ax = plt.subplots(figsize=(7, 5))
            for recipe in sorted({r.recipe for r in rows}):
                series = sorted(
                    (r.threads, r.latency_p50_ms)
                    for r in rows
                    if r.recipe == recipe and r.threads and r.latency_p50_ms
                )
                if series:
                    ax.plot(
                        [t for t, _ in series], [v for _, v in series], marker="o", label=recipe
                    )
            ax.set_xlabel("threads")
            ax.set_ylabel("p50 latency per image [ms]")
            ax.set_xticks(threads)
            ax.set_title(f"Latency vs threads: {model}, {dataset}, {runtime}")
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=7)
            written.append(save_figure(fig, out, f"{stem}-threads.png"))
        for name in ("bits", "sparsity", "fraction", "rank"):
            series: dict[str, list[tuple[float, float, float, float | None]]] = {}
            label = name
            for r in picked:
                parsed = describe_recipe(r.recipe)
                sweep = None if parsed is None else parsed.sweep(axis=name, first_only=True)
                if sweep is not None and r.file_bytes:
                    label = sweep.label
                    coarse = (r.metrics or {}).get("coarse_accuracy")
                    series.setdefault(sweep.series or "-", []).append(
                        (
                            sweep.value,
                            r.accuracy * 100,
                            r.file_bytes / 1024,
                            None
                            if coarse is None or r.metric == "coarse_accuracy"
                            else coarse * 100,
                        )
                    )
            if not any(len(v) >= 2 for v in series.values()):
                continue
            fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
            for rest, values in series.items():
                values.sort()
                drawn = left.plot(
                    [v[0] for v in values], [v[1] for v in values], marker="o", label=rest
                )
                grouped_values = [(v[0], v[3]) for v in values if v[3] is not None]
                if grouped_values:  # class groups: the coarse accuracy, dashed, same colour
                    left.plot(
                        [v[0] for v in grouped_values],
                        [v[1] for v in grouped_values],
                        marker="s",
                        linestyle="--",
                        color=drawn[0].get_color(),
                        label=f"{rest} (coarse accuracy)",
                    )
                right.plot([v[0] for v in values], [v[2] for v in values], marker="o", label=rest)
            left.set_xlabel(label)
            left.set_ylabel(f"{metric} [%]")
            right.set_xlabel(label)
            right.set_ylabel("file size [KiB]")
            left.set_title(f"{metric} vs {label}")
            right.set_title(f"Size vs {label}")
            left.legend(fontsize=7)
            written.append(save_figure(fig, out, f"{stem}-{name}.png"))
    return written


def metric_label(records: Sequence[Record]) -> str:
    """The axis label of the rows' headline metric (top-1 accuracy, mIoU, mAP@0.5)."""
    from edgebench.tasks.registry import metric_report

    metric = next((r.metric for r in records if r.metric), "accuracy")
    return metric_report(metric)[2]


def save_figure(fig, out: Path, name: str) -> str:
    out.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)
    pyplot().close(fig)
    return name

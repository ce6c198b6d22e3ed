"""Per-layer sensitivity in reports: the sorted table, the proposal, the terminal lines and
the plot (``run file: sensitivity``, written by ``bench/test_sensitivity.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from edgebench.report.tables import Table


def _points(value: Any) -> str:
    return "n/a" if value is None else f"{value:+.2f}"


def _share(value: Any) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _title(analysis: dict[str, Any]) -> str:
    return f"{analysis.get('model')} on {analysis.get('dataset')}, {analysis.get('recipe')}"


def sensitivity_tables(analyses: Sequence[dict[str, Any]]) -> list[Table]:
    """Per analysis: the layers, most costly first (the metric with the layer quantized
    alone, its drop from fp32, and the points keeping it alone in float recovers), then
    the path of the mixed-precision proposal."""
    tables = []
    for analysis in analyses:
        metric = analysis.get("metric", "accuracy")
        rows = [
            [
                str(layer["layer"]),
                f"{layer['params']:,}",
                _share(layer["alone_quantized"]),
                _points(layer["alone_quantized_drop"]),
                _share(layer["alone_float"]),
                _points(layer["recovered"]),
            ]
            for layer in analysis.get("layers", [])
        ]
        tables.append(
            Table(
                f"Sensitivity: {_title(analysis)} ({metric}; fp32 {_share(analysis.get('fp32'))}, "
                f"all layers quantized {_share(analysis.get('all_quantized'))})",
                [
                    "Layer",
                    "Params",
                    "Quantized alone",
                    "Drop [pts]",
                    "Float alone",
                    "Recovered [pts]",
                ],
                rows,
            )
        )
        proposal = analysis.get("proposal") or {}
        path = [
            [
                ", ".join(step["float_layers"]) or "(none)",
                _share(step["metric"]),
                _points(step["drop"]),
            ]
            for step in proposal.get("path", [])
        ]
        tables.append(
            Table(
                f"Mixed precision: {_title(analysis)}, within {proposal.get('max_drop')} points: "
                f"{proposal.get('recipe')}",
                ["Float layers", metric, "Drop [pts]"],
                path,
            )
        )
    return tables


def sensitivity_lines(analyses: Sequence[dict[str, Any]]) -> list[str]:
    """Terminal lines: per analysis the three most costly layers and the proposed recipe."""
    lines = []
    for analysis in analyses:
        layers = analysis.get("layers", [])[:3]
        costly = ", ".join(f"{x['layer']} {_points(x['alone_quantized_drop'])}" for x in layers)
        proposal = analysis.get("proposal") or {}
        lines.append(
            f"{_title(analysis)}: all layers quantized {_points(analysis.get('all_quantized_drop'))} "
            f"points; most costly alone: {costly}"
        )
        lines.append(
            f"  within {proposal.get('max_drop')} points: {proposal.get('recipe')} "
            f"(drop {_points(proposal.get('drop'))}); bench it: --variants "
            f'"{proposal.get("recipe")}"'
        )
    return lines


def plot_sensitivity(analyses: Sequence[dict[str, Any]], out: Path) -> list[str]:
    """One PNG per analysis: per layer (model order kept by the table's sort) the drop
    with the layer quantized alone and the points keeping it in float recovers."""
    from edgebench.report.plots import pyplot, save_figure

    plt = pyplot()
    names = []
    for index, analysis in enumerate(analyses):
        layers = analysis.get("layers", [])
        if not layers:
            continue
        labels = [str(x["layer"]) for x in layers]
        fig, ax = plt.subplots(figsize=(max(6.0, 0.35 * len(labels) + 2), 4.5))
        positions = range(len(labels))
        ax.bar([p - 0.2 for p in positions], [x["alone_quantized_drop"] for x in layers], 0.4,
               label="drop, layer quantized alone")  # fmt: skip
        ax.bar([p + 0.2 for p in positions], [x["recovered"] for x in layers], 0.4,
               label="recovered, layer kept in float alone")  # fmt: skip
        ax.set_xticks(list(positions))
        ax.set_xticklabels(labels, rotation=60, ha="right", fontsize=8)
        ax.set_ylabel("points")
        ax.set_title(f"Sensitivity: {_title(analysis)}")
        ax.legend()
        fig.tight_layout()
        names.append(save_figure(fig, out, f"sensitivity-{index + 1}.png"))
    return names

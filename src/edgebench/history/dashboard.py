"""The history as a static site (no server): ``index.html`` with a page per model and
dataset, each row's trends over the runs (p50 latency with its noise band and the changes
found, memory over the baseline, energy per image, the task's metric), commits on the x
axis with their subjects, filters by device, runtime, recipe and threads, and each run's
tables. Charts are Plotly's (``plotly.min.js`` written once beside the pages, so the site
opens offline)."""

from __future__ import annotations

import html
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from edgebench.history.changes import change_points, noise_of
from edgebench.history.store import FiledRun, HistoryStore, short

#: the charts of a row: (figure, axis title).
PANELS: tuple[tuple[str, str], ...] = (
    ("latency_p50_ms", "p50 latency [ms]"),
    ("memory_over_baseline_mb", "memory over baseline [MiB]"),
    ("energy_per_image_mj", "energy per image [mJ]"),
    ("accuracy", "metric"),
)
FILTERS: tuple[str, ...] = ("device", "runtime", "recipe", "threads")

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<script src="plotly.min.js"></script>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }}
.row {{ border-top: 1px solid #ccc; padding-top: .5em; }}
.filters label {{ margin-right: 1.2em; }}
table {{ border-collapse: collapse; }} td, th {{ padding: 2px 8px; border-bottom: 1px solid #eee; }}
</style></head><body>
<p><a href="index.html">all models</a></p>
<h1>{title}</h1>
{body}
<script>
function applyFilters() {{
  const chosen = {{}};
  document.querySelectorAll('.filters select').forEach(s => {{ chosen[s.name] = s.value; }});
  document.querySelectorAll('.row').forEach(row => {{
    const shown = Object.entries(chosen).every(([k, v]) => v === '' || row.dataset[k] === v);
    row.style.display = shown ? '' : 'none';
    if (shown) {{ row.querySelectorAll('.plotly-graph-div').forEach(g => Plotly.Plots.resize(g)); }}
  }});
}}
document.querySelectorAll('.filters select').forEach(s => s.addEventListener('change', applyFilters));
</script>
</body></html>
"""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "page"


def run_labels(runs: list[FiledRun]) -> dict[str, str]:
    """A short, unique x-axis label per run: its commit (7 characters; ``+`` when the tree
    was dirty), numbered when several runs share one.

    >>> from edgebench.history.store import FiledRun
    >>> run = lambda i, c: FiledRun(i, "", "", c, None, None, None, None, None, None, "")
    >>> sorted(run_labels([run("a", "1234567890"), run("b", "1234567890+dirty"), run("c", None)]).values())
    ['1234567 #1', '1234567+ #2', 'no commit']
    """

    def base(run: FiledRun) -> str:
        if not run.git_commit:
            return "no commit"
        return run.git_commit[:7] + ("+" if run.git_commit.endswith("+dirty") else "")

    bases = {run.id: base(run) for run in runs}
    counts: dict[str, int] = defaultdict(int)
    for run in runs:
        counts[bases[run.id][:7]] += 1
    seen: dict[str, int] = defaultdict(int)
    labels = {}
    for run in runs:
        stem = bases[run.id][:7]
        if counts[stem] > 1:
            seen[stem] += 1
            labels[run.id] = f"{bases[run.id]} #{seen[stem]}"
        else:
            labels[run.id] = bases[run.id]
    return labels


def _row_figure(
    points: dict[str, list[tuple[FiledRun, float]]], runs: list[FiledRun], labels: dict[str, str]
) -> Any:
    """The four trend charts of one row (Plotly subplots, x: the runs in commit order)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    titles = [title if points.get(name) else f"{title}: not measured" for name, title in PANELS]
    figure = make_subplots(rows=1, cols=len(PANELS), subplot_titles=titles)
    for column, (name, _) in enumerate(PANELS, start=1):
        series = points.get(name) or []
        if not series:
            continue
        x = [labels[run.id] for run, _ in series]
        y = [value for _, value in series]
        hover = [f"{labels[run.id]} {html.escape(short(run.subject, 60))}" for run, _ in series]
        if name == "latency_p50_ms" and len(y) >= 3:
            noise = noise_of(y)
            figure.add_trace(
                go.Scatter(
                    x=x + x[::-1],
                    y=[v + noise for v in y] + [v - noise for v in y][::-1],
                    fill="toself",
                    line={"width": 0},
                    fillcolor="rgba(31,119,180,0.15)",
                    hoverinfo="skip",
                    name="noise band",
                    showlegend=False,
                ),
                row=1,
                col=column,
            )
            for change in change_points(y):
                figure.add_trace(
                    go.Scatter(
                        x=[x[change.index]],
                        y=[y[change.index]],
                        mode="markers",
                        marker={"symbol": "triangle-up", "size": 12, "color": "crimson"},
                        name=f"change {change.relative:+.0%}",
                        hovertext=[f"changed {change.relative:+.1%} at {hover[change.index]}"],
                        hoverinfo="text",
                        showlegend=False,
                    ),
                    row=1,
                    col=column,
                )
        figure.add_trace(
            go.Scatter(
                x=x, y=y, mode="lines+markers", hovertext=hover, name=name, showlegend=False
            ),
            row=1,
            col=column,
        )
    figure.update_xaxes(
        type="category", categoryorder="array", categoryarray=[labels[r.id] for r in runs]
    )
    figure.update_layout(height=260, margin={"l": 40, "r": 10, "t": 30, "b": 40})
    return figure


def _run_pages(store: HistoryStore, runs: list[FiledRun], out: Path) -> dict[str, str]:
    """Each run's tables as an HTML page (``runs/<id>.html``); the links by run id."""
    from edgebench.report import tables as t
    from edgebench.report.render import render
    from edgebench.results import load_run

    folder = out / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    links = {}
    for run in runs:
        _, records = load_run(store.root / run.file)
        page = folder / f"{run.id[:16]}.html"
        page.write_text(
            render([*t.milestone_tables(records), *t.thread_scaling_tables(records)], "html")
        )
        links[run.id] = f"runs/{page.name}"
    return links


def write_dashboard(store: HistoryStore, out: Path) -> list[Path]:
    """Write the site into ``out``; return the pages written (``index.html`` first)."""
    from plotly.offline import get_plotlyjs

    runs = store.runs()
    out.mkdir(parents=True, exist_ok=True)
    (out / "plotly.min.js").write_text(get_plotlyjs())
    links = _run_pages(store, runs, out)
    by_page: dict[tuple[str, str], dict[tuple[Any, ...], dict[str, Any]]] = defaultdict(dict)
    for name, _ in PANELS:
        for key, series in store.series(name).items():
            model, dataset, *rest = key
            by_page[(model, dataset)].setdefault(tuple(rest), {})[name] = series
    written = []
    page_links = []
    for (model, dataset), rows in sorted(by_page.items()):
        page = out / f"{_slug(f'{model}-{dataset}')}.html"
        written.append(page)
        page_links.append((f"{model} on {dataset}", page.name, len(rows)))
        page.write_text(_page(model, dataset, rows, runs, links))
    index = out / "index.html"
    index.write_text(_index(page_links, runs, links))
    return [index, *written]


def _page(
    model: str,
    dataset: str,
    rows: dict[tuple[Any, ...], dict[str, Any]],
    runs: list[FiledRun],
    links: dict[str, str],
) -> str:
    labels = run_labels(runs)
    choices: dict[str, set[str]] = {name: set() for name in FILTERS}
    blocks = []
    for (recipe, runtime, device, threads), points in sorted(
        rows.items(), key=lambda kv: str(kv[0])
    ):
        values = {"recipe": recipe, "runtime": runtime, "device": device, "threads": str(threads)}
        for name in FILTERS:
            choices[name].add(str(values[name]))
        figure = _row_figure(points, runs, labels)
        chart = figure.to_html(full_html=False, include_plotlyjs=False)
        attributes = " ".join(f'data-{k}="{html.escape(str(v))}"' for k, v in values.items())
        title = f"{recipe}, {runtime}, {device}, {threads} thread(s)"
        blocks.append(f'<div class="row" {attributes}><h3>{html.escape(title)}</h3>{chart}</div>')
    selects = "".join(
        f'<label>{name} <select name="{name}"><option value="">all</option>'
        + "".join(
            f'<option value="{html.escape(v)}">{html.escape(v)}</option>' for v in sorted(values)
        )
        + "</select></label>"
        for name, values in choices.items()
    )
    body = f'<div class="filters">{selects}</div>' + "".join(blocks) + _runs_table(runs, links)
    return _PAGE.format(title=html.escape(f"{model} on {dataset}"), body=body)


def _runs_table(runs: list[FiledRun], links: dict[str, str]) -> str:
    labels = run_labels(runs)
    rows = "".join(
        f"<tr><td>{html.escape(labels[r.id])}</td><td>{html.escape(r.committed or r.started or '')}</td>"
        f"<td>{html.escape(r.device or '')}</td><td>{html.escape(r.machine or '')}</td>"
        f'<td>{html.escape(short(r.subject))}</td><td><a href="{links[r.id]}">tables</a></td></tr>'
        for r in runs
    )
    return (
        "<h2>Runs</h2><table><tr><th>commit</th><th>time</th><th>device</th><th>machine</th>"
        f"<th>subject</th><th></th></tr>{rows}</table>"
    )


def _index(pages: list[tuple[str, str, int]], runs: list[FiledRun], links: dict[str, str]) -> str:
    items = "".join(
        f'<li><a href="{html.escape(name)}">{html.escape(title)}</a> ({count} rows)</li>'
        for title, name, count in pages
    )
    body = f"<p>{len(runs)} runs.</p><ul>{items}</ul>" + _runs_table(runs, links)
    return _PAGE.format(title="edgebench history", body=body).replace(
        '<p><a href="index.html">all models</a></p>', ""
    )


def summary(pages: list[Path]) -> str:
    """One line for the terminal."""
    return json.dumps({"index": str(pages[0]), "pages": len(pages) - 1})

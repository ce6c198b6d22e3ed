"""Rendering report tables as Markdown, CSV, HTML or JSON."""

from __future__ import annotations

import csv
import html
import io
import json
from collections.abc import Sequence

from tabulate import tabulate

from edgebench.report.sanitize import csv_cell, plain
from edgebench.report.tables import Table

FORMATS: tuple[str, ...] = ("md", "csv", "html", "json")


def render(
    tables: Sequence[Table], fmt: str, notes: Sequence[str] = (), images: Sequence[str] = ()
) -> str:
    """All tables (plus recommendation lines and image references) in one document; every
    text is stripped of control characters (``report.sanitize``), CSV cells that would run as
    spreadsheet formulas are escaped."""
    tables = [_plain_table(t) for t in tables]
    notes = [plain(n) for n in notes]
    images = [plain(i) for i in images]
    if fmt == "md":
        parts = []
        for table in tables:
            parts += [
                f"## {table.title}",
                "",
                tabulate(table.rows, table.headers, tablefmt="github", disable_numparse=True),
                "",
            ]
        if notes:
            parts += ["## Recommendations", "", *[f"- {n}" for n in notes], ""]
        parts += [f"![{name}]({name})" for name in images]
        return "\n".join(parts).rstrip() + "\n"
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for table in tables:
            writer.writerow([csv_cell(table.title)])
            writer.writerow([csv_cell(h) for h in table.headers])
            writer.writerows([[csv_cell(c) for c in row] for row in table.rows])
            writer.writerow([])
        return buffer.getvalue()
    if fmt == "html":
        body = []
        for table in tables:
            head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
            rows = "".join(
                "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                for row in table.rows
            )
            body.append(f"<h2>{html.escape(table.title)}</h2><table><tr>{head}</tr>{rows}</table>")
        if notes:
            body.append(
                "<h2>Recommendations</h2><ul>"
                + "".join(f"<li>{html.escape(n)}</li>" for n in notes)
                + "</ul>"
            )
        body += [f'<img src="{html.escape(name)}" alt="{html.escape(name)}">' for name in images]
        return (
            "<!doctype html><html><head><meta charset='utf-8'><title>edgebench report</title></head><body>"
            + "".join(body)
            + "</body></html>\n"
        )
    if fmt == "json":
        return (
            json.dumps(
                {
                    "tables": [t.as_dict() for t in tables],
                    "recommendations": list(notes),
                    "images": list(images),
                },
                indent=2,
            )
            + "\n"
        )
    raise ValueError(f"unknown format {fmt!r}; known: {', '.join(FORMATS)}")


def _plain_table(table: Table) -> Table:
    from dataclasses import replace

    return replace(
        table,
        title=plain(table.title),
        headers=[plain(h) for h in table.headers],
        rows=[[plain(c) for c in row] for row in table.rows],
    )

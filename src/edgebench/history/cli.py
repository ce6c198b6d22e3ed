"""``edgebench history``: file runs into a history store, list them, and name the commits
where a row moved beyond its noise."""

from __future__ import annotations

import argparse
from pathlib import Path

from edgebench.history.changes import change_points
from edgebench.history.store import FIGURES, HistoryStore, add_runs, short

DEFAULT_STORE = Path(".edgebench/history")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """The ``history`` command and its subcommands."""
    history = sub.add_parser(
        "history",
        help="a history of runs by commit: add run files, list them, find where rows moved",
        description=(
            "Keep every run by commit, time, device and machine in a store (a folder of run "
            "files and an SQLite index; --store, default .edgebench/history), and find the "
            "commits where a row's figure moved beyond its run-to-run noise."
        ),
    )
    history.add_argument("--store", default=str(DEFAULT_STORE), help="the history folder")
    commands = history.add_subparsers(dest="history_command", metavar="SUBCOMMAND")
    add = commands.add_parser("add", help="file run files (any schema version) into the store")
    add.add_argument("runs", nargs="+", metavar="RUN", help="run files")
    add.add_argument(
        "--repo",
        default=".",
        help="the git checkout that knows the runs' commits (their subjects and times)",
    )
    add.set_defaults(func=cmd_history_add)
    listing = commands.add_parser("list", help="the runs in the store, oldest first")
    listing.set_defaults(func=cmd_history_list)
    changes = commands.add_parser(
        "changes", help="per row, the commits where a figure moved beyond its noise"
    )
    changes.add_argument(
        "--figure", default="latency_p50_ms", choices=FIGURES, help="the figure to follow"
    )
    changes.set_defaults(func=cmd_history_changes)
    site = commands.add_parser(
        "report", help="a static site of the trends (a page per model and dataset, Plotly)"
    )
    site.add_argument("--out", default="reports/history", help="the site's folder")
    site.set_defaults(func=cmd_history_report)
    logged = commands.add_parser(
        "mlflow", help="log run files' records as MLflow runs (edgebench[mlflow])"
    )
    logged.add_argument("runs", nargs="+", metavar="RUN", help="run files")
    logged.add_argument(
        "--uri", default="./mlruns", help="tracking URI, or a folder for MLflow's file store"
    )
    logged.set_defaults(func=cmd_history_mlflow)
    history.set_defaults(func=lambda args: (history.print_help(), 0)[1])


def cmd_history_add(args: argparse.Namespace) -> int:
    """File run files into the store."""
    store = HistoryStore(Path(args.store))
    for line in add_runs(store, [Path(r) for r in args.runs], Path(args.repo)):
        print(f"edgebench history: {line}")
    return 0


def cmd_history_list(args: argparse.Namespace) -> int:
    """One line per run, oldest first."""
    for run in HistoryStore(Path(args.store)).runs():
        when = run.committed or run.started or "?"
        print(
            f"{when}  {(run.git_commit or 'no commit')[:12]:12}  {run.device or '?':12}  "
            f"{run.machine or '?':8}  {short(run.subject)}"
        )
    return 0


def cmd_history_changes(args: argparse.Namespace) -> int:
    """Per row key, the commits where the figure stepped."""
    store = HistoryStore(Path(args.store))
    found = 0
    for key, points in sorted(store.series(args.figure).items(), key=lambda kv: str(kv[0])):
        values = [value for _, value in points]
        for change in change_points(values):
            run = points[change.index][0]
            found += 1
            print(
                f"{'/'.join(str(k) for k in key)}: {args.figure} {change.before:.4g} -> "
                f"{change.after:.4g} ({change.relative:+.1%}, {change.score:.1f} noise widths) at "
                f"{(run.git_commit or 'no commit')[:12]} {short(run.subject)}"
            )
    if not found:
        print(f"edgebench history: no {args.figure} moved beyond its noise")
    return 0


def cmd_history_mlflow(args: argparse.Namespace) -> int:
    """Log run files' records as MLflow runs."""
    from edgebench.history.mlflow_runs import log_run, tracking_uri

    for run in args.runs:
        logged = log_run(Path(run), args.uri)
        print(f"edgebench history: {run}: {len(logged)} records logged to {tracking_uri(args.uri)}")
    return 0


def cmd_history_report(args: argparse.Namespace) -> int:
    """Write the static site of the store's trends."""
    from edgebench.errors import UsageError

    try:
        from edgebench.history.dashboard import write_dashboard
    except ImportError as exc:  # pragma: no cover - plotly missing
        raise UsageError(
            f'the history site needs Plotly: pip install "edgebench[report]" ({exc})'
        ) from exc
    store = HistoryStore(Path(args.store))
    if not store.runs():
        raise UsageError(f"the history {args.store} has no run yet (edgebench history add RUN...)")
    pages = write_dashboard(store, Path(args.out))
    print(f"edgebench history: wrote {pages[0]} and {len(pages) - 1} model pages")
    return 0

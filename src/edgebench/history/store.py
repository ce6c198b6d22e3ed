"""The history store: a folder of run files (``runs/<sha256>.json``, as given) and a SQLite
index (``index.sqlite``) of each run's commit, subject, time, device and machine and of
each row's figures, so trends are read without parsing every file again.

A run file is read with ``results.load_run`` (every schema version, checked, upgraded)
before it is filed; the same file added twice is one run. Writes go through one SQLite
transaction per run, so an interrupted ``add`` leaves the index as it was.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgebench.errors import UsageError
from edgebench.provenance import git_commit_facts
from edgebench.results import load_run

INDEX = "index.sqlite"
#: the row figures the index keeps (record field names).
FIGURES: tuple[str, ...] = (
    "latency_p50_ms",
    "latency_p90_ms",
    "latency_min_ms",
    "latency_std_ms",
    "memory_over_baseline_mb",
    "energy_per_image_mj",
    "accuracy",
    "accuracy_drop",
)
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS runs (
    id TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    source TEXT NOT NULL,
    git_commit TEXT,
    subject TEXT,
    committed TEXT,
    started TEXT,
    device TEXT,
    machine TEXT,
    cpu TEXT,
    added TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS rows (
    run TEXT NOT NULL REFERENCES runs(id),
    model TEXT, dataset TEXT, recipe TEXT, runtime TEXT, device TEXT, threads INTEGER,
    metric TEXT,
    {", ".join(f"{name} REAL" for name in FIGURES)}
);
CREATE INDEX IF NOT EXISTS rows_by_key ON rows (model, dataset, recipe, runtime, device, threads);
"""


@dataclass(frozen=True)
class FiledRun:
    """One run in the store, as the index knows it."""

    id: str
    file: str
    source: str
    git_commit: str | None
    subject: str | None
    committed: str | None
    started: str | None
    device: str | None
    machine: str | None
    cpu: str | None
    added: str


class HistoryStore:
    """A history folder: ``add`` run files, read runs and row series back."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @contextmanager
    def _index(self) -> Iterator[sqlite3.Connection]:
        self.root.mkdir(parents=True, exist_ok=True)
        with closing(sqlite3.connect(self.root / INDEX)) as connection:
            connection.executescript(_SCHEMA)
            yield connection

    def add(self, path: Path, repository: Path | None = None) -> tuple[FiledRun, bool]:
        """File the run at ``path`` (checked first); return it and whether it was new. The
        commit's subject and time come from the run file, else from git in ``repository``."""
        from edgebench.provenance import utc_timestamp

        data = Path(path).read_bytes()
        header, records = load_run(Path(path))
        run_id = hashlib.sha256(data).hexdigest()
        provenance = header.get("provenance") or {}
        settings = header.get("settings") or {}
        commit = provenance.get("git_commit")
        subject, committed = provenance.get("git_subject"), provenance.get("git_committed")
        if (subject is None or committed is None) and commit and repository is not None:
            subject, committed = git_commit_facts(repository, commit)
        devices = sorted({r.device for r in records if r.device}) or [settings.get("device")]
        filed = FiledRun(
            run_id,
            f"runs/{run_id}.json",
            str(path),
            commit,
            subject,
            committed,
            provenance.get("started"),
            ",".join(str(d) for d in devices if d) or None,
            provenance.get("machine"),
            provenance.get("cpu"),
            utc_timestamp(),
        )
        with self._index() as index:
            if index.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone():
                return self.run(run_id), False
            target = self.root / filed.file
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".part")
            partial.write_bytes(data)
            partial.replace(target)
            with index:  # one transaction: the run and its rows, or nothing
                index.execute(
                    "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    tuple(filed.__dict__.values()),
                )
                index.executemany(
                    f"INSERT INTO rows VALUES ({', '.join('?' * (8 + len(FIGURES)))})",
                    [
                        (
                            run_id,
                            r.model,
                            r.dataset,
                            r.recipe,
                            r.runtime,
                            r.device,
                            r.threads,
                            r.metric,
                            *(getattr(r, name) for name in FIGURES),
                        )
                        for r in records
                    ],
                )
        return filed, True

    def run(self, run_id: str) -> FiledRun:
        """The run ``run_id`` (``UsageError`` when the store has none)."""
        with self._index() as index:
            row = index.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise UsageError(f"the history {self.root} has no run {run_id}")
        return FiledRun(*row)

    def runs(self) -> list[FiledRun]:
        """Every run, oldest first (by commit time, then start time)."""
        with self._index() as index:
            rows = index.execute(
                "SELECT * FROM runs ORDER BY COALESCE(committed, started), started"
            ).fetchall()
        return [FiledRun(*row) for row in rows]

    def series(self, figure: str) -> dict[tuple[Any, ...], list[tuple[FiledRun, float]]]:
        """Per row key (model, dataset, recipe, runtime, device, threads), ``figure`` in
        each run that measured it, oldest run first."""
        if figure not in FIGURES:
            raise UsageError(f"unknown figure {figure!r}; the history keeps {', '.join(FIGURES)}")
        order = {run.id: (i, run) for i, run in enumerate(self.runs())}
        with self._index() as index:
            rows = index.execute(
                f"SELECT run, model, dataset, recipe, runtime, device, threads, {figure} "
                f"FROM rows WHERE {figure} IS NOT NULL"
            ).fetchall()
        found: dict[tuple[Any, ...], list[tuple[int, FiledRun, float]]] = {}
        for run_id, *key, value in rows:
            if run_id in order:
                position, run = order[run_id]
                found.setdefault(tuple(key), []).append((position, run, float(value)))
        return {
            key: [(run, value) for _, run, value in sorted(points, key=lambda p: p[0])]
            for key, points in found.items()
        }


def short(text: str | None, width: int = 72) -> str:
    """``text`` cut to ``width`` characters (a commit subject on one line).

    >>> short("x" * 80, 10)
    'xxxxxxxxx…'
    """
    text = (text or "").splitlines()[0] if text else ""
    return text if len(text) <= width else text[: width - 1] + "…"


def add_runs(store: HistoryStore, paths: Sequence[Path], repository: Path | None) -> list[str]:
    """File every run of ``paths``; one line per file for the terminal."""
    lines = []
    for path in paths:
        filed, new = store.add(Path(path), repository)
        commit = (filed.git_commit or "no commit")[:12]
        subject = json.dumps(short(filed.subject)) if filed.subject else "(no subject)"
        state = "added" if new else "already there"
        lines.append(f"{state}: {path} ({commit} {subject}, {filed.device}, {filed.machine})")
    return lines

"""The controller's side of a bench run: fragments merged into the run file, and the
terminal summary (milestone table, findings, gates, what was not collected).

pytest-free: :class:`RunReporter` is registered as a plugin object, so pytest calls its
``pytest_runtest_logreport`` and ``pytest_terminal_summary`` hooks by name.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edgebench.gates import gate_summary
from edgebench.provenance import cpu_flags
from edgebench.report.columns import milestone_table
from edgebench.report.findings import SLOWER_RATIO, bit_limits, slowdowns
from edgebench.report.sensitivity import sensitivity_lines
from edgebench.results import RunStore

if TYPE_CHECKING:
    from edgebench.session import EdgebenchSession


def _say(terminalreporter: Any, text: str, **markup: Any) -> None:
    """One line (or block) to the terminal, without control characters from file names,
    descriptions or run files (``report.sanitize``)."""
    from edgebench.report.sanitize import plain

    terminalreporter.write_line(plain(text, keep_newlines=True), **markup)


#: the key under which fragments travel in a test report's ``user_properties``.
FRAGMENT_KEY = "edgebench"
#: the key under which a sensitivity analysis travels (``bench/test_sensitivity.py``).
SENSITIVITY_KEY = "edgebench-sensitivity"


class RunReporter:
    """Controller-side plugin object: merges fragments into the run file, prints the summary.

    Registered in ``pytest_configure`` of the controlling process only; under
    pytest-xdist, worker reports (with their fragments) arrive here too.
    """

    def __init__(
        self,
        store: RunStore,
        columns: Callable[[], list[Any]],
        session: Callable[[], EdgebenchSession | None],
        allow_empty: bool = False,
        history: Path | None = None,
        repository: Path | None = None,
        mlflow: str | None = None,
    ) -> None:
        self.store = store
        self._columns = columns
        self._session = session
        self.allow_empty = allow_empty
        #: ``--history``: where the run file is filed when the session ends.
        self.history = history
        self.repository = repository
        #: ``--mlflow``: where every record is logged as an MLflow run.
        self.mlflow = mlflow
        self.empty_reason: str | None = None

    def pytest_runtest_logreport(self, report: Any) -> None:
        """Merge the fragments of a finished test into the run file."""
        if report.when != "teardown":
            return
        for key, fragment in report.user_properties:
            if key == FRAGMENT_KEY:
                self.store.add(fragment)
            elif key == SENSITIVITY_KEY:
                self.store.header.setdefault("sensitivity", []).append(fragment)
                self.store.flush()

    def pytest_sessionfinish(self, session: Any, exitstatus: int) -> None:
        """A bench session in which nothing was measured (every test skipped or
        deselected) does not exit 0 unless ``--allow-empty-run``: a CI gate given a wrong
        path must not pass green."""
        if self._session() is None or self.allow_empty or exitstatus != 0:
            return
        if any(_measured(r) for r in self.store.records()) or self.store.header.get("sensitivity"):
            return
        self.empty_reason = (
            "nothing was measured: every edgebench test was skipped or deselected (see the "
            "skip reasons, -rs); --allow-empty-run accepts that"
        )
        session.exitstatus = 1

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Print the milestone table, findings, what was not collected, and the run file.
        Whatever fails in the summary, the run file is written with every record measured
        (and the failure is one red line, not an INTERNALERROR that hides the results)."""
        try:
            self._summary(terminalreporter)
        except Exception as exc:  # noqa: BLE001 - the records matter more than the summary
            _say(
                terminalreporter,
                f"edgebench: the summary could not be rendered ({type(exc).__name__}: {exc}); "
                f"every record is in {self.store.path}",
                red=True,
            )
        finally:
            if self.store.records():  # a session that measured nothing writes no run file
                self.store.flush()
                self._file_in_history(terminalreporter)
                self._log_to_mlflow(terminalreporter)

    def _log_to_mlflow(self, terminalreporter: Any) -> None:
        """Log the records as MLflow runs (a failure is one red line; the run file stays)."""
        if self.mlflow is None or self.store.path is None:
            return
        from edgebench.history.mlflow_runs import log_run

        try:
            logged = log_run(self.store.path, self.mlflow)
        except Exception as exc:  # noqa: BLE001 - the run file is written; say why it is not logged
            _say(
                terminalreporter,
                f"edgebench: the records were not logged to MLflow at {self.mlflow} "
                f"({type(exc).__name__}: {exc}); edgebench history mlflow {self.store.path}",
                red=True,
            )
            return
        _say(
            terminalreporter, f"edgebench: {len(logged)} records logged to MLflow at {self.mlflow}"
        )

    def _file_in_history(self, terminalreporter: Any) -> None:
        """File the run in ``--history`` (a failure is one red line; the run file stays)."""
        if self.history is None or self.store.path is None:
            return
        from edgebench.history.store import HistoryStore

        try:
            filed, _ = HistoryStore(self.history).add(self.store.path, self.repository)
        except Exception as exc:  # noqa: BLE001 - the run file is written; say why it is not filed
            _say(
                terminalreporter,
                f"edgebench: the run was not filed in the history {self.history} "
                f"({type(exc).__name__}: {exc}); edgebench history add {self.store.path}",
                red=True,
            )
            return
        _say(
            terminalreporter,
            f"edgebench: filed in the history {self.history} "
            f"({(filed.git_commit or 'no commit')[:12]})",
        )

    def _summary(self, terminalreporter: Any) -> None:
        if self.empty_reason:
            terminalreporter.section("edgebench")
            _say(terminalreporter, f"edgebench: {self.empty_reason}", red=True)
        records = self.store.records()
        analyses = self.store.header.get("sensitivity") or []
        if analyses:
            terminalreporter.section("edgebench sensitivity")
            for line in sensitivity_lines(analyses):
                _say(terminalreporter, line)
        if not records:
            return
        terminalreporter.section("edgebench")
        _say(terminalreporter, milestone_table(records, self._columns()))
        session = self._session()
        if session is not None:
            self._devices(terminalreporter, session, records)
            self._findings(terminalreporter, session, records)
            if session.matrix.excluded:
                _say(terminalreporter, "")
                _say(terminalreporter, "not collected (the runtime cannot run the variant):")
                for variant_id, reason in session.matrix.excluded:
                    _say(terminalreporter, f"  {variant_id}: {reason}")
        gate_lines = gate_summary(records)
        if gate_lines:
            _say(terminalreporter, "")
            for line in gate_lines:
                _say(terminalreporter, line)
        failed = sum(1 for r in records if r.errors)
        _say(terminalreporter, "")
        _say(
            terminalreporter,
            f"edgebench: {len(records)} records ({failed} with errors) written to {self.store.path}",
        )

    def _devices(
        self, terminalreporter: Any, session: EdgebenchSession, records: list[Any]
    ) -> None:
        """Where each device was measured, what went to the boards, and throttled rows."""
        lines = []
        transfers = session.transfers()
        for profile in session.settings.device_profiles():
            if profile.remote:
                sent = transfers.get(profile.name)
                if sent is not None and not sent.get("reached", True):
                    why = sent.get("failure") or "it never answered"
                    lines.append(
                        f"device {profile.name}: not reached, nothing measured there ({why})"
                    )
                elif sent is not None:
                    what = (
                        f"{sent['files']} file(s), {sent['bytes'] / 1024:.1f} KiB sent to its cache"
                        if sent["files"]
                        else "nothing sent (everything was in its cache)"
                    )
                    lines.append(f"device {profile.name}: measured on {sent['host']}; {what}")
            elif profile.name != "host":
                facts = next(
                    (
                        r.device_facts
                        for r in records
                        if r.device == profile.name and r.device_facts
                    ),
                    {},
                )
                board = facts.get("board")
                lines.append(
                    f"device {profile.name}: its profile has no hosts, so it was measured on this "
                    f"machine ({board or facts.get('cpu') or 'CPU unknown'}), not on a "
                    f"{profile.description or profile.name}"
                )
        self.store.header["device_transfers"] = transfers
        from edgebench.report.tables import pool_notes, throttled_notes

        lines.extend(throttled_notes(records))
        lines.extend(pool_notes(records))
        if lines:
            _say(terminalreporter, "")
            for line in lines:
                _say(terminalreporter, line)

    def _findings(
        self, terminalreporter: Any, session: EdgebenchSession, records: list[Any]
    ) -> None:
        """Slower-than-fp32 variants with their likely causes, and bit limits; also into the run file."""
        slow = slowdowns(records, cpu_flags())
        settings = session.settings
        limit_threshold = settings.thresholds.get("bit-limit", settings.max_accuracy_drop)
        limits = bit_limits(records, limit_threshold)
        self.store.header["findings"] = {
            "slower_than_fp32": [
                {
                    "model": s.record.model,
                    "recipe": s.record.recipe,
                    "runtime": s.record.runtime,
                    "threads": s.record.threads,
                    "ratio": s.ratio,
                    "causes": list(s.causes),
                }
                for s in slow
            ],
            "bit_limits": limits,
        }
        self.store.flush()
        if slow:
            _say(terminalreporter, "")
            _say(terminalreporter, f"slower than fp32 (p50 at least {SLOWER_RATIO:.2f}x):")
            for item in slow:
                _say(terminalreporter, f"  {item.line()}")
        if limits:
            _say(terminalreporter, "")
            _say(terminalreporter, f"bit limits (lowest width within {limit_threshold} points):")
            for item in limits:
                drops = ", ".join(
                    f"{b}:{'n/a' if d is None else f'{d:.2f}'}" for b, d in item["drops"].items()
                )
                limit = (
                    f"{item['bit_limit']} bits" if item["bit_limit"] else "no width stays within"
                )
                _say(
                    terminalreporter,
                    f"  {item['model']} {item['dataset']} {item['recipe']} on {item['runtime']}: "
                    f"{limit} (drop in points by bits: {drops})",
                )


def _measured(record: Any) -> bool:
    """Whether a record holds any figure a test measured."""
    return any(
        getattr(record, name) is not None
        for name in ("latency_p50_ms", "accuracy", "peak_memory_mb", "power_avg_w")
    ) or bool(record.extra)

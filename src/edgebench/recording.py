"""The record writer: what a bench test measured becomes fragments of the run's records.

pytest-free: the plugin builds a :class:`RecordWriter` per test with three callables:
``attach`` (hand a fragment to the test's report), ``fail`` and ``skip`` (end the test).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

from edgebench.errors import DatasetUnavailable, EdgebenchError, NotApplicable, RuntimeUnavailable
from edgebench.results import make_fragment

if TYPE_CHECKING:
    from edgebench.cases import Variant


@dataclass
class Row:
    """What a test measured: per-row values, variant-wide facts, and reasons for nulls."""

    values: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    null_reasons: dict[str, str] = field(default_factory=dict)


class RecordWriter:
    """Attaches measurement fragments to the running test's report."""

    def __init__(
        self,
        test: str,
        attach: Callable[[dict[str, Any]], None],
        fail: Callable[[str], NoReturn],
        skip: Callable[[str], NoReturn],
    ) -> None:
        self.test = test
        self._attach = attach
        self._fail = fail
        self._skip = skip

    def emit(
        self,
        variant: Variant,
        threads: int | None,
        values: dict[str, Any],
        reasons: dict[str, str],
        error: str | None = None,
    ) -> None:
        """Attach one fragment (``threads=None``: applies to all rows of the variant)."""
        self._attach(
            make_fragment(variant.key(), threads, values, reasons, test=self.test, error=error)
        )

    @contextmanager
    def measuring(self, variant: Variant, threads: int | None = None) -> Iterator[Row]:
        """Collect a :class:`Row`; on exit, emit it, with the error if the body failed.

        edgebench errors fail the test with their message (no traceback); a dataset
        or runtime that is not available skips it with the reason.
        """
        row = Row()
        failure: str | None = None
        try:
            yield row
        except (DatasetUnavailable, RuntimeUnavailable, NotApplicable) as exc:
            skip_reason = f"edgebench: {exc}"
        except EdgebenchError as exc:
            failure = f"{variant.id}: {exc}"
            self._emit_row(variant, threads, row, str(exc))
        except Exception as exc:
            self._emit_row(variant, threads, row, f"{type(exc).__name__}: {exc}")
            raise
        else:
            self._emit_row(variant, threads, row, None)
            return
        if failure is not None:
            self._fail(failure)
        self._skip(skip_reason)

    def _emit_row(self, variant: Variant, threads: int | None, row: Row, error: str | None) -> None:
        if row.facts or (error and threads is None):
            self.emit(variant, None, row.facts, {}, error if threads is None else None)
        if threads is not None:
            self.emit(variant, threads, row.values, row.null_reasons, error)
        elif row.values or row.null_reasons:
            self.emit(variant, None, row.values, row.null_reasons)

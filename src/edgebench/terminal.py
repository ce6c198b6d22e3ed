"""Progress through pytest's terminal, past output capture (so no ``-s`` is needed).

The same route pytest's live logging takes: the capture manager steps aside while the
terminal reporter writes.
"""

from __future__ import annotations

import contextlib
from typing import Any

import pytest

from edgebench.progress import NULL_PROGRESS, Progress, TerminalProgress


class TerminalStream:
    """A write-only text stream onto pytest's terminal reporter.

    On a terminal, tqdm's carriage returns redraw the bar in place; in a log they
    become line breaks, so each refresh is its own line.
    """

    def __init__(self, reporter: Any, capture_manager: Any) -> None:
        self._reporter = reporter
        self._capture = capture_manager
        self.is_tty = bool(getattr(reporter, "isatty", False))

    def write(self, text: str) -> int:
        shown = text if self.is_tty else text.replace("\r", "\n").replace("\n\n", "\n")
        guard = (
            self._capture.global_and_fixture_disabled()
            if self._capture is not None
            else contextlib.nullcontext()
        )
        with guard:
            self._reporter.write(shown, flush=True)
        # pytest writes the test file's name again before the next result letter
        self._reporter.currentfspath = None
        return len(text)

    def flush(self) -> None:
        """Written at once; nothing is buffered."""

    def isatty(self) -> bool:
        """Whether the terminal is a terminal (tqdm asks)."""
        return self.is_tty


def progress_for(config: pytest.Config) -> Progress:
    """Bars and summary lines on the terminal of this pytest process; nothing in a
    pytest-xdist worker (its output is not shown) or without a terminal reporter."""
    if hasattr(config, "workerinput"):
        return NULL_PROGRESS
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None:
        return NULL_PROGRESS
    stream = TerminalStream(reporter, config.pluginmanager.get_plugin("capturemanager"))
    return TerminalProgress(stream, is_tty=stream.is_tty)  # type: ignore[arg-type]

"""Progress of long work (training, fine-tuning): bars and one-line summaries.

pytest-free: the plugin hands the builder a :class:`TerminalProgress` over a stream
that writes through pytest's terminal (past output capture, so the bar shows without
``-s``); everywhere else (pytest-xdist workers, scripts, tests) :data:`NULL_PROGRESS`
shows nothing. Bars are tqdm's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any, Protocol, TextIO


class Bar(Protocol):
    """The part of a tqdm bar the trainers use."""

    def update(self, n: int = 1) -> Any: ...

    def set_postfix(self, ordered_dict: Any = None, refresh: bool = True, **kwargs: Any) -> Any: ...

    def close(self) -> Any: ...


class Progress(Protocol):
    """Where progress goes."""

    def bar(self, title: str, total: int, unit: str = "step") -> Bar:
        """A bar of ``total`` units titled ``title``."""
        ...

    def line(self, text: str) -> None:
        """One finished line (a summary of what was just done)."""
        ...


class _NullBar:
    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, ordered_dict: Any = None, refresh: bool = True, **kwargs: Any) -> None:
        pass

    def close(self) -> None:
        pass


class NullProgress:
    """Shows nothing."""

    def bar(self, title: str, total: int, unit: str = "step") -> Bar:
        return _NullBar()

    def line(self, text: str) -> None:
        pass


NULL_PROGRESS = NullProgress()


class TerminalProgress:
    """tqdm bars and lines written to ``stream`` (pytest's terminal in a session).

    On a terminal the bar redraws in place a few times a second; in a log (not a tty)
    it prints at most one line every ``log_interval_s`` seconds, and always the last.
    """

    def __init__(self, stream: TextIO, *, is_tty: bool, log_interval_s: float = 30.0) -> None:
        self.stream = stream
        self.is_tty = is_tty
        self.log_interval_s = log_interval_s

    def bar(self, title: str, total: int, unit: str = "step") -> Bar:
        from tqdm import tqdm

        self.stream.write("\n")
        if self.is_tty:
            return tqdm(
                total=total,
                desc=f"[edgebench] {title}",
                unit=unit,
                file=self.stream,
                dynamic_ncols=True,
                mininterval=0.2,
                leave=True,
            )
        # a log: no bar graphic (every figure fits on the line), few lines
        return tqdm(
            total=total,
            desc=f"[edgebench] {title}",
            unit=unit,
            file=self.stream,
            bar_format="{desc}: {percentage:3.0f}% {n_fmt}/{total_fmt} "
            "[{elapsed}<{remaining}, {rate_fmt}]{postfix}",
            mininterval=self.log_interval_s,
            maxinterval=self.log_interval_s * 2,
            leave=True,
        )

    def line(self, text: str) -> None:
        self.stream.write(f"[edgebench] {text}\n")
        self.stream.flush()


def at_most_every(seconds: float, show: Callable[[str], None]) -> Callable[[str], None]:
    """``show`` for at most one line every ``seconds`` of each kind of line (its text
    before the first digit: ``rounds 300/1000`` and ``rounds 900/1000`` are one kind), the
    first of a kind always: a board job reports about once a second, the terminal needs
    far fewer, and a one-off line (a place acquired) is never swallowed.

    >>> lines = []
    >>> say = at_most_every(60, lines.append)
    >>> say("rounds 1/9"); say("rounds 2/9"); say("place acquired")
    >>> lines
    ['rounds 1/9', 'place acquired']
    """
    last: dict[str, float] = {}

    def throttled(text: str) -> None:
        kind = re.split(r"\d", text, maxsplit=1)[0]
        now = time.monotonic()
        if now - last.get(kind, float("-inf")) >= seconds:
            last[kind] = now
            show(text)

    return throttled

"""An option's declaration: its flag, its pytest.ini twin, default, help, and what values
it takes (text, an integer or a number within bounds, a flag, one of some choices).

Declared by the core (``options.OPTIONS``) or by what the option configures: a runtime
(``RuntimeSpec.options``), a target (``TargetSpec.options``), a task (``TaskSpec.options``)
or a measurement (``Measurement.options``). The option table, ``--help`` and the options
reference are generated from the declarations, and the owner receives the value checked.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from edgebench.errors import UsageError


def parse_number(name: str, raw: Any, kind: type, minimum: float, maximum: float) -> Any:
    """``raw`` as ``kind`` (int or float), finite and within ``[minimum, maximum]``;
    ``UsageError`` naming the option otherwise.

    >>> parse_number("--rounds", "200", int, 1, 10_000_000)
    200
    """
    try:
        value = kind(raw.strip()) if isinstance(raw, str) else kind(raw)
    except (TypeError, ValueError, OverflowError) as exc:
        what = "an integer" if kind is int else "a number"
        raise UsageError(f"{name} must be {what}, got {raw!r}") from exc
    if not math.isfinite(value):
        raise UsageError(f"{name} must be a finite number, got {raw!r}")
    if not minimum <= value <= maximum:
        low, high = (
            f"{int(v):,}" if float(v).is_integer() else f"{v:g}" for v in (minimum, maximum)
        )
        raise UsageError(f"{name} must be between {low} and {high}, got {raw!r}")
    return value


def parse_flag(name: str, raw: str) -> bool:
    """``true``/``false`` (``1``/``0``, ``yes``/``no``, ``on``/``off``; empty: false)."""
    text = raw.strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise UsageError(f"{name} must be true or false, got {raw!r}")


_KINDS: dict[str, type] = {"int": int, "float": float}


@dataclass(frozen=True)
class Option:
    """A command-line option with its pytest.ini twin.

    ``kind`` is ``text`` (any one line), ``int`` or ``float`` (finite, within ``minimum``
    and ``maximum``; with ``optional`` an empty value is ``None``), ``flag`` (true/false)
    or ``choice`` (one of ``choices``)."""

    flag: str
    ini: str
    default: str
    help: str
    kind: str = "text"
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    optional: bool = False

    @property
    def key(self) -> str:
        """The name it travels under in settings and jobs (``onnx_provider``)."""
        return self.ini.removeprefix("edgebench_")

    @property
    def bounds(self) -> tuple[type, float, float] | None:
        """``(type, smallest, largest)`` of a numeric option, else ``None``."""
        if self.kind not in _KINDS:
            return None
        low = -math.inf if self.minimum is None else self.minimum
        high = math.inf if self.maximum is None else self.maximum
        return _KINDS[self.kind], low, high

    def parse(self, raw: str) -> Any:
        """The value of ``raw`` (the default when empty), checked; ``UsageError`` naming
        the flag otherwise."""
        text = raw.strip() if isinstance(raw, str) else str(raw)
        if not text and self.optional:
            return None
        text = text or self.default
        bounds = self.bounds
        if bounds is not None:
            return parse_number(self.flag, text, *bounds)
        if self.kind == "flag":
            return parse_flag(self.flag, text)
        if self.kind == "choice" and text not in self.choices:
            raise UsageError(f"{self.flag} must be one of {', '.join(self.choices)}, got {text!r}")
        if any(ord(c) < 32 or ord(c) == 127 for c in text):
            raise UsageError(f"{self.flag}: control characters are not allowed, got {text!r}")
        return text

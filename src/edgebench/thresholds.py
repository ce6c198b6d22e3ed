"""Accuracy-drop thresholds per recipe family, in percentage points.

Built-in defaults, by the smallest weight bit width a recipe leaves:

- 8 bits or more, and float recipes (fp32, fp16): ``--max-accuracy-drop`` (default 1.0);
- 4 to 7 bits: 5.0;
- below 4 bits: not enforced.

Configured thresholds override these. Keys, most specific first: the recipe id
(``dfq4-asym-pc``), a step family (``int8``, ``dyn8``, ``fp16``, ``int16x8``, ``int8io``,
``ort-dyn``, ``ort-qdq``, ``ort-qop``, ``dfq``), a bit class (``4bit``), then ``default``.
A value ``none`` means "not enforced". Sources, later ones winning:
``[tool.edgebench.thresholds]`` in pyproject.toml, ``edgebench_thresholds`` lines in
pytest.ini, ``--threshold KEY=POINTS,...`` on the command line.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgebench.errors import UsageError
from edgebench.recipes import Recipe

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

LOW_BIT_DEFAULT = 5.0


@dataclass(frozen=True)
class Threshold:
    """The allowed drop for a recipe (``None``: not enforced) and where it came from."""

    points: float | None
    source: str


def parse_value(key: str, raw: Any) -> float | None:
    """A threshold value: a number of points, or ``none``."""
    if raw is None or (isinstance(raw, str) and raw.strip().lower() in ("none", "off", "")):
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError) as exc:
        raise UsageError(
            f"threshold {key}={raw!r} is neither a number of points nor 'none'"
        ) from exc
    if not 0 <= value <= 100:  # also refuses nan and inf
        raise UsageError(f"threshold {key}={raw!r} must be a number of points from 0 to 100")
    return value


def parse_assignments(items: Iterable[str], origin: str) -> dict[str, float | None]:
    """``KEY=POINTS`` items (from pytest.ini lines or ``--threshold``)."""
    parsed: dict[str, float | None] = {}
    for item in items:
        item = item.strip()
        if not item:
            continue
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{origin}: {item!r} is not KEY=POINTS")
        parsed[key.strip()] = parse_value(key.strip(), raw.strip())
    return parsed


def pyproject_thresholds(pyproject: Path) -> dict[str, float | None]:
    """``[tool.edgebench.thresholds]`` of a pyproject.toml."""
    if not pyproject.is_file():
        return {}
    try:
        table = (
            tomllib.loads(pyproject.read_text())
            .get("tool", {})
            .get("edgebench", {})
            .get("thresholds", {})
        )
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read {pyproject}: {exc}") from exc
    return {str(k): parse_value(str(k), v) for k, v in table.items()}


def threshold_for(
    recipe: Recipe, configured: Mapping[str, float | None], default: float
) -> Threshold:
    """The threshold that applies to ``recipe``."""
    keys = [recipe.id]
    keys += [family for step in reversed(recipe.steps) for family in reversed(step.families())]
    bits = recipe.bits
    if bits is not None:
        keys.append(f"{bits}bit")
    for key in keys:
        if key in configured:
            return Threshold(configured[key], f"configured {key}")
    if bits is not None and bits < 4:
        return Threshold(configured.get("default"), "below 4 bits: not enforced unless configured")
    if bits is not None and bits < 8:
        return Threshold(configured.get("default", LOW_BIT_DEFAULT), "4-7 bit default")
    if "default" in configured:
        return Threshold(configured["default"], "configured default")
    return Threshold(default, "--max-accuracy-drop")

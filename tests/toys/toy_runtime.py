"""A runtime under another name: LiteRT's interpreter, registered as ``toylite``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from edgebench.runtimes.litert import LiteRTRuntime
from edgebench.runtimes.registry import RuntimeSpec


class ToyRuntime(LiteRTRuntime):
    """LiteRT, named ``toylite``."""

    name = "toylite"


def make(options: Mapping[str, Any]) -> ToyRuntime:
    """The factory the registry imports (in the worker too)."""
    return ToyRuntime()


SPEC = RuntimeSpec("toylite", "tflite", "toy_runtime:make", "LiteRT under another name")

"""The ``fp32`` step: the float model exported as is, the accuracy baseline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from edgebench.recipes.core import ALL_FORMATS, Stage, Step, StepKind


@dataclass(frozen=True)
class Float32(Step):
    """Export the float32 model without compression."""

    stage: ClassVar[Stage] = "export"
    formats: ClassVar[frozenset[str]] = ALL_FORMATS

    @property
    def token(self) -> str:
        return "fp32"


FLOAT32 = StepKind(
    name="fp32",
    pattern=re.compile(r"fp32"),
    parse=lambda _match: Float32(),
    help="the float32 model as built or provided",
    example="fp32",
)

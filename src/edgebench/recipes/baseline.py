"""The ``fp32`` step: the float model exported as is, the accuracy baseline."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from edgebench.recipes.core import ALL_FORMATS, BuildContext, Stage, Step, StepKind


@dataclass(frozen=True)
class Float32(Step):
    """Export the float32 model without compression."""

    stage: ClassVar[Stage] = "export"
    formats: ClassVar[frozenset[str]] = ALL_FORMATS
    family: ClassVar[str] = "fp32"
    group: ClassVar[str] = "fp32"

    @property
    def token(self) -> str:
        return "fp32"

    def export(
        self, model: Any, artifact_format: str, out_path: Path, context: BuildContext
    ) -> dict[str, Any]:
        """Convert the float Keras model as it is."""
        from edgebench.artifacts.convert import export_float

        export_float(model, artifact_format, out_path)
        return {}


FLOAT32 = StepKind(
    name="fp32",
    pattern=re.compile(r"fp32"),
    parse=lambda _match: Float32(),
    help="the float32 model as built or provided",
    example="fp32",
)

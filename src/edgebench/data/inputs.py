"""What a dataset feeds a model: modality, layout, dtype, value range and preprocessing.

A dataset declares it (``DatasetSpec.inputs``, or the loader on the ``Dataset`` it
returns when the data decides, as an npz file's dtype does), and it is part of the cache
key of every model trained or calibrated on the dataset: the same pixels scaled another
way are another model.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class InputSpec:
    """One sample's input: ``layout`` of its axes (``HWC``: height, width, channels),
    ``dtype`` after loading, the ``value_range`` the values lie in (``None``: as stored,
    not declared), and the ``preprocessing`` the loader applied."""

    modality: str = "image"
    layout: str = "HWC"
    dtype: str = "float32"
    value_range: tuple[float, float] | None = (0.0, 1.0)
    preprocessing: str = "uint8 pixels divided by 255"

    def describe(self) -> str:
        """One line: ``image HWC float32 in [0, 1] (uint8 pixels divided by 255)``."""
        values = (
            "as stored"
            if self.value_range is None
            else f"in [{self.value_range[0]:g}, {self.value_range[1]:g}]"
        )
        return f"{self.modality} {self.layout} {self.dtype} {values} ({self.preprocessing})"

    def as_key(self) -> dict[str, Any]:
        """The fields, for cache keys and records."""
        found = asdict(self)
        found["value_range"] = None if self.value_range is None else list(self.value_range)
        return found


#: images loaded by the built-in loaders: uint8 pixels scaled to [0, 1].
UNIT_IMAGES = InputSpec()
#: float arrays of a user's file, used as they are.
STORED_FLOATS = InputSpec(value_range=None, preprocessing="float arrays used as stored")
#: random inputs of the model's shape (``random``: latency only).
RANDOM_INPUTS = InputSpec(preprocessing="uniform random values")

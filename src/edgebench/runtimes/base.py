"""What every runtime provides: identity, loading an artifact, running a batch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import numpy as np

#: ONNX Runtime's execution provider when ``--onnx-provider`` names none.
DEFAULT_PROVIDER = "CPUExecutionProvider"


@dataclass(frozen=True)
class RuntimeInfo:
    """Identity of a runtime, recorded with every measurement."""

    name: str  # "litert", "onnxruntime"
    implementation: str  # the module that runs it, e.g. "ai_edge_litert"
    version: str
    provider: str  # execution provider or delegate


class InferenceSession(Protocol):
    """A loaded artifact bound to a thread count."""

    #: per-sample input shape (batch excluded); ``None`` marks a dynamic dimension.
    input_shape: tuple[int | None, ...]
    input_dtype: np.dtype
    #: whether the batch dimension can change (otherwise batches are fed one sample at a time).
    batch_flexible: bool

    def run(self, batch: np.ndarray) -> np.ndarray:
        """Scores for a batch of float inputs (quantized inputs are handled inside)."""
        ...

    def run_outputs(self, batch: np.ndarray) -> list[np.ndarray]:
        """Every output of the model for ``batch``, in the model's order (dequantized):
        what a multi-output adapter (``TFLite_Detection_PostProcess``) decodes."""
        ...

    def bind(self, sample: np.ndarray) -> Callable[[], object]:
        """A zero-argument call that runs one invoke on ``sample`` (shape ``(1, ...)``), for timing."""
        ...


class Runtime(Protocol):
    """A runtime that loads artifacts of one format."""

    name: str
    artifact_format: str

    def unavailable_reason(self) -> str | None:
        """Why the runtime cannot be used here (not installed, ...), or ``None``."""
        ...

    def info(self) -> RuntimeInfo:
        """Name, implementation, version and provider."""
        ...

    def load(self, path: Path, threads: int) -> InferenceSession:
        """Load ``path`` with ``threads`` intra-op threads; raises ``InferenceError``."""
        ...

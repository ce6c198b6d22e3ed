"""Low-rank factorization: ``lowrank<R>`` or ``lowrank-e<E>``, optionally ``+ft<E>``.

Dense/Linear layers become two of rank R (truncated SVD), 1x1 convolutions two 1x1
convolutions, larger convolutions a Tucker-2 chain (1x1 in, the kxk core, 1x1 out) with
at most R channels per mode; ``lowrank-e0.9`` picks per layer and mode the smallest rank
keeping 90% of the squared singular values. A layer is factorized only when that has
fewer parameters; the classifier (the output layer) stays whole. Keras and PyTorch
(``frameworks.*.lowrank``); the record lists per layer the ranks, the parameters before
and after and the kernel's relative error. A following ``ft<E>`` fine-tunes the factors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, ClassVar

from edgebench.errors import UsageError
from edgebench.recipes.core import BuildContext, Step, StepKind


@dataclass(frozen=True)
class LowRank(Step):
    """``lowrank<R>`` / ``lowrank-e<E>``: factorize kernels at rank R or energy share E."""

    rank: int | None = None
    energy: float | None = None
    family: ClassVar[str] = "lowrank"
    group: ClassVar[str] = "low-rank"
    sweep_axis: ClassVar[tuple[str, str] | None] = ("rank", "rank")

    @property
    def token(self) -> str:
        return f"lowrank{self.rank}" if self.rank is not None else f"lowrank-e{self.energy:g}"

    @property
    def sweep_value(self) -> float | None:
        return None if self.rank is None else float(self.rank)

    @property
    def sweep_prefix(self) -> str:
        return self.token if self.rank is not None else ""

    @property
    def sweep_pattern(self) -> str:
        return "lowrank*" if self.rank is not None else ""

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "rank": self.rank, "energy": self.energy}

    def _summary(self, context: BuildContext, meta: dict[str, Any]) -> dict[str, Any]:
        done = [layer for layer in meta["layers"] if layer["factorized"]]
        before = sum(layer["params_before"] for layer in done)
        after = sum(layer["params_after"] for layer in done)
        context.log(
            f"{self.token}: {len(done)} of {len(meta['layers'])} layers factorized, "
            f"their kernels {before:,} -> {after:,} parameters"
        )
        return {**meta, "factorized_layers": len(done), "kernel_params": [before, after]}

    def transform(self, model: Any, context: BuildContext) -> tuple[Any, dict[str, Any]]:
        """(Keras) The factorized model."""
        from edgebench.frameworks.keras.lowrank import factorize

        factored, meta = factorize(model, self.rank, self.energy)
        return factored, self._summary(context, meta)

    def supports_torch(self) -> bool:
        return True

    def transform_torch(self, module: Any, context: BuildContext) -> dict[str, Any]:
        """(PyTorch) Factorize the module in place."""
        from edgebench.frameworks.pytorch.lowrank import factorize

        return self._summary(context, factorize(module, self.rank, self.energy))


def _parse(match: re.Match[str]) -> LowRank:
    if match[1] is not None:
        rank = int(match[1])
        if rank < 1:
            raise UsageError(f"{match[0]}: the rank must be 1 or more")
        return LowRank(rank=rank)
    energy = float(match[2])
    if not 0 < energy < 1:
        raise UsageError(f"{match[0]}: the energy share must be between 0 and 1 (exclusive)")
    return LowRank(energy=energy)


LOW_RANK = StepKind(
    "lowrank",
    re.compile(r"lowrank(?:(\d+)|-e(\d*\.\d+))"),
    _parse,
    "low-rank factorization: dense layers by truncated SVD, convolutions by Tucker-2, at "
    "rank R (lowrank8) or keeping energy share E of each layer (lowrank-e0.9)",
    "lowrank8",
)

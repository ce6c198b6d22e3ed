"""Output adapters: what turns a model's raw outputs into what its task scores, run on
the measuring controller after the outputs are computed (never inside the timed invoke).

``centernet`` decodes a CenterNet head (``edgebench.tasks.centernet``) into
``[x1, y1, x2, y2, score, class]`` rows. A zoo module names its adapter in
``OUTPUT_ADAPTER``; a model without one is scored on its outputs as they are.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from edgebench.errors import UsageError
from edgebench.registry import import_path

#: adapter name -> ``"module:function"`` taking a batch of outputs, returning the task's input.
ADAPTERS: dict[str, str] = {
    "centernet": "edgebench.tasks.centernet:decode",
}


def adapter(name: str) -> Callable[[np.ndarray], np.ndarray]:
    """The adapter ``name`` (a usage error lists the known ones)."""
    if name not in ADAPTERS:
        raise UsageError(f"unknown output adapter {name!r}; known: {', '.join(ADAPTERS)}")
    return import_path(ADAPTERS[name], f"output adapter {name!r}")


def adapted(
    predict: Callable[[np.ndarray], np.ndarray], name: str | None
) -> Callable[[np.ndarray], np.ndarray]:
    """``predict`` followed by the adapter ``name`` (``predict`` itself for ``None``)."""
    if name is None:
        return predict
    decode = adapter(name)
    return lambda batch: decode(predict(batch))

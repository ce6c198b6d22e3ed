"""Per-layer sensitivity of a Keras model to a step that can keep layers in float
(``dfq<B>-...``): each configuration is the float weights with the step applied to all
layers but the float ones, measured by the task's metric (``compression.sensitivity``).

The step snaps weights in the Keras model, and the converters keep float weights as
they are, so the Keras model computes what both runtimes run; the analysis evaluates it
in batches of :data:`ANALYSIS_BATCH` (weight-only quantization does not depend on the
batch), and the proposed variant is then benched on the runtimes like any other.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from edgebench.compression.sensitivity import analyse_layers

#: images per forward pass of the analysis.
ANALYSIS_BATCH = 256


class _Quiet:
    """The one part of a build context a weight-snapping step uses."""

    def log(self, message: str) -> None:
        pass


def analyse(
    model: Any,
    step: Any,
    metric: Callable[[Callable[[np.ndarray], np.ndarray]], float],
    max_drop: float,
    drop_points: Callable[[float, float], float],
    tick: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Every layer of ``step`` quantized alone and kept alone in float, the greedy float
    set within ``max_drop`` points, and the fp32 and all-quantized metrics; ``metric``
    scores a ``predict`` function over the test split; ``tick`` after each configuration.
    The model's weights are restored at the end."""
    original = model.get_weights()
    layers = step.quantizable_layers(model)

    def predict(batch: np.ndarray) -> np.ndarray:
        return np.asarray(model(batch, training=False))

    def evaluate(float_layers: frozenset[str]) -> float:
        model.set_weights(original)
        step.keeping_float(float_layers).transform(model, _Quiet())
        tick()
        return metric(predict)

    try:
        # every layer kept in float is the float model: the reference of this analysis
        fp32 = evaluate(frozenset(name for name, _ in layers))
        found = analyse_layers(
            layers,
            evaluate,
            fp32,
            max_drop,
            drop_points,
            lambda kept: step.keeping_float(kept).token,
        )
    finally:
        model.set_weights(original)
    return {**found, "configurations": found["configurations"] + 1, "batch": ANALYSIS_BATCH}


def configurations(layer_count: int) -> int:
    """Configurations the analysis measures at least: fp32, all quantized, two per layer."""
    return 2 + 2 * layer_count

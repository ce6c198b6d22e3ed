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

from edgebench.compression.sensitivity import as_records, measure_layers, propose_float_layers

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
    measured: dict[frozenset[str], float] = {}

    def predict(batch: np.ndarray) -> np.ndarray:
        return np.asarray(model(batch, training=False))

    def evaluate(float_layers: frozenset[str]) -> float:
        if float_layers not in measured:
            model.set_weights(original)
            step.keeping_float(float_layers).transform(model, _Quiet())
            measured[float_layers] = metric(predict)
            tick()
        return measured[float_layers]

    try:
        fp32 = evaluate(frozenset(name for name, _ in layers))
        all_quantized = evaluate(frozenset())
        sensitivities = measure_layers(layers, evaluate, fp32, all_quantized, drop_points)
        proposal = propose_float_layers(
            sensitivities, evaluate, fp32, all_quantized, max_drop, drop_points
        )
    finally:
        model.set_weights(original)
    return {
        "fp32": fp32,
        "all_quantized": all_quantized,
        "all_quantized_drop": drop_points(fp32, all_quantized),
        "layers": as_records(sensitivities),
        "proposal": {
            **proposal,
            "recipe": step.keeping_float(proposal["float_layers"]).token,
        },
        "configurations": len(measured),
        "batch": ANALYSIS_BATCH,
    }


def configurations(layer_count: int) -> int:
    """Configurations the analysis measures at least: fp32, all quantized, two per layer."""
    return 2 + 2 * layer_count

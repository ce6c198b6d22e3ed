"""Per-layer sensitivity of a quantization family, and the mixed-precision proposal.

For a family that can keep chosen layers in float (``dfq<B>-...-skip=``), every
quantizable layer is measured two ways on the test split: quantized alone (the rest in
float: what that layer costs) and kept alone in float (the rest quantized: what keeping it
buys back). The proposal adds layers to the float set one at a time, measuring each prefix, until
the drop from fp32 is within the threshold, in two orders (by what keeping a layer alone
in float buys back, and by what quantizing it alone costs), and keeps the smaller set:
a greedy search, so the set is small, not proven smallest; every prefix measured is in
the record, so the reader sees the path.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class LayerSensitivity:
    """One layer's two measurements, in the task's metric (fractions) and points."""

    layer: str
    params: int
    #: the metric with only this layer quantized, and its drop from fp32 in points.
    alone_quantized: float
    alone_quantized_drop: float
    #: the metric with every layer but this one quantized, and the points that recovers
    #: against every layer quantized.
    alone_float: float
    recovered: float


def measure_layers(
    layers: Sequence[tuple[str, int]],
    evaluate: Callable[[frozenset[str]], float],
    fp32: float,
    all_quantized: float,
    drop_points: Callable[[float, float], float],
) -> list[LayerSensitivity]:
    """Each layer of ``layers`` (name, parameters) quantized alone and kept alone in float;
    ``evaluate(float_layers)`` is the metric with ``float_layers`` kept in float (the others
    quantized). Sorted: the most costly layer first."""
    names = [name for name, _ in layers]
    found = []
    for name, params in layers:
        alone = evaluate(frozenset(n for n in names if n != name))
        kept = evaluate(frozenset({name}))
        found.append(
            LayerSensitivity(
                name,
                params,
                alone,
                drop_points(fp32, alone),
                kept,
                -drop_points(all_quantized, kept),
            )
        )
    return sorted(found, key=lambda s: (-s.alone_quantized_drop, -s.recovered, s.layer))


#: the orders the greedy search adds layers in: by what keeping a layer alone in float
#: recovers, and by what quantizing it alone costs.
ORDERS: dict[str, Callable[[LayerSensitivity], tuple[float, float, str]]] = {
    "recovered": lambda s: (-s.recovered, -s.alone_quantized_drop, s.layer),
    "cost": lambda s: (-s.alone_quantized_drop, -s.recovered, s.layer),
}


def _greedy(
    order: Sequence[LayerSensitivity],
    evaluate: Callable[[frozenset[str]], float],
    fp32: float,
    all_quantized: float,
    max_drop: float,
    drop_points: Callable[[float, float], float],
) -> dict[str, Any]:
    chosen: list[str] = []
    metric, drop = all_quantized, drop_points(fp32, all_quantized)
    path = [{"float_layers": [], "metric": metric, "drop": drop}]
    for sensitivity in order:
        if drop <= max_drop:
            break
        chosen.append(sensitivity.layer)
        metric = evaluate(frozenset(chosen))
        drop = drop_points(fp32, metric)
        path.append({"float_layers": list(chosen), "metric": metric, "drop": drop})
    return {"float_layers": chosen, "metric": metric, "drop": drop, "path": path}


def propose_float_layers(
    sensitivities: Sequence[LayerSensitivity],
    evaluate: Callable[[frozenset[str]], float],
    fp32: float,
    all_quantized: float,
    max_drop: float,
    drop_points: Callable[[float, float], float],
) -> dict[str, Any]:
    """The smaller float set of the greedy searches in each of :data:`ORDERS` (see the
    module; ties: the better metric), with every prefix it measured; ``met`` is false when
    even every layer in float misses the threshold.

    >>> s = [LayerSensitivity("a", 10, 0.5, 40.0, 0.8, 30.0), LayerSensitivity("b", 5, 0.9, 0.0, 0.5, 0.0)]
    >>> metric = {frozenset(): 0.5, frozenset({"a"}): 0.88}
    >>> points = lambda base, value: (base - value) * 100
    >>> found = propose_float_layers(s, metric.__getitem__, 0.9, 0.5, 3.0, points)
    >>> found["float_layers"], found["met"], round(found["drop"], 2), found["order"]
    (['a'], True, 2.0, 'recovered')
    """
    best: dict[str, Any] | None = None
    for name, key in ORDERS.items():
        found = _greedy(
            sorted(sensitivities, key=key), evaluate, fp32, all_quantized, max_drop, drop_points
        )
        found["order"] = name
        if best is None or (len(found["float_layers"]), -found["metric"]) < (
            len(best["float_layers"]),
            -best["metric"],
        ):
            best = found
    assert best is not None
    return {**best, "met": best["drop"] <= max_drop, "max_drop": max_drop}


def as_records(sensitivities: Sequence[LayerSensitivity]) -> list[dict[str, Any]]:
    """The sensitivities as run-file entries."""
    return [asdict(s) for s in sensitivities]


def analyse_layers(
    layers: Sequence[tuple[str, int]],
    evaluate: Callable[[frozenset[str]], float],
    fp32: float,
    max_drop: float,
    drop_points: Callable[[float, float], float],
    recipe_of: Callable[[list[str]], str],
) -> dict[str, Any]:
    """The whole analysis: every layer two ways, the proposal, and the recipe that benches
    it (``recipe_of(float_layers)``); ``evaluate(float_layers)`` is measured once per
    configuration (memoised here)."""
    measured: dict[frozenset[str], float] = {}

    def once(float_layers: frozenset[str]) -> float:
        if float_layers not in measured:
            measured[float_layers] = evaluate(float_layers)
        return measured[float_layers]

    all_quantized = once(frozenset())
    sensitivities = measure_layers(layers, once, fp32, all_quantized, drop_points)
    proposal = propose_float_layers(sensitivities, once, fp32, all_quantized, max_drop, drop_points)
    return {
        "fp32": fp32,
        "all_quantized": all_quantized,
        "all_quantized_drop": drop_points(fp32, all_quantized),
        "layers": as_records(sensitivities),
        "proposal": {**proposal, "recipe": recipe_of(proposal["float_layers"])},
        "configurations": len(measured),
    }

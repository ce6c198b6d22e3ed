"""Low-rank factorization of a Keras model: each Dense and Conv2D layer replaced by the
layers of its factors (``compression.lowrank``), through the model's own config.

The config is rewritten, not the layers cloned: one layer becomes two or three, the
last of which keeps the layer's name, activation and bias, so everything that consumed
the layer (and the model's outputs) still finds it by name. New layers are named
``<layer>_lr_in`` (the 1x1 or dense projection in) and ``<layer>_lr_core``.
Layers used more than once (shared), grouped or depthwise convolutions, and the layers
whose outputs are the model's outputs (the classifier) are kept as they are.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from edgebench.compression.lowrank import (
    DenseFactors,
    factor_conv,
    factor_dense,
    relative_error,
)
from edgebench.errors import NotApplicable
from edgebench.frameworks.keras.tfcompat import import_keras


def _layer_entry(class_name: str, config: dict[str, Any]) -> dict[str, Any]:
    """A layer's entry in a functional model's config (its inbound nodes added later)."""
    return {
        "module": "keras.layers",
        "class_name": class_name,
        "config": config,
        "registered_name": None,
        "name": config["name"],
    }


def _dense_entry(name: str, units: int) -> dict[str, Any]:
    return _layer_entry("Dense", {"name": name, "units": units, "use_bias": False})


def _conv_entry(
    name: str, filters: int, kernel: tuple[int, int], source: dict[str, Any] | None
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "name": name,
        "filters": filters,
        "kernel_size": list(kernel),
        "use_bias": False,
        "padding": "valid",
    }
    if source is not None:  # the core keeps the layer's geometry
        for key in ("strides", "padding", "dilation_rate", "data_format"):
            if key in source:
                config[key] = source[key]
    return _layer_entry("Conv2D", config)


def _candidates(model: Any) -> list[Any]:
    outputs = set(getattr(model, "output_names", None) or [model.layers[-1].name])
    chosen = []
    for layer in model.layers:
        kind = type(layer).__name__
        if layer.name in outputs or len(getattr(layer, "_inbound_nodes", [])) > 1:
            continue
        dense = kind == "Dense" and len(layer.kernel.shape) == 2
        plain_conv = (
            kind == "Conv2D"
            and getattr(layer, "groups", 1) == 1
            and layer.data_format == "channels_last"
        )
        if dense or plain_conv:
            chosen.append(layer)
    return chosen


def _factors(kernel: np.ndarray, rank: int | None, energy: float | None) -> Any:
    """Dense factors of a dense kernel or a 1x1 convolution's, Tucker-2 of a larger one."""
    if kernel.ndim == 2:
        return factor_dense(kernel, rank, energy)
    if kernel.shape[:2] == (1, 1):
        return factor_dense(kernel[0, 0], rank, energy)
    return factor_conv(kernel, rank, energy)


def _describe(layer: Any, kernel: np.ndarray, factors: Any) -> dict[str, Any]:
    if isinstance(factors, DenseFactors):
        ranks = [factors.rank]
        approximation = (factors.first @ factors.second).reshape(kernel.shape)
    else:
        ranks = list(factors.ranks)
        approximation = factors.reconstruct()
    return {
        "layer": layer.name,
        "kind": type(layer).__name__,
        "shape": list(kernel.shape),
        "ranks": ranks,
        "params_before": int(kernel.size),
        "params_after": factors.params,
        "kernel_error": relative_error(kernel, approximation),
        "factorized": factors.params < kernel.size,
    }


def _chain(
    name: str, entry: dict[str, Any], factors: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The new layers before the layer ``name`` and the layer's own rewritten entry."""
    last = copy.deepcopy(entry)
    geometry = {
        "kernel_size": [1, 1],
        "strides": [1, 1],
        "padding": "valid",
        "dilation_rate": [1, 1],
    }
    if entry["class_name"] == "Dense":
        return [_dense_entry(f"{name}_lr_in", factors.rank)], last
    if isinstance(factors, DenseFactors):  # a 1x1 convolution: the stride goes first
        last["config"].update(geometry)
        return [_conv_entry(f"{name}_lr_in", factors.rank, (1, 1), entry["config"])], last
    chain = []
    if factors.first is not None:
        chain.append(_conv_entry(f"{name}_lr_in", factors.first.shape[1], (1, 1), None))
    if factors.last is not None:
        kh, kw = factors.core.shape[:2]
        chain.append(
            _conv_entry(f"{name}_lr_core", factors.core.shape[3], (kh, kw), entry["config"])
        )
        last["config"].update(geometry)
    return chain, last


def _set_weights(rebuilt: Any, layer: Any, factors: Any) -> None:
    bias = layer.get_weights()[1:]
    name = layer.name
    if isinstance(factors, DenseFactors):
        first, second = factors.first, factors.second
        if type(layer).__name__ == "Conv2D":
            first, second = first[None, None], second[None, None]
        rebuilt.get_layer(f"{name}_lr_in").set_weights([first])
        rebuilt.get_layer(name).set_weights([second, *bias])
        return
    if factors.first is not None:
        rebuilt.get_layer(f"{name}_lr_in").set_weights([factors.first[None, None]])
    if factors.last is not None:
        rebuilt.get_layer(f"{name}_lr_core").set_weights([factors.core])
        rebuilt.get_layer(name).set_weights([factors.last[None, None], *bias])
    else:
        rebuilt.get_layer(name).set_weights([factors.core, *bias])


def factorize(
    model: Any, rank: int | None, energy: float | None, *, only_if_smaller: bool = True
) -> tuple[Any, dict[str, Any]]:
    """A new model with every eligible layer factorized where that saves parameters
    (every one with ``only_if_smaller=False``); the record: per layer its kind, kernel
    shape, ranks, parameters before and after and the kernel's relative approximation
    error."""
    keras = import_keras()
    plans: dict[str, Any] = {}
    layers: list[dict[str, Any]] = []
    for layer in _candidates(model):
        kernel = layer.kernel.numpy()
        factors = _factors(kernel, rank, energy)
        described = _describe(layer, kernel, factors)
        if not only_if_smaller:
            described["factorized"] = True
        layers.append(described)
        if described["factorized"]:
            plans[layer.name] = factors
    if not plans:
        raise NotApplicable(
            "no layer has fewer parameters once factorized at this rank (give a smaller "
            "rank or energy share)"
        )
    config = copy.deepcopy(model.get_config())
    sequential = type(model).__name__ == "Sequential"
    rewritten: list[dict[str, Any]] = []
    for entry in config["layers"]:
        name = entry.get("name") or entry["config"].get("name")
        if name not in plans:
            rewritten.append(entry)
            continue
        chain, last = _chain(name, entry, plans[name])
        previous = entry.get("inbound_nodes")
        for item in chain:
            if sequential:
                item.pop("name")
            else:
                item["inbound_nodes"] = previous
                previous = [[[item["name"], 0, 0, {}]]]
        if not sequential:
            last["inbound_nodes"] = previous
        rewritten.extend([*chain, last])
    config["layers"] = rewritten
    rebuilt = (keras.Sequential if sequential else keras.Model).from_config(config)
    for layer in model.layers:
        if layer.name in plans:
            _set_weights(rebuilt, layer, plans[layer.name])
        elif layer.get_weights():
            rebuilt.get_layer(layer.name).set_weights(layer.get_weights())
    return rebuilt, {"layers": layers}

"""Keras graph surgery: batch-norm folding, structured channel pruning, MAC counting.

These work on functional and Sequential Keras 2 models built from standard layers,
by following each convolution's output channels through the layers that carry them
unchanged (batch norm, activations, pooling, depthwise convolutions) to the layers
that consume them (the next convolution or dense layer).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgebench.errors import NotApplicable

# Layers whose output channels are their input channels.
CHANNEL_PRESERVING = {
    "BatchNormalization",
    "ReLU",
    "Activation",
    "Dropout",
    "SpatialDropout2D",
    "ZeroPadding2D",
    "MaxPooling2D",
    "AveragePooling2D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling2D",
    "DepthwiseConv2D",
    "LeakyReLU",
    "PReLU",
}


def inbound_layers(layer: Any) -> list[Any]:
    """The layers feeding ``layer`` (first call site)."""
    if not layer._inbound_nodes:
        return []
    inbound = layer._inbound_nodes[0].inbound_layers
    return list(inbound) if isinstance(inbound, list | tuple) else [inbound]


def consumers(model: Any) -> dict[str, list[Any]]:
    """Layer name -> the layers that take its output."""
    found: dict[str, list[Any]] = {layer.name: [] for layer in model.layers}
    for layer in model.layers:
        for parent in inbound_layers(layer):
            found.setdefault(parent.name, []).append(layer)
    return found


def _channel_sinks(layer: Any, users: dict[str, list[Any]]) -> list[Any] | None:
    """Layers that consume ``layer``'s channels, through channel-preserving layers;
    ``None`` when a path reaches something that would need the channels kept."""
    sinks: list[Any] = []
    stack = list(users.get(layer.name, []))
    if not stack:
        return None  # the model output itself
    while stack:
        user = stack.pop()
        kind = type(user).__name__
        if kind in ("Conv2D", "Dense") and len(inbound_layers(user)) == 1:
            sinks.append(user)
        elif kind in CHANNEL_PRESERVING:
            if kind == "DepthwiseConv2D" and user.depth_multiplier != 1:
                return None
            nxt = users.get(user.name, [])
            if not nxt:
                return None  # reaches the output
            stack.extend(nxt)
        else:
            return None  # Add, Concatenate, Flatten, Reshape, ...: keep this layer whole
    return sinks


def prunable_convolutions(model: Any) -> list[str]:
    """Conv2D layers whose output channels can be removed consistently."""
    users = consumers(model)
    names = []
    for layer in model.layers:
        if (
            type(layer).__name__ == "Conv2D"
            and layer.groups == 1
            and _channel_sinks(layer, users) is not None
        ):
            names.append(layer.name)
    return names


def rank_channels(kernel: np.ndarray, criterion: str, rng: np.random.Generator) -> np.ndarray:
    """Output channels of a conv kernel (H, W, in, out), most important first."""
    flat = np.moveaxis(kernel, -1, 0).reshape(kernel.shape[-1], -1)
    if criterion == "l1":
        scores = np.abs(flat).sum(axis=1)
    elif criterion == "l2":
        scores = np.sqrt((flat**2).sum(axis=1))
    elif criterion == "random":
        scores = rng.random(flat.shape[0])
    else:
        raise ValueError(f"unknown ranking criterion {criterion!r}")
    return np.argsort(-scores, kind="stable")


def structured_prune(
    model: Any, fraction: float, criterion: str, seed: int
) -> tuple[Any, dict[str, Any]]:
    """A narrower copy of ``model``: each prunable conv loses ``fraction`` of its filters.

    Kept filters keep their weights; the layers downstream (batch norm, depthwise conv,
    the next conv or dense layer) keep the matching channels.
    """
    from edgebench.build.tfcompat import import_keras

    keras = import_keras()
    rng = np.random.default_rng(seed)
    prunable = set(prunable_convolutions(model))
    keep: dict[str, np.ndarray] = {}
    for layer in model.layers:
        if layer.name in prunable:
            filters = layer.filters
            count = max(1, int(round(filters * (1.0 - fraction))))
            keep[layer.name] = np.sort(
                rank_channels(layer.get_weights()[0], criterion, rng)[:count]
            )
    if not keep:
        raise NotApplicable(
            f"{model.name}: no convolution can be pruned consistently (every one feeds an "
            "Add, Concatenate, Flatten or the output)"
        )

    def clone(layer: Any) -> Any:
        config = layer.get_config()
        if layer.name in keep:
            config["filters"] = int(len(keep[layer.name]))
        return type(layer).from_config(config)

    narrow = keras.models.clone_model(model, clone_function=clone)
    # channels carried by each layer's output (None = all)
    carried: dict[str, np.ndarray | None] = {}
    for layer in model.layers:
        parents = inbound_layers(layer)
        incoming = carried.get(parents[0].name) if len(parents) == 1 else None
        kind = type(layer).__name__
        if layer.name in keep:
            carried[layer.name] = keep[layer.name]
        elif kind in CHANNEL_PRESERVING:
            carried[layer.name] = incoming
        else:
            carried[layer.name] = None
        weights = layer.get_weights()
        if not weights:
            continue
        out_keep = keep.get(layer.name)
        sliced = []
        for w in weights:
            if kind == "Conv2D" and w.ndim == 4:
                w = w if incoming is None else w[:, :, incoming, :]
                w = w if out_keep is None else w[..., out_keep]
            elif kind == "Conv2D" and w.ndim == 1:
                w = w if out_keep is None else w[out_keep]
            elif kind == "DepthwiseConv2D" and w.ndim == 4:
                w = w if incoming is None else w[:, :, incoming, :]
            elif kind in ("DepthwiseConv2D", "BatchNormalization") and w.ndim == 1:
                w = w if incoming is None else w[incoming]
            elif kind == "Dense" and w.ndim == 2:
                w = w if incoming is None else w[incoming, :]
            sliced.append(w)
        narrow.get_layer(layer.name).set_weights(sliced)
    widths = {name: int(len(idx)) for name, idx in keep.items()}
    return narrow, {"pruned_layers": widths, "criterion": criterion, "fraction": fraction}


def fold_batchnorm(model: Any) -> Any:
    """A copy of ``model`` with each BatchNormalization that directly follows a Conv2D,
    DepthwiseConv2D or Dense layer folded into it (replaced by a linear activation).

    Converters fold batch norm anyway; doing it first keeps weight-sharing (clustering)
    intact in the artifact.
    """
    from edgebench.build.tfcompat import import_keras

    keras = import_keras()
    folded: dict[str, Any] = {}
    for layer in model.layers:
        parents = inbound_layers(layer)
        if type(layer).__name__ == "BatchNormalization" and len(parents) == 1:
            parent = parents[0]
            users = consumers(model).get(parent.name, [])
            if type(parent).__name__ in ("Conv2D", "DepthwiseConv2D", "Dense") and len(users) == 1:
                folded[layer.name] = parent
    if not folded:
        return model
    producers = {parent.name: model.get_layer(bn_name) for bn_name, parent in folded.items()}

    def clone(layer: Any) -> Any:
        if layer.name in folded:
            return keras.layers.Activation("linear", name=layer.name)
        config = layer.get_config()
        if layer.name in producers:
            config["use_bias"] = True
        return type(layer).from_config(config)

    result = keras.models.clone_model(model, clone_function=clone)
    for layer in model.layers:
        if layer.name in folded or not layer.get_weights():
            continue
        weights = layer.get_weights()
        if layer.name in producers:
            bn = producers[layer.name]
            gamma, beta, mean, var = _bn_params(bn)
            scale = gamma / np.sqrt(var + bn.epsilon)
            kernel = weights[0]
            bias = weights[1] if len(weights) > 1 else np.zeros_like(beta)
            if type(layer).__name__ == "DepthwiseConv2D":
                kernel = kernel * scale.reshape(1, 1, -1, 1)
            else:
                kernel = kernel * scale
            weights = [kernel, beta + (bias - mean) * scale]
        result.get_layer(layer.name).set_weights(weights)
    return result


def _bn_params(bn: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """gamma, beta, mean, variance of a batch-norm layer that may lack scale or center."""
    weights = list(bn.get_weights())
    gamma = weights.pop(0) if bn.scale else None
    beta = weights.pop(0) if bn.center else None
    mean, var = weights
    return (
        np.ones_like(mean) if gamma is None else gamma,
        np.zeros_like(mean) if beta is None else beta,
        mean,
        var,
    )


def count_macs(model: Any) -> int:
    """Multiply-accumulates per image of the conv and dense layers."""
    total = 0
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "Conv2D":
            _, h, w, c_out = layer.output_shape
            kh, kw = layer.kernel_size
            c_in = layer.input_shape[-1]
            total += h * w * kh * kw * (c_in // layer.groups) * c_out
        elif kind == "DepthwiseConv2D":
            _, h, w, c_out = layer.output_shape
            kh, kw = layer.kernel_size
            total += h * w * kh * kw * c_out
        elif kind == "Dense":
            total += int(np.prod(layer.input_shape[1:])) * layer.units
    return int(total)

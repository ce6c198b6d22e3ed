"""Keras graph surgery: batch-norm folding, structured channel pruning, MAC counting.

These work on functional and Sequential Keras 2 models built from standard layers.
Structured pruning follows each convolution's output channels ("channel space") through
the layers that carry them unchanged (batch norm, activations, pooling, depthwise
convolutions) to the layers that consume them (the next convolution or dense layer).
Element-wise merges (the ``Add`` of a residual connection, the ``Multiply`` of a
squeeze-excitation gate) join the spaces of their inputs into one group: the convolutions
of a group lose the same channels, ranked by their summed importance, so the channels that
meet at an addition stay consistent (the dependency-graph idea of Torch-Pruning).
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    "Rescaling",
}
# Layers that combine same-shaped inputs channel by channel: their inputs share channels.
ELEMENTWISE_MERGE = {"Add", "Multiply", "Subtract", "Average", "Maximum", "Minimum"}


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


@dataclass
class ChannelGroups:
    """The channel spaces of a model: which layer outputs carry which space, which
    convolutions produce each, and which spaces must keep all their channels."""

    space_of: dict[str, int] = field(default_factory=dict)
    parent: list[int] = field(default_factory=list)
    locked: set[int] = field(default_factory=set)
    producers: dict[int, list[str]] = field(default_factory=dict)

    def new(self, *, locked: bool = False) -> int:
        """A fresh space."""
        self.parent.append(len(self.parent))
        if locked:
            self.locked.add(len(self.parent) - 1)
        return len(self.parent) - 1

    def root(self, space: int) -> int:
        """The group a space belongs to."""
        while self.parent[space] != space:
            self.parent[space] = self.parent[self.parent[space]]
            space = self.parent[space]
        return space

    def join(self, a: int, b: int) -> int:
        """Merge two spaces' groups (locked if either was)."""
        ra, rb = self.root(a), self.root(b)
        if ra != rb:
            self.parent[rb] = ra
            if rb in self.locked:
                self.locked.add(ra)
        return ra

    def lock(self, space: int) -> None:
        """The space's group keeps all of its channels."""
        self.locked.add(self.root(space))

    def prunable(self) -> list[list[str]]:
        """Producer convolutions of each prunable group, in model order."""
        locked = {self.root(space) for space in self.locked}
        groups: dict[int, list[str]] = {}
        for space, names in self.producers.items():
            root = self.root(space)
            if root not in locked:
                groups.setdefault(root, []).extend(names)
        return list(groups.values())


def _scalar_rescaling(layer: Any) -> bool:
    return all(np.ndim(layer.get_config().get(k, 0.0)) == 0 for k in ("scale", "offset"))


def channel_groups(model: Any) -> ChannelGroups:
    """Follow the channel spaces of ``model``'s layers (in the model's topological order)."""
    groups = ChannelGroups()
    users = consumers(model)
    for layer in model.layers:
        kind = type(layer).__name__
        parents = inbound_layers(layer)
        inputs = [groups.space_of[p.name] for p in parents if p.name in groups.space_of]
        shared = len(layer._inbound_nodes) > 1  # a layer called twice: keep it whole
        if not parents or shared:
            for space in inputs:
                groups.lock(space)
            groups.space_of[layer.name] = groups.new(locked=True)
        elif kind == "Conv2D" and layer.groups == 1 and len(inputs) == 1:
            space = groups.new()
            groups.producers[space] = [layer.name]
            groups.space_of[layer.name] = space
        elif kind == "Dense" and len(inputs) == 1:
            groups.space_of[layer.name] = groups.new(locked=True)
        elif (
            kind in CHANNEL_PRESERVING
            and len(inputs) == 1
            and not (kind == "DepthwiseConv2D" and layer.depth_multiplier != 1)
            and not (kind == "Rescaling" and not _scalar_rescaling(layer))
        ):
            groups.space_of[layer.name] = inputs[0]
        elif kind in ELEMENTWISE_MERGE and inputs and _same_channels(parents):
            merged = inputs[0]
            for space in inputs[1:]:
                merged = groups.join(merged, space)
            groups.space_of[layer.name] = merged
        else:  # Concatenate, Flatten, Reshape, grouped convs, unknown layers
            for space in inputs:
                groups.lock(space)
            groups.space_of[layer.name] = groups.new(locked=True)
        if not users.get(layer.name):
            groups.lock(groups.space_of[layer.name])  # a model output keeps its channels
    for output in model.outputs:
        name = output._keras_history.layer.name
        groups.lock(groups.space_of[name])
    return groups


def _same_channels(parents: list[Any]) -> bool:
    widths = {_channels(p) for p in parents}
    return len(widths) == 1 and None not in widths


def _channels(layer: Any) -> int | None:
    shape = layer.output_shape
    if isinstance(shape, list):
        return None
    return None if shape[-1] is None else int(shape[-1])


def prunable_convolutions(model: Any) -> list[str]:
    """Conv2D layers whose output channels can be removed consistently."""
    names = {name for group in channel_groups(model).prunable() for name in group}
    return [layer.name for layer in model.layers if layer.name in names]


def rank_channels(kernel: np.ndarray, criterion: str, rng: np.random.Generator) -> np.ndarray:
    """Output channels of a conv kernel (H, W, in, out), most important first."""
    return np.argsort(-channel_scores(kernel, criterion, rng), kind="stable")


def channel_scores(kernel: np.ndarray, criterion: str, rng: np.random.Generator) -> np.ndarray:
    """Importance of each output channel of a conv kernel (H, W, in, out)."""
    flat = np.moveaxis(kernel, -1, 0).reshape(kernel.shape[-1], -1)
    if criterion == "l1":
        return np.abs(flat).sum(axis=1)
    if criterion == "l2":
        return np.sqrt((flat**2).sum(axis=1))
    if criterion == "random":
        return rng.random(flat.shape[0])
    raise ValueError(f"unknown ranking criterion {criterion!r}")


def kept_count(width: int, fraction: float, round_to: int = 1) -> int:
    """Channels a group of ``width`` keeps: ``width * (1 - fraction)`` rounded, at least
    one; with ``round_to`` > 1 the removed count is a multiple of it (rounded down), so
    a width that was a multiple stays one (Torch-Pruning's ``round_to``).

    >>> kept_count(32, 0.3), kept_count(32, 0.3, 8), kept_count(12, 0.9, 8)
    (22, 24, 4)
    """
    count = max(1, int(round(width * (1.0 - fraction))))
    if round_to > 1:
        count = width - (width - count) // round_to * round_to
    return count


def channel_plan(
    model: Any,
    fraction: float,
    criterion: str,
    seed: int,
    round_to: int = 1,
    groups: ChannelGroups | None = None,
) -> dict[str, np.ndarray]:
    """The output channels each prunable convolution keeps (sorted indices).

    Every convolution of a group keeps the same channels: the ``1 - fraction`` share with
    the largest importance summed over the group (:func:`kept_count`). ``groups``: the
    model's :func:`channel_groups`, when already known.
    """
    rng = np.random.default_rng(seed)
    keep: dict[str, np.ndarray] = {}
    order = {layer.name: i for i, layer in enumerate(model.layers)}
    groups = channel_groups(model) if groups is None else groups
    prunable = sorted(groups.prunable(), key=lambda g: min(order[n] for n in g))
    for group in prunable:
        kernels = [model.get_layer(name).get_weights()[0] for name in group]
        if criterion == "random":
            scores = rng.random(kernels[0].shape[-1])
        else:
            scores = sum(channel_scores(k, criterion, rng) for k in kernels)
        count = kept_count(kernels[0].shape[-1], fraction, round_to)
        kept = np.sort(np.argsort(-scores, kind="stable")[:count])
        keep.update({name: kept for name in group})
    return keep


def structured_prune(
    model: Any, fraction: float, criterion: str, seed: int, round_to: int = 1
) -> tuple[Any, dict[str, Any]]:
    """A narrower copy of ``model``: each prunable group of convolutions loses
    ``fraction`` of its filters.

    Kept filters keep their weights; the layers downstream (batch norm, depthwise conv,
    the next conv or dense layer) keep the matching channels.
    """
    from edgebench.frameworks.keras.tfcompat import import_keras

    keras = import_keras()
    groups = channel_groups(model)
    keep = channel_plan(model, fraction, criterion, seed, round_to, groups)
    if not keep:
        raise NotApplicable(
            f"{model.name}: no convolution can be pruned consistently (every one feeds a "
            "Concatenate, Flatten, Reshape or the output)"
        )

    def clone(layer: Any) -> Any:
        config = layer.get_config()
        if layer.name in keep:
            config["filters"] = int(len(keep[layer.name]))
        return type(layer).from_config(config)

    # the kept channels of each space's group (absent: all channels)
    kept_by_root = {groups.root(groups.space_of[name]): idx for name, idx in keep.items()}

    def carried(layer: Any) -> np.ndarray | None:
        return kept_by_root.get(groups.root(groups.space_of[layer.name]))

    narrow = keras.models.clone_model(model, clone_function=clone)
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        parents = inbound_layers(layer)
        kind = type(layer).__name__
        incoming = carried(parents[0]) if len(parents) == 1 else None
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
    return narrow, {
        "pruned_layers": widths,
        "channel_groups": sum(1 for g in groups.prunable() if len(g) > 1),
        "criterion": criterion,
        "fraction": fraction,
        "round_to": round_to,
    }


def fold_batchnorm(model: Any) -> Any:
    """A copy of ``model`` with each BatchNormalization that directly follows a Conv2D,
    DepthwiseConv2D or Dense layer folded into it (replaced by a linear activation).

    Converters fold batch norm anyway; doing it first keeps weight-sharing (clustering)
    intact in the artifact.
    """
    from edgebench.frameworks.keras.tfcompat import import_keras

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

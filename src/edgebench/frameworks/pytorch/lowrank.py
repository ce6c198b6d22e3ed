"""Low-rank factorization of a PyTorch module: each ``Linear`` and ``Conv2d`` replaced in
place by a ``Sequential`` of its factors (``compression.lowrank``; kernels are moved to
the Keras layout and back, so both frameworks share one decomposition).

The replacement is recorded on the module (``modules.REWRITES_ATTRIBUTE``: per layer the
``Linear``/``Conv2d`` layers of the chain), so the cache's pickle-free save and load
(``frameworks.pytorch.modules``) rebuild the same structure before loading the weights.
Grouped convolutions, non-zero padding modes and the output layers are kept as they are.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgebench.compression.lowrank import (
    factor_conv,
    factor_dense,
    relative_error,
)
from edgebench.errors import NotApplicable
from edgebench.frameworks.pytorch.modules import (
    REWRITES_ATTRIBUTE,
    build_chain,
    import_torch,
    output_layers,
)


def _conv_spec(
    cin: int, cout: int, kernel: tuple[int, int], bias: bool, layer: Any = None
) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "type": "Conv2d",
        "in": cin,
        "out": cout,
        "kernel": list(kernel),
        "stride": [1, 1],
        "padding": [0, 0],
        "dilation": [1, 1],
        "bias": bias,
    }
    if layer is not None:  # the layer's geometry
        spec.update(
            stride=list(layer.stride), padding=list(layer.padding), dilation=list(layer.dilation)
        )
    return spec


def _plan(
    layer: Any, rank: int | None, energy: float | None
) -> tuple[list[dict[str, Any]], list[np.ndarray], dict[str, Any]]:
    """The chain's layer specs, their weights (torch layout) and the record of ``layer``."""
    torch = import_torch()
    weight = layer.weight.detach().cpu().numpy().astype(np.float64)
    bias = layer.bias is not None
    if isinstance(layer, torch.nn.Linear):
        factors = factor_dense(weight.T, rank, energy)
        specs = [
            {"type": "Linear", "in": layer.in_features, "out": factors.rank, "bias": False},
            {"type": "Linear", "in": factors.rank, "out": layer.out_features, "bias": bias},
        ]
        weights = [factors.first.T, factors.second.T]
        approximation = (factors.first @ factors.second).T
        ranks = [factors.rank]
    elif tuple(layer.kernel_size) == (1, 1):
        factors = factor_dense(weight[:, :, 0, 0].T, rank, energy)
        specs = [
            _conv_spec(layer.in_channels, factors.rank, (1, 1), False, layer),
            _conv_spec(factors.rank, layer.out_channels, (1, 1), bias),
        ]
        weights = [factors.first.T[:, :, None, None], factors.second.T[:, :, None, None]]
        approximation = (factors.first @ factors.second).T[:, :, None, None]
        ranks = [factors.rank]
    else:
        kernel = weight.transpose(2, 3, 1, 0)  # (kh, kw, cin, cout)
        factors = factor_conv(kernel, rank, energy)
        specs, weights = [], []
        r_in, r_out = factors.ranks
        if factors.first is not None:
            specs.append(_conv_spec(layer.in_channels, r_in, (1, 1), False))
            weights.append(factors.first.T[:, :, None, None])
        core_out = r_out if factors.last is not None else layer.out_channels
        specs.append(
            _conv_spec(
                r_in, core_out, tuple(layer.kernel_size), factors.last is None and bias, layer
            )
        )
        weights.append(factors.core.transpose(3, 2, 0, 1))
        if factors.last is not None:
            specs.append(_conv_spec(r_out, layer.out_channels, (1, 1), bias))
            weights.append(factors.last.T[:, :, None, None])
        approximation = factors.reconstruct().transpose(3, 2, 0, 1)
        ranks = list(factors.ranks)
    record = {
        "kind": type(layer).__name__,
        "shape": list(weight.shape),
        "ranks": ranks,
        "params_before": int(weight.size),
        "params_after": int(sum(w.size for w in weights)),
        "kernel_error": relative_error(weight, approximation),
    }
    record["factorized"] = record["params_after"] < record["params_before"]
    return specs, [np.ascontiguousarray(w, dtype=np.float32) for w in weights], record


def factorize(
    module: Any, rank: int | None, energy: float | None, *, only_if_smaller: bool = True
) -> dict[str, Any]:
    """Factorize ``module``'s eligible layers in place (where that saves parameters, or
    every one with ``only_if_smaller=False``); return the per-layer record."""
    torch = import_torch()
    kept = {id(layer) for layer in output_layers(module)}
    chosen = [
        (name, layer)
        for name, layer in module.named_modules()
        if id(layer) not in kept
        and (
            isinstance(layer, torch.nn.Linear)
            or (
                isinstance(layer, torch.nn.Conv2d)
                and layer.groups == 1
                and layer.padding_mode == "zeros"
                and not isinstance(layer.padding, str)
            )
        )
    ]
    rewrites = dict(getattr(module, REWRITES_ATTRIBUTE, {}))
    layers = []
    for name, layer in chosen:
        specs, weights, record = _plan(layer, rank, energy)
        if not only_if_smaller:
            record["factorized"] = True
        layers.append({"layer": name, **record})
        if not record["factorized"]:
            continue
        chain = build_chain(specs)
        with torch.no_grad():
            for part, values in zip(chain, weights, strict=True):
                part.weight.copy_(torch.from_numpy(values))
            if layer.bias is not None:
                chain[-1].bias.copy_(layer.bias.detach())
        parent_name, _, attribute = name.rpartition(".")
        parent = module.get_submodule(parent_name) if parent_name else module
        setattr(parent, attribute, chain)
        rewrites[name] = specs
    if not any(entry["factorized"] for entry in layers):
        raise NotApplicable(
            "no layer has fewer parameters once factorized at this rank (give a smaller "
            "rank or energy share)"
        )
    setattr(module, REWRITES_ATTRIBUTE, rewrites)
    return {"layers": layers}

"""A PyTorch module in the cache: its weights and its (possibly pruned) layer widths.

A pruned module's layers are narrower than its builder makes them, so the weights alone
cannot be loaded into a fresh build. An entry keeps ``structure.json`` (the integer
attributes pruning changes: channels, features, groups) beside ``weights.pt`` (the
state dict, read back with ``weights_only=True``: no pickled code, ever). Loading builds
the architecture, gives each layer its saved widths and parameter shapes, then loads the
weights strictly.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

#: the integer layer attributes that structured pruning changes.
STRUCTURE_ATTRIBUTES: tuple[str, ...] = (
    "in_channels",
    "out_channels",
    "groups",
    "in_features",
    "out_features",
    "num_features",
)
WEIGHTS_FILE = "weights.pt"
STRUCTURE_FILE = "structure.json"


def import_torch() -> Any:
    """torch, or a ``ConversionError`` saying how to install its CPU build."""
    from edgebench.frameworks.pytorch.export import import_torch as _import

    return _import()


def structure_of(module: Any) -> dict[str, dict[str, int]]:
    """The integer widths of every layer that has some (``{"features.0": {"out_channels": 16,
    ...}}``)."""
    found: dict[str, dict[str, int]] = {}
    for name, layer in module.named_modules():
        values = {
            attribute: int(getattr(layer, attribute))
            for attribute in STRUCTURE_ATTRIBUTES
            if isinstance(getattr(layer, attribute, None), int)
            and not isinstance(getattr(layer, attribute), bool)
        }
        if values:
            found[name] = values
    return found


def save_module(module: Any, folder: Path) -> None:
    """Write ``module``'s structure and weights into ``folder``."""
    torch = import_torch()
    (folder / STRUCTURE_FILE).write_text(json.dumps(structure_of(module), sort_keys=True))
    state = {key: value.detach().cpu().clone() for key, value in module.state_dict().items()}
    torch.save(state, folder / WEIGHTS_FILE)


def load_module(build: Callable[[], Any], folder: Path) -> Any:
    """The module ``build()`` makes, narrowed to the saved structure, with the saved weights
    (in eval mode)."""
    torch = import_torch()
    module = build()
    structure = json.loads((folder / STRUCTURE_FILE).read_text())
    for name, layer in module.named_modules():
        for attribute, value in structure.get(name, {}).items():
            setattr(layer, attribute, value)
    state = torch.load(folder / WEIGHTS_FILE, map_location="cpu", weights_only=True)
    for key, tensor in state.items():
        owner_name, _, attribute = key.rpartition(".")
        owner = module.get_submodule(owner_name) if owner_name else module
        current = getattr(owner, attribute, None)
        if current is None or tuple(current.shape) == tuple(tensor.shape):
            continue
        if isinstance(current, torch.nn.Parameter):
            setattr(owner, attribute, torch.nn.Parameter(torch.empty_like(tensor)))
        else:
            owner.register_buffer(attribute, torch.empty_like(tensor))
    module.load_state_dict(state, strict=True)
    return module.eval()


def count_parameters(module: Any) -> int:
    """Parameters of ``module`` (every element of every parameter tensor)."""
    return int(sum(p.numel() for p in module.parameters()))


def count_macs(module: Any, input_shape: tuple[int, int, int]) -> int | None:
    """Multiply-accumulates of one NCHW image of ``input_shape`` (H, W, C), counted by
    Torch-Pruning's ``count_ops_and_params``; ``None`` when it is not installed."""
    torch = import_torch()
    try:
        import torch_pruning as tp
    except ImportError:
        return None
    height, width, channels = input_shape
    example = torch.zeros((1, channels, height, width))
    macs, _ = tp.utils.count_ops_and_params(module, example)
    return int(macs)


def to_nchw(images: np.ndarray) -> np.ndarray:
    """NHWC images (as every dataset gives them) to NCHW (as PyTorch modules take them):
    the one place the layout is changed on the way in."""
    if images.ndim != 4:
        raise ValueError(f"images must be NHWC (4 dimensions), got shape {images.shape}")
    return np.ascontiguousarray(images.transpose(0, 3, 1, 2), dtype=np.float32)


def output_layers(module: Any) -> list[Any]:
    """The layers whose outputs are the model's outputs, kept at their width by pruning:
    the module's ``output_layers()`` when it defines it, else its last Linear or Conv."""
    declared = getattr(module, "output_layers", None)
    if callable(declared):
        return list(declared())
    torch = import_torch()
    kinds = (torch.nn.Linear, torch.nn.Conv2d)
    last = [layer for layer in module.modules() if isinstance(layer, kinds)]
    return last[-1:]

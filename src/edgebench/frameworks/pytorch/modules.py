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
#: where a module keeps the layers a step replaced by chains (low-rank factors): the
#: layer's name -> the specs of :func:`build_chain`; saved in ``structure.json``.
REWRITES_ATTRIBUTE = "_edgebench_rewrites"
#: the key of those replacements in ``structure.json`` (no layer name starts with "_").
REWRITES_KEY = "__rewrites__"


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


def build_chain(specs: list[dict[str, Any]]) -> Any:
    """A ``Sequential`` of the ``Linear``/``Conv2d`` layers ``specs`` describe (fresh
    weights): what a replaced layer is rebuilt as.

    >>> build_chain([{"type": "Linear", "in": 4, "out": 2, "bias": False}])
    Sequential(
      (0): Linear(in_features=4, out_features=2, bias=False)
    )
    """
    torch = import_torch()
    layers = []
    for spec in specs:
        if spec["type"] == "Linear":
            layers.append(torch.nn.Linear(spec["in"], spec["out"], bias=spec["bias"]))
        elif spec["type"] == "Conv2d":
            layers.append(
                torch.nn.Conv2d(
                    spec["in"],
                    spec["out"],
                    tuple(spec["kernel"]),
                    stride=tuple(spec["stride"]),
                    padding=tuple(spec["padding"]),
                    dilation=tuple(spec["dilation"]),
                    bias=spec["bias"],
                )
            )
        else:
            raise ValueError(f"a replaced layer cannot be rebuilt as {spec['type']!r}")
    return torch.nn.Sequential(*layers)


def save_module(module: Any, folder: Path) -> None:
    """Write ``module``'s structure and weights into ``folder``."""
    torch = import_torch()
    structure: dict[str, Any] = dict(structure_of(module))
    rewrites = getattr(module, REWRITES_ATTRIBUTE, None)
    if rewrites:
        structure[REWRITES_KEY] = rewrites
    (folder / STRUCTURE_FILE).write_text(json.dumps(structure, sort_keys=True))
    state = {key: value.detach().cpu().clone() for key, value in module.state_dict().items()}
    torch.save(state, folder / WEIGHTS_FILE)


def load_module(build: Callable[[], Any], folder: Path) -> Any:
    """The module ``build()`` makes, narrowed to the saved structure, with the saved weights
    (in eval mode)."""
    torch = import_torch()
    module = build()
    structure = json.loads((folder / STRUCTURE_FILE).read_text())
    rewrites = structure.pop(REWRITES_KEY, {})
    for name, specs in rewrites.items():
        parent_name, _, attribute = name.rpartition(".")
        parent = module.get_submodule(parent_name) if parent_name else module
        setattr(parent, attribute, build_chain(specs))
    if rewrites:
        setattr(module, REWRITES_ATTRIBUTE, rewrites)
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

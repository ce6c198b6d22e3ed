"""The input contract of a model: how dataset images become the tensor it takes.

Datasets hold NHWC float images in [0, 1] (``data.inputs``). A model wants its own
layout (``NHWC``/``NCHW``), spatial size, channel order (RGB, BGR, grey) and values
(``pixel * scale``, then ``(value - mean) / std`` per channel). What the file makes certain
is read from it; the rest is declared by the user, in the model option
(``--model net.onnx:layout=NCHW:size=224x224:scale=255``; lists with ``/``: ``mean=0.485/0.456/0.406``) or in a sidecar file beside the
model (``net.onnx.edgebench.json``). A layout that neither the file nor a declaration
settles is refused with the declaration to add: never a score on misread inputs.

Pure numpy: the same function prepares the accuracy pass, the latency input and the
calibration samples, here and for a board.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from edgebench.errors import UsageError

if TYPE_CHECKING:
    from edgebench.data.datasets import Dataset

#: channel counts a layout can be read from (grey, colour, colour with alpha).
CHANNEL_COUNTS = frozenset({1, 3, 4})
LAYOUTS = ("NHWC", "NCHW")
CHANNEL_ORDERS = ("rgb", "bgr", "grey")
#: the keys a declaration may give.
DECLARATION_KEYS = ("layout", "size", "channels", "scale", "mean", "std")


@dataclass(frozen=True)
class InputContract:
    """What a model takes: ``layout`` (``None``: not declared), ``size`` (H, W) for
    dynamic spatial dimensions, ``channels`` order, ``scale`` applied to [0, 1] pixels,
    then per-channel ``mean`` and ``std``."""

    layout: str | None = None
    size: tuple[int, int] | None = None
    channels: str = "rgb"
    scale: float = 1.0
    mean: tuple[float, ...] = (0.0,)
    std: tuple[float, ...] = (1.0,)

    def as_key(self) -> dict[str, Any]:
        """The fields, for cache keys and records."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}

    def describe(self) -> str:
        """One line, as records say it: ``NCHW 224x224 rgb x255 mean (0.5) std (0.5)``."""
        parts = [self.layout or "layout ?"]
        if self.size:
            parts.append(f"{self.size[0]}x{self.size[1]}")
        parts.append(self.channels)
        if self.scale != 1.0:
            parts.append(f"x{self.scale:g}")
        if any(m != 0 for m in self.mean):
            parts.append("mean (" + ", ".join(f"{m:g}" for m in self.mean) + ")")
        if any(s != 1 for s in self.std):
            parts.append("std (" + ", ".join(f"{s:g}" for s in self.std) + ")")
        return " ".join(parts)


def _floats(key: str, text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(v) for v in text.replace("/", ",").split(",") if v.strip())
    except ValueError as exc:
        raise UsageError(f"input declaration {key}={text!r}: numbers expected") from exc
    if not values or not all(math.isfinite(v) for v in values):
        raise UsageError(f"input declaration {key}={text!r}: finite numbers expected")
    if key == "std" and any(v == 0 for v in values):
        raise UsageError(f"input declaration std={text!r}: a std of 0 divides by zero")
    return values


def parse_declaration(values: dict[str, Any], where: str) -> InputContract:
    """An :class:`InputContract` from declared ``key -> value`` pairs (strings from the
    model option, or JSON values from a sidecar); ``UsageError`` naming ``where`` and the
    key otherwise.

    >>> parse_declaration({"layout": "nchw", "size": "224x224"}, "net.onnx").size
    (224, 224)
    """
    unknown = sorted(set(values) - set(DECLARATION_KEYS))
    if unknown:
        raise UsageError(
            f"{where}: unknown input declaration(s) {', '.join(unknown)}; "
            f"known: {', '.join(DECLARATION_KEYS)}"
        )
    contract = InputContract()
    for key, raw in values.items():
        text = ",".join(str(v) for v in raw) if isinstance(raw, list) else str(raw).strip()
        if key == "layout":
            layout = text.upper()
            if layout not in LAYOUTS:
                raise UsageError(f"{where}: layout must be NHWC or NCHW, got {text!r}")
            contract = replace(contract, layout=layout)
        elif key == "size":
            parts = text.lower().replace(",", "x").split("x")
            try:
                height, width = (int(p) for p in parts) if len(parts) == 2 else (int(text),) * 2
            except ValueError as exc:
                raise UsageError(f"{where}: size must be HxW (224x224), got {text!r}") from exc
            if not (0 < height <= 16_384 and 0 < width <= 16_384):
                raise UsageError(f"{where}: size must be between 1 and 16384, got {text!r}")
            contract = replace(contract, size=(height, width))
        elif key == "channels":
            order = text.lower().replace("gray", "grey")
            if order not in CHANNEL_ORDERS:
                raise UsageError(f"{where}: channels must be rgb, bgr or grey, got {text!r}")
            contract = replace(contract, channels=order)
        elif key == "scale":
            (scale,) = _floats(key, text)[:1]
            contract = replace(contract, scale=scale)
        else:
            contract = replace(contract, **{key: _floats(key, text)})
    return contract


def sidecar_path(model: Path) -> Path:
    """Where a model's declaration file is: ``net.onnx.edgebench.json`` beside it."""
    return model.with_name(model.name + ".edgebench.json")


def read_sidecar(model: Path) -> dict[str, Any]:
    """The ``input`` section of the model's sidecar file (empty when there is none)."""
    path = sidecar_path(model)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise UsageError(f"{path.name}: not a JSON declaration ({exc})") from exc
    section = data.get("input", {}) if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise UsageError(f"{path.name}: 'input' must be an object of declarations")
    return section


def infer_layout(sample_shape: tuple[int | None, ...]) -> str | None:
    """The layout a model's input shape (per sample) makes certain: ``NCHW`` when only
    the first dimension is a channel count (1, 3 or 4), ``NHWC`` when only the last is;
    ``None`` when both, neither, or an unknown dimension leaves it open; ``"flat"`` for
    an input that is not an image.

    >>> infer_layout((3, 224, 224)), infer_layout((224, 224, 3)), infer_layout((3, None, None))
    ('NCHW', 'NHWC', None)
    """
    if len(sample_shape) != 3:
        return "flat"
    first, _, last = sample_shape
    if first is None or last is None:
        return None
    first_channels, last_channels = first in CHANNEL_COUNTS, last in CHANNEL_COUNTS
    if first_channels and not last_channels:
        return "NCHW"
    if last_channels and not first_channels:
        return "NHWC"
    return None


def resolve(
    contract: InputContract, sample_shape: tuple[int | None, ...], model: str
) -> tuple[InputContract, tuple[int, int, int] | None]:
    """The contract with its layout settled, and the model's input as (H, W, C) (``None``
    for a flat input); ``UsageError`` with the declaration to add when the layout or a
    dynamic size is not settled."""
    inferred = infer_layout(sample_shape)
    if inferred == "flat":
        return contract, None
    layout = contract.layout or inferred
    if layout is None:
        shown = "(" + ", ".join("?" if d is None else str(d) for d in sample_shape) + ")"
        raise UsageError(
            f"{model}: its input {shown} may be NCHW or NHWC; declare it: "
            f"--model {model}:layout=NCHW (or layout=NHWC; with :size=HxW for dynamic sizes), or "
            f'{{"input": {{"layout": "NCHW"}}}} in {model}.edgebench.json'
        )
    if layout == "NCHW":
        channels, height, width = sample_shape
    else:
        height, width, channels = sample_shape
    if contract.size is not None:
        height, width = contract.size
    if height is None or width is None:
        raise UsageError(
            f"{model}: its input has dynamic height and width; declare the size it runs "
            f"at: --model {model}:layout=NCHW:size=224x224"
        )
    if channels is None:
        raise UsageError(f"{model}: its input has an unknown channel count")
    return replace(contract, layout=layout), (int(height), int(width), int(channels))


def describe_input(
    contract: InputContract, sample_shape: tuple[int | None, ...], model: str
) -> str:
    """The contract a row's images went through, settled against the model's input, in
    one line (``arrays as stored`` for an input that is not an image)."""
    settled, hwc = resolve(contract, sample_shape, model)
    if hwc is None:
        return "arrays as stored (not an image input)"
    order = "grey" if hwc[2] == 1 else settled.channels
    return replace(settled, size=hwc[:2], channels=order).describe()


def apply(images: np.ndarray, contract: InputContract, hwc: tuple[int, int, int]) -> np.ndarray:
    """NHWC [0, 1] ``images`` as the model takes them: resized to ``hwc``, channels
    matched and ordered, scaled and normalised, in the contract's layout (float32)."""
    from edgebench.data.preprocess import adapt_images

    height, width, channels = hwc
    x = adapt_images(images, (height, width, channels))
    if contract.channels == "bgr" and channels == 3:
        x = x[..., ::-1]
    x = x * np.float32(contract.scale)
    mean = np.asarray(contract.mean, np.float32)
    std = np.asarray(contract.std, np.float32)
    if mean.size not in (1, channels) or std.size not in (1, channels):
        raise UsageError(
            f"mean/std give {mean.size}/{std.size} values for a {channels}-channel input"
        )
    x = (x - mean) / std
    if contract.layout == "NCHW":
        x = np.transpose(x, (0, 3, 1, 2))
    return np.ascontiguousarray(x, dtype=np.float32)


def fit_inputs(
    dataset: Dataset,
    x: np.ndarray,
    input_shape: tuple[int | None, ...],
    contract: InputContract | None = None,
    model: str = "the model",
) -> np.ndarray:
    """Dataset inputs as the model takes them: images through the model's input contract
    (``data.contract``: layout, size, channels, scale, normalisation), arrays of a dataset
    fed as given checked against its shape. ``ValueError`` when they do not fit;
    ``UsageError`` with the declaration to add when the layout or size is not settled."""
    if dataset.adapt_to_model and len(input_shape) == 3 and x.ndim == 4:
        settled, hwc = resolve(contract or InputContract(), input_shape, model)
        assert hwc is not None
        return apply(x, settled, hwc)
    if None in input_shape:
        raise ValueError(f"model input shape {input_shape} has unknown dimensions")
    if dataset.adapt_to_model:
        from edgebench.data.preprocess import adapt_images

        return adapt_images(x, input_shape)  # type: ignore[arg-type]
    if tuple(x.shape[1:]) != tuple(input_shape):
        raise ValueError(
            f"dataset samples of shape {tuple(x.shape[1:])} do not match model input "
            f"{input_shape} (npz arrays are fed as given)"
        )
    return x


def first_input(
    dataset: Dataset,
    input_shape: tuple[int | None, ...],
    seed: int,
    contract: InputContract | None = None,
) -> np.ndarray:
    """One input sample (batch 1): the first test image as the model takes it, else
    random values of the model's shape (timing does not depend on what the pixels mean)."""
    from edgebench.data.datasets import random_inputs

    shape = tuple(d if d is not None else 1 for d in input_shape)
    if dataset.x_test is not None:
        try:
            return fit_inputs(dataset, dataset.x_test[:1], input_shape, contract)
        except (ValueError, UsageError):
            pass  # the model does not fit the dataset: time it on its own input shape
    return random_inputs(shape, np.float32, 1, seed=seed)

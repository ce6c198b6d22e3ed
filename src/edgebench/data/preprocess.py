"""Image preprocessing shared by training, conversion calibration and evaluation.

Pure numpy, so that the on-device runner and warm runs need no TensorFlow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    pass


def _bilinear_axis(size_in: int, size_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices and weights of a half-pixel-centred bilinear resize along one axis."""
    scale = size_in / size_out
    centres = (np.arange(size_out, dtype=np.float64) + 0.5) * scale - 0.5
    centres = np.clip(centres, 0.0, size_in - 1)
    low = np.floor(centres).astype(np.int64)
    high = np.minimum(low + 1, size_in - 1)
    weight_high = (centres - low).astype(np.float32)
    return low, high, weight_high


def resize_bilinear(images: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize a batch of NHWC images with bilinear interpolation (half-pixel centres).

    >>> resize_bilinear(np.ones((1, 2, 2, 1), np.float32), 4, 4).shape
    (1, 4, 4, 1)
    """
    if images.ndim != 4:
        raise ValueError(f"expected NHWC images, got shape {images.shape}")
    _, h, w, _ = images.shape
    if (h, w) == (height, width):
        return images
    out = images.astype(np.float32, copy=False)
    low, high, wh = _bilinear_axis(h, height)
    out = out[:, low] * (1.0 - wh)[None, :, None, None] + out[:, high] * wh[None, :, None, None]
    low, high, ww = _bilinear_axis(w, width)
    out = (
        out[:, :, low] * (1.0 - ww)[None, None, :, None] + out[:, :, high] * ww[None, None, :, None]
    )
    return out.astype(np.float32)


def match_channels(images: np.ndarray, channels: int) -> np.ndarray:
    """Repeat a grey channel to ``channels``, or average colour channels down to one."""
    have = images.shape[-1]
    if have == channels:
        return images
    if have == 1:
        return np.repeat(images, channels, axis=-1)
    if channels == 1:
        return images.mean(axis=-1, keepdims=True, dtype=np.float32)
    raise ValueError(f"cannot map {have} channels to {channels}")


def adapt_images(images: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    """Fit NHWC images to a model input shape ``(H, W, C)`` (batch dimension excluded).

    Raises ``ValueError`` when the shapes cannot be reconciled (for example a model
    that takes flat vectors of another length).
    """
    if len(input_shape) == 3 and images.ndim == 4:
        height, width, channels = input_shape
        if None in (height, width, channels) or min(height, width, channels) <= 0:
            raise ValueError(f"model input shape {input_shape} is not fully known")
        return match_channels(resize_bilinear(images, height, width), channels)
    flat = images.reshape(len(images), -1)
    if len(input_shape) == 1 and flat.shape[1] == input_shape[0]:
        return flat
    raise ValueError(
        f"dataset images of shape {images.shape[1:]} do not fit model input {input_shape}"
    )

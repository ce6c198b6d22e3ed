"""Data-free low-bit weight quantization ("fake quantization": values snapped to levels).

Schemes, for ``bits`` B in 2..8:

- ``sym``: uniform symmetric, restricted range. Integer levels
  ``-(2^(B-1)-1) .. 2^(B-1)-1``, ``scale = max|w| / (2^(B-1)-1)``, zero point 0.
- ``asym``: uniform asymmetric. Levels ``0 .. 2^B-1``, the range ``[min(w,0), max(w,0)]``
  (so 0 is exactly representable), ``scale = (max - min) / (2^B-1)``,
  ``zero_point = round(-min / scale)``.
- ``po2``: logarithmic. One sign bit and ``2^(B-1)-1`` magnitudes ``2^k`` for
  ``k = e_max - 2^(B-1)+2 .. e_max`` with ``e_max = round(log2 max|w|)``, plus zero.
  ``|w|`` is rounded to the nearest exponent in the log domain; below the smallest
  level's half (in log2) it becomes 0, above ``2^e_max`` it clips.

Granularity ``pt`` uses one range per tensor, ``pc`` one per output channel (the
axis given by the caller). Rounding is round-half-to-even (numpy's ``round``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCHEMES: tuple[str, ...] = ("sym", "asym", "po2")
GRANULARITIES: tuple[str, ...] = ("pt", "pc")


@dataclass(frozen=True)
class QuantizedTensor:
    """Dequantized values and the parameters that produced them."""

    values: np.ndarray  # float32, same shape as the input, snapped to the levels
    scales: np.ndarray  # one per range (tensor or channel); po2: 2^e_max
    zero_points: np.ndarray  # int; 0 for sym and po2
    bits: int
    scheme: str

    @property
    def ranges(self) -> int:
        """How many (scale, zero point) pairs were used."""
        return int(self.scales.size)


def _check(bits: int, scheme: str) -> None:
    if not 2 <= bits <= 8:
        raise ValueError(f"bits must be in 2..8, got {bits}")
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; known: {', '.join(SCHEMES)}")


def _moved(weights: np.ndarray, axis: int | None) -> np.ndarray:
    """Weights as a 2-D array: one row per range (channel, or the whole tensor)."""
    if axis is None:
        return weights.reshape(1, -1)
    return np.moveaxis(weights, axis, 0).reshape(weights.shape[axis], -1)


def _restore(rows: np.ndarray, shape: tuple[int, ...], axis: int | None) -> np.ndarray:
    if axis is None:
        return rows.reshape(shape)
    moved_shape = (shape[axis], *[d for i, d in enumerate(shape) if i != axis % len(shape)])
    return np.moveaxis(rows.reshape(moved_shape), 0, axis)


def quantize_symmetric(rows: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows snapped to symmetric levels; returns (values, scales, zero points)."""
    qmax = 2 ** (bits - 1) - 1
    peak = np.max(np.abs(rows), axis=1, keepdims=True)
    scale = np.where(peak > 0, peak / qmax, 1.0)
    q = np.clip(np.round(rows / scale), -qmax, qmax)
    return q * scale, scale.ravel(), np.zeros(rows.shape[0], np.int64)


def quantize_asymmetric(rows: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows snapped to asymmetric levels with a zero point."""
    qmax = 2**bits - 1
    low = np.minimum(rows.min(axis=1, keepdims=True), 0.0)
    high = np.maximum(rows.max(axis=1, keepdims=True), 0.0)
    span = high - low
    scale = np.where(span > 0, span / qmax, 1.0)
    zero_point = np.clip(np.round(-low / scale), 0, qmax)
    q = np.clip(np.round(rows / scale) + zero_point, 0, qmax)
    return (q - zero_point) * scale, scale.ravel(), zero_point.ravel().astype(np.int64)


def quantize_power_of_two(rows: np.ndarray, bits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows snapped to signed powers of two (and zero)."""
    magnitudes = 2 ** (bits - 1) - 1
    peak = np.max(np.abs(rows), axis=1, keepdims=True)
    safe_peak = np.where(peak > 0, peak, 1.0)
    e_max = np.round(np.log2(safe_peak))
    e_min = e_max - (magnitudes - 1)
    with np.errstate(divide="ignore"):
        exponent = np.round(np.log2(np.abs(rows)))
    snapped = np.sign(rows) * np.exp2(np.clip(exponent, e_min, e_max))
    values = np.where((exponent < e_min) | (rows == 0) | (peak == 0), 0.0, snapped)
    return values, np.exp2(e_max).ravel(), np.zeros(rows.shape[0], np.int64)


_QUANTIZERS = {"sym": quantize_symmetric, "asym": quantize_asymmetric, "po2": quantize_power_of_two}


def quantize_weights(
    weights: np.ndarray, bits: int, scheme: str, channel_axis: int | None = None
) -> QuantizedTensor:
    """Quantize ``weights`` (per tensor, or per channel along ``channel_axis``)."""
    _check(bits, scheme)
    data = np.asarray(weights, dtype=np.float64)
    rows = _moved(data, channel_axis)
    values, scales, zero_points = _QUANTIZERS[scheme](rows, bits)
    restored = _restore(values, data.shape, channel_axis).astype(np.float32)
    return QuantizedTensor(restored, scales.astype(np.float64), zero_points, bits, scheme)


def is_power_of_two(values: np.ndarray, tolerance: float = 0.0) -> np.ndarray:
    """Whether each value is zero or a signed power of two (``2^k``, integer ``k``),
    within ``tolerance`` in log2 (float32 holds every ``2^k`` it can reach exactly).

    >>> is_power_of_two(np.array([0.0, -0.25, 3.0, 1.0, 2.0**-20])).tolist()
    [True, True, False, True, True]
    """
    magnitude = np.abs(np.asarray(values, dtype=np.float64))
    with np.errstate(divide="ignore"):
        exponent = np.log2(np.where(magnitude > 0, magnitude, 1.0))
    return (magnitude == 0) | (np.abs(exponent - np.round(exponent)) <= tolerance)


def packed_bits(
    quantized_params: int, ranges: int, bits: int, scheme: str, float_params: int
) -> int:
    """Bits an honest packed format needs: low-bit codes, one float32 scale per range
    (plus a ``bits``-wide zero point for ``asym``), and float32 for what stays float."""
    zero_point_bits = bits if scheme == "asym" else 0
    return quantized_params * bits + ranges * (32 + zero_point_bits) + float_params * 32

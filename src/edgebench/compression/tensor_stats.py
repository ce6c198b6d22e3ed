"""Statistics of a weight tensor before and after quantization."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def describe_tensor(values: np.ndarray) -> dict[str, Any]:
    """min, max, quartiles, mean, std, fraction of zeros and number of distinct values."""
    data = np.asarray(values, dtype=np.float64).ravel()
    q1, median, q3 = (float(v) for v in np.percentile(data, (25, 50, 75)))
    return {
        "min": float(data.min()),
        "q1": q1,
        "median": median,
        "q3": q3,
        "max": float(data.max()),
        "mean": float(data.mean()),
        "std": float(data.std()),
        "zero_fraction": float(np.mean(data == 0)),
        "distinct": int(np.unique(data).size),
    }


def quantization_error(original: np.ndarray, quantized: np.ndarray) -> dict[str, float | None]:
    """Mean squared error and signal-to-quantization-noise ratio in dB (``None`` if no noise)."""
    a = np.asarray(original, dtype=np.float64).ravel()
    b = np.asarray(quantized, dtype=np.float64).ravel()
    noise = float(np.sum((a - b) ** 2))
    signal = float(np.sum(a**2))
    snr = None if noise == 0 or signal == 0 else 10 * math.log10(signal / noise)
    return {"mse": noise / a.size, "snr_db": snr}

"""edgebench: pytest-driven benchmarks for compressed neural networks on edge devices."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

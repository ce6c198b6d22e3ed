"""NVIDIA GPUs through NVML (``nvidia-ml-py``): the total-energy counter on Volta and
later, power readings otherwise."""

from __future__ import annotations

from typing import Any

from edgebench.meters.base import Meter, MeterUnavailable, PowerReading


class NvmlMeter(Meter):
    """GPU 0 (or ``index``)."""

    name = "nvml"
    scope = "GPU"

    def __init__(self, index: int = 0) -> None:
        try:
            import pynvml
        except ImportError as exc:
            raise MeterUnavailable(
                "pynvml is not installed: pip install nvidia-ml-py (absent)"
            ) from exc
        try:
            pynvml.nvmlInit()
            self._handle: Any = pynvml.nvmlDeviceGetHandleByIndex(index)
        except pynvml.NVMLError as exc:
            raise MeterUnavailable(f"NVML: {exc} (no NVIDIA driver or GPU)") from exc
        self._nvml = pynvml
        try:
            pynvml.nvmlDeviceGetTotalEnergyConsumption(self._handle)
            self.kind = "counter"
        except pynvml.NVMLError:
            self.kind = "sampled"

    def read(self) -> PowerReading:
        """Millijoule counter in J, or milliwatt power in W."""
        nvml = self._nvml
        try:
            if self.kind == "counter":
                return PowerReading(
                    joules=nvml.nvmlDeviceGetTotalEnergyConsumption(self._handle) / 1e3
                )
            return PowerReading(watts=nvml.nvmlDeviceGetPowerUsage(self._handle) / 1e3)
        except nvml.NVMLError as exc:
            raise MeterUnavailable(f"NVML read failed: {exc}") from exc

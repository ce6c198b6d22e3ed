"""An INA219/INA260 current sensor on I2C, through the ``pi-ina219`` library (opt-in:
``pip install pi-ina219``). This is how a Raspberry Pi 4, which has no power sensor of
its own, is measured: the sensor sits in the supply line. Shunt ``$EDGEBENCH_INA219_SHUNT``
ohms (default 0.1), I2C address ``$EDGEBENCH_INA219_ADDRESS`` (default 0x40)."""

from __future__ import annotations

import os
from typing import Any

from edgebench.meters.base import Meter, MeterUnavailable, PowerReading


class Ina219Meter(Meter):
    """Supply power from an INA219 (sampled)."""

    name = "ina219"
    scope = "board supply (INA219)"
    kind = "sampled"
    period_s = 0.05

    def __init__(self) -> None:
        try:
            from ina219 import INA219
        except ImportError as exc:
            raise MeterUnavailable(
                "the pi-ina219 library is not installed: pip install pi-ina219 (absent)"
            ) from exc
        shunt = float(os.environ.get("EDGEBENCH_INA219_SHUNT", "0.1"))
        address = int(os.environ.get("EDGEBENCH_INA219_ADDRESS", "0x40"), 0)
        try:
            self._sensor: Any = INA219(shunt, address=address)
            self._sensor.configure()
        except PermissionError as exc:
            raise MeterUnavailable(f"I2C bus not accessible (permission): {exc}") from exc
        except OSError as exc:
            raise MeterUnavailable(
                f"no INA219 at I2C address {address:#x} (absent): {exc}"
            ) from exc

    def read(self) -> PowerReading:
        """Power in watts (the library reports milliwatts)."""
        try:
            return PowerReading(watts=self._sensor.power() / 1e3)
        except OSError as exc:
            raise MeterUnavailable(f"INA219 read failed: {exc}") from exc

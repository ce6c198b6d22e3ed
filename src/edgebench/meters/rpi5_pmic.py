"""Raspberry Pi 5 PMIC rails: ``vcgencmd pmic_read_adc``, summing volts x amps over rails.

Output lines look like ``VDD_CORE_A current(7)=1.82325600A`` and
``VDD_CORE_V volt(15)=0.88157260V``; a rail counts when it has both.
``$EDGEBENCH_VCGENCMD`` replaces the ``vcgencmd`` executable (tests use a fake one).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

from edgebench.meters.base import Meter, MeterUnavailable, PowerReading

_LINE = re.compile(r"^\s*(\S+)_([AV])\s+\w+\(\d+\)=([-+0-9.eE]+)[AV]\s*$")


def rail_power_w(output: str) -> float:
    """Total power in watts of the rails that report both current and voltage."""
    amps: dict[str, float] = {}
    volts: dict[str, float] = {}
    for line in output.splitlines():
        match = _LINE.match(line)
        if match:
            (amps if match[2] == "A" else volts)[match[1]] = float(match[3])
    rails = sorted(set(amps) & set(volts))
    if not rails:
        raise MeterUnavailable(
            "vcgencmd pmic_read_adc reported no rail with both volts and amps (unsupported)"
        )
    return sum(amps[r] * volts[r] for r in rails)


class Rpi5PmicMeter(Meter):
    """Board power of a Raspberry Pi 5 from its PMIC ADCs (sampled)."""

    name = "rpi5-pmic"
    scope = "board (PMIC rails)"
    kind = "sampled"
    period_s = 0.1

    def __init__(self) -> None:
        self.executable = os.environ.get("EDGEBENCH_VCGENCMD") or shutil.which("vcgencmd")
        if not self.executable:
            raise MeterUnavailable("vcgencmd not found: not a Raspberry Pi 5 (absent)")

    def read(self) -> PowerReading:
        """One reading of all rails."""
        try:
            done = subprocess.run(
                [self.executable, "pmic_read_adc"], capture_output=True, text=True, timeout=5
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise MeterUnavailable(f"vcgencmd failed: {exc}") from exc
        if done.returncode != 0:
            reason = "permission" if "ermission" in done.stderr else "unsupported"
            raise MeterUnavailable(
                f"vcgencmd pmic_read_adc exited with {done.returncode} ({reason})"
            )
        return PowerReading(watts=rail_power_w(done.stdout))

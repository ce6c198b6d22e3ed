"""hwmon power and energy sensors: ``/sys/class/hwmon/hwmon*/power*_input`` (microwatts)
and ``energy*_input`` (microjoules): Jetson INA3221 (JetPack 5+), INA2xx, some GPUs."""

from __future__ import annotations

from pathlib import Path

from edgebench.meters.base import Meter, MeterUnavailable, PowerReading, sysfs_root


class HwmonMeter(Meter):
    """Energy counters when the board has them, else power sensors sampled and integrated."""

    name = "hwmon"
    scope = "board"

    def __init__(self, root: Path | None = None) -> None:
        self.base = (root or sysfs_root()) / "sys" / "class" / "hwmon"
        energy, power = self._files()
        self.kind = "counter" if energy else "sampled"
        self._inputs = energy or power

    def _files(self) -> tuple[list[Path], list[Path]]:
        if not self.base.is_dir():
            return [], []
        energy = sorted(self.base.glob("hwmon*/energy*_input"))
        power = sorted(self.base.glob("hwmon*/power*_input"))
        return energy, power

    def read(self) -> PowerReading:
        """Sum of the energy counters (J), or of the power sensors (W)."""
        if not self._inputs:
            raise MeterUnavailable(f"no power*_input or energy*_input under {self.base} (absent)")
        total = 0
        for path in self._inputs:
            try:
                total += int(path.read_text().strip())
            except PermissionError as exc:
                raise MeterUnavailable(f"{path} is not readable (permission)") from exc
            except (OSError, ValueError) as exc:
                raise MeterUnavailable(f"cannot read {path}: {exc} (unsupported)") from exc
        if self.kind == "counter":
            return PowerReading(joules=total / 1e6)
        return PowerReading(watts=total / 1e6)

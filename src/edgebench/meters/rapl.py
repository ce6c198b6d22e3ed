"""Intel/AMD RAPL through Linux powercap: ``/sys/class/powercap/intel-rapl:N/energy_uj``.

Only top-level domains (packages, ``intel-rapl:N``) are summed; their subdomains
(``intel-rapl:N:M``: core, uncore, dram) are nested inside them and would be counted
twice. Each counter wraps at ``max_energy_range_uj``; wraps are unfolded between reads.
"""

from __future__ import annotations

import re
from pathlib import Path

from edgebench.meters.base import Meter, MeterUnavailable, PowerReading, sysfs_root

_TOP_LEVEL = re.compile(r"intel-rapl:\d+$")


class RaplMeter(Meter):
    """Package energy counters of all CPU sockets."""

    name = "rapl"
    scope = "package"
    kind = "counter"

    def __init__(self, root: Path | None = None) -> None:
        self.base = (root or sysfs_root()) / "sys" / "class" / "powercap"
        self._last: dict[Path, int] = {}
        self._unfolded: dict[Path, int] = {}

    def domains(self) -> list[Path]:
        """Top-level RAPL domains, de-duplicated by their resolved path."""
        if not self.base.is_dir():
            raise MeterUnavailable(f"no powercap interface at {self.base} (absent)")
        found: dict[Path, Path] = {}
        for path in sorted(self.base.iterdir()):
            if _TOP_LEVEL.fullmatch(path.name) and (path / "energy_uj").exists():
                found.setdefault(path.resolve(), path)
        if not found:
            raise MeterUnavailable(f"no RAPL package domain under {self.base} (absent)")
        return list(found.values())

    def _counter(self, domain: Path) -> int:
        try:
            return int((domain / "energy_uj").read_text().strip())
        except PermissionError as exc:
            raise MeterUnavailable(
                f"{domain / 'energy_uj'} is not readable (permission; run as root or "
                "chmod o+r the energy_uj files)"
            ) from exc
        except (OSError, ValueError) as exc:
            raise MeterUnavailable(
                f"cannot read {domain / 'energy_uj'}: {exc} (unsupported)"
            ) from exc

    def _range(self, domain: Path) -> int:
        try:
            return int((domain / "max_energy_range_uj").read_text().strip())
        except (OSError, ValueError):
            return 2**32

    def read(self) -> PowerReading:
        """Cumulative joules over all packages, wrap-arounds unfolded."""
        total_uj = 0
        for domain in self.domains():
            value = self._counter(domain)
            last = self._last.get(domain)
            if last is None:
                self._unfolded[domain] = value
            else:
                delta = value - last
                if delta < 0:  # the counter wrapped
                    delta += self._range(domain) + 1
                self._unfolded[domain] += delta
            self._last[domain] = value
            total_uj += self._unfolded[domain]
        return PowerReading(joules=total_uj / 1e6)

"""Meters by name, and probing which one works here (``auto``)."""

from __future__ import annotations

from collections.abc import Callable

from edgebench.meters.base import Meter, MeterUnavailable

METER_NAMES: tuple[str, ...] = ("auto", "rapl", "hwmon", "nvml", "command", "none")
AUTO_ORDER: tuple[str, ...] = ("rapl", "hwmon", "nvml")


def make_meter(name: str, command: str = "") -> Meter | None:
    """The meter called ``name`` after a real read (``None`` for ``none``); raises
    :class:`MeterUnavailable` with why it cannot be used."""
    factories: dict[str, Callable[[], Meter]] = {}
    from edgebench.meters.command import CommandMeter
    from edgebench.meters.hwmon import HwmonMeter
    from edgebench.meters.nvml import NvmlMeter
    from edgebench.meters.rapl import RaplMeter

    factories = {
        "rapl": RaplMeter,
        "hwmon": HwmonMeter,
        "nvml": NvmlMeter,
        "command": lambda: CommandMeter(command),
    }
    if name == "none":
        return None
    if name == "auto":
        reasons = []
        for candidate in AUTO_ORDER:
            try:
                return make_meter(candidate, command)
            except MeterUnavailable as exc:
                reasons.append(f"{candidate}: {exc}")
        raise MeterUnavailable("no meter found by auto-probe (" + "; ".join(reasons) + ")")
    if name not in factories:
        raise MeterUnavailable(
            f"meter {name!r} is not available in this version (known: {', '.join(METER_NAMES)})"
        )
    meter = factories[name]()
    meter.probe()
    return meter


def probe_meters(command: str = "") -> dict[str, str]:
    """Each meter's availability: ``ok`` or the reason."""
    status = {}
    for name in ("rapl", "hwmon", "nvml", "command"):
        try:
            make_meter(name, command)
            status[name] = "ok"
        except MeterUnavailable as exc:
            status[name] = str(exc)
    return status

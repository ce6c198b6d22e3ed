"""Meters by name, and probing which one works here (``auto``)."""

from __future__ import annotations

from collections.abc import Callable

from edgebench.errors import UsageError
from edgebench.meters.base import Meter, MeterUnavailable
from edgebench.registry import import_path

METER_NAMES: tuple[str, ...] = (
    "auto",
    "rapl",
    "hwmon",
    "nvml",
    "rpi5-pmic",
    "ina219",
    "command",
    "none",
)
ENTRY_POINT_GROUP = "edgebench.meters"
AUTO_ORDER: tuple[str, ...] = ("rapl", "hwmon", "nvml")
#: meters registered in this process: name -> "module:attribute" of a callable taking the
#: meter command and returning a ``Meter`` (a path, so the sampler process can import it).
_registered: dict[str, str] = {}


def register_meter(name: str, factory: str) -> None:
    """Register a meter from a conftest or plugin: ``factory`` is ``"module:attribute"``
    of a callable ``(command: str) -> Meter`` (packages can use the entry point instead)."""
    _registered[name] = factory


def unregister_meter(name: str) -> None:
    """Remove a meter registered with :func:`register_meter` (for tests)."""
    _registered.pop(name, None)


def registered_meters() -> dict[str, str]:
    """The meters registered in this process (name -> factory path)."""
    return dict(_registered)


def _registered_factories(command: str) -> dict[str, Callable[[], Meter]]:
    factories: dict[str, Callable[[], Meter]] = {}
    for name, path in _registered.items():
        try:
            factory = import_path(path, f"meter {name!r}")
        except UsageError as exc:
            raise MeterUnavailable(str(exc)) from exc
        factories[name] = lambda factory=factory: factory(command)
    return factories


def make_meter(name: str, command: str = "") -> Meter | None:
    """The meter called ``name`` after a real read (``None`` for ``none``); raises
    :class:`MeterUnavailable` with why it cannot be used."""
    from edgebench.meters.command import CommandMeter
    from edgebench.meters.hwmon import HwmonMeter
    from edgebench.meters.ina219 import Ina219Meter
    from edgebench.meters.nvml import NvmlMeter
    from edgebench.meters.rapl import RaplMeter
    from edgebench.meters.rpi5_pmic import Rpi5PmicMeter

    factories: dict[str, Callable[[], Meter]] = {
        "rapl": RaplMeter,
        "hwmon": HwmonMeter,
        "nvml": NvmlMeter,
        "rpi5-pmic": Rpi5PmicMeter,
        "ina219": Ina219Meter,
        "command": lambda: CommandMeter(command),
        **third_party_meters(),
        **_registered_factories(command),
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
        known = ", ".join([*METER_NAMES, *third_party_meters(), *_registered])
        raise MeterUnavailable(f"unknown meter {name!r} (known: {known})")
    meter = factories[name]()
    meter.probe()
    return meter


def third_party_meters() -> dict[str, Callable[[], Meter]]:
    """Meters that other packages register under the ``edgebench.meters`` entry point
    group (name -> a callable returning a ``Meter``)."""
    from importlib.metadata import entry_points

    found: dict[str, Callable[[], Meter]] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            found[entry.name] = entry.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, not fatal
            raise MeterUnavailable(f"meter plugin {entry.name!r} failed to load: {exc}") from exc
    return found


def probe_meters(command: str = "") -> dict[str, str]:
    """Each meter's availability: ``ok`` or the reason."""
    status = {}
    for name in ("rapl", "hwmon", "nvml", "rpi5-pmic", "ina219", "command"):
        try:
            make_meter(name, command)
            status[name] = "ok"
        except MeterUnavailable as exc:
            status[name] = str(exc)
    return status

"""Facts about the machine a measurement runs on, read on that machine (stdlib only: this
module is shipped to boards). Each reader returns ``None`` where the fact is not there.

The measurement worker imports this module in every job (for the temperature around the
timed loop), so it imports nothing at module level that the worker does not already have:
``platform``, ``shutil`` and ``subprocess`` (2 MiB of resident memory together) are
imported by the readers that need them, never in a memory measurement's window."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any


def sysfs() -> Path:
    """``/sys``, or ``sys`` under ``$EDGEBENCH_SYSFS_ROOT`` (a fake tree for tests: a
    Raspberry Pi's thermal zones, cpufreq and firmware flags on any machine)."""
    return Path(os.environ.get("EDGEBENCH_SYSFS_ROOT", "/")) / "sys"


PROC = Path("/proc")


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def cpu_model() -> str | None:
    """The CPU model name (``/proc/cpuinfo``; on ARM boards the device-tree model too)."""
    text = _read(PROC / "cpuinfo") or ""
    for key in ("model name", "Hardware", "Model", "cpu model"):
        for line in text.splitlines():
            if line.split(":")[0].strip() == key:
                return line.split(":", 1)[1].strip()
    import platform

    return platform.processor() or None


def board_model() -> str | None:
    """``/proc/device-tree/model`` (e.g. ``Raspberry Pi 5 Model B Rev 1.0``), where it exists."""
    model = _read(PROC / "device-tree" / "model")
    return model.rstrip("\x00") if model else None


def governor() -> str | None:
    """The cpufreq governor of cpu0."""
    return _read(sysfs() / "devices/system/cpu/cpu0/cpufreq/scaling_governor")


def frequency_mhz() -> float | None:
    """The current frequency of cpu0 in MHz."""
    value = _read(sysfs() / "devices/system/cpu/cpu0/cpufreq/scaling_cur_freq")
    return int(value) / 1000 if value and value.isdigit() else None


def temperature_c() -> float | None:
    """The highest thermal-zone temperature in degrees Celsius."""
    readings = []
    for zone in sorted((sysfs() / "class/thermal").glob("thermal_zone*")):
        value = _read(zone / "temp")
        if value and value.lstrip("-").isdigit():
            readings.append(int(value) / 1000)
    return max(readings) if readings else None


#: the bits of the Raspberry Pi firmware's ``get_throttled``.
THROTTLE_BITS: dict[int, str] = {
    0: "under-voltage",
    1: "frequency capped",
    2: "throttled",
    3: "soft temperature limit",
}
#: under the sysfs root (``device_facts.sysfs``): the cores, and a Raspberry Pi's flags.
#: a Raspberry Pi's throttling flags, under the sysfs root.
FIRMWARE = "devices/platform/soc/soc:firmware/get_throttled"


def decode_throttled(value: int) -> dict[str, Any]:
    """The firmware's throttling flags, by name, now and since boot.

    >>> decode_throttled(0x50005)["now"], decode_throttled(0x50005)["since_boot"]
    (['under-voltage', 'throttled'], ['under-voltage', 'throttled'])
    """
    return {
        "flags": hex(value),
        "now": [name for bit, name in THROTTLE_BITS.items() if value & (1 << bit)],
        "since_boot": [name for bit, name in THROTTLE_BITS.items() if value & (1 << (bit + 16))],
    }


def throttling(firmware: Path | None = None) -> dict[str, Any] | None:
    """A Raspberry Pi's throttling flags (sysfs, else ``vcgencmd get_throttled``)."""
    firmware = firmware or sysfs() / FIRMWARE
    raw = _read(firmware)
    source = str(firmware)
    if raw is None:
        import shutil
        import subprocess

        if shutil.which("vcgencmd") is None:
            return None
        try:
            out = subprocess.run(
                ["vcgencmd", "get_throttled"], capture_output=True, text=True, timeout=5
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        raw, source = out.strip().partition("=")[2], "vcgencmd get_throttled"
    try:
        value = int(raw, 16)
    except ValueError:
        return None
    return dict(decode_throttled(value), source=source)


def throttled() -> dict[str, Any] | None:
    """A Raspberry Pi's throttling (:func:`throttling`: the firmware's
    sysfs file, else ``vcgencmd get_throttled``): the raw flags and whether the board is
    frequency capped or throttled now (bits 1, 2) or was since boot (bits 17, 18)."""
    found = throttling()
    if found is None:
        return None
    slowed = {"frequency capped", "throttled"}
    return {
        "flags": found["flags"],
        "throttled_now": bool(slowed & set(found["now"])),
        "throttled_since_boot": bool(slowed & set(found["since_boot"])),
    }


def machine_id() -> str | None:
    """The machine's systemd/D-Bus id (``/etc/machine-id``): what tells two boards with one
    hostname apart."""
    for path in (Path("/etc/machine-id"), Path("/var/lib/dbus/machine-id")):
        value = _read(path)
        if value:
            return value
    return None


def package_version(name: str) -> str | None:
    """An installed distribution's version (``None`` when not installed)."""
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def collect() -> dict[str, Any]:
    """Every fact, as the record's ``device_facts`` holds them."""
    import platform

    uname = platform.uname()
    return {
        "hostname": uname.node,
        "machine_id": machine_id(),
        "cpu": cpu_model(),
        "board": board_model(),
        "machine": uname.machine,
        "cores": len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "kernel": uname.release,
        "python": platform.python_version(),
        "python_executable": sys.executable,
        "numpy": package_version("numpy"),
        "ai-edge-litert": package_version("ai-edge-litert"),
        "tflite-runtime": package_version("tflite-runtime"),
        "onnxruntime": package_version("onnxruntime"),
        "governor": governor(),
        "frequency_mhz": frequency_mhz(),
        "temperature_c": temperature_c(),
        "throttled": throttled(),
    }

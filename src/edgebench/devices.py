"""Device profiles: thread counts, power meter and memory-baseline method per device.

Built-ins: ``host`` (the machine pytest runs on; the default), ``rpi4``, ``rpi5``,
``jetson-orin`` and ``x86-laptop``. Users add or override profiles in ``pytest.ini``
(``edgebench_devices`` lines) or in ``pyproject.toml`` under
``[tool.edgebench.devices.NAME]``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from edgebench.errors import UsageError
from edgebench.provenance import usable_cores

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


@dataclass(frozen=True)
class DeviceProfile:
    """What to run on a device and how to measure it.

    ``threads`` empty means "1 and every usable core" of the machine that runs.
    """

    name: str
    description: str = ""
    threads: tuple[int, ...] = ()
    meter: str = "auto"
    memory_baseline: str = "idle-worker"
    hosts: tuple[str, ...] = field(default=())
    #: where the device's jobs run: a registered target; empty: ``ssh`` when the profile has
    #: hosts, else ``worker`` (a fresh local process; see ``edgebench.targets``).
    target: str = ""
    #: the board's Python (a venv with numpy and the runtimes), for remote targets.
    python: str = "python3"
    #: an ssh_config file to use instead of ``~/.ssh/config`` (empty: ssh's default).
    ssh_config: str = ""
    #: the cache folder on the board (empty: ``~/.cache/edgebench-device``).
    cache: str = ""
    #: where the meter is read for a board: ``board`` (its own sensors or a command run
    #: there) or ``host`` (a USB meter read on this machine while the board runs).
    meter_at: str = "board"
    #: fields of a registered target's own (``TargetSpec.profile_fields``) that this
    #: class does not name, as ``(key, value)`` pairs.
    target_settings: tuple[tuple[str, Any], ...] = ()

    @property
    def target_name(self) -> str:
        """The target that runs this device's jobs."""
        return self.target or ("ssh" if self.hosts else "worker")

    @property
    def remote(self) -> bool:
        """Whether the device's target runs jobs on another machine (``TargetSpec.remote``)."""
        from edgebench.targets.registry import target_spec

        return target_spec(self.target_name).remote

    def target_options(self, cache_root: Path | None = None) -> dict[str, Any]:
        """Keyword options for the target's factory: the profile fields the target owns
        (``TargetSpec.profile_fields``; empty ones left to the target's defaults), and for
        a target with board locks, with ``cache_root``, the folder of the locks in this
        machine's cache."""
        from edgebench.targets.host_pool import LOCK_FOLDER
        from edgebench.targets.registry import target_spec

        spec = target_spec(self.target_name)
        settings = dict(self.target_settings)
        options: dict[str, Any] = {}
        for name in spec.profile_fields:
            value = getattr(self, name) if hasattr(self, name) else settings.get(name)
            if value not in (None, "", ()):
                options[name] = value
        if spec.board_locks and cache_root is not None:
            options["lock_dir"] = str(Path(cache_root) / LOCK_FOLDER)
        return options

    def thread_counts(self, cores: int | None = None) -> tuple[int, ...]:
        """The thread counts to benchmark (``1`` and all cores when unset)."""
        if self.threads:
            return self.threads
        cores = usable_cores() if cores is None else cores
        return tuple(sorted({1, cores}))

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for the run JSON."""
        return asdict(self)


BUILTIN_PROFILES: dict[str, DeviceProfile] = {
    p.name: p
    for p in (
        DeviceProfile("host", "the machine pytest runs on", (), "auto", "idle-worker"),
        DeviceProfile(
            "rpi4", "Raspberry Pi 4 (Cortex-A72, 4 cores)", (1, 2, 3, 4), "ina219", "idle-worker"
        ),
        DeviceProfile(
            "rpi5", "Raspberry Pi 5 (Cortex-A76, 4 cores)", (1, 2, 3, 4), "rpi5-pmic", "idle-worker"
        ),
        DeviceProfile(
            "jetson-orin",
            "NVIDIA Jetson Orin (Cortex-A78AE CPU)",
            (1, 2, 4, 6),
            "hwmon",
            "idle-worker",
        ),
        DeviceProfile("x86-laptop", "an x86-64 laptop", (1, 2, 4, 8), "rapl", "idle-worker"),
    )
}
#: the fields every profile has; a target adds its own (``TargetSpec.profile_fields``).
CORE_PROFILE_FIELDS = (
    "description",
    "threads",
    "meter",
    "memory_baseline",
    "target",
    "meter_at",
)


def profile_fields() -> tuple[str, ...]:
    """Every field a profile may set: the core ones and those of the known targets."""
    from edgebench.targets.registry import profile_field_owners

    return (*CORE_PROFILE_FIELDS, *profile_field_owners())


def parse_threads(value: Any) -> tuple[int, ...]:
    """Thread counts from ``"1,2,4"`` or ``[1, 2, 4]``: positive, unique, sorted."""
    items: Iterable[Any] = value.split(",") if isinstance(value, str) else value
    try:
        counts = sorted({int(str(item).strip()) for item in items if str(item).strip()})
    except ValueError as exc:
        raise UsageError(f"thread counts must be integers, got {value!r}") from exc
    if not counts or counts[0] < 1 or counts[-1] > MAX_THREADS:
        raise UsageError(f"thread counts must be integers from 1 to {MAX_THREADS}, got {value!r}")
    return tuple(counts)


#: the largest thread count a profile or ``--threads`` may ask for.
MAX_THREADS = 1024


def _plain_text(value: Any, what: str) -> str:
    """A free-text field (a description): one line without control characters."""
    text = str(value)
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise UsageError(f"{what}: control characters are not allowed, got {text!r}")
    return text


def _profile_from_mapping(
    name: str, values: dict[str, Any], base: DeviceProfile | None
) -> DeviceProfile:
    known = profile_fields()
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise UsageError(
            f"device profile {name!r}: unknown field(s) {', '.join(unknown)}; "
            f"known: {', '.join(known)}"
        )
    from edgebench.targets.registry import check_profile_field, profile_field_owners

    owned = profile_field_owners()
    settings = dict((base or DeviceProfile(name)).target_settings)
    profile = base or DeviceProfile(name)
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key == "threads":
            changes[key] = parse_threads(value)
        elif key in owned:
            checked = check_profile_field(key, value, f"device profile {name!r}: {key}")
            if key in DeviceProfile.__dataclass_fields__:
                changes[key] = checked
            else:
                settings[key] = checked
        elif key == "meter_at":
            if value not in ("board", "host"):
                raise UsageError(
                    f"device profile {name!r}: meter_at must be board or host, got {value!r}"
                )
            changes[key] = value
        else:
            changes[key] = _plain_text(value, f"device profile {name!r}: {key}")
    if settings:
        changes["target_settings"] = tuple(sorted(settings.items()))
    return replace(profile, **changes)


def parse_ini_profile(line: str, known: dict[str, DeviceProfile]) -> DeviceProfile:
    """One ``edgebench_devices`` ini line: ``NAME: threads=1,2; meter=none; description=...``."""
    name, sep, rest = line.partition(":")
    name = name.strip()
    if not sep or not name:
        raise UsageError(f"edgebench_devices line {line!r}: expected 'NAME: key=value; ...'")
    values: dict[str, str] = {}
    for part in rest.split(";"):
        if not part.strip():
            continue
        key, eq, value = part.partition("=")
        if not eq:
            raise UsageError(f"edgebench_devices line {line!r}: {part.strip()!r} is not key=value")
        values[key.strip()] = value.strip()
    return _profile_from_mapping(name, values, known.get(name))


def pyproject_profiles(
    pyproject: Path, known: dict[str, DeviceProfile]
) -> dict[str, DeviceProfile]:
    """Profiles from ``[tool.edgebench.devices.NAME]`` tables of a ``pyproject.toml``."""
    if not pyproject.is_file():
        return {}
    try:
        data = tomllib.loads(pyproject.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"cannot read {pyproject}: {exc}") from exc
    tables = data.get("tool", {}).get("edgebench", {}).get("devices", {})
    return {
        name: _profile_from_mapping(name, dict(values), known.get(name))
        for name, values in tables.items()
    }


def load_profiles(
    ini_lines: Iterable[str] = (), pyproject: Path | None = None
) -> dict[str, DeviceProfile]:
    """Built-in profiles, updated by ``pyproject.toml`` and then by pytest.ini lines."""
    profiles = dict(BUILTIN_PROFILES)
    if pyproject is not None:
        profiles.update(pyproject_profiles(pyproject, profiles))
    for line in ini_lines:
        if line.strip():
            profile = parse_ini_profile(line, profiles)
            profiles[profile.name] = profile
    return profiles


def resolve_profiles(names: str, profiles: dict[str, DeviceProfile]) -> tuple[DeviceProfile, ...]:
    """The profiles of a ``--device a,b`` list, in order, without repeats."""
    chosen = [n.strip() for n in names.split(",") if n.strip()] or ["host"]
    return tuple(resolve_profile(n, profiles) for n in dict.fromkeys(chosen))


def resolve_profile(name: str, profiles: dict[str, DeviceProfile]) -> DeviceProfile:
    """The profile called ``name``; an unknown name lists the known ones."""
    if name not in profiles:
        raise UsageError(f"unknown device {name!r}; known devices: {', '.join(sorted(profiles))}")
    return profiles[name]

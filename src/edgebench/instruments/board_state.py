"""The state of the measuring machine right before a timed window, and the rules that act
on it (``--cooldown``, ``--require-governor``, ``--pin-cores``).

Read on the machine that measures (stdlib only: shipped to boards in the runner bundle),
each reader ``None`` where the fact is not there:

- per core: the cpufreq governor and the current, minimum and maximum frequency (kHz);
- the hottest thermal zone (degrees C);
- throttling, on a Raspberry Pi: the firmware's flags (``get_throttled`` in sysfs, else
  ``vcgencmd get_throttled``): under-voltage, frequency capped, throttled, soft
  temperature limit, now and since boot;
- the load: the 1/5/15-minute load averages, and the share of all cores that were busy
  in the half second before the window (``/proc/stat``; the measuring process sleeps
  then, so this is everyone else).

A row measured throttled (now), hot (at least :data:`HOT_C`) or under load (at least
:data:`BUSY_SHARE` of the CPU busy) gets a flag saying which (:func:`flags`).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from edgebench.device_facts import sysfs, throttling
from edgebench.errors import EdgebenchError

#: a row measured at or above this temperature (degrees C) is flagged hot: the
#: Raspberry Pi 4 and 5 start to throttle at 80-85 C.
HOT_C = 80.0
#: a row measured after a half second in which at least this share of all cores was busy
#: (other processes) is flagged under load.
BUSY_SHARE = 0.25
CPU = "devices/system/cpu"


def _sys(relative: str) -> Path:
    return sysfs() / relative


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _khz(path: Path) -> int | None:
    value = _read(path)
    return int(value) if value and value.isdigit() else None


def cores_state(root: Path | None = None) -> list[dict[str, Any]]:
    """Per online core: ``{cpu, governor, cur_khz, min_khz, max_khz}`` (``None`` where the
    kernel has no cpufreq for it, as in most VMs); ``root``: the sysfs one unless given."""
    found = []
    for folder in sorted((root or _sys(CPU)).glob("cpu[0-9]*"), key=lambda p: int(p.name[3:])):
        if _read(folder / "online") == "0":
            continue
        freq = folder / "cpufreq"
        found.append(
            {
                "cpu": int(folder.name[3:]),
                "governor": _read(freq / "scaling_governor"),
                "cur_khz": _khz(freq / "scaling_cur_freq"),
                "min_khz": _khz(freq / "scaling_min_freq"),
                "max_khz": _khz(freq / "scaling_max_freq"),
            }
        )
    return found


def _cpu_times(stat: Path) -> tuple[int, int] | None:
    """(busy, total) jiffies of all cores from ``/proc/stat``."""
    line = (_read(stat) or "").splitlines()[:1]
    parts = line[0].split() if line else []
    if len(parts) < 5 or parts[0] != "cpu":
        return None
    values = [int(v) for v in parts[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values[:8]) - idle, sum(values[:8])


def busy_share(seconds: float = 0.5, stat: Path = Path("/proc/stat")) -> float | None:
    """The share of all cores busy during ``seconds`` (this process sleeps meanwhile)."""
    before = _cpu_times(stat)
    time.sleep(seconds)
    after = _cpu_times(stat)
    if before is None or after is None or after[1] <= before[1]:
        return None
    return round((after[0] - before[0]) / (after[1] - before[1]), 3)


def read_state(temperature: Any = None) -> dict[str, Any]:
    """The machine's state now (see the module docstring); ``temperature`` reads the
    hottest zone (``device_facts.temperature_c`` unless given)."""
    if temperature is None:
        from edgebench.device_facts import temperature_c as temperature
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cores": cores_state(),
        "temperature_c": temperature(),
        "throttling": throttling(),
        "load_average": [round(v, 2) for v in load] if load else None,
        "cpu_busy_share": busy_share(),
        "affinity": sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
    }


def flags(state: dict[str, Any]) -> list[str]:
    """What makes a row measured in ``state`` suspect: throttled now, hot, under load.

    >>> flags({"temperature_c": 83.5, "cpu_busy_share": 0.1, "throttling": None})
    ['hot: 83.5 C']
    """
    found = []
    throttled = (state.get("throttling") or {}).get("now") or []
    if throttled:
        found.append(f"throttled: {', '.join(throttled)} now")
    temperature = state.get("temperature_c")
    if temperature is not None and temperature >= HOT_C:
        found.append(f"hot: {temperature:.1f} C")
    busy = state.get("cpu_busy_share")
    if busy is not None and busy >= BUSY_SHARE:
        found.append(f"under load: {busy:.0%} of the CPU busy just before")
    return found


def parse_cores(text: str) -> list[int]:
    """``"4-7"`` or ``"2,3"`` (or both, ``"0,4-5"``) as a sorted list of core numbers.

    >>> parse_cores("0,4-5")
    [0, 4, 5]
    """
    cores: set[int] = set()
    for part in text.replace(" ", "").split(","):
        if not part:
            continue
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"{text!r} is not a list of cores like 4-7 or 2,3")
        first, last = int(low), int(high or low)
        if last < first or last > 4095:
            raise ValueError(f"{text!r} is not a list of cores like 4-7 or 2,3")
        cores.update(range(first, last + 1))
    if not cores:
        raise ValueError(f"{text!r} names no core")
    return sorted(cores)


def rules_from(option: Any) -> dict[str, Any]:
    """:func:`apply_rules`'s keywords from the options (``option(key)``: the settings'
    checked values of ``--pin-cores``, ``--require-governor``, ``--cooldown`` and
    ``--cooldown-max``; empty ones: no rule)."""
    from edgebench.errors import UsageError

    pin = option("pin_cores")
    try:
        cores = parse_cores(pin) if pin else None
    except ValueError as exc:
        raise UsageError(f"--pin-cores: {exc}") from exc
    return {
        "cores": cores,
        "require_governor": option("require_governor") or None,
        "cooldown_c": option("cooldown"),
        "cooldown_max_s": option("cooldown_max"),
    }


class RuleBroken(EdgebenchError):
    """A rule of the run that the machine does not meet (the row fails with this line)."""


def apply_rules(
    cores: list[int] | None,
    require_governor: str | None,
    cooldown_c: float | None,
    cooldown_max_s: float,
    say: Any = None,
    temperature: Any = None,
) -> dict[str, Any]:
    """Before a timed window: pin this process to ``cores``, check every core it runs on
    has ``require_governor``, wait (at most ``cooldown_max_s``) until the machine is below
    ``cooldown_c``; then read the state. Returns the record's values; raises
    :class:`RuleBroken` with one line where a rule cannot be met or checked."""
    if temperature is None:
        from edgebench.device_facts import temperature_c as temperature
    values: dict[str, Any] = {}
    if cores:
        try:
            os.sched_setaffinity(0, cores)
        except (OSError, ValueError, AttributeError) as exc:
            raise RuleBroken(
                f"--pin-cores {cores}: cannot run on those cores here ({exc})"
            ) from exc
        values["pinned_cores"] = cores
    if require_governor:
        mine = set(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
        seen = {c["cpu"]: c["governor"] for c in cores_state() if mine is None or c["cpu"] in mine}
        if not seen or all(g is None for g in seen.values()):
            raise RuleBroken(
                f"--require-governor {require_governor}: this machine exposes no cpufreq "
                "governor (/sys/devices/system/cpu/cpu*/cpufreq)"
            )
        wrong = {c: g for c, g in seen.items() if g != require_governor}
        if wrong:
            listed = ", ".join(f"cpu{c} {g}" for c, g in sorted(wrong.items()))
            raise RuleBroken(
                f"--require-governor {require_governor}: {listed} (on the board: "
                f"sudo cpupower frequency-set -g {require_governor})"
            )
    if cooldown_c is not None:
        started = time.monotonic()
        now = temperature()
        if now is None:
            raise RuleBroken(
                f"--cooldown {cooldown_c:g}: this machine has no readable thermal zone"
            )
        while now is not None and now >= cooldown_c and time.monotonic() - started < cooldown_max_s:
            if say is not None:
                say(f"cooling down: {now:.1f} C, waiting for below {cooldown_c:g} C")
            time.sleep(1.0)
            now = temperature()
        values["cooldown_waited_s"] = round(time.monotonic() - started, 1)
        values["cooled_down"] = now is not None and now < cooldown_c
    state = read_state(temperature)
    values["board_state"] = state
    values["board_flags"] = flags(state)
    if values.get("cooled_down") is False:
        values["board_flags"].append(
            f"not cooled down: {state['temperature_c']:.1f} C after {cooldown_max_s:g} s "
            f"(--cooldown {cooldown_c:g})"
        )
    return values


class window_rules:  # noqa: N801 - used as a context manager, like contextlib's
    """:func:`apply_rules` for a window timed in a process that goes on afterwards (the
    pytest process): the cores it ran on are given back on exit.

    >>> with window_rules({"cores": None, "require_governor": None, "cooldown_c": None,
    ...                    "cooldown_max_s": 0}) as values:
    ...     "board_flags" in values
    True
    """

    def __init__(self, rules: dict[str, Any]) -> None:
        self.rules = rules
        self.saved: set[int] | None = None

    def __enter__(self) -> dict[str, Any]:
        if hasattr(os, "sched_getaffinity"):
            self.saved = set(os.sched_getaffinity(0))
        return apply_rules(**self.rules)

    def __exit__(self, *exc: object) -> None:
        if self.saved is not None:
            os.sched_setaffinity(0, self.saved)

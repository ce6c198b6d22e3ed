"""A user command that prints one reading: watts (``12.3`` or ``12.3 W``) or joules (``5.1 J``).

For any external meter: USB power meters, lab supplies. Set with ``--meter-command``.
"""

from __future__ import annotations

import re
import shlex
import subprocess

from edgebench.meters.base import Meter, MeterUnavailable, PowerReading

_READING = re.compile(r"^\s*([-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)\s*([WJ]?)\s*$")


def parse_reading(line: str) -> PowerReading:
    """``'12.5'``/``'12.5 W'`` -> watts, ``'3 J'`` -> joules."""
    match = _READING.match(line)
    if not match:
        raise MeterUnavailable(f"meter command printed {line!r}, not a number of W or J")
    value = float(match[1])
    return PowerReading(joules=value) if match[2] == "J" else PowerReading(watts=value)


class CommandMeter(Meter):
    """Runs the command for every reading and parses its last line."""

    name = "command"
    scope = "external meter"
    kind = "sampled"
    period_s = 0.2

    def __init__(self, command: str) -> None:
        if not command:
            raise MeterUnavailable("meter 'command' needs --meter-command (absent)")
        self.argv = shlex.split(command)
        self.kind = "sampled"

    def read(self) -> PowerReading:
        """One reading from the command's last line of output."""
        try:
            done = subprocess.run(self.argv, capture_output=True, text=True, timeout=10)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise MeterUnavailable(f"meter command {self.argv[0]!r} failed: {exc}") from exc
        lines = done.stdout.strip().splitlines()
        if done.returncode != 0 or not lines:
            raise MeterUnavailable(
                f"meter command exited with status {done.returncode}: {done.stderr.strip()[-200:]}"
            )
        reading = parse_reading(lines[-1])
        if reading.joules is not None:
            self.kind = "counter"
        return reading

"""The ``edgebench`` command: ``--version``, ``devices`` and ``meters``.

Benchmarks run through pytest (``pytest bench/``); this command only lists what
is configured.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tabulate import tabulate

from edgebench import __version__
from edgebench.devices import load_profiles
from edgebench.errors import UsageError
from edgebench.provenance import usable_cores


def _ini_device_lines(ini: Path) -> list[str]:
    """``edgebench_devices`` lines of a pytest.ini, if it has any."""
    import configparser

    if not ini.is_file():
        return []
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(ini)
    except configparser.Error as exc:
        raise UsageError(f"cannot read {ini}: {exc}") from exc
    raw = parser.get("pytest", "edgebench_devices", fallback="")
    return [line.strip() for line in raw.splitlines() if line.strip()]


def cmd_devices(args: argparse.Namespace) -> int:
    """Print the device profiles: built-ins plus those of pytest.ini and pyproject.toml."""
    root = Path(args.root)
    profiles = load_profiles(_ini_device_lines(root / "pytest.ini"), root / "pyproject.toml")
    cores = usable_cores()
    rows = [
        [
            p.name,
            ",".join(map(str, p.thread_counts(cores)))
            + ("" if p.threads else " (1 and all cores)"),
            p.meter,
            p.memory_baseline,
            p.description,
        ]
        for p in profiles.values()
    ]
    print(tabulate(rows, headers=["Device", "Threads", "Meter", "Memory baseline", "Description"]))
    return 0


def cmd_meters(args: argparse.Namespace) -> int:
    """Probe every power meter with a real read and say which work here, and why not."""
    from edgebench.meters import probe_meters

    rows = [[name, status] for name, status in probe_meters(args.command).items()]
    print(tabulate(rows, headers=["Meter", "Status"]))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``edgebench`` command."""
    parser = argparse.ArgumentParser(
        prog="edgebench",
        description=(
            "edgebench benchmarks compressed neural networks with pytest. Run the "
            "benchmarks with 'pytest bench/ [--device NAME] [--model ...] [--variants ...]'; "
            "'pytest --help' lists the edgebench options."
        ),
    )
    parser.add_argument("--version", action="version", version=f"edgebench {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    devices = sub.add_parser(
        "devices",
        help="list the device profiles (built-in and from pytest.ini / pyproject.toml)",
        description="List device profiles: thread counts, power meter, memory-baseline method.",
    )
    devices.add_argument(
        "--root", default=".", help="project folder with pytest.ini/pyproject.toml"
    )
    devices.set_defaults(func=cmd_devices)
    meters = sub.add_parser(
        "meters",
        help="probe the power meters (rapl, hwmon, nvml, rpi5-pmic, ina219, command)",
        description="Probe each power meter with a real read; print 'ok' or why it cannot be used.",
    )
    meters.add_argument("--command", default="", help="the command for the 'command' meter")
    meters.set_defaults(func=cmd_meters)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``edgebench`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"edgebench: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

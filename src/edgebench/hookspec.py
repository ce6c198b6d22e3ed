"""Hooks that edgebench calls; implement them in a conftest.py or a plugin."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.hookspec
def pytest_edgebench_register_steps(registry: Any) -> None:
    """Register additional recipe step kinds with ``registry`` (a ``StepRegistry``).

    Called once, when the edgebench session is created. Example, a conftest.py that
    adds a step ``noop`` (``from edgebench.recipes import Step, StepKind``)::

        import re
        from dataclasses import dataclass

        @dataclass(frozen=True)
        class Noop(Step):
            @property
            def token(self):
                return "noop"

        def pytest_edgebench_register_steps(registry):
            registry.register(StepKind("noop", re.compile("noop"), lambda m: Noop(),
                                       help="does nothing", example="noop"))
    """


@pytest.hookspec
def pytest_edgebench_device_profiles(profiles: dict[str, Any]) -> None:
    """Add or replace device profiles in ``profiles`` (name -> ``DeviceProfile``).

    Called after built-in, pyproject.toml and pytest.ini profiles are loaded. Example::

        from edgebench.devices import DeviceProfile

        def pytest_edgebench_device_profiles(profiles):
            profiles["coral"] = DeviceProfile("coral", "Coral Dev Board", threads=(1, 4),
                                              meter="command")
    """


@pytest.hookspec
def pytest_edgebench_record_fragment(fragment: dict[str, Any], item: Any) -> None:
    """Inspect or extend a measurement fragment before it is attached to ``item``'s report.

    ``fragment["values"]`` holds record fields (add your own columns there) and
    ``fragment["null_reasons"]`` the reasons for fields left ``None``. Runs in the
    process that ran the test (an xdist worker too). Example, record the CPU
    frequency with every latency row::

        import psutil

        def pytest_edgebench_record_fragment(fragment, item):
            if fragment["threads"] is not None:
                fragment["values"]["cpu_mhz"] = psutil.cpu_freq().current
    """


@pytest.hookspec
def pytest_edgebench_measurements(config: Any) -> list[Any]:
    """Return measurements (``edgebench.measurements.Measurement``) to run once per
    latency row, each with the record fields and summary-table columns it fills.

    ``measure(context)`` receives a ``MeasureContext``: the row (``context.case``), its
    artifact, dataset, runtime, task, the target that runs fresh-process jobs, the
    settings and a session-wide memo (``context.once``). edgebench's own memory and
    energy measurements come through this hook. Example, a conftest.py that records the
    CPU temperature next to every row::

        from pathlib import Path
        from edgebench.measurements import Measurement, MeasureColumn

        def cpu_temperature(context):
            zone = Path("/sys/class/thermal/thermal_zone0/temp")
            if not zone.exists():
                return {}, {"cpu_temp_c": "no thermal zone"}
            return {"cpu_temp_c": int(zone.read_text()) / 1000}, {}

        def pytest_edgebench_measurements(config):
            return [Measurement("temperature", (MeasureColumn("cpu_temp_c", "CPU [C]", "{:.1f}"),),
                                cpu_temperature, fields=("cpu_temp_c",))]
    """

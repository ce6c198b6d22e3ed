"""Power and energy per image: the session's meter brackets a window of steady inference;
idle power is measured once per session, in the same way, and subtracted."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edgebench.measurements.base import MeasureColumn, MeasureContext, Measurement
from edgebench.option_decl import Option


@dataclass
class EnergyRecord:
    """The record fields of the energy measurement: one group of a row (``results.Record``)."""

    power_max_w: float | None = None
    power_avg_w: float | None = None
    power_idle_w: float | None = None
    energy_per_image_mj: float | None = None
    energy_net_per_image_mj: float | None = None
    energy_images: int | None = None
    energy_window_s: float | None = None
    meter: str | None = None
    meter_scope: str | None = None
    meter_period_s: float | None = None


FIELDS: tuple[str, ...] = (
    "power_max_w",
    "power_avg_w",
    "power_idle_w",
    "energy_per_image_mj",
    "energy_net_per_image_mj",
    "energy_images",
    "energy_window_s",
    "meter",
    "meter_scope",
    "meter_period_s",
)


def _probe_meter(context: MeasureContext) -> tuple[Any, str | None]:
    """(meter or None, reason when None), probed once per session."""
    from edgebench.meters import MeterUnavailable, make_meter

    settings = context.settings

    def probe() -> tuple[Any, str | None]:
        try:
            meter = make_meter(settings.meter, settings.meter_command)
        except MeterUnavailable as exc:
            return None, f"no meter: {exc}"
        return (None, "no meter: --meter none") if meter is None else (meter, None)

    return context.once(("meter",), probe)


def _on_the_board(context: MeasureContext) -> tuple[dict[str, Any], dict[str, str]]:
    """The board reads its own meter (``energy`` jobs): idle once per device, then a
    window of steady inference of the row."""
    settings = context.settings
    device = context.case.variant.device
    from edgebench.jobs import EnergyJob

    meter = {
        "meter": settings.meter_for(device),
        "meter_command": settings.meter_command,
        "seconds": float(settings.option("energy_seconds")),
    }
    idle = context.once(  # per board: in a pool each row's board has its own idle power
        ("idle-power", device, context.target.label_for(context.case.variant.id)),
        lambda: context.target.run(context.job(idle=True, kind=EnergyJob, **meter)),
    )
    result = idle
    if "unavailable" not in idle:
        row_job = context.job(kind=EnergyJob, **meter, idle_w=idle["power_idle_w"])
        result = context.target.run(row_job)
    if "unavailable" in result:
        reason = f"no meter on the board ({device}): {result['unavailable']}"
        return {}, {name: reason for name in FIELDS}
    return {name: result[name] for name in FIELDS if name in result}, {}


def _read_here_while_the_board_runs(
    context: MeasureContext,
) -> tuple[dict[str, Any], dict[str, str]]:
    """A meter on this machine (a USB meter between the board and its supply, read by a
    ``command``) sampled while the board runs a ``loop`` job; idle while the board rests.
    The window is the board's loop duration ending when its answer arrived, so the job's
    start-up (process, model load) is not in it."""
    import time

    from edgebench.instruments.energy import energy_window, idle_power

    meter, reason = _probe_meter(context)
    if meter is None:
        return {}, {name: str(reason) for name in FIELDS}
    name, command, period = meter.name, context.settings.meter_command, meter.period_s
    seconds = context.settings.option("energy_seconds")
    device = context.case.variant.device
    idle = context.once(("idle-power", device), lambda: idle_power(name, command, period, seconds))
    from edgebench.jobs import LoopJob

    job = context.job(kind=LoopJob, seconds=float(seconds))
    board: dict[str, Any] = {}

    def loop() -> tuple[int, float, float]:
        board.update(context.target.run(job))
        end = time.monotonic()
        # the board's loop ended just before its answer arrived: the window is its duration
        # before now (off by the answer's way back over the link, milliseconds)
        return int(board["images"]), end - float(board["seconds"]), end

    values = energy_window(name, command, period, seconds, None, idle["power_idle_w"], loop)
    values.update(meter=f"{meter.name} (read on this machine)", meter_scope=meter.scope)
    values["meter_period_s"] = period
    return values, {}


def measure_energy(context: MeasureContext) -> tuple[dict[str, Any], dict[str, str]]:
    """Power and energy per image over a window of steady inference (values, null reasons)."""
    from edgebench.instruments.energy import energy_window, idle_power

    if context.target.remote:
        if context.settings.device(context.case.variant.device).meter_at == "host":
            return _read_here_while_the_board_runs(context)
        return _on_the_board(context)
    session = context.load()  # a broken artifact fails here, meter or not
    invoke = session.bind(context.input_sample(session))
    meter, reason = _probe_meter(context)
    if meter is None:
        return {}, {name: str(reason) for name in FIELDS}
    name, command, period = meter.name, context.settings.meter_command, meter.period_s
    seconds = context.settings.option("energy_seconds")
    idle = context.once(("idle-power",), lambda: idle_power(name, command, period, seconds))
    values = energy_window(name, command, period, seconds, invoke, idle["power_idle_w"])
    values.update(meter=meter.name, meter_scope=meter.scope, meter_period_s=period)
    return values, {}


ENERGY = Measurement(
    "energy",
    (
        MeasureColumn("power_max_w", "Max power [W]", "{:.2f}", "power"),
        MeasureColumn("energy_net_per_image_mj", "Energy/image [mJ]", "{:.3f}", "energy"),
    ),
    measure_energy,
    FIELDS,
    "the energy test of this row did not run in this session",
    options=(
        Option(
            "--energy-seconds",
            "edgebench_energy_seconds",
            "5",
            "length of the idle and of the inference window the meter brackets",
            kind="float",
            minimum=0.5,
            maximum=3_600.0,
        ),
    ),
)

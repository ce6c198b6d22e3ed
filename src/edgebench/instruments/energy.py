"""Power and energy over a timed window of steady inference.

Idle power is measured first, for the same duration, in the same session. A sampler
in a separate process reads the meter every ``period_s`` during each window, so
sampling does not steal time from the inference loop; sampled watts are integrated
with the trapezoid rule over a monotonic clock, counter joules are differenced (the
meter unfolds wraps). Energy per image: gross = window energy / images; net =
(window energy - idle power x window) / images.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

from edgebench.meters.base import MeterUnavailable

Sample = tuple[float, float]  # (monotonic seconds, joules or watts)


def integrate(samples: Sequence[Sample], kind: str) -> tuple[float, float, float]:
    """(energy J, mean W, max W) of a window's samples.

    ``counter`` samples are cumulative joules; ``sampled`` are watts (trapezoid rule).
    """
    if len(samples) < 2:
        raise MeterUnavailable(
            "fewer than two meter readings in the window; raise --energy-seconds"
        )
    duration = samples[-1][0] - samples[0][0]
    if duration <= 0:
        raise MeterUnavailable("meter readings span no time")
    if kind == "counter":
        energy = samples[-1][1] - samples[0][1]
        rates = [
            (b[1] - a[1]) / (b[0] - a[0])
            for a, b in zip(samples, samples[1:], strict=False)
            if b[0] > a[0]
        ]
        return energy, energy / duration, max(rates)
    energy = sum(
        (b[0] - a[0]) * (a[1] + b[1]) / 2 for a, b in zip(samples, samples[1:], strict=False)
    )
    return energy, energy / duration, max(w for _, w in samples)


def clip_window(samples: Sequence[Sample], start: float, end: float) -> list[Sample]:
    """The samples inside [start, end], with linearly interpolated values at both edges."""

    def value_at(t: float) -> float:
        for a, b in zip(samples, samples[1:], strict=False):
            if a[0] <= t <= b[0]:
                return a[1] if b[0] == a[0] else a[1] + (b[1] - a[1]) * (t - a[0]) / (b[0] - a[0])
        raise MeterUnavailable("the meter readings do not cover the measured window")

    inside = [s for s in samples if start < s[0] < end]
    return [(start, value_at(start)), *inside, (end, value_at(end))]


def _sampler(
    meter_name: str,
    command: str,
    period_s: float,
    conn: Any,
    stop: Any,
    ready: Any,
    env: dict[str, str],
    registered: dict[str, str],
) -> None:
    """Child process: read the meter every ``period_s`` until ``stop`` is set; ``ready``
    is set after the first reading, so the parent's window starts after it. ``registered``
    carries the meters the parent registered (name -> factory path)."""
    os.environ.update(env)
    from edgebench.meters.registry import make_meter, register_meter

    for name, factory in registered.items():
        register_meter(name, factory)

    try:
        meter = make_meter(meter_name, command)
        assert meter is not None
        samples: list[Sample] = []
        while True:
            reading = meter.read()
            value = reading.joules if reading.joules is not None else reading.watts
            samples.append((time.monotonic(), float(value)))
            ready.set()
            if stop.wait(period_s):
                reading = meter.read()
                value = reading.joules if reading.joules is not None else reading.watts
                samples.append((time.monotonic(), float(value)))
                break
        conn.send(("ok", samples, meter.kind))
    except Exception as exc:  # noqa: BLE001 - reported to the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}", None))
        ready.set()


def sample_window(
    meter_name: str, command: str, period_s: float, during: Callable[[], Any]
) -> tuple[list[Sample], str, Any]:
    """Run ``during()`` while a separate process samples the meter; return the samples,
    the meter kind and what ``during`` returned."""
    ctx = multiprocessing.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    stop = ctx.Event()
    ready = ctx.Event()
    from edgebench.meters.registry import registered_meters

    env = {k: v for k, v in os.environ.items() if k.startswith("EDGEBENCH_")}
    process = ctx.Process(
        target=_sampler,
        args=(meter_name, command, period_s, child, stop, ready, env, registered_meters()),
        daemon=True,
    )
    process.start()
    try:
        if not ready.wait(60):  # the first reading precedes the window
            raise MeterUnavailable("the meter sampler did not start within 60 s")
        time.sleep(period_s)
        result = during()
    finally:
        stop.set()
    if not parent.poll(30):
        process.kill()
        raise MeterUnavailable("the meter sampler did not report back")
    status, payload, kind = parent.recv()
    process.join(5)
    if status != "ok":
        raise MeterUnavailable(f"meter sampler failed: {payload}")
    return payload, kind, result


def run_for(seconds: float, invoke: Callable[[], object] | None) -> tuple[int, float, float]:
    """Invoke repeatedly for ``seconds`` (or just wait, for idle); return the invoke
    count and the monotonic start and end of the window."""
    start = time.monotonic()
    deadline = start + seconds
    count = 0
    from edgebench.instruments.watched_process import BEAT_EVERY_S, beat

    if invoke is None:
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 1.0))
            beat(f"idle {time.monotonic() - start:.0f}/{seconds:g} s")
    else:
        # progress about once a second, checked on the clock the loop reads anyway: no
        # formatting or environment lookup per image inside the measured window
        next_beat = start + BEAT_EVERY_S
        while (now := time.monotonic()) < deadline:
            if now >= next_beat:
                beat(
                    f"steady inference {count} images, {now - start:.0f}/{seconds:g} s", force=True
                )
                next_beat = now + BEAT_EVERY_S
            invoke()
            count += 1
    return count, start, time.monotonic()


def idle_power(meter_name: str, command: str, period_s: float, seconds: float) -> dict[str, Any]:
    """Mean idle power over ``seconds``."""
    samples, kind, (_, start, end) = sample_window(
        meter_name, command, period_s, lambda: run_for(seconds, None)
    )
    _, mean, _ = integrate(clip_window(samples, start, end), kind)
    return {"power_idle_w": mean}


def energy_window(
    meter_name: str,
    command: str,
    period_s: float,
    seconds: float,
    invoke: Callable[[], object] | None,
    idle_w: float,
    loop: Callable[[], tuple[int, float, float]] | None = None,
) -> dict[str, Any]:
    """Record fields for a window of steady inference: ``invoke`` run here for ``seconds``,
    or ``loop()`` (another machine's inference loop; it returns the images and this
    machine's monotonic start and end around it)."""
    samples, kind, (images, start, end) = sample_window(
        meter_name, command, period_s, loop or (lambda: run_for(seconds, invoke))
    )
    energy, mean, peak = integrate(clip_window(samples, start, end), kind)
    window = end - start
    if not images:
        raise MeterUnavailable("no inference completed in the energy window")
    return {
        "power_avg_w": mean,
        "power_max_w": peak,
        "power_idle_w": idle_w,
        "energy_per_image_mj": energy / images * 1e3,
        "energy_net_per_image_mj": (energy - idle_w * window) / images * 1e3,
        "energy_images": images,
        "energy_window_s": window,
    }

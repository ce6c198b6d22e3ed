"""A meter that always reads 2.5 W (a sampled meter)."""

from __future__ import annotations

from edgebench.meters.base import Meter, PowerReading

WATTS = 2.5


class ConstantMeter(Meter):
    name = "toy"
    scope = "toy"
    kind = "sampled"
    period_s = 0.05

    def read(self) -> PowerReading:
        return PowerReading(watts=WATTS)


def make(command: str) -> ConstantMeter:
    """The factory the registry imports (in the sampler process too)."""
    return ConstantMeter()

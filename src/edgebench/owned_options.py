"""The options that runtimes, targets, tasks and measurements declare with what they
configure, gathered for the option table (``options.OPTIONS``) and the settings."""

from __future__ import annotations

from edgebench.option_decl import Option
from edgebench.runtimes.registry import declared_options


def option_owners() -> dict[str, str]:
    """Who declares each owned option, by ini key (``runtime onnxruntime``,
    ``measurement energy``, ...)."""
    from edgebench.measurements import ALL_MEASUREMENTS
    from edgebench.runtimes.registry import RUNTIMES
    from edgebench.targets.registry import TARGETS
    from edgebench.tasks.registry import TASKS

    owners: dict[str, str] = {}
    groups = (
        ("runtime", RUNTIMES.specs().values()),
        ("target", TARGETS.specs().values()),
        ("task", TASKS.specs().values()),
        ("measurement", ALL_MEASUREMENTS),
    )
    for kind, specs in groups:
        for spec in specs:
            for option in spec.options:
                owners.setdefault(option.ini, f"{kind} {spec.name}")
    return owners


def owned_options() -> tuple[Option, ...]:
    """The options runtimes, targets, tasks and measurements declare (each once): the
    built-ins and installed plugins' (entry points) become flags; one a conftest registers
    later is read with its default."""
    from edgebench.measurements import ALL_MEASUREMENTS
    from edgebench.targets.registry import TARGETS
    from edgebench.tasks.registry import TASKS

    found: dict[str, Option] = {o.ini: o for o in declared_options()}
    owners = (*TARGETS.specs().values(), *TASKS.specs().values(), *ALL_MEASUREMENTS)
    for owner in owners:
        for option in owner.options:
            found.setdefault(option.ini, option)
    return tuple(found.values())

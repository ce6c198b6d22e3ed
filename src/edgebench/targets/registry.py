"""Targets by name: built-ins, the ``edgebench.targets`` entry point group, and targets a
conftest registers with :func:`register_target`. A device profile names its target
(``target=worker``, the default)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edgebench.errors import UsageError
from edgebench.targets.base import Target

ENTRY_POINT_GROUP = "edgebench.targets"


@dataclass(frozen=True)
class TargetSpec:
    """A registered target: ``factory`` is ``"module:attribute"``, a callable taking the
    target options as keywords (``timeout_s``, and the device's ``hosts`` for remote
    targets) and returning a :class:`Target`."""

    name: str
    factory: str
    description: str = ""

    def load_factory(self) -> Callable[..., Target]:
        """Import the factory (``UsageError`` naming the target if it cannot)."""
        module, _, attribute = self.factory.partition(":")
        try:
            return getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError) as exc:
            raise UsageError(
                f"target {self.name!r}: cannot import its factory {self.factory!r}: {exc}"
            ) from exc


BUILTIN_TARGETS: tuple[TargetSpec, ...] = (
    TargetSpec(
        "worker",
        "edgebench.targets.local_worker:LocalWorkerTarget",
        "a fresh local python -m edgebench.worker per job (memory, --isolate)",
    ),
    TargetSpec(
        "inprocess",
        "edgebench.targets.inprocess:InProcessTarget",
        "this process (no isolation: no memory figures)",
    ),
)
_registered: dict[str, TargetSpec] = {}


def register_target(spec: TargetSpec) -> None:
    """Register ``spec`` in this process (packages can use the entry point instead)."""
    _registered[spec.name] = spec


def unregister_target(name: str) -> None:
    """Remove a target registered with :func:`register_target` (for tests)."""
    _registered.pop(name, None)


def target_specs() -> dict[str, TargetSpec]:
    """Every known target by name: built-ins, entry points, then registrations."""
    from importlib.metadata import entry_points

    specs = {spec.name: spec for spec in BUILTIN_TARGETS}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            spec = entry.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, not fatal
            raise UsageError(f"target plugin {entry.name!r} failed to load: {exc}") from exc
        specs[spec.name] = spec
    specs.update(_registered)
    return specs


def target_names() -> tuple[str, ...]:
    """Names of every known target."""
    return tuple(target_specs())


def target_spec(name: str) -> TargetSpec:
    """The spec of ``name``; an unknown name lists the known ones."""
    specs = target_specs()
    if name not in specs:
        raise UsageError(f"unknown target {name!r}; known: {', '.join(specs)}")
    return specs[name]


def make_target(name: str, **options: Any) -> Target:
    """The target called ``name``, built with ``options``."""
    return target_spec(name).load_factory()(**options)

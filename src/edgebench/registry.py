"""One registry shape for every extension point (runtimes, targets, tasks): built-ins,
an entry point group that other packages use, and registrations made in this process
(a conftest or a plugin). Entries name their factory by import path (``module:attr``),
so a process that receives a job can import the same factory."""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any, Generic, Protocol, TypeVar

from edgebench.errors import UsageError


class Named(Protocol):
    """What a registry entry has: a name."""

    name: str


S = TypeVar("S", bound=Named)


def import_path(path: str, what: str) -> Any:
    """The object at ``"module:attribute"``; ``UsageError`` naming ``what`` if it fails."""
    module, _, attribute = path.partition(":")
    try:
        return getattr(importlib.import_module(module), attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise UsageError(f"{what}: cannot import {path!r}: {exc}") from exc


class Registry(Generic[S]):
    """Entries of one kind by name: built-ins, then the entry point group, then
    :meth:`register` calls (a later one replaces an earlier one of the same name)."""

    def __init__(self, kind: str, group: str, builtins: Iterable[S], spec_type: type) -> None:
        self.kind = kind
        self.group = group
        self._builtins = {spec.name: spec for spec in builtins}
        self._spec_type = spec_type
        self._registered: dict[str, S] = {}
        self._installed: dict[str, S] | None = None  # entry points: scanned once a process

    def register(self, spec: S) -> None:
        """Register ``spec`` in this process."""
        self._registered[spec.name] = spec

    def unregister(self, name: str) -> None:
        """Remove an entry registered with :meth:`register` (for tests)."""
        self._registered.pop(name, None)

    def _entry_points(self) -> dict[str, S]:
        """The entries of installed packages (the group is read once per process)."""
        if self._installed is None:
            self._installed = self._scan_entry_points()
        return self._installed

    def _scan_entry_points(self) -> dict[str, S]:
        from importlib.metadata import entry_points

        found: dict[str, S] = {}
        for entry in entry_points(group=self.group):
            try:
                spec = entry.load()
            except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, not fatal
                raise UsageError(
                    f"{self.kind} plugin {entry.name!r} failed to load: {exc}"
                ) from exc
            if not isinstance(spec, self._spec_type):
                raise UsageError(
                    f"{self.kind} plugin {entry.name!r} is not a {self._spec_type.__name__}: {spec!r}"
                )
            found[spec.name] = spec
        return found

    def builtins(self) -> dict[str, S]:
        """The entries edgebench itself ships, by name."""
        return dict(self._builtins)

    def specs(self) -> dict[str, S]:
        """Every entry by name."""
        return {**self._builtins, **self._entry_points(), **self._registered}

    def names(self) -> tuple[str, ...]:
        """Every entry's name, built-ins first."""
        return tuple(self.specs())

    def get(self, name: str) -> S:
        """The entry ``name``; an unknown name is a ``UsageError`` listing the known ones."""
        specs = self.specs()
        if name not in specs:
            raise UsageError(f"unknown {self.kind} {name!r}; known: {', '.join(specs)}")
        return specs[name]

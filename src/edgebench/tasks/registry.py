"""Tasks by name: built-ins, the ``edgebench.tasks`` entry point group, and tasks a
conftest registers with :func:`register_task`."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from edgebench.errors import UsageError
from edgebench.tasks.base import Task

ENTRY_POINT_GROUP = "edgebench.tasks"
DEFAULT_TASK = "classify"


@dataclass(frozen=True)
class TaskSpec:
    """A registered task: ``factory`` is ``"module:attribute"``, a callable returning a
    :class:`Task`."""

    name: str
    factory: str
    description: str = ""

    def load_factory(self) -> Callable[[], Task]:
        """Import the factory (``UsageError`` naming the task if it cannot)."""
        module, _, attribute = self.factory.partition(":")
        try:
            return getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError) as exc:
            raise UsageError(
                f"task {self.name!r}: cannot import its factory {self.factory!r}: {exc}"
            ) from exc


BUILTIN_TASKS: tuple[TaskSpec, ...] = (
    TaskSpec("classify", "edgebench.tasks.classify:ClassifyTask", "top-1 accuracy"),
)
_registered: dict[str, TaskSpec] = {}


def register_task(spec: TaskSpec) -> None:
    """Register ``spec`` in this process (packages can use the entry point instead)."""
    _registered[spec.name] = spec


def unregister_task(name: str) -> None:
    """Remove a task registered with :func:`register_task` (for tests)."""
    _registered.pop(name, None)


def task_specs() -> dict[str, TaskSpec]:
    """Every known task by name: built-ins, entry points, then registrations."""
    from importlib.metadata import entry_points

    specs = {spec.name: spec for spec in BUILTIN_TASKS}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            specs[entry.name] = entry.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, not fatal
            raise UsageError(f"task plugin {entry.name!r} failed to load: {exc}") from exc
    specs.update(_registered)
    return specs


def make_task(name: str = DEFAULT_TASK) -> Task:
    """The task called ``name``; an unknown name lists the known ones."""
    specs = task_specs()
    if name not in specs:
        raise UsageError(f"unknown task {name!r}; known: {', '.join(specs)}")
    return specs[name].load_factory()()

"""Tasks by name: built-ins, the ``edgebench.tasks`` entry point group, and tasks a
conftest registers with :func:`register_task`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from edgebench.registry import Registry, import_path
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
        return import_path(self.factory, f"task {self.name!r}")


BUILTIN_TASKS: tuple[TaskSpec, ...] = (
    TaskSpec(
        "classify",
        "edgebench.tasks.classify:ClassifyTask",
        "top-1 accuracy (top-5 beside it above 10 classes)",
    ),
    TaskSpec(
        "segment",
        "edgebench.tasks.segment:SegmentTask",
        "mean IoU over the classes (pixel accuracy beside it), ignore label 255",
    ),
    TaskSpec(
        "detect",
        "edgebench.tasks.detect:DetectTask",
        "mAP@0.5 (COCO mAP@[.5:.95] beside it), through pycocotools' COCOeval",
    ),
)
TASKS: Registry[TaskSpec] = Registry("task", ENTRY_POINT_GROUP, BUILTIN_TASKS, TaskSpec)


def register_task(spec: TaskSpec) -> None:
    """Register ``spec`` in this process (packages can use the entry point instead)."""
    TASKS.register(spec)


def unregister_task(name: str) -> None:
    """Remove a task registered with :func:`register_task` (for tests)."""
    TASKS.unregister(name)


def task_specs() -> dict[str, TaskSpec]:
    """Every known task by name: built-ins, entry points, then registrations."""
    return TASKS.specs()


def make_task(name: str = DEFAULT_TASK) -> Task:
    """The task called ``name``; an unknown name lists the known ones."""
    return TASKS.get(name).load_factory()()

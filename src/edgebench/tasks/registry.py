"""Tasks by name: built-ins, the ``edgebench.tasks`` entry point group, and tasks a
conftest registers with :func:`register_task`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edgebench.option_decl import Option
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
    #: how reports show it (read without importing the task): the record's headline
    #: metric, its table header, the metric shown beside it (key in ``metrics``, header)
    #: and the plots' axis label.
    metric: str = "accuracy"
    metric_header: str = "Accuracy"
    second: tuple[str, str] | None = None
    axis_label: str = ""
    #: the options it takes (``option_decl.Option``), given to the factory as keywords
    #: by key, checked (``make_task(name, settings.options)``).
    options: tuple[Option, ...] = ()

    def load_factory(self) -> Callable[[], Task]:
        """Import the factory (``UsageError`` naming the task if it cannot)."""
        return import_path(self.factory, f"task {self.name!r}")


BUILTIN_TASKS: tuple[TaskSpec, ...] = (
    TaskSpec(
        "classify",
        "edgebench.tasks.classify:ClassifyTask",
        "top-1 accuracy (top-5 beside it above 10 classes)",
        second=("top5", "Top-5"),
        axis_label="top-1 accuracy",
    ),
    TaskSpec(
        "segment",
        "edgebench.tasks.segment:SegmentTask",
        "mean IoU over the classes (pixel accuracy beside it), ignore label 255",
        metric="miou",
        metric_header="mIoU",
        second=("pixel_accuracy", "Pixel accuracy"),
    ),
    TaskSpec(
        "detect",
        "edgebench.tasks.detect:DetectTask",
        "mAP@0.5 (COCO mAP@[.5:.95] beside it), through pycocotools' COCOeval",
        metric="map50",
        metric_header="mAP@0.5",
        second=("map", "mAP@[.5:.95]"),
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


def make_task(name: str = DEFAULT_TASK, options: dict[str, Any] | None = None) -> Task:
    """The task called ``name`` given the values of the options it declares (from
    ``options`` by key, else their defaults); an unknown name lists the known ones."""
    spec = TASKS.get(name)
    given = options or {}
    values = {o.key: given[o.key] if o.key in given else o.parse("") for o in spec.options}
    return spec.load_factory()(**values)


def metric_report(metric: str) -> tuple[str, tuple[str, str] | None, str]:
    """How reports show the headline ``metric`` of a record: its table header, the metric
    beside it and the plots' axis label, from the task that declares it (the metric's own
    name when no registered task does)."""
    for spec in task_specs().values():
        if spec.metric == metric:
            return spec.metric_header, spec.second, spec.axis_label or spec.metric_header
    return metric, None, metric

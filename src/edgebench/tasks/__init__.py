"""Tasks: what "accuracy" means for a model. Built in: ``classify`` (top-1),
``segment`` (mean IoU) and ``detect`` (mAP@0.5); a task is one module plus a ``TaskSpec``."""

from __future__ import annotations

from edgebench.tasks.base import Task
from edgebench.tasks.registry import DEFAULT_TASK, TaskSpec, make_task, register_task

__all__ = ["DEFAULT_TASK", "Task", "TaskSpec", "make_task", "register_task"]

"""Tasks: what "accuracy" means for a model. ``classify`` (top-1) is built in; a task is
one module plus a ``TaskSpec`` (segmentation and detection come next)."""

from __future__ import annotations

from edgebench.tasks.base import Task
from edgebench.tasks.registry import DEFAULT_TASK, TaskSpec, make_task, register_task

__all__ = ["DEFAULT_TASK", "Task", "TaskSpec", "make_task", "register_task"]

"""Targets: where a measurement job runs. A job is the worker's JSON job (see
:mod:`edgebench.worker`), and that job format is the wire format: ``inprocess`` runs it
in this process, ``worker`` in a fresh local ``python -m edgebench.worker``. A new kind of
target (a board over SSH, a phone over adb) is one module plus a ``TargetSpec``."""

from __future__ import annotations

from edgebench.targets.base import Target
from edgebench.targets.registry import (
    TargetSpec,
    make_target,
    register_target,
    target_names,
    target_spec,
)

__all__ = ["Target", "TargetSpec", "make_target", "register_target", "target_names", "target_spec"]

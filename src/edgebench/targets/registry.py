"""Targets by name: built-ins, the ``edgebench.targets`` entry point group, and targets a
conftest registers with :func:`register_target`. A device profile names its target
(``target=worker``, the default)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from edgebench.option_decl import Option
from edgebench.registry import Registry, import_path
from edgebench.targets.base import CheckedTarget, Target

ENTRY_POINT_GROUP = "edgebench.targets"


@dataclass(frozen=True)
class TargetSpec:
    """A registered target: ``factory`` is ``"module:attribute"``, a callable taking the
    target options as keywords (``timeout_s``, and the device profile's fields the target
    owns) and returning a :class:`Target`.

    ``profile_fields`` are the device-profile fields the target owns (``hosts``, ...);
    ``check_field`` (``"module:attribute"``, called as ``check(key, value, where)``)
    validates one and returns it normalised (``UsageError`` naming ``where`` otherwise);
    ``board_locks``: the factory also gets ``lock_dir``, the folder of the boards' locks
    in this machine's cache (``host_pool``)."""

    name: str
    factory: str
    description: str = ""
    profile_fields: tuple[str, ...] = ()
    check_field: str = ""
    board_locks: bool = False
    #: whether its jobs run on another machine (a board): the matrix then keeps thread
    #: counts above this machine's cores, and facts are read there.
    remote: bool = False
    #: the options it takes (``option_decl.Option``), given to the factory as keywords by
    #: key (``--lab-place`` arrives as ``lab_place=``), checked.
    options: tuple[Option, ...] = ()

    def load_factory(self) -> Callable[..., Target]:
        """Import the factory (``UsageError`` naming the target if it cannot)."""
        return import_path(self.factory, f"target {self.name!r}")


#: how long a job waits for a board that another controller measures on.
BOARD_WAIT = Option(
    "--board-wait",
    "edgebench_board_wait",
    "900",
    "seconds a job waits for a board that another controller is measuring on (the board's "
    "own lock), with a line naming the holder every few seconds, before its row fails",
    kind="float",
    minimum=0.0,
    maximum=86_400.0,
)

#: how the rows of a pool of boards are dealt out.
POOL_SEED = Option(
    "--pool-seed",
    "edgebench_pool_seed",
    "",
    "the seed that deals a pool's rows out over its boards (every job of a row on one "
    "board); empty: a fresh one each run, recorded in the run file, so a slow board does "
    "not always take the same rows",
)

#: how long to wait for a labgrid place that someone else holds.
LAB_WAIT = Option(
    "--lab-wait",
    "edgebench_lab_wait",
    "900",
    "seconds to wait for a labgrid place (or a free place of a pool) that someone else "
    "holds, with a line naming the holder every few seconds, before the device's rows fail",
    kind="float",
    minimum=0.0,
    maximum=86_400.0,
)

BUILTIN_TARGETS: tuple[TargetSpec, ...] = (
    TargetSpec(
        "worker",
        "edgebench.targets.local_worker:LocalWorkerTarget",
        "a fresh local python -m edgebench.worker per job (memory, --isolate)",
    ),
    TargetSpec(
        "ssh",
        "edgebench.targets.fleet:ssh_target",
        "a board over SSH (execnet): hosts=, python=, ssh_config=, cache= from the profile; "
        "several hosts are a pool whose rows are dealt out over the boards (--pool-seed)",
        profile_fields=("hosts", "python", "ssh_config", "cache"),
        check_field="edgebench.targets.hosts:check_profile_field",
        board_locks=True,
        remote=True,
        options=(BOARD_WAIT, POOL_SEED),
    ),
    TargetSpec(
        "labgrid",
        "edgebench.targets.lab_place:LabgridTarget",
        "a board of a labgrid place, acquired for the session and reached over SSH: place= "
        "or tags= (a pool), coordinator=, python=, ssh_config=, cache= from the profile "
        "(pip install 'edgebench[labgrid]')",
        profile_fields=("place", "tags", "coordinator", "python", "ssh_config", "cache"),
        check_field="edgebench.targets.lab_place:check_profile_field",
        board_locks=True,
        remote=True,
        options=(BOARD_WAIT, LAB_WAIT),
    ),
    TargetSpec(
        "inprocess",
        "edgebench.targets.inprocess:InProcessTarget",
        "this process (no isolation: no memory figures)",
    ),
)
TARGETS: Registry[TargetSpec] = Registry("target", ENTRY_POINT_GROUP, BUILTIN_TARGETS, TargetSpec)


def register_target(spec: TargetSpec) -> None:
    """Register ``spec`` in this process (packages can use the entry point instead)."""
    TARGETS.register(spec)


def unregister_target(name: str) -> None:
    """Remove a target registered with :func:`register_target` (for tests)."""
    TARGETS.unregister(name)


def profile_field_owners() -> dict[str, TargetSpec]:
    """Every device-profile field a known target owns, with its target."""
    return {f: spec for spec in TARGETS.specs().values() for f in spec.profile_fields}


def check_profile_field(key: str, value: Any, where: str) -> Any:
    """``value`` of the target-owned profile field ``key``, checked by its target."""
    spec = profile_field_owners()[key]
    if not spec.check_field:
        return value
    return import_path(spec.check_field, f"target {spec.name!r} check_field")(key, value, where)


def target_names() -> tuple[str, ...]:
    """Names of every known target."""
    return TARGETS.names()


def target_spec(name: str) -> TargetSpec:
    """The spec of ``name``; an unknown name lists the known ones."""
    return TARGETS.get(name)


def make_target(name: str, **options: Any) -> CheckedTarget:
    """The target called ``name``, built with ``options``, behind the whole protocol
    (:class:`~edgebench.targets.base.CheckedTarget`)."""
    return CheckedTarget(target_spec(name).load_factory()(**options))

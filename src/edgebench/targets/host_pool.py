"""A pool of identical boards: which one this process measures on, and the lock that
keeps two measurements off one board at once.

Each process takes one host (an xdist worker ``gwN`` takes host ``N mod len(hosts)``);
a lock file per host, in this machine's cache, serialises the jobs of every process that
took the same board. Independent of how jobs reach the board (``ssh``, a lab's
coordinator).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TypeVar

#: the folder of the boards' locks inside a cache (``$EDGEBENCH_LOCK_DIR`` overrides it).
LOCK_FOLDER = "board-locks"

H = TypeVar("H")


def worker_index() -> int:
    """This pytest-xdist worker's number (``gw3``: 3), 0 without xdist."""
    match = re.fullmatch(r"gw(\d+)", os.environ.get("PYTEST_XDIST_WORKER", ""))
    return int(match[1]) if match else 0


def pick_host(pool: Sequence[H]) -> H:
    """The host of ``pool`` this process measures on.

    >>> pick_host(["a", "b"]) in ("a", "b")
    True
    """
    if not pool:
        raise ValueError("an empty pool of hosts")
    return pool[worker_index() % len(pool)]


def lock_dir(given: str | None) -> Path:
    """``$EDGEBENCH_LOCK_DIR``, else ``given`` (the session's cache), else the cache
    ``$EDGEBENCH_CACHE`` or ``.edgebench/cache`` names: never a folder outside the cache."""
    env = os.environ.get("EDGEBENCH_LOCK_DIR")
    if env:
        return Path(env)
    if given:
        return Path(given)
    from edgebench.artifacts.cache import ArtifactCache

    return ArtifactCache.from_environment(Path.cwd()).root / LOCK_FOLDER


def board_lock(folder: Path, label: str) -> AbstractContextManager[object]:
    """The lock of the board ``label`` (a file in ``folder``, made if missing)."""
    from filelock import FileLock

    folder.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", label) + ".lock"
    return FileLock(str(folder / name))

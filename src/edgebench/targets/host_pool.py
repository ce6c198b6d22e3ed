"""A pool of identical boards: which board measures a row (:func:`place_row`), and the
lock on this machine that keeps the processes of one controller off one board at once
(the board's own lock, ``targets.remote_agent``, does the same for every controller).

A lock file per host, in this machine's cache, serialises the jobs of every process that
uses the same board. Independent of how jobs reach the board (``ssh``, a lab's
coordinator).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path

#: the folder of the boards' locks inside a cache (``$EDGEBENCH_LOCK_DIR`` overrides it).
LOCK_FOLDER = "board-locks"


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


def place_row(row: str, hosts: Sequence[str], seed: str) -> str:
    """The board of ``hosts`` that measures ``row``: the one whose hash with the seed and
    the row is smallest (rendezvous hashing), so rows spread evenly, every job of a row
    lands on one board, and another seed deals the rows out afresh (a slow board does not
    always take the same rows).

    >>> place_row("m-int8-litert", ["a", "b"], "1") == place_row("m-int8-litert", ["b", "a"], "1")
    True
    """
    import hashlib

    if not hosts:
        raise ValueError("an empty pool of hosts")
    return min(hosts, key=lambda h: hashlib.sha256(f"{seed}\0{row}\0{h}".encode()).digest())

"""Files sent to a board once, by content: a local file's sha256 (remembered by path,
size and mtime) names it there; what went over is counted for the run's transfers.
Independent of the transport: it asks through two calls the transport provides."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path


class FileDigests:
    """sha256 of local files, remembered by (path, size, mtime)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int, int], str] = {}

    def sha256(self, path: Path) -> str:
        """The file's sha256 (read once while it is unchanged)."""
        stat = path.stat()
        key = (str(path), stat.st_size, stat.st_mtime_ns)
        if key not in self._known:
            digest = hashlib.sha256()
            with path.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            self._known[key] = digest.hexdigest()
        return self._known[key]


class FileSync:
    """Content-addressed sending: ``has(sha, suffix)`` answers the board's path of a file
    it holds (or nothing), ``put(sha, suffix, data)`` stores one and answers its path."""

    def __init__(
        self,
        has: Callable[[str, str], str | None],
        put: Callable[[str, str, bytes], str],
    ) -> None:
        self._has = has
        self._put = put
        self._digests = FileDigests()
        #: files and bytes this process sent.
        self.files = 0
        self.bytes = 0

    def remote_path(self, path: Path) -> str:
        """The board's path of ``path``, sent first when the board does not hold it."""
        sha = self._digests.sha256(path)
        suffix = "".join(path.suffixes[-1:])
        found = self._has(sha, suffix)
        if found:
            return found
        data = path.read_bytes()
        stored = self._put(sha, suffix, data)
        self.files += 1
        self.bytes += len(data)
        return stored

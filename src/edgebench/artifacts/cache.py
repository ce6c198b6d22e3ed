"""Content-addressed, crash-safe artifact cache shared by concurrent builders.

An entry is a folder named by a key, the sha256 of everything that determines its
content (source bytes or zoo spec, dataset fingerprint, recipe, tool versions). A
``manifest.json`` written last lists every file with its size and sha256; an entry
whose manifest is missing, unreadable or disagrees with its files is treated as
absent and rebuilt. Builds happen in a private temporary folder that is renamed into
place, under a per-key file lock, so ``pytest -n N`` builders never see half an entry.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock

MANIFEST = "manifest.json"
DEFAULT_CACHE_DIR = Path(".edgebench") / "cache"


def cache_key(**parts: Any) -> str:
    """sha256 of the canonical JSON of ``parts`` (sorted keys, no whitespace).

    >>> cache_key(a=1, b="x") == cache_key(b="x", a=1)
    True
    """
    canonical = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def file_sha256(path: Path, chunk: int = 1 << 20) -> str:
    """sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def tree_sha256(path: Path) -> str:
    """sha256 of a file, or of a folder's relative paths and file contents."""
    if path.is_file():
        return file_sha256(path)
    digest = hashlib.sha256()
    for child in sorted(p for p in path.rglob("*") if p.is_file()):
        digest.update(str(child.relative_to(path)).encode())
        digest.update(file_sha256(child).encode())
    return digest.hexdigest()


def write_json_atomic(path: Path, payload: Any) -> None:
    """Write JSON to ``path`` through a temporary file and ``os.replace``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as handle:
            json.dump(payload, handle, indent=2, sort_keys=False, allow_nan=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class CacheEntry:
    """A complete cache entry: its folder, metadata and whether it was reused."""

    key: str
    path: Path
    meta: dict[str, Any]
    hit: bool
    build_seconds: float | None = None

    def file(self, name: str) -> Path:
        """Path of one of the entry's files."""
        return self.path / name


class ArtifactCache:
    """The cache under ``root`` (``$EDGEBENCH_CACHE`` or ``.edgebench/cache``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def from_environment(cls, base_dir: Path) -> ArtifactCache:
        """The cache named by ``$EDGEBENCH_CACHE``, else ``base_dir/.edgebench/cache``."""
        env = os.environ.get("EDGEBENCH_CACHE")
        return cls(Path(env).expanduser() if env else base_dir / DEFAULT_CACHE_DIR)

    def entry_dir(self, key: str) -> Path:
        """The folder an entry with ``key`` lives in."""
        return self.root / key[:2] / key

    def lookup(self, key: str) -> CacheEntry | None:
        """The valid entry for ``key``, or ``None`` when it is absent, torn or corrupt."""
        path = self.entry_dir(key)
        try:
            manifest = json.loads((path / MANIFEST).read_text())
            files = manifest["files"]
            for name, info in files.items():
                target = path / name
                if target.stat().st_size != info["bytes"] or file_sha256(target) != info["sha256"]:
                    return None
            return CacheEntry(
                key=key,
                path=path,
                meta=manifest.get("meta", {}),
                hit=True,
                build_seconds=manifest.get("build_seconds"),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def get_or_build(self, key: str, build: Callable[[Path], dict[str, Any]]) -> CacheEntry:
        """Return the entry for ``key``, running ``build(folder) -> meta`` if it is not valid.

        ``build`` writes its files into the empty ``folder`` it is given and returns
        JSON-serialisable metadata. Concurrent callers with the same key wait on a file
        lock; only one builds. If ``build`` raises, nothing is stored.
        """
        entry = self.lookup(key)
        if entry is not None:
            return entry
        locks = self.root / "locks"
        locks.mkdir(parents=True, exist_ok=True)
        with FileLock(str(locks / f"{key}.lock")):
            entry = self.lookup(key)
            if entry is not None:
                return entry
            return self._build(key, build)

    def _build(self, key: str, build: Callable[[Path], dict[str, Any]]) -> CacheEntry:
        staging_root = self.root / "tmp"
        staging_root.mkdir(parents=True, exist_ok=True)
        sweep_staging(staging_root)
        staging = Path(
            tempfile.mkdtemp(prefix=f"{key[:12]}-{_OWNER}-{os.getpid()}-", dir=staging_root)
        )
        try:
            started = time.perf_counter()
            with scratch_space(staging_root, staging.name):
                meta = build(staging)
            files = {
                str(p.relative_to(staging)): {"bytes": p.stat().st_size, "sha256": file_sha256(p)}
                for p in sorted(staging.rglob("*"))
                if p.is_file()
            }
            manifest = {
                "key": key,
                "files": files,
                "meta": meta,
                "build_seconds": time.perf_counter() - started,
            }
            write_json_atomic(staging / MANIFEST, manifest)
            final = self.entry_dir(key)
            final.parent.mkdir(parents=True, exist_ok=True)
            if final.exists():  # torn or corrupt: move it aside, then drop it
                stale = staging_root / f"stale-{_OWNER}-{os.getpid()}-{time.monotonic_ns()}"
                os.rename(final, stale)
                shutil.rmtree(stale, ignore_errors=True)
            os.rename(staging, final)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return CacheEntry(
            key=key, path=final, meta=meta, hit=False, build_seconds=manifest["build_seconds"]
        )


#: who owns a staging folder: this machine's name, so a cache shared between machines only
#: sweeps its own dead builders' folders.
_OWNER = re.sub(r"[^A-Za-z0-9.]", "_", socket.gethostname())[:40] or "host"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_staging(staging_root: Path) -> list[Path]:
    """Remove the staging folders of builders on this machine that are gone (a run killed
    mid-build leaves one behind); returns what was removed. Folders of live processes and
    of other machines stay."""
    removed = []
    for folder in staging_root.iterdir() if staging_root.is_dir() else []:
        match = re.fullmatch(r"(?:stale|[0-9a-f]{12})-(.+)-(\d+)-.*", folder.name)
        if not match or match.group(1) != _OWNER or _alive(int(match.group(2))):
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


@contextlib.contextmanager
def scratch_space(staging_root: Path, name: str) -> Iterator[Path]:
    """Run a build with its tools' scratch inside the cache: the current folder and the
    temporary folder (``tempfile``, ``$TMPDIR``) are a fresh folder under ``staging_root``,
    removed afterwards (a converter that writes ``sym_shape_infer_temp.onnx`` or
    ``<uuid>.data`` beside itself writes it there, never in the user's folder). Builds
    nest (a calibrated export builds the float ONNX first); each restores what it found."""
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-scratch-", dir=staging_root))
    before_cwd = os.getcwd()
    before_tempdir = tempfile.tempdir
    before_env = os.environ.get("TMPDIR")
    os.chdir(folder)
    tempfile.tempdir = str(folder)
    os.environ["TMPDIR"] = str(folder)
    try:
        yield folder
    finally:
        os.chdir(before_cwd)
        tempfile.tempdir = before_tempdir
        if before_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = before_env
        shutil.rmtree(folder, ignore_errors=True)

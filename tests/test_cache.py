import json
import multiprocessing
import os
from pathlib import Path

import pytest

from edgebench.artifacts.cache import (
    MANIFEST,
    ArtifactCache,
    cache_key,
    tree_sha256,
    write_json_atomic,
)


def _writer(text: str):
    def build(folder: Path) -> dict:
        (folder / "model.bin").write_text(text)
        return {"text": text}

    return build


def test_key_is_canonical_and_sensitive():
    assert cache_key(a=1, b={"x": [1, 2]}) == cache_key(b={"x": [1, 2]}, a=1)
    assert cache_key(a=1) != cache_key(a=2)
    assert len(cache_key(a=1)) == 64


def test_second_lookup_reuses_the_entry(tmp_path):
    cache = ArtifactCache(tmp_path)
    calls = []

    def build(folder):
        calls.append(folder)
        return _writer("v1")(folder)

    first = cache.get_or_build("k" * 64, build)
    second = cache.get_or_build("k" * 64, build)
    assert (first.hit, second.hit) == (False, True)
    assert len(calls) == 1
    assert second.file("model.bin").read_text() == "v1"
    assert second.meta == {"text": "v1"}
    assert second.build_seconds is not None


@pytest.mark.parametrize(
    "damage", ["corrupt", "truncate", "delete_file", "delete_manifest", "bad_manifest"]
)
def test_damaged_entry_is_detected_and_rebuilt(tmp_path, damage):
    cache = ArtifactCache(tmp_path)
    key = "a" * 64
    entry = cache.get_or_build(key, _writer("payload"))
    target = entry.file("model.bin")
    if damage == "corrupt":
        target.write_text("PAYLOAD")  # same size, other bytes
    elif damage == "truncate":
        target.write_text("pay")
    elif damage == "delete_file":
        target.unlink()
    elif damage == "delete_manifest":
        entry.file(MANIFEST).unlink()
    else:
        entry.file(MANIFEST).write_text("{not json")
    assert cache.lookup(key) is None
    rebuilt = cache.get_or_build(key, _writer("payload"))
    assert rebuilt.hit is False
    assert rebuilt.file("model.bin").read_text() == "payload"
    assert cache.lookup(key) is not None


def test_failed_build_stores_nothing(tmp_path):
    cache = ArtifactCache(tmp_path)

    def fail(folder):
        (folder / "half.bin").write_text("half")
        raise RuntimeError("converter refused")

    with pytest.raises(RuntimeError):
        cache.get_or_build("b" * 64, fail)
    assert cache.lookup("b" * 64) is None
    assert not list((tmp_path / "tmp").iterdir())


def _build_in_process(root: str, log: str) -> None:
    def build(folder: Path) -> dict:
        with open(log, "a") as handle:
            handle.write("built\n")
        (folder / "model.bin").write_text("shared")
        return {}

    ArtifactCache(Path(root)).get_or_build("c" * 64, build)


def test_concurrent_builders_build_once(tmp_path):
    log = tmp_path / "log.txt"
    ctx = multiprocessing.get_context("spawn")
    workers = [
        ctx.Process(target=_build_in_process, args=(str(tmp_path / "cache"), str(log)))
        for _ in range(3)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    assert log.read_text().count("built") == 1
    assert ArtifactCache(tmp_path / "cache").lookup("c" * 64) is not None


def test_environment_variable_moves_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEBENCH_CACHE", str(tmp_path / "elsewhere"))
    assert ArtifactCache.from_environment(tmp_path).root == tmp_path / "elsewhere"
    monkeypatch.delenv("EDGEBENCH_CACHE")
    assert ArtifactCache.from_environment(tmp_path).root == tmp_path / ".edgebench" / "cache"


def test_tree_hash_covers_names_and_contents(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x").write_text("1")
    before = tree_sha256(tmp_path / "a")
    (tmp_path / "a" / "x").write_text("2")
    assert tree_sha256(tmp_path / "a") != before


def test_atomic_json_write_leaves_no_temporaries(tmp_path):
    path = tmp_path / "run.json"
    write_json_atomic(path, {"a": 1})
    write_json_atomic(path, {"a": 2})
    assert json.loads(path.read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["run.json"]


def test_a_killed_builder_leaves_no_staging_folder_behind(tmp_path):
    """A run killed mid-build leaves tmp/<key>-<host>-<pid>-*; the next build removes the
    folders of dead processes on this machine, and only those."""
    import subprocess
    import sys

    from edgebench.artifacts.cache import _OWNER, ArtifactCache, sweep_staging

    staging = tmp_path / "cache" / "tmp"
    staging.mkdir(parents=True)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    gone = staging / f"0123456789ab-{_OWNER}-{dead.stdout.strip()}-x1y2z3"
    alive = staging / f"0123456789ab-{_OWNER}-{os.getpid()}-a1b2c3"
    other = staging / f"0123456789ab-elsewhere-{dead.stdout.strip()}-q1"
    for folder in (gone, alive, other):
        folder.mkdir()
    cache = ArtifactCache(tmp_path / "cache")
    cache.get_or_build("ab" * 32, lambda folder: (folder / "f").write_text("x") and {})
    assert not gone.exists() and alive.exists() and other.exists()
    assert sweep_staging(staging) == []

"""The runner shipped to a board: ``edgebench.worker`` and the few modules it imports,
as sources keyed by their relative path, with one sha256 over all of them. The board
needs Python, numpy and a runtime; no edgebench install, no TensorFlow."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent
#: what ``python -m edgebench.worker`` imports (checked by a test that runs the bundle in
#: a Python without edgebench).
RUNNER_MODULES: tuple[str, ...] = (
    "__init__.py",
    "errors.py",
    "option_decl.py",
    "registry.py",
    "provenance.py",
    "device_facts.py",
    "worker.py",
    "jobs.py",
    "instruments/__init__.py",
    "instruments/memory.py",
    "instruments/timing.py",
    "instruments/energy.py",
    "instruments/watched_process.py",
    "instruments/board_state.py",
    "meters/__init__.py",
    "meters/base.py",
    "meters/registry.py",
    "meters/command.py",
    "meters/hwmon.py",
    "meters/ina219.py",
    "meters/nvml.py",
    "meters/rapl.py",
    "meters/rpi5_pmic.py",
    "runtimes/__init__.py",
    "runtimes/base.py",
    "runtimes/registry.py",
    "runtimes/litert.py",
    "runtimes/litert_compiled.py",
    "runtimes/litert_ops.py",
    "runtimes/onnxrt.py",
)


@functools.lru_cache(maxsize=1)
def runner_sources() -> tuple[str, dict[str, str]]:
    """(sha256 of the bundle, {"edgebench/<path>": source})."""
    files = {f"edgebench/{name}": (PACKAGE / name).read_text() for name in RUNNER_MODULES}
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    return digest.hexdigest(), files

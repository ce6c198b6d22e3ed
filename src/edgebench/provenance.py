"""Where a measurement came from: package versions, CPU, cores, git commit, time."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from edgebench import __version__

# Distributions whose versions decide what an artifact or a number is.
TRACKED_PACKAGES: tuple[str, ...] = (
    "tensorflow",
    "tf-keras",
    "tf2onnx",
    "onnx",
    "onnxruntime",
    "ai-edge-litert",
    "tflite-runtime",
    "tensorflow-model-optimization",
    "numpy",
    "scikit-learn",
    "pytest-benchmark",
)


def package_version(name: str) -> str | None:
    """Installed version of a distribution, without importing it; ``None`` if absent."""
    from importlib import metadata  # lazily: the memory worker never needs it

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def package_versions(names: tuple[str, ...] = TRACKED_PACKAGES) -> dict[str, str]:
    """Versions of the installed distributions among ``names``."""
    found = {name: package_version(name) for name in names}
    return {name: version for name, version in found.items() if version is not None}


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux, else ``platform.processor()``)."""
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("model name", "Model", "Hardware") and value.strip():
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> list[str]:
    """CPU feature flags (x86 ``flags`` or Arm ``Features``), empty when unknown."""
    try:
        for line in cpuinfo.read_text(errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("flags", "Features"):
                return value.split()
    except OSError:
        pass
    return []


def usable_cores() -> int:
    """Cores this process may run on (affinity-aware)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def git_commit(directory: Path) -> str | None:
    """The commit checked out in ``directory`` (with ``+dirty`` when modified), or ``None``."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True, text=True, timeout=5
        )
        if commit.returncode != 0:
            return None
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    dirty = "+dirty" if status.returncode == 0 and status.stdout.strip() else ""
    return commit.stdout.strip() + dirty


def git_commit_facts(directory: Path, revision: str = "HEAD") -> tuple[str | None, str | None]:
    """The subject and commit time (ISO 8601) of ``revision`` (``+dirty`` ignored) in the
    git checkout ``directory``; ``(None, None)`` where git cannot say."""
    try:
        found = subprocess.run(
            ["git", "log", "-1", "--format=%s%x00%cI", revision.removesuffix("+dirty"), "--"],
            cwd=directory,
            capture_output=True,
            text=True,
            timeout=5,
        )
    except (OSError, subprocess.SubprocessError):
        return None, None
    if found.returncode != 0 or "\0" not in found.stdout:
        return None, None
    subject, committed = found.stdout.strip().split("\0", 1)
    return subject, committed


def utc_timestamp() -> str:
    """The current UTC time as ISO 8601 with seconds."""
    return _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()


def collect(directory: Path) -> dict[str, Any]:
    """Provenance of a run started in ``directory``."""
    return {
        "edgebench": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu": cpu_model(),
        "cores": usable_cores(),
        "git_commit": git_commit(directory),
        **dict(zip(("git_subject", "git_committed"), git_commit_facts(directory), strict=True)),
        "packages": package_versions(),
        "started": utc_timestamp(),
    }

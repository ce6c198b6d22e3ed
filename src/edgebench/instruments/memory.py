"""Peak resident memory, read from ``/proc/self/status`` (``VmHWM``) inside a worker.

The pytest process carries TensorFlow and every earlier test, so memory is measured
in a fresh worker process (``edgebench.worker``) that imports only numpy and one
runtime. ``VmHWM`` is the peak resident set size; writing ``5`` to
``/proc/self/clear_refs`` resets it to the current RSS (Linux 4.0+), which separates
the peak while loading from the peak while running inference.
"""

from __future__ import annotations

import resource
import sys
from pathlib import Path
from typing import Any

PROC_STATUS = Path("/proc/self/status")
CLEAR_REFS = Path("/proc/self/clear_refs")


def read_status_kib(field: str, status: Path = PROC_STATUS) -> int | None:
    """A ``kB`` field of /proc/self/status (``VmHWM``, ``VmRSS``), ``None`` where unavailable."""
    try:
        for line in status.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None


def reset_peak(clear_refs: Path = CLEAR_REFS) -> bool:
    """Reset VmHWM to the current RSS; ``False`` where the kernel does not allow it."""
    try:
        clear_refs.write_text("5")
    except OSError:
        return False
    return True


def peak_kib() -> tuple[int | None, str]:
    """The process's peak resident memory in KiB and where the figure came from."""
    value = read_status_kib("VmHWM")
    if value is not None:
        return value, "VmHWM (/proc/self/status)"
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # ru_maxrss is KiB on Linux, bytes on macOS
    return (usage // 1024 if sys.platform == "darwin" else usage), "ru_maxrss (getrusage; no /proc)"


KIB_PER_MB = 1024.0  # MB in records are MiB, like the kB of /proc/self/status


def memory_fields(result: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """Record fields from a worker result and the idle baseline of the same runtime."""
    peaks = [
        v
        for v in (
            result.get("import_peak_kib"),
            result.get("load_peak_kib"),
            result.get("inference_peak_kib"),
        )
        if v
    ]
    peak = max(peaks)
    base = baseline["peak_kib"]
    return {
        "peak_memory_mb": peak / KIB_PER_MB,
        "memory_load_peak_mb": result["load_peak_kib"] / KIB_PER_MB
        if result.get("load_peak_kib")
        else None,
        "memory_inference_peak_mb": result["inference_peak_kib"] / KIB_PER_MB,
        "memory_baseline_mb": base / KIB_PER_MB,
        "memory_over_baseline_mb": (peak - base) / KIB_PER_MB,
        "memory_source": result["source"]
        + (
            ""
            if result.get("peak_reset")
            else "; peak not resettable, load and inference peaks combined"
        ),
    }

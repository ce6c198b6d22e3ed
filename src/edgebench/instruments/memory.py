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

"""Running the measurement worker (``edgebench.worker``) in a fresh process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from edgebench.errors import InferenceError

DEFAULT_TIMEOUT_S = 120.0
KIB_PER_MB = 1024.0  # MB in records are MiB, like the kB of /proc/self/status


def run_worker(job: dict[str, Any], timeout_s: float = DEFAULT_TIMEOUT_S) -> dict[str, Any]:
    """Run one job in a fresh ``python -m edgebench.worker``; a crash or hang is an
    ``InferenceError`` with the exit status and the tail of stderr."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    try:
        done = subprocess.run(
            [sys.executable, "-m", "edgebench.worker"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=env,
        )
    except subprocess.TimeoutExpired as exc:
        raise InferenceError(f"measurement worker timed out after {timeout_s:g} s") from exc
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-3:]) or "no stderr"
        raise InferenceError(f"measurement worker exited with status {done.returncode}: {tail}")
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError) as exc:
        raise InferenceError(
            f"measurement worker printed no result: {done.stdout[-300:]!r}"
        ) from exc


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

"""Export a run as a pytest-benchmark JSON file, so ``pytest-benchmark compare`` and the
dashboards that read its files keep working."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from edgebench.results import Record


def benchmark_stats(samples_s: Sequence[float]) -> dict[str, Any]:
    """pytest-benchmark's ``stats`` block from raw samples (seconds)."""
    data = np.asarray(samples_s, dtype=np.float64)
    q1, median, q3 = (float(v) for v in np.percentile(data, (25, 50, 75)))
    iqr = q3 - q1
    mean, std = float(data.mean()), float(data.std(ddof=1)) if data.size > 1 else 0.0
    low, high = q1 - 1.5 * iqr, q3 + 1.5 * iqr
    return {
        "min": float(data.min()),
        "max": float(data.max()),
        "mean": mean,
        "stddev": std,
        "rounds": int(data.size),
        "median": median,
        "iqr": iqr,
        "q1": q1,
        "q3": q3,
        "iqr_outliers": int(np.sum((data < low) | (data > high))),
        "stddev_outliers": int(np.sum(np.abs(data - mean) > std)),
        "outliers": f"{int(np.sum(np.abs(data - mean) > std))};{int(np.sum((data < low) | (data > high)))}",
        "ld15iqr": float(data[data >= low].min()),
        "hd15iqr": float(data[data <= high].max()),
        "ops": 1.0 / mean if mean else 0.0,
        "total": float(data.sum()),
        "data": [float(v) for v in data],
        "iterations": 1,
    }


def to_pytest_benchmark(header: dict[str, Any], records: Sequence[Record]) -> dict[str, Any]:
    """A pytest-benchmark (format version 5) document for the timed rows."""
    provenance = header.get("provenance", {})
    benchmarks = []
    for r in records:
        if not r.latency_samples_ms:
            continue
        name = f"test_latency[{r.model}-{r.dataset}-{r.recipe}-{r.runtime}-t{r.threads}]"
        benchmarks.append(
            {
                "group": f"{r.model}-{r.dataset}-{r.runtime}",
                "name": name,
                "fullname": f"bench/test_latency.py::{name}",
                "params": {"recipe": r.recipe, "threads": r.threads},
                "param": f"{r.model}-{r.dataset}-{r.recipe}-{r.runtime}-t{r.threads}",
                "extra_info": {
                    "device": r.device,
                    "accuracy": r.accuracy,
                    "file_bytes": r.file_bytes,
                },
                "options": {
                    "timer": "perf_counter",
                    "min_rounds": r.rounds,
                    "warmup": r.warmup_rounds,
                },
                "stats": benchmark_stats([s / 1e3 for s in r.latency_samples_ms]),
            }
        )
    return {
        "machine_info": {
            "cpu": {"brand_raw": provenance.get("cpu")},
            "python_version": provenance.get("python"),
            "machine": provenance.get("machine"),
            "node": "edgebench",
        },
        "commit_info": {"id": provenance.get("git_commit")},
        "benchmarks": benchmarks,
        "datetime": provenance.get("started"),
        "version": "5.1.0",
    }

"""The isolated measurement worker: ``python -m edgebench.worker`` reads one JSON job on
stdin and writes one JSON result on stdout.

It imports numpy and one runtime, nothing else of weight (no TensorFlow, no pytest),
so its peak memory is the runtime's and the model's. Job fields: ``runtime``
(``litert``/``onnxruntime``), ``artifact`` (path, or ``null`` for the idle baseline),
``threads``, ``rounds``, ``warmup``, ``onnx_provider``, ``input_shape`` (per sample, for
the inference loop; random inputs of the model's shape when omitted).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from edgebench.errors import RuntimeUnavailable
from edgebench.instruments.memory import peak_kib, read_status_kib, reset_peak
from edgebench.instruments.timing import time_directly


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Measure one job; see the module docstring."""
    from edgebench.runtimes.registry import RuntimeSpec, runtime_spec

    # A job names a registered runtime; it may carry the spec (name, format, factory) of
    # one that was registered in the controlling process only (a conftest's).
    spec = RuntimeSpec(**job["runtime_spec"]) if job.get("runtime_spec") else None
    spec = spec or runtime_spec(job["runtime"])
    runtime = spec.load_factory()({"onnx_provider": job.get("onnx_provider")})
    reason = runtime.unavailable_reason()  # imports the runtime module, nothing more
    if reason:
        raise RuntimeUnavailable(reason)
    import_peak, source = peak_kib()
    result: dict[str, Any] = {"import_peak_kib": import_peak, "source": source}
    if not job.get("artifact"):
        result["peak_kib"] = import_peak
        return result
    can_reset = reset_peak()
    session = runtime.load(Path(job["artifact"]), int(job["threads"]))
    shape = tuple(d if d is not None else 1 for d in session.input_shape)
    sample = np.random.default_rng(0).random((1, *shape), dtype=np.float32)
    invoke = session.bind(sample)
    load_peak, _ = peak_kib()
    result["load_peak_kib"] = load_peak
    result["peak_reset"] = can_reset
    if can_reset:
        reset_peak()
    samples = time_directly(invoke, int(job.get("rounds", 1)), int(job.get("warmup", 0)))
    inference_peak, _ = peak_kib()
    result["inference_peak_kib"] = inference_peak
    result["peak_kib"] = max(load_peak or 0, inference_peak or 0) if can_reset else inference_peak
    result["rss_kib"] = read_status_kib("VmRSS")
    result["samples_s"] = samples
    return result


def main() -> int:
    """Read a job from stdin, print the result as JSON."""
    from edgebench.errors import EdgebenchError

    job = json.loads(sys.stdin.read())
    try:
        result = run_job(job)
    except EdgebenchError as exc:
        print(f"edgebench worker: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The measurement worker: ``python -m edgebench.worker`` reads one JSON job on stdin and
writes one JSON result on stdout. The job is the wire format of every target (a fresh local
process, or a board over SSH, where this module is shipped with the few it imports).

Job kinds (``kind``): ``measure`` (the default: peak memory and timing, below), ``predict``
(the model's outputs for an ``.npy`` of inputs, for accuracy on the device's own kernels),
``energy`` (the machine's own power meter around idle or inference), ``profile`` (per-operator
times from the runtime's own profiler, ``--profile-ops``) and ``facts``
(``edgebench.device_facts``).

It imports numpy and one runtime, nothing else of weight (no TensorFlow, no pytest),
so its peak memory is the runtime's and the model's. Job fields: ``runtime``
(``litert``/``onnxruntime``), ``artifact`` (path, or ``null`` for the idle baseline),
``threads``, ``rounds``, ``warmup``, ``runtime_options`` (what the runtimes' declared options
say, by key: ``onnx_provider``, ...), ``input_shape`` (per sample, for
the inference loop; random inputs of the model's shape when omitted).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

# imported by every job, so the idle baseline carries the same modules as a row
from edgebench.device_facts import temperature_c
from edgebench.errors import RuntimeUnavailable, UsageError
from edgebench.instruments.memory import peak_kib, read_status_kib, reset_peak
from edgebench.instruments.timing import time_directly
from edgebench.instruments.watched_process import beat
from edgebench.jobs import (
    EnergyJob,
    FactsJob,
    Job,
    LoopJob,
    LoopResult,
    MeasureJob,
    MeasureResult,
    PredictJob,
    PredictResult,
    ProfileJob,
    parse_job,
)


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job (its JSON form, read back as a ``jobs`` type); see the module
    docstring."""
    typed = parse_job(job)
    return RUNNERS[typed.kind](typed)


def facts(job: FactsJob) -> dict[str, Any]:
    """This machine's facts (``device_facts.collect``)."""
    from edgebench.device_facts import collect

    return collect()


def input_sample(session: Any) -> np.ndarray:
    """One input of the model's shape (batch 1): evenly spaced values in [0, 1].

    Deterministic without ``numpy.random``: importing it adds about 7 MiB to a process's
    peak, which the idle baseline (no input) would not carry and the row would."""
    shape = (1, *(d if d is not None else 1 for d in session.input_shape))
    size = int(np.prod(shape))
    return np.linspace(0.0, 1.0, num=size, dtype=np.float32).reshape(shape)


def _runtime(job: Job) -> Any:
    from edgebench.runtimes.registry import RuntimeSpec, runtime_spec

    # A job names a registered runtime; it may carry the spec (name, format, factory) of
    # one that was registered in the controlling process only (a conftest's).
    spec = RuntimeSpec(**job.runtime_spec) if job.runtime_spec else None
    spec = spec or runtime_spec(job.runtime)
    runtime = spec.load_factory()(dict(job.runtime_options))
    reason = runtime.unavailable_reason()  # imports the runtime module, nothing more
    if reason:
        raise RuntimeUnavailable(reason)
    return runtime


def _load(runtime: Any, job: Job) -> Any:
    """The job's artifact loaded with its thread count (the runtime imported before, so a
    measurement can read the peak in between)."""
    if not job.artifact:
        raise UsageError(f"a {job.kind} job needs an artifact")
    return runtime.load(Path(job.artifact), job.threads)


def predict(job: PredictJob) -> dict[str, Any]:
    """The model's outputs for every input of ``job["inputs"]`` (an ``.npy`` file), in
    batches of ``batch_size``, saved to ``job["outputs"]``: the first output as ``.npy``,
    or with ``all_outputs`` every output, in the model's order, as an ``.npz`` archive
    (``output_0``, ``output_1``, ...) under the same name."""
    session = _load(_runtime(job), job)
    x = np.load(job.inputs, allow_pickle=False)
    batch = max(1, job.batch_size)
    starts = range(0, len(x), batch)

    def scored(i: int) -> None:
        beat(f"images {min(i + batch, len(x))}/{len(x)}")

    if job.all_outputs:
        parts = []
        for i in starts:
            parts.append(session.run_outputs(x[i : i + batch]))
            scored(i)
        columns = [np.concatenate(list(column)) for column in zip(*parts, strict=True)]
        with open(job.outputs, "wb") as handle:
            np.savez(handle, **{f"output_{k}": c for k, c in enumerate(columns)})
        return PredictResult(job.outputs, len(x), len(columns)).to_json()
    outputs = []
    for i in starts:
        outputs.append(np.asarray(session.run(x[i : i + batch])))
        scored(i)
    np.save(job.outputs, np.concatenate(outputs), allow_pickle=False)
    return PredictResult(job.outputs, len(x)).to_json()


def energy(job: EnergyJob) -> dict[str, Any]:
    """Power on this machine's meter (``meter``, ``meter_command``): idle for ``seconds``
    without an artifact, else a window of steady inference (random inputs of the model's
    shape) with ``idle_w`` subtracted. A meter that cannot be read here answers
    ``{"unavailable": reason}``."""
    from edgebench.instruments.energy import energy_window, idle_power
    from edgebench.meters.base import MeterUnavailable
    from edgebench.meters.registry import make_meter

    command = job.meter_command
    try:
        meter = make_meter(job.meter, command)
        if meter is None:
            return {"unavailable": "--meter none"}
        seconds = float(job.seconds)
        if not job.artifact:
            return idle_power(meter.name, command, meter.period_s, seconds)
        session = _load(_runtime(job), job)
        values = energy_window(
            meter.name,
            command,
            meter.period_s,
            seconds,
            session.bind(input_sample(session)),
            job.idle_w,
        )
    except MeterUnavailable as exc:
        return {"unavailable": str(exc)}
    values.update(meter=meter.name, meter_scope=meter.scope, meter_period_s=meter.period_s)
    return values


def loop(job: LoopJob) -> dict[str, Any]:
    """Steady inference for ``seconds`` (random inputs of the model's shape), for a meter
    read elsewhere: the images and the loop's own duration."""
    from edgebench.instruments.energy import run_for

    session = _load(_runtime(job), job)
    images, start, end = run_for(float(job.seconds), session.bind(input_sample(session)))
    return LoopResult(images, end - start).to_json()


def profile(job: ProfileJob) -> dict[str, Any]:
    """Per-operator times of one artifact from the runtime's own profiler (a runtime's
    ``profile_operators``), or ``{"unavailable": why}`` for a runtime without one."""
    runtime = _runtime(job)
    method = getattr(runtime, "profile_operators", None)
    if method is None:
        why = getattr(runtime, "profile_unavailable", None) or (
            f"{runtime.name} has no per-operator profiler in edgebench"
        )
        return {"unavailable": why}
    return method(Path(str(job.artifact)), job.threads, job.rounds, job.warmup, input_sample)


def measure(job: MeasureJob) -> dict[str, Any]:
    """Peak memory and the timing loop of one artifact (or the idle runtime). A latency
    job's window rules apply first (cores pinned, governor checked, cooled down, the
    state read), before the runtime's import is measured."""
    board = None
    if job.board_rules is not None:
        from edgebench.instruments.board_state import apply_rules

        board = apply_rules(**job.board_rules, say=beat)
    runtime = _runtime(job)
    import_peak, source = peak_kib()
    if not job.artifact:
        return MeasureResult(import_peak, source, peak_kib=import_peak, board=board).to_json()
    can_reset = reset_peak()
    session = _load(runtime, job)
    invoke = session.bind(input_sample(session))
    load_peak, _ = peak_kib()
    if can_reset:
        reset_peak()
    before = temperature_c()
    window_start = time.time()
    samples = time_directly(invoke, job.rounds, job.warmup)
    window_end = time.time()
    after = temperature_c()
    inference_peak, _ = peak_kib()
    return MeasureResult(
        import_peak,
        source,
        peak_kib=max(load_peak or 0, inference_peak or 0) if can_reset else inference_peak,
        load_peak_kib=load_peak,
        peak_reset=can_reset,
        inference_peak_kib=inference_peak,
        rss_kib=read_status_kib("VmRSS"),
        temperature_before_c=before,
        temperature_after_c=after,
        samples_s=samples,
        window_start_unix_s=window_start,
        window_end_unix_s=window_end,
        board=board,
    ).to_json()


#: the function that runs each job kind.
RUNNERS: dict[str, Any] = {
    "measure": measure,
    "predict": predict,
    "profile": profile,
    "energy": energy,
    "loop": loop,
    "facts": facts,
}


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

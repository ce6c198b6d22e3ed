"""LiteRT's two Python APIs on the same artifacts: the Interpreter (edgebench's ``litert``)
and CompiledModel on the CPU (``litert-compiled``) must give the same outputs and agree
in p50 latency.

    python ci/compare_litert_apis.py RUN.json [--rounds 3000] [--tolerance 0.03]

For every LiteRT artifact of the run file: both APIs load it with one thread, written
here against LiteRT directly (not through edgebench's sessions); 32 seeded random inputs
go through both and the outputs must be equal; then the two are timed in interleaved
blocks of 100 single invokes (set/write the input, invoke, read the output), so machine
drift falls on both alike: once the run alone (input written once; Interpreter.invoke vs
CompiledModel.run_by_index), which must agree within the tolerance or within --slack-ms
(CompiledModel's Python call costs a few microseconds more, which is more than 10% of an
int8 MobileNet's 40 us on a fast CPU; a pair outside both is timed once more, since the
machine is shared, and fails only if the second timing is outside too), and once with the
input and output copies of a measured inference (set_tensor/invoke/get_tensor vs
TensorBuffer write/run/read), printed beside: the Python buffer glue of CompiledModel
costs a few microseconds more per call. Where the run also timed both runtimes, their
recorded p50s are printed too. Exits 1 on a mismatch.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np

BLOCK = 100


def interpreter(path: str):
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=path, num_threads=1)
    it.allocate_tensors()
    d, o = it.get_input_details()[0], it.get_output_details()[0]

    def run(x: np.ndarray) -> np.ndarray:
        it.set_tensor(d["index"], x)
        it.invoke()
        return it.get_tensor(o["index"])

    def bare(x: np.ndarray):
        it.set_tensor(d["index"], x)
        return it.invoke

    return run, bare, d


def compiled(path: str):
    from ai_edge_litert.compiled_model import CompiledModel, CpuOptions, Options
    from ai_edge_litert.hardware_accelerator import HardwareAccelerator

    model = CompiledModel.from_file(
        path,
        options=Options(
            hardware_accelerators=HardwareAccelerator.CPU, cpu_options=CpuOptions(num_threads=1)
        ),
    )
    signature = model.get_signature_by_index(0)
    out = model.get_output_tensor_details(signature["key"])[signature["outputs"][0]]
    count, dtype = int(np.prod(out["shape"])), np.dtype(out["dtype"])
    ins, outs = model.create_input_buffers(0), model.create_output_buffers(0)

    def run(x: np.ndarray) -> np.ndarray:
        ins[0].write(x)
        model.run_by_index(0, ins, outs)
        return np.asarray(outs[0].read(count, dtype)).reshape(out["shape"])

    def bare(x: np.ndarray):
        ins[0].write(x)
        return lambda: model.run_by_index(0, ins, outs)

    return run, bare


def inputs(detail: dict, count: int) -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    shape = [int(s) for s in detail["shape"]]
    dtype = np.dtype(detail["dtype"])
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return [rng.integers(info.min, info.max + 1, shape).astype(dtype) for _ in range(count)]
    return [rng.random(shape).astype(dtype) for _ in range(count)]


def interleaved_p50(a, b, rounds: int) -> tuple[float, float]:
    """p50 (ms) of two no-argument calls timed in alternating blocks."""
    times: dict[str, list[float]] = {"a": [], "b": []}
    for _ in range(20):  # warm-up of both
        a(), b()
    for _ in range(max(1, rounds // BLOCK)):
        for name, run in (("a", a), ("b", b)):
            for _ in range(BLOCK):
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
    return float(np.median(times["a"]) * 1e3), float(np.median(times["b"]) * 1e3)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--rounds", type=int, default=3000)
    parser.add_argument("--tolerance", type=float, default=0.03)
    parser.add_argument("--slack-ms", type=float, default=0.01)
    args = parser.parse_args()
    records = json.loads(args.run.read_text())["records"]
    recorded: dict[tuple[str, str], float] = {}
    artifacts: dict[str, str] = {}
    for r in records:
        if r.get("artifact_format") == "tflite" and r.get("artifact_path"):
            artifacts.setdefault(r["artifact_path"], f"{r['model']} {r['recipe']}")
            if r.get("latency_p50_ms") and r.get("threads") == 1:
                recorded[(r["artifact_path"], r["runtime"])] = r["latency_p50_ms"]
    if not artifacts:
        print(f"{args.run}: no LiteRT artifacts")
        return 1
    failed = False
    for path, label in artifacts.items():
        run_a, bare_a, detail = interpreter(path)
        run_b, bare_b = compiled(path)
        xs = inputs(detail, 32)
        diff = max(
            float(np.max(np.abs(run_a(x).astype(np.float64) - run_b(x).astype(np.float64))))
            for x in xs
        )
        x = xs[0]

        def agree(a: float, b: float) -> bool:
            return abs(b / a - 1) <= args.tolerance or abs(b - a) <= args.slack_ms

        p50_a, p50_b = interleaved_p50(bare_a(x), bare_b(x), args.rounds)
        timed = 1
        if not agree(p50_a, p50_b):
            p50_a, p50_b = interleaved_p50(bare_a(x), bare_b(x), args.rounds)
            timed = 2
        io_a, io_b = interleaved_p50(partial(run_a, x), partial(run_b, x), args.rounds)
        ratio = p50_b / p50_a
        ok = diff == 0.0 and agree(p50_a, p50_b)
        failed |= not ok
        ran = [recorded.get((path, rt)) for rt in ("litert", "litert-compiled")]
        beside = f"; the run's own p50s {ran[0]:.4f} / {ran[1]:.4f} ms" if None not in ran else ""
        print(
            f"{'ok' if ok else 'MISMATCH'} {label}: outputs max |diff| {diff:g} over 32 inputs; "
            f"run alone p50 Interpreter {p50_a:.4f} ms, CompiledModel {p50_b:.4f} ms "
            f"(ratio {ratio:.3f}); with input/output copies {io_a:.4f} / {io_b:.4f} ms "
            f"(ratio {io_b / io_a:.3f}); {args.rounds} interleaved rounds each"
            f"{'' if timed == 1 else ' (run alone timed twice: the first was outside)'}{beside}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

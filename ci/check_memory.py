"""Check the peak memory in a run file against ``/usr/bin/time -v`` of a plain script.

    python ci/check_memory.py RUN.json [--tolerance 0.10]

For every record with a peak memory, a plain Python script (numpy and the runtime
only, none of edgebench) loads the same artifact with the same thread count and runs
100 invokes; its "Maximum resident set size" from GNU time must agree with the record
within the tolerance. Exits 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from pathlib import Path

LITERT = """
import numpy as np
from ai_edge_litert.interpreter import Interpreter
it = Interpreter(model_path={path!r}, num_threads={threads})
it.allocate_tensors()
d = it.get_input_details()[0]
shape = [1, *[int(x) for x in d["shape"][1:]]]
it.resize_tensor_input(d["index"], shape); it.allocate_tensors()
x = np.random.default_rng(0).random(shape, dtype=np.float32).astype(d["dtype"])
for _ in range(100):
    it.set_tensor(d["index"], x); it.invoke(); it.get_tensor(it.get_output_details()[0]["index"])
"""
ONNX = """
import numpy as np, onnxruntime as ort
o = ort.SessionOptions(); o.intra_op_num_threads = {threads}; o.inter_op_num_threads = 1
s = ort.InferenceSession({path!r}, o, providers=["CPUExecutionProvider"])
i = s.get_inputs()[0]
x = np.random.default_rng(0).random([1, *[d if isinstance(d, int) else 1 for d in i.shape[1:]]], dtype=np.float32)
for _ in range(100):
    s.run(None, {{i.name: x}})
"""


def max_rss_mib(code: str) -> float:
    done = subprocess.run(
        ["/usr/bin/time", "-v", sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
    )
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    if not match:
        raise RuntimeError(f"no maximum resident set size in: {done.stderr[-300:]}")
    return int(match[1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--tolerance", type=float, default=0.10)
    args = parser.parse_args()
    problems, checked = [], 0
    for record in json.loads(args.run.read_text())["records"]:
        if record.get("peak_memory_mb") is None:
            continue
        template = LITERT if record["runtime"] == "litert" else ONNX
        plain = max_rss_mib(
            template.format(path=record["artifact_path"], threads=record["threads"])
        )
        ratio = record["peak_memory_mb"] / plain
        checked += 1
        line = (
            f"{record['model']} {record['recipe']} {record['runtime']} t{record['threads']}: "
            f"edgebench {record['peak_memory_mb']:.1f} MiB, /usr/bin/time {plain:.1f} MiB (ratio {ratio:.3f})"
        )
        print(f"check_memory: {line}")
        if abs(ratio - 1) > args.tolerance:
            problems.append(line)
    for line in problems:
        print(f"check_memory: outside {args.tolerance:.0%}: {line}", file=sys.stderr)
    if not checked:
        print("check_memory: no record has a peak memory", file=sys.stderr)
    return 1 if problems or not checked else 0


if __name__ == "__main__":
    sys.exit(main())

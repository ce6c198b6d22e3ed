"""Check "memory over the idle baseline" in a run file against the difference of two plain
scripts measured by GNU time.

    python ci/check_memory.py RUN.json [--tolerance 0.15] [--floor-mib 1.5]

For every record with a memory figure: script A imports numpy and the runtime, loads the
same artifact with the same thread count and runs 100 invokes on one input of evenly spaced
values; script B imports numpy and the runtime and nothing else. Neither imports anything
the other does not, and neither imports edgebench or numpy.random. The record's
``memory_over_baseline_mb`` must equal maxRSS(A) - maxRSS(B) ("Maximum resident set size"
of ``/usr/bin/time -v``) within the tolerance or the floor, whichever is larger. Each script
runs 3 times and its median counts. Exits 1 otherwise.

Both scripts end with ``os._exit(0)``: the interpreter's teardown allocates (1.2 MiB after
``import onnxruntime`` on an AMD EPYC VM: VmHWM 51.0 MB at the end of the script, GNU
time's maximum 52.2 MB), and GNU time's maximum would count it in the baseline script, not
in the model script whose peak came earlier, so every ONNX Runtime row read 1.2 MiB high
against the scripts.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

IMPORTS = {
    "litert": "import os\nimport numpy as np\nfrom ai_edge_litert.interpreter import Interpreter\n",
    "onnxruntime": "import os\nimport numpy as np\nimport onnxruntime as ort\n",
}
#: the end of both scripts: no interpreter teardown in the maximum (see the docstring)
EXIT = "os._exit(0)\n"
MODEL = {
    "litert": """
it = Interpreter(model_path={path!r}, num_threads={threads})
d = it.get_input_details()[0]
shape = [1, *[int(x) for x in d["shape"][1:]]]
it.resize_tensor_input(d["index"], shape); it.allocate_tensors()
x = np.linspace(0, 1, num=int(np.prod(shape)), dtype=np.float32).reshape(shape).astype(d["dtype"])
for _ in range(100):
    it.set_tensor(d["index"], x); it.invoke(); it.get_tensor(it.get_output_details()[0]["index"])
""",
    "onnxruntime": """
o = ort.SessionOptions(); o.intra_op_num_threads = {threads}; o.inter_op_num_threads = 1
s = ort.InferenceSession({path!r}, o, providers=["CPUExecutionProvider"])
i = s.get_inputs()[0]
shape = [1, *[d if isinstance(d, int) else 1 for d in i.shape[1:]]]
x = np.linspace(0, 1, num=int(np.prod(shape)), dtype=np.float32).reshape(shape)
for _ in range(100):
    s.run(None, {{i.name: x}})
""",
}


def max_rss_mib(code: str, repeats: int = 3) -> float:
    """The median "Maximum resident set size" of ``python -c code`` under GNU time, MiB."""
    values = []
    for _ in range(repeats):
        done = subprocess.run(
            ["/usr/bin/time", "-v", sys.executable, "-c", code + EXIT],
            capture_output=True,
            text=True,
            check=True,
        )
        match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
        if not match:
            raise RuntimeError(f"no maximum resident set size in: {done.stderr[-300:]}")
        values.append(int(match[1]) / 1024)
    return statistics.median(values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--tolerance", type=float, default=0.15)
    parser.add_argument("--floor-mib", type=float, default=1.5)
    args = parser.parse_args()
    problems, checked = [], 0
    baselines: dict[str, float] = {}
    for record in json.loads(args.run.read_text())["records"]:
        runtime = record["runtime"]
        if record.get("memory_over_baseline_mb") is None or runtime not in IMPORTS:
            continue
        if runtime not in baselines:
            baselines[runtime] = max_rss_mib(IMPORTS[runtime])
        model = IMPORTS[runtime] + MODEL[runtime].format(
            path=record["artifact_path"], threads=record["threads"]
        )
        plain = max_rss_mib(model) - baselines[runtime]
        suite = record["memory_over_baseline_mb"]
        allowed = max(args.tolerance * plain, args.floor_mib)
        checked += 1
        line = (
            f"{record['model']} {record['recipe']} {runtime} t{record['threads']}: over base "
            f"edgebench {suite:.1f} MiB, plain scripts {plain:.1f} MiB (difference "
            f"{suite - plain:+.1f}, allowed +-{allowed:.1f})"
        )
        print(f"check_memory: {line}")
        if abs(suite - plain) > allowed:
            problems.append(line)
    for line in problems:
        print(f"check_memory: outside the tolerance: {line}", file=sys.stderr)
    if not checked:
        print("check_memory: no record has a memory figure", file=sys.stderr)
    return 1 if problems or not checked else 0


if __name__ == "__main__":
    sys.exit(main())

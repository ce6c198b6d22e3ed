"""Per-operator times of a ``.tflite`` with LiteRT's Python API, which has no in-graph
operator profiler: each operator of the main subgraph is cut out into a one-operator model
(its own weights, its input and output tensors with their shapes and quantization) and
timed alone on the same interpreter implementation with the same thread count; the whole
model is timed the same way (invoke only) so the sum can be set against it.

Isolated timing is not the in-graph profile of ``benchmark_model --enable_op_profiling``:
each invoke carries the interpreter's fixed per-invoke cost, and the XNNPACK delegate sees
one operator at a time. The record says which method made the profile (``method``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from edgebench.errors import RuntimeUnavailable

METHOD = "isolated: each operator run alone as a one-operator model, invoke timed"


def _schema() -> Any:
    try:
        from ai_edge_litert import schema_py_generated as schema
    except ImportError as exc:
        raise RuntimeUnavailable(
            f"per-operator times need ai-edge-litert's flatbuffer schema ({exc})"
        ) from exc
    return schema


def operator_names(schema: Any) -> dict[int, str]:
    """Builtin operator code -> name (``CONV_2D``)."""
    return {
        value: name
        for name, value in vars(schema.BuiltinOperator).items()
        if not name.startswith("_") and isinstance(value, int)
    }


def _op_name(model: Any, op: Any, names: dict[int, str]) -> str:
    code = model.operatorCodes[op.opcodeIndex]
    if code.customCode:
        custom = code.customCode
        return custom.decode() if isinstance(custom, bytes) else str(custom)
    builtin = max(int(code.builtinCode or 0), int(code.deprecatedBuiltinCode or 0))
    return names.get(builtin, f"BUILTIN_{builtin}")


def _is_constant(model: Any, tensor: Any) -> bool:
    buffer = model.buffers[tensor.buffer] if 0 < tensor.buffer < len(model.buffers) else None
    return buffer is not None and (
        (buffer.data is not None and len(buffer.data) > 0) or (buffer.offset or 0) > 1
    )


def one_operator_models(path: Path) -> list[tuple[str, str, bytes | None, str]]:
    """``(node name, operator type, one-operator .tflite or None, why not)`` for every
    operator of the main subgraph, in execution order."""
    import flatbuffers

    schema = _schema()
    model = schema.ModelT.InitFromPackedBuf(path.read_bytes(), 0)
    names = operator_names(schema)
    graph = model.subgraphs[0]
    found = []
    for index, op in enumerate(graph.operators):
        kind = _op_name(model, op, names)
        first_output = graph.tensors[op.outputs[0]].name if len(op.outputs) else b""
        label = first_output.decode() if isinstance(first_output, bytes) else str(first_output)
        node = f"{index}:{label}"
        if len(model.subgraphs) > 1 and kind in ("WHILE", "IF", "CALL_ONCE", "STABLEHLO_COMPOSITE"):
            found.append((node, kind, None, "calls another subgraph"))
            continue
        used = [t for t in list(op.inputs) + list(op.intermediates or []) if t >= 0]
        constants = {t for t in used if _is_constant(model, graph.tensors[t])}
        buffers = [schema.BufferT() for _ in model.buffers]
        for t in constants:
            buffers[graph.tensors[t].buffer] = model.buffers[graph.tensors[t].buffer]
        cut = schema.SubGraphT()
        cut.tensors = graph.tensors
        cut.inputs = [t for t in op.inputs if t >= 0 and t not in constants]
        cut.outputs = list(op.outputs)
        cut.operators = [op]
        single = schema.ModelT()
        single.version = model.version
        single.operatorCodes = model.operatorCodes
        single.subgraphs = [cut]
        single.buffers = buffers
        builder = flatbuffers.Builder(1024)
        builder.Finish(single.Pack(builder), file_identifier=b"TFL3")
        found.append((node, kind, bytes(builder.Output()), ""))
    return found


def _random_inputs(interpreter: Any) -> list[tuple[int, np.ndarray]]:
    rng = np.random.default_rng(0)
    feeds = []
    for detail in interpreter.get_input_details():
        dtype, shape = np.dtype(detail["dtype"]), [int(d) for d in detail["shape"]]
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            low, high = max(info.min, -128), min(info.max, 127)
            value = rng.integers(low, high + 1, shape).astype(dtype)
        elif dtype == np.bool_:
            value = rng.random(shape) > 0.5
        else:
            value = rng.random(shape).astype(dtype)
        feeds.append((detail["index"], value))
    return feeds


def time_invokes(interpreter: Any, rounds: int, warmup: int) -> list[float]:
    """Invoke-only times (µs) of ``rounds`` invokes after ``warmup``, inputs set once."""
    for index, value in _random_inputs(interpreter):
        interpreter.set_tensor(index, value)
    invoke = interpreter.invoke
    for _ in range(warmup):
        invoke()
    times = []
    clock = time.perf_counter
    for _ in range(rounds):
        start = clock()
        invoke()
        times.append((clock() - start) * 1e6)
    return times


def profile_isolated(
    interpreter_class: Callable[..., Any], path: Path, threads: int, rounds: int, warmup: int
) -> dict[str, Any]:
    """The worker's ``profile`` result for a ``.tflite``: nodes with their summed isolated
    invoke times over ``rounds``, and the whole model's invoke times (``run_us``)."""
    whole = interpreter_class(model_path=str(path), num_threads=threads)
    whole.allocate_tensors()
    run_us = time_invokes(whole, rounds, warmup)
    nodes, skipped = [], []
    from edgebench.instruments.watched_process import beat

    cut = one_operator_models(path)
    for index, (node, kind, content, why) in enumerate(cut):
        beat(f"operators {index}/{len(cut)}")
        if content is None:
            skipped.append(f"{node} {kind}: {why}")
            continue
        try:
            single = interpreter_class(model_content=content, num_threads=threads)
            single.allocate_tensors()
            times = time_invokes(single, rounds, warmup)
        except Exception as exc:  # noqa: BLE001 - an operator that will not run alone
            skipped.append(f"{node} {kind}: {type(exc).__name__}: {str(exc)[:120]}")
            continue
        nodes.append({"name": node, "op": kind, "us": float(sum(times)), "calls": rounds})
    return {
        "nodes": nodes,
        "runs": rounds,
        "run_us": run_us,
        "tool": "LiteRT Interpreter, operators timed in isolation",
        "method": METHOD,
        "skipped": skipped,
    }

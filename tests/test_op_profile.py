"""Per-operator profiles: the summary, ONNX Runtime's trace events, the report's table and
the slowdown cause they give."""

from __future__ import annotations

import pytest

from edgebench.instruments.op_profile import summarize_profile, top_types
from edgebench.report.findings import profile_causes
from edgebench.report.tables import operator_tables
from edgebench.results import Record
from edgebench.runtimes.onnxrt import operator_times


def test_summary_by_hand():
    nodes = [
        {"name": "conv1", "op": "Conv", "us": 600.0, "calls": 3},
        {"name": "conv2", "op": "Conv", "us": 300.0, "calls": 3},
        {"name": "dq", "op": "DequantizeLinear", "us": 300.0, "calls": 3},
    ]
    p = summarize_profile(nodes, runs=3, run_us=[500.0, 450.0, 480.0], tool="t", top=2)
    assert p["by_type"]["Conv"] == {"ms": 0.3, "nodes": 2, "share": 0.75}
    assert p["by_type"]["DequantizeLinear"]["share"] == 0.25
    assert list(p["by_type"]) == ["Conv", "DequantizeLinear"]  # slowest type first
    assert p["operators_ms"] == pytest.approx(0.4) and p["run_p50_ms"] == 0.48
    assert [n["name"] for n in p["top"]] == ["conv1", "conv2"]
    assert top_types(p, 1) == [("Conv", 0.75)]
    with pytest.raises(ValueError):
        summarize_profile(nodes, runs=0)


def _event(cat, name, ts, dur, op=None):
    event = {"cat": cat, "name": name, "ts": ts, "dur": dur, "ph": "X"}
    if op:
        event["args"] = {"op_name": op}
    return event


def test_ort_trace_events_without_the_warm_up_runs():
    profile = [
        _event("Session", "model_loading_uri", 0, 900),
        _event("Session", "model_run", 1000, 100),  # warm-up
        _event("Node", "conv_kernel_time", 1010, 70, "Conv"),
        _event("Node", "conv_fence_before", 1009, 1, "Conv"),
        _event("Session", "model_run", 2000, 90),
        _event("Node", "conv_kernel_time", 2010, 60, "Conv"),
        _event("Node", "relu_kernel_time", 2075, 10, "Relu"),
        _event("Session", "model_run", 3000, 80),
        _event("Node", "conv_kernel_time", 3010, 50, "Conv"),
        _event("Node", "relu_kernel_time", 3065, 10, "Relu"),
    ]
    times = operator_times(profile, skip_runs=1)
    assert times["runs"] == 2 and times["run_us"] == [90.0, 80.0]
    nodes = {n["name"]: n for n in times["nodes"]}
    assert nodes["conv"] == {"name": "conv", "op": "Conv", "us": 110.0, "calls": 2}
    assert nodes["relu"]["us"] == 20.0


def _record(recipe, by_type):
    total = sum(by_type.values())
    return Record(
        model="m",
        dataset="d",
        recipe=recipe,
        runtime="onnxruntime",
        threads=1,
        device="host",
        op_profile={
            "tool": "ORT",
            "operators_ms": total,
            "run_p50_ms": total * 1.2,
            "by_type": {op: {"ms": ms, "share": ms / total} for op, ms in by_type.items()},
        },
    )


def test_operator_table_and_the_slowdown_it_explains():
    fp32 = _record("fp32", {"Conv": 0.8, "Relu": 0.2})
    qdq = _record("ort-qdq", {"QLinearConv": 0.5, "DequantizeLinear": 0.4, "Relu": 0.1})
    (table,) = operator_tables([qdq, fp32])
    assert table.headers[:4] == ["Recipe", "Conv", "QLinearConv", "DequantizeLinear"]
    assert table.rows[0][:4] == ["fp32", "80.0%", "", ""]
    assert table.rows[1][:4] == ["ort-qdq", "", "50.0%", "40.0%"]
    assert profile_causes(qdq.op_profile, fp32.op_profile) == [
        "op profile: operators fp32 does not run take 90% of the time "
        "(QLinearConv 50%, DequantizeLinear 40%)"
    ]
    assert profile_causes(qdq.op_profile, None) == [
        "op profile: QLinearConv 50%, DequantizeLinear 40%, Relu 10%"
    ]
    assert profile_causes(None, fp32.op_profile) == []


def test_litert_operators_cut_out_one_by_one():
    """Every operator of the .tflite becomes a one-operator model that LiteRT loads and
    runs: the same operator types as the interpreter lists, outputs of the cut model equal
    to the tensor the whole model computes there."""
    from pathlib import Path

    import numpy as np

    interpreter_module = pytest.importorskip("ai_edge_litert.interpreter")
    from edgebench.runtimes.litert_ops import one_operator_models, profile_isolated

    path = Path(__file__).parent / "data" / "digits_mlp.tflite"
    whole = interpreter_module.Interpreter(
        model_path=str(path), experimental_preserve_all_tensors=True
    )
    whole.allocate_tensors()
    ops = [op for op in whole._get_ops_details() if op["op_name"] != "DELEGATE"]
    cut = one_operator_models(path)
    assert [kind for _, kind, _, _ in cut] == [op["op_name"] for op in ops]
    x = np.random.default_rng(0).random(whole.get_input_details()[0]["shape"]).astype(np.float32)
    whole.set_tensor(whole.get_input_details()[0]["index"], x)
    whole.invoke()
    for (node, _, content, _), op in zip(cut, ops, strict=True):
        single = interpreter_module.Interpreter(model_content=content)
        single.allocate_tensors()
        for detail in single.get_input_details():
            single.set_tensor(detail["index"], whole.get_tensor(detail["index"]))
        single.invoke()
        out = single.get_output_details()[0]["index"]
        assert out == op["outputs"][0], node
        np.testing.assert_allclose(single.get_tensor(out), whole.get_tensor(out), rtol=1e-6)
    result = profile_isolated(interpreter_module.Interpreter, path, 1, 5, 1)
    assert len(result["nodes"]) == len(ops) and not result["skipped"]
    assert len(result["run_us"]) == 5 and all(n["us"] > 0 for n in result["nodes"])


def test_pruned_widths_off_multiples_of_8_are_a_cause_on_onnx_runtime():
    from edgebench.report.findings import width_causes

    keras_step = {"pruned_layers": {"conv1": 22, "conv2": 24}}
    torch_step = {"widths": {"features.0": [32, 21], "features.3": [64, 48]}}
    (line,) = width_causes("onnxruntime", [keras_step, torch_step])
    assert "2 of 4 layer widths off multiples of 8 (21, 22)" in line and "-r8" in line
    assert width_causes("litert", [keras_step]) == []
    assert width_causes("onnxruntime", [{"pruned_layers": {"a": 24}}]) == []
    assert width_causes("onnxruntime", None) == []


def test_a_small_share_of_new_operators_is_not_named_the_cause():
    fp32 = _record("fp32", {"Conv": 0.7, "BatchNormalization": 0.3})
    pruned = _record("sprune0.3", {"Conv": 0.6, "BatchNormalization": 0.38, "FusedConv": 0.02})
    assert profile_causes(pruned.op_profile, fp32.op_profile) == [
        "op profile: Conv 60%, BatchNormalization 38%, FusedConv 2%"
    ]


def test_the_ops_column_names_the_largest_shares():
    from edgebench.report.tables import resolve_columns

    (column,) = resolve_columns(["ops"])
    record = _record("int8", {"Conv": 0.6, "Relu": 0.1, "Add": 0.2, "Mean": 0.05})
    assert column.fmt(column.value(record)) == "Conv 63%, Add 21%, Relu 11%"

"""ONNX files whose weights are Constant nodes (as Paddle and some PyTorch exports ship
them) are counted and quantized like any other; a built file its runtime refuses fails at
build time with the runtime's reason."""

from __future__ import annotations

import json

import pytest

from tests.conftest import DATA, lay_out_project

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


def constant_weights(path) -> int:
    """``digits_mlp.onnx`` with every weight initializer turned into a Constant node."""
    from onnx import helper

    model = onnx.load(DATA / "digits_mlp.onnx")
    graph = model.graph
    moved = [t for t in graph.initializer if len(t.dims) >= 1 and t.data_type == 1]
    for tensor in moved:
        graph.initializer.remove(tensor)
        graph.node.insert(0, helper.make_node("Constant", [], [tensor.name], value=tensor))
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return len(moved)


def test_constant_weights_are_counted(tmp_path):
    from edgebench.artifacts.artifact import onnx_weight_count

    assert constant_weights(tmp_path / "c.onnx") >= 2
    plain = onnx_weight_count(DATA / "digits_mlp.onnx")
    assert onnx_weight_count(tmp_path / "c.onnx").total == plain.total > 0


def test_a_file_onnx_runtime_refuses_is_refused_with_its_reason(tmp_path):
    from edgebench.artifacts.verify import onnx_loads
    from edgebench.errors import ConversionError

    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x08\x07" + b"\x00" * 16)
    with pytest.raises(ConversionError, match="ONNX Runtime refuses the built file"):
        onnx_loads(bad)
    onnx_loads(DATA / "digits_mlp.onnx")  # a good one passes


@pytest.mark.slow
def test_constant_weights_get_every_onnx_runtime_quantization(pytester, monkeypatch):
    pytest.importorskip("sklearn.datasets")
    lay_out_project(pytester.path, suffixes=(".onnx",))
    constant_weights(pytester.path / "models" / "const.onnx")
    pytester.makeini("[pytest]\n")
    monkeypatch.setenv("EDGEBENCH_CACHE", str(pytester.path / "cache"))
    result = pytester.runpytest(
        "bench/test_accuracy.py", "--model", "models/digits_mlp.onnx,models/const.onnx",
        "--variants", "fp32,ort-dyn,ort-qdq", "--runtimes", "onnxruntime",
        "--edgebench-json", "run.json",
    )  # fmt: skip
    result.assert_outcomes(passed=6)
    rows = {
        (r["model"], r["recipe"]): r
        for r in json.loads((pytester.path / "run.json").read_text())["records"]
    }
    for recipe in ("fp32", "ort-dyn", "ort-qdq"):
        plain, const = rows[("digits_mlp.onnx", recipe)], rows[("const.onnx", recipe)]
        assert const["params"] == plain["params"] > 0, recipe
        assert const["accuracy"] == pytest.approx(plain["accuracy"], abs=0.01), recipe
    # quantized: smaller than the float file (Constant weights were quantized too)
    assert (
        rows[("const.onnx", "ort-dyn")]["file_bytes"] < rows[("const.onnx", "fp32")]["file_bytes"]
    )

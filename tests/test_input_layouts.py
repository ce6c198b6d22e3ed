"""A model whose input is NCHW (as PyTorch, Paddle and most ONNX exports are) is read in
its own layout or refused with the declaration to add; never scored on misread inputs.

The NCHW files are the NHWC digits MLP behind a leading Transpose, so the true accuracy is
known without any assumption of the suite: the NHWC file's, scored in the same run.
"""

from __future__ import annotations

import json

import pytest

from tests.conftest import DATA, lay_out_project

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("sklearn.datasets")


def nchw_wrapper(path, height, width) -> None:
    """``digits_mlp.onnx`` taking NCHW input ``(N, 1, height, width)`` (``None``: dynamic)."""
    from onnx import TensorProto, helper

    model = onnx.load(DATA / "digits_mlp.onnx")
    graph = model.graph
    (old,) = graph.input
    dims = ["N", 1, height or "H", width or "W"]
    new = helper.make_tensor_value_info("x_nchw", TensorProto.FLOAT, dims)
    graph.node.insert(0, helper.make_node("Transpose", ["x_nchw"], [old.name], perm=[0, 2, 3, 1]))
    graph.input.remove(old)
    graph.input.append(new)
    onnx.checker.check_model(model)
    onnx.save(model, path)


@pytest.fixture
def project(pytester, monkeypatch):
    lay_out_project(pytester.path, suffixes=(".onnx",))
    pytester.makeini("[pytest]\n")
    monkeypatch.setenv("EDGEBENCH_CACHE", str(pytester.path / "cache"))
    models = pytester.path / "models"
    nchw_wrapper(models / "fixed_nchw.onnx", 8, 8)
    nchw_wrapper(models / "dynamic_nchw.onnx", None, None)
    return pytester


def _accuracy(project, *models: str) -> tuple[pytest.RunResult, dict[str, dict]]:
    result = project.runpytest(
        "bench/test_accuracy.py", "--model", ",".join(models), "--variants", "fp32",
        "--runtimes", "onnxruntime", "--dataset", "digits", "--edgebench-json", "run.json",
    )  # fmt: skip
    records = json.loads((project.path / "run.json").read_text())["records"]
    return result, {r["model"]: r for r in records}


def test_nchw_inputs_are_read_in_their_layout_or_refused_with_the_fix(project):
    result, rows = _accuracy(
        project,
        "models/digits_mlp.onnx",
        "models/fixed_nchw.onnx",  # (1, 8, 8): the layout is certain
        "models/dynamic_nchw.onnx",  # (1, ?, ?): it is not
    )
    truth = rows["digits_mlp.onnx"]["accuracy"]
    assert truth > 0.9
    assert rows["fixed_nchw.onnx"]["accuracy"] == truth
    assert rows["fixed_nchw.onnx"]["input_contract"] == "NCHW 8x8 grey"
    assert rows["digits_mlp.onnx"]["input_contract"] == "NHWC 8x8 grey"
    # undeclared and ambiguous: its row fails with the one line to add, and has no score
    assert rows["dynamic_nchw.onnx"]["accuracy"] is None
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(
        ["*dynamic_nchw.onnx: its input (1, ?, ?) may be NCHW or NHWC; declare it: "
         "--model dynamic_nchw.onnx:layout=NCHW*"]
    )  # fmt: skip


def test_a_declaration_in_the_model_option_or_a_sidecar_settles_it(project):
    result, rows = _accuracy(
        project, "models/digits_mlp.onnx", "models/dynamic_nchw.onnx:layout=NCHW:size=8x8"
    )
    result.assert_outcomes(passed=2)
    truth = rows["digits_mlp.onnx"]["accuracy"]
    assert rows["dynamic_nchw.onnx"]["accuracy"] == truth
    sidecar = project.path / "models" / "dynamic_nchw.onnx.edgebench.json"
    sidecar.write_text(json.dumps({"input": {"layout": "NCHW", "size": "8x8"}}))
    result, rows = _accuracy(project, "models/dynamic_nchw.onnx")
    result.assert_outcomes(passed=1)
    assert rows["dynamic_nchw.onnx"]["accuracy"] == truth
    # a wrong declaration is one usage line before anything runs
    sidecar.write_text(json.dumps({"input": {"layout": "CHW"}}))
    bad = project.runpytest("bench/test_accuracy.py", "--model", "models/dynamic_nchw.onnx")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    bad.stderr.fnmatch_lines(["*dynamic_nchw.onnx: layout must be NHWC or NCHW, got 'CHW'*"])

"""A user's file gets rows on the runtimes of other formats through a registered converter:
a ``.tflite`` runs on ONNX Runtime (tf2onnx reads flatbuffers), and so every ONNX Runtime
quantization applies to it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import lay_out_project

pytestmark = pytest.mark.slow
pytest.importorskip("tf2onnx")
pytest.importorskip("onnxruntime")
pytest.importorskip("sklearn.datasets")


def test_a_tflite_file_gets_onnx_runtime_rows_and_its_quantizations(pytester, monkeypatch):
    lay_out_project(pytester.path, suffixes=(".tflite",))
    pytester.makeini("[pytest]\n")
    monkeypatch.setenv("EDGEBENCH_CACHE", str(pytester.path / "cache"))
    result = pytester.runpytest(
        "bench/test_accuracy.py", "--model", "models/digits_mlp.tflite", "--dataset", "digits",
        "--variants", "fp32,ort-dyn,ort-qdq", "--runtimes", "litert,onnxruntime",
        "--edgebench-json", "run.json",
    )  # fmt: skip
    result.assert_outcomes(passed=4)  # litert fp32; onnxruntime fp32, ort-dyn, ort-qdq
    rows = {
        (r["recipe"], r["runtime"]): r
        for r in json.loads((pytester.path / "run.json").read_text())["records"]
    }
    native = rows[("fp32", "litert")]
    converted = rows[("fp32", "onnxruntime")]
    assert converted["artifact_format"] == "onnx" and converted["compression"][0]["converter"]
    # the same weights through another converter and runtime: the same predictions
    assert converted["accuracy"] == pytest.approx(native["accuracy"], abs=1e-9)
    assert converted["params"] == native["params"]
    for recipe in ("ort-dyn", "ort-qdq"):
        assert rows[(recipe, "onnxruntime")]["accuracy"] == pytest.approx(
            native["accuracy"], abs=0.03
        )
    # LiteRT's own quantizations of a .tflite file are not built yet: said, not run
    result.stdout.no_fnmatch_line("*Traceback*")

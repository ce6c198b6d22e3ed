"""A user's file gets rows on the runtimes of other formats through a registered converter:
a ``.tflite`` runs on ONNX Runtime (tf2onnx reads flatbuffers), and so every ONNX Runtime
quantization applies to it; on LiteRT it gets AI Edge Quantizer's quantizations."""

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
        "--variants", "fp32,ort-dyn,ort-qdq,aeq-dyn8,aeq-w8,aeq-int8",
        "--runtimes", "litert,onnxruntime", "--edgebench-json", "run.json",
    )  # fmt: skip
    # litert: fp32 and the three aeq-*; onnxruntime: fp32, ort-dyn, ort-qdq
    result.assert_outcomes(passed=7)
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
    for recipe in ("aeq-dyn8", "aeq-w8", "aeq-int8"):
        row = rows[(recipe, "litert")]
        assert row["accuracy"] == pytest.approx(native["accuracy"], abs=0.03), recipe
        assert row["file_bytes"] < native["file_bytes"], recipe
        assert row["compression"][-1]["quantizer"].startswith("ai-edge-quantizer"), recipe
    assert rows[("aeq-int8", "litert")]["compression"][-1]["calibration_samples"] > 0


def test_a_tflite_file_that_crashes_the_converter_fails_only_its_own_rows(pytester, monkeypatch):
    """tf2onnx reads a flatbuffer in native code: a damaged file can abort the process that
    reads it. It runs in a process of its own, so the row fails with the reason and the
    run goes on."""
    lay_out_project(pytester.path, suffixes=(".tflite",))
    data = bytearray((pytester.path / "models" / "digits_mlp.tflite").read_bytes())
    data[64:] = bytes(len(data) - 64)  # the header stays, the tables are zeros
    (pytester.path / "models" / "broken.tflite").write_bytes(bytes(data))
    pytester.makeini("[pytest]\n")
    monkeypatch.setenv("EDGEBENCH_CACHE", str(pytester.path / "cache"))
    result = pytester.runpytest(
        "bench/test_accuracy.py", "--model", "models/digits_mlp.tflite,models/broken.tflite",
        "--dataset", "digits", "--runtimes", "onnxruntime", "--variants", "fp32,ort-dyn",
    )  # fmt: skip
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed") == 2 and outcomes.get("failed") == 2
    # ort-dyn starts from the converted file: it fails with the conversion's reason
    result.stdout.fnmatch_lines(
        ["*broken.tflite-digits-fp32-onnxruntime*tf2onnx refused broken.tflite*"]
    )
    result.stdout.fnmatch_lines(
        ["*broken.tflite-digits-ort-dyn-onnxruntime*tf2onnx refused broken.tflite*"]
    )


def test_an_onnx_file_gets_litert_rows_and_their_quantizations(pytester, monkeypatch):
    """An NCHW ``.onnx`` with dynamic dimensions (declared) converts to ``.tflite`` through
    onnx2tf with its input kept NCHW, so one input contract holds on both runtimes: the
    converted file scores exactly what the ONNX file does, and AI Edge Quantizer's
    quantizations apply to it."""
    pytest.importorskip("onnx2tf")
    from tests.test_input_layouts import nchw_wrapper

    lay_out_project(pytester.path, suffixes=(".onnx",))
    nchw_wrapper(pytester.path / "models" / "dynamic_nchw.onnx", None, None)
    pytester.makeini("[pytest]\n")
    monkeypatch.setenv("EDGEBENCH_CACHE", str(pytester.path / "cache"))
    # in a process of its own, as a user's run is (onnx2tf and TensorFlow stay out of this one)
    result = pytester.runpytest_subprocess(
        "bench/test_accuracy.py", "--model", "models/dynamic_nchw.onnx:layout=NCHW:size=8x8",
        "--dataset", "digits", "--variants", "fp32,ort-dyn,aeq-dyn8,aeq-int8",
        "--runtimes", "litert,onnxruntime", "--edgebench-json", "run.json",
    )  # fmt: skip
    result.assert_outcomes(passed=5)  # litert: fp32, aeq-dyn8, aeq-int8; onnxruntime: fp32, ort-dyn
    rows = {
        (r["recipe"], r["runtime"]): r
        for r in json.loads((pytester.path / "run.json").read_text())["records"]
    }
    native = rows[("fp32", "onnxruntime")]
    converted = rows[("fp32", "litert")]
    assert converted["artifact_format"] == "tflite"
    assert converted["compression"][0]["converter"].startswith("onnx2tf")
    assert converted["input_contract"] == native["input_contract"] == "NCHW 8x8 grey"
    assert converted["accuracy"] == pytest.approx(native["accuracy"], abs=1e-9)
    for recipe in ("aeq-dyn8", "aeq-int8"):
        row = rows[(recipe, "litert")]
        assert row["accuracy"] == pytest.approx(native["accuracy"], abs=0.03), recipe
        assert row["file_bytes"] < converted["file_bytes"], recipe

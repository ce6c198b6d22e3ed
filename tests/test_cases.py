from pathlib import Path

from edgebench.artifacts.sources import ModelFile
from edgebench.artifacts.zoo import ZooSpec
from edgebench.cases import build_matrix, exclusion_reason
from edgebench.recipes import default_registry, parse_recipe

FP32 = parse_recipe("fp32", default_registry())


def test_ids_read_like_rows():
    matrix = build_matrix(
        [ZooSpec("mobilenet_v1")], ["digits"], [FP32], ["litert", "onnxruntime"], "host", (1, 2), 2
    )
    assert [v.id for v in matrix.variants] == [
        "mobilenet_v1-digits-fp32-litert",
        "mobilenet_v1-digits-fp32-onnxruntime",
    ]
    assert [c.id for c in matrix.latency_cases] == [
        "mobilenet_v1-digits-fp32-litert-t1",
        "mobilenet_v1-digits-fp32-litert-t2",
        "mobilenet_v1-digits-fp32-onnxruntime-t1",
        "mobilenet_v1-digits-fp32-onnxruntime-t2",
    ]
    assert matrix.variants[0].key() == {
        "model": "mobilenet_v1",
        "dataset": "digits",
        "recipe": "fp32",
        "runtime": "litert",
        "device": "host",
    }


def test_threads_above_cores_are_skipped_with_reason():
    matrix = build_matrix(
        [ZooSpec("m")], ["npz:data/x.npz"], [FP32], ["litert"], "rpi4", (1, 2, 3, 4), 2
    )
    reasons = {c.threads: c.skip_reason for c in matrix.latency_cases}
    assert reasons[1] is None and reasons[2] is None
    assert reasons[4] == "4 threads > 2 usable cores on this machine"
    assert matrix.latency_cases[0].id == "m-x-fp32-litert-t1"


def test_converted_files_reach_the_other_runtime_unless_told_not_to():
    onnx_file = ModelFile(Path("m.onnx"), "onnx")
    assert exclusion_reason(onnx_file, FP32, "onnxruntime") is None
    assert exclusion_reason(onnx_file, FP32, "litert") is None  # onnx2tf converts it
    assert "own runtimes only (--convert false)" in exclusion_reason(
        onnx_file, FP32, "litert", convert=False
    )
    matrix = build_matrix(
        [onnx_file], ["digits"], [FP32], ["litert", "onnxruntime"], "host", (1,), 2
    )
    assert sorted(v.runtime for v in matrix.variants) == ["litert", "onnxruntime"]
    keras_file = ModelFile(Path("m.keras"), "keras")
    assert exclusion_reason(keras_file, FP32, "litert") is None

"""Quantization recipe grammar, and ONNX Runtime quantization of a real (tiny) model."""

from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from edgebench.artifacts.cache import ArtifactCache
from edgebench.artifacts.pipeline import ArtifactBuilder
from edgebench.artifacts.sources import ModelFile
from edgebench.cases import exclusion_reason
from edgebench.data.contract import InputContract
from edgebench.data.datasets import load_digits
from edgebench.errors import UsageError
from edgebench.instruments.accuracy import top1_accuracy
from edgebench.recipes import (
    default_registry,
    expand_ranges,
    parse_recipe,
    parse_recipes,
    split_variants,
)
from edgebench.runtimes.onnxrt import OnnxRuntime

REGISTRY = default_registry()


@pytest.mark.parametrize(
    ("text", "normalised", "formats"),
    [
        ("dyn8", "dyn8", {"tflite"}),
        ("int8", "int8", {"tflite"}),
        ("int8io", "int8io", {"tflite"}),
        ("fp16", "fp16", {"tflite"}),
        ("int16x8", "int16x8", {"tflite"}),
        ("ort-dyn-s8", "ort-dyn", {"onnx"}),
        ("ort-dyn-u8", "ort-dyn-u8", {"onnx"}),
        ("ort-qdq-minmax", "ort-qdq", {"onnx"}),
        ("ort-qop-entropy-pc-rr", "ort-qop-entropy-pc-rr", {"onnx"}),
        ("ort-qdq-percentile", "ort-qdq-percentile", {"onnx"}),
        ("dfq4-asym-pc", "dfq4-asym-pc", {"onnx", "tflite"}),
        ("dfq3-po2-pt-skip=first,last", "dfq3-po2-pt-skip=first,last", {"onnx", "tflite"}),
        ("dfq4-sym-pc+int8", "dfq4-sym-pc+int8", {"tflite"}),
    ],
)
def test_quantization_recipes(text, normalised, formats):
    recipe = parse_recipe(text, REGISTRY)
    assert recipe.id == normalised
    assert {f for f in ("onnx", "tflite") if recipe.supports(f)} == formats


@pytest.mark.parametrize(
    "text", ["dfq1-sym-pt", "dfq9-sym-pt", "dfq4-log-pt", "dfq4-sym", "ort-qdq-median", "int4"]
)
def test_invalid_quantization_recipes(text):
    with pytest.raises(UsageError, match="unknown recipe step"):
        parse_recipe(text, REGISTRY)


def test_ranges_and_splitting():
    assert expand_ranges("dfq2..4-sym-pt") == ["dfq2-sym-pt", "dfq3-sym-pt", "dfq4-sym-pt"]
    assert expand_ranges("fp32") == ["fp32"]
    with pytest.raises(UsageError, match="empty range"):
        expand_ranges("dfq8..2-sym-pt")
    assert split_variants("fp32, dfq4-sym-pc-skip=first,last, int8,dfq2..3-po2-pt") == [
        "fp32",
        "dfq4-sym-pc-skip=first,last",
        "int8",
        "dfq2..3-po2-pt",
    ]
    ids = [r.id for r in parse_recipes(["dfq7..8-asym-pc", "dfq8-asym-pc"], REGISTRY)]
    assert ids == ["dfq7-asym-pc", "dfq8-asym-pc"]


def test_skip_rules_pick_layers():
    step = parse_recipe("dfq4-sym-pt-skip=first,last,conv_pw_*", REGISTRY).steps[0]
    names = ["conv1", "conv_dw_1", "conv_pw_1", "conv_pw_2", "predictions"]
    assert step.skipped(names) == {"conv1", "conv_pw_1", "conv_pw_2", "predictions"}


def test_onnx_files_take_onnx_runtime_recipes_only():
    onnx_file = ModelFile(Path("m.onnx"), "onnx")
    assert exclusion_reason(onnx_file, parse_recipe("ort-qdq", REGISTRY), "onnxruntime") is None
    assert "needs a Keras model" in exclusion_reason(
        onnx_file, parse_recipe("dfq4-sym-pt", REGISTRY), "onnxruntime"
    )
    tflite_file = ModelFile(Path("m.tflite"), "tflite")
    assert "needs a Keras model" in exclusion_reason(
        tflite_file, parse_recipe("int8", REGISTRY), "litert"
    )


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.fixture(scope="module")
def builder(tmp_path_factory):
    return ArtifactBuilder(
        ArtifactCache(tmp_path_factory.mktemp("cache")), {}, calibration_samples=50
    )


@pytest.mark.parametrize(
    ("recipe", "expected_ops"),
    [
        ("ort-dyn", {"ConvInteger", "MatMulInteger", "DynamicQuantizeLinear"}),
        ("ort-qdq", {"QuantizeLinear"}),
        ("ort-qop-pc", {"QGemm"}),
    ],
)
def test_onnx_runtime_quantization_of_a_real_model(builder, digits, data_dir, recipe, expected_ops):
    import onnx

    source = ModelFile(data_dir / "digits_mlp.onnx", "onnx")
    artifact = builder.artifact(source, digits, parse_recipe(recipe, REGISTRY), "onnx")
    ops = Counter(node.op_type for node in onnx.load(str(artifact.path)).graph.node)
    assert expected_ops & set(ops), ops
    assert artifact.file_bytes < (data_dir / "digits_mlp.onnx").stat().st_size
    step = artifact.steps[-1]
    assert step["step"] == recipe and step["bits"] == 8
    if recipe != "ort-dyn":
        assert step["calibration_samples"] == 50 and step["calibration_method"] == "minmax"
    session = OnnxRuntime().load(artifact.path, 1)
    accuracy = top1_accuracy(session.run, digits.x_test, digits.y_test, batch_size=1)
    assert accuracy > 0.95  # the float model has 0.978
    again = builder.artifact(source, digits, parse_recipe(recipe, REGISTRY), "onnx")
    assert again.cache_hit and again.sha256 == artifact.sha256


def test_quantizer_refusal_is_a_clear_conversion_error(builder, digits, tmp_path):
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])],
        "dynamic",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", "h", "w", 1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", "h", "w", 1])],
    )
    path = tmp_path / "dynamic.onnx"
    onnx.save(helper.make_model(graph), str(path))
    recipe = parse_recipe("ort-qdq", REGISTRY)
    # dynamic sizes: the input contract says what to declare (it used to end in ORT's
    # "unknown dimensions (0, 0, 1)")
    with pytest.raises(UsageError, match="declare it: --model dynamic.onnx:layout=NCHW"):
        builder.artifact(ModelFile(path, "onnx"), digits, recipe, "onnx")
    declared = ModelFile(path, "onnx", contract=InputContract(layout="NHWC", size=(8, 8)))
    built = builder.artifact(declared, digits, recipe, "onnx")
    assert built.path.is_file()


def test_calibration_inputs_are_seeded_and_fitted(digits):
    from edgebench.artifacts.pipeline import calibration_inputs

    a = calibration_inputs(digits, (16, 16, 3), 20, seed=1)
    assert a.shape == (20, 16, 16, 3)
    np.testing.assert_array_equal(a, calibration_inputs(digits, (16, 16, 3), 20, seed=1))
    assert not np.array_equal(a, calibration_inputs(digits, (16, 16, 3), 20, seed=2))

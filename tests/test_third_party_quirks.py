"""What third-party files do that the suite's own models do not, each met with a working
path or a one-line reason: a ``.tflite`` without a signature (MediaPipe's, fer's) gets one
before AI Edge Quantizer calibrates it; an ONNX model that is already quantized is refused
by the ONNX Runtime recipes in one line instead of a quantizer traceback."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from edgebench.errors import ConversionError

DATA = Path(__file__).parent / "data"


def test_a_tflite_without_a_signature_gets_one_over_its_inputs_and_outputs(tmp_path):
    flatbuffers = pytest.importorskip("flatbuffers")
    schema = pytest.importorskip("ai_edge_litert.schema_py_generated")
    from ai_edge_litert.interpreter import Interpreter

    from edgebench.recipes.aeq import with_signature

    data = (DATA / "digits_mlp.tflite").read_bytes()
    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(data, 0))
    model.signatureDefs = []
    builder = flatbuffers.Builder(len(data) + 1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    bare = tmp_path / "bare.tflite"
    bare.write_bytes(bytes(builder.Output()))
    assert Interpreter(str(bare)).get_signature_list() == {}

    signed = with_signature(bare, tmp_path / "signed.tflite")
    assert signed is not None
    interpreter = Interpreter(str(signed))
    (key, io), = interpreter.get_signature_list().items()  # fmt: skip
    assert key == "serving_default" and len(io["inputs"]) == 1 and len(io["outputs"]) == 1
    # the same model: the same outputs for the same input (no signature runner: freed by the
    # garbage collector after its interpreter, one crashes the process)
    outputs = []
    for path in (bare, signed):
        model = Interpreter(str(path))
        model.allocate_tensors()
        if not outputs:
            x = np.random.default_rng(0).random(model.get_input_details()[0]["shape"], np.float32)
        model.set_tensor(model.get_input_details()[0]["index"], x)
        model.invoke()
        outputs.append(model.get_tensor(model.get_output_details()[0]["index"]).copy())
        del model
    np.testing.assert_array_equal(outputs[0], outputs[1])
    del interpreter
    assert with_signature(signed, tmp_path / "again.tflite") is None  # has one already


def test_an_already_quantized_onnx_model_is_refused_in_one_line(tmp_path):
    onnx = pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    from edgebench.recipes.ort_quant import _preprocess

    weight = numpy_helper.from_array(np.ones((4, 2), np.int8), "w_q")
    scale = numpy_helper.from_array(np.array(0.1, np.float32), "w_scale")
    nodes = [
        helper.make_node("DequantizeLinear", ["w_q", "w_scale"], ["w"]),
        helper.make_node("MatMul", ["x", "w"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])],
        initializer=[weight, scale],
    )  # fmt: skip
    path = tmp_path / "quantized.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))
    with pytest.raises(ConversionError, match="already quantized .*DequantizeLinear"):
        _preprocess(path, tmp_path / "pre.onnx")


def test_per_channel_qdq_on_an_opset_12_model_raises_the_opset_and_loads(tmp_path):
    """Paddle's exporter writes opset 11-12; per-channel QDQ puts ``axis`` on
    DequantizeLinear, which needs opset 13: the model is converted up first, and the
    quantized file loads in ONNX Runtime and computes what the float one does."""
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    from onnx import TensorProto, helper, numpy_helper

    from edgebench.recipes.ort_quant import PER_CHANNEL_OPSET, _preprocess, _quantize_apart

    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.normal(0, 0.3, (4, 3, 3, 3)).astype(np.float32), "w")
    nodes = [
        helper.make_node("Constant", [], ["w"], value=weight),  # as Paddle stores weights
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes, "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 12)])
    model.ir_version = 7
    source = tmp_path / "opset12.onnx"
    onnx.save(model, str(source))

    ready = _preprocess(source, tmp_path / "pre.onnx", PER_CHANNEL_OPSET)
    loaded = onnx.load(str(ready))
    assert max(o.version for o in loaded.opset_import if o.domain in ("", "ai.onnx")) >= 13
    samples = rng.random((8, 3, 8, 8), np.float32)
    np.save(tmp_path / "samples.npy", samples)
    out = tmp_path / "pc.onnx"
    # the recipe's own path: ort-qdq-pc's quantizer, in its process of its own
    _quantize_apart(
        [
            "static",
            str(source),
            str(out),
            "x",
            str(tmp_path / "samples.npy"),
            "qdq",
            "minmax",
            "1",
            "0",
            "[]",  # no layer kept in float
            str(tmp_path / "excluded.json"),
        ],
        "quantize_static",
    )
    quantized = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    float_model = ort.InferenceSession(str(source), providers=["CPUExecutionProvider"])
    x = samples[:1]
    got = quantized.run(None, {"x": x})[0]
    expected = float_model.run(None, {"x": x})[0]
    assert np.abs(got - expected).max() < 0.05 * np.abs(expected).max()

import numpy as np
import pytest

from edgebench.data.datasets import load_digits
from edgebench.errors import InferenceError, UsageError
from edgebench.instruments.accuracy import top1_accuracy
from edgebench.runtimes import make_runtime
from edgebench.runtimes.litert import LiteRTRuntime, dequantize, quantize
from edgebench.runtimes.onnxrt import OnnxRuntime

# Keras accuracy of tests/data/digits_mlp.* on the digits test split (make_models.py).
MLP_ACCURACY = 0.9778


@pytest.fixture(scope="module")
def digits():
    return load_digits()


@pytest.mark.parametrize(
    ("runtime", "suffix"), [(LiteRTRuntime(), ".tflite"), (OnnxRuntime(), ".onnx")]
)
@pytest.mark.parametrize("threads", [1, 2])
def test_runtime_runs_the_tiny_model(runtime, suffix, threads, data_dir, digits):
    assert runtime.unavailable_reason() is None
    session = runtime.load(data_dir / f"digits_mlp{suffix}", threads)
    assert session.input_shape == (8, 8, 1)
    assert session.batch_flexible
    scores = session.run(digits.x_test[:5])
    assert scores.shape == (5, 10)
    accuracy = top1_accuracy(session.run, digits.x_test, digits.y_test, batch_size=64)
    assert accuracy == pytest.approx(MLP_ACCURACY, abs=0.003)
    invoke = session.bind(digits.x_test[:1])
    invoke()
    info = runtime.info()
    assert info.name == runtime.name and info.version


def test_both_runtimes_agree(data_dir, digits):
    lite = LiteRTRuntime().load(data_dir / "digits_mlp.tflite", 1).run(digits.x_test[:50])
    onnx = OnnxRuntime().load(data_dir / "digits_mlp.onnx", 1).run(digits.x_test[:50])
    np.testing.assert_allclose(lite, onnx, atol=1e-5)


@pytest.mark.parametrize(
    ("runtime", "name"), [(LiteRTRuntime(), "bad.tflite"), (OnnxRuntime(), "bad.onnx")]
)
def test_corrupt_file_is_an_inference_error_naming_the_file(runtime, name, tmp_path):
    (tmp_path / name).write_bytes(b"\x00garbage" * 10)
    with pytest.raises(InferenceError, match=name):
        runtime.load(tmp_path / name, 1)


def test_unknown_provider_is_reported():
    reason = OnnxRuntime("NoSuchExecutionProvider").unavailable_reason()
    assert "NoSuchExecutionProvider is not available" in reason


def test_make_runtime():
    assert make_runtime("litert").artifact_format == "tflite"
    assert make_runtime("onnxruntime").artifact_format == "onnx"
    with pytest.raises(UsageError, match="unknown runtime"):
        make_runtime("tvm")


def test_quantize_and_dequantize():
    values = np.array([-1.0, 0.0, 0.5, 10.0], np.float32)
    q = quantize(values, np.int8, scale=0.01, zero_point=-5)
    assert q.tolist() == [-105, -5, 45, 127]  # 10.0 clips at 127
    np.testing.assert_allclose(dequantize(q, 0.01, -5)[:3], values[:3], atol=1e-6)

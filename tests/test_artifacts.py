import gzip
import lzma

import numpy as np
import pytest

from edgebench.artifacts.artifact import (
    compressed_sizes,
    describe_artifact,
    onnx_weight_count,
    tflite_weight_count,
)

# digits_mlp: Dense(64 -> 32) + Dense(32 -> 10) = 2048 + 32 + 320 + 10 weights.
MLP_PARAMS = 2410


def test_tflite_weight_count(data_dir):
    counts = tflite_weight_count((data_dir / "digits_mlp.tflite").read_bytes())
    assert counts.total == MLP_PARAMS
    assert 0 < counts.nonzero <= MLP_PARAMS


def test_onnx_weight_count(data_dir):
    counts = onnx_weight_count(data_dir / "digits_mlp.onnx")
    assert counts.total == MLP_PARAMS


def test_zeroed_weights_show_in_nonzero_count(data_dir, tmp_path):
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(data_dir / "digits_mlp.onnx"))
    biggest = max(model.graph.initializer, key=lambda t: numpy_helper.to_array(t).size)
    values = numpy_helper.to_array(biggest).copy()
    values.flat[: values.size // 2] = 0
    biggest.CopyFrom(numpy_helper.from_array(values, biggest.name))
    onnx.save(model, str(tmp_path / "half.onnx"))
    counts = onnx_weight_count(tmp_path / "half.onnx")
    assert counts.total == MLP_PARAMS
    assert counts.nonzero <= MLP_PARAMS - values.size // 2


def test_compressed_sizes_match_the_libraries():
    data = np.zeros(10000, np.float32).tobytes()
    gz, xz = compressed_sizes(data)
    assert gz == len(gzip.compress(data, 9, mtime=0))
    assert xz == len(lzma.compress(data, preset=9))
    assert gz < len(data) and xz < len(data)


@pytest.mark.parametrize("name", ["digits_mlp.tflite", "digits_mlp.onnx"])
def test_describe_artifact(data_dir, name):
    path = data_dir / name
    artifact = describe_artifact(path, path.suffix[1:])
    assert artifact.file_bytes == path.stat().st_size
    assert artifact.params_in_artifact == MLP_PARAMS
    assert artifact.source_params is None and "source_params" in artifact.null_reasons
    assert len(artifact.sha256) == 64
    assert artifact.as_dict()["path"] == str(path)


def test_describe_unreadable_weights_gives_a_reason(tmp_path):
    path = tmp_path / "broken.onnx"
    path.write_bytes(b"\x08\x07garbage")
    artifact = describe_artifact(path, "onnx")
    assert artifact.params_in_artifact is None
    assert "cannot count weights in broken.onnx" in artifact.null_reasons["params_in_artifact"]

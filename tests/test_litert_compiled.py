"""LiteRT's CompiledModel runtime against the Interpreter on the same .tflite."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("ai_edge_litert.compiled_model")

DATA = Path(__file__).parent / "data"


def test_same_outputs_as_the_interpreter():
    from edgebench.runtimes.registry import make_runtime

    compiled = make_runtime("litert-compiled", {"litert_accelerator": "cpu"})
    interpreter = make_runtime("litert")
    assert compiled.unavailable_reason() is None
    a = compiled.load(DATA / "digits_mlp.tflite", 1)
    b = interpreter.load(DATA / "digits_mlp.tflite", 1)
    assert a.input_shape == b.input_shape
    x = np.random.default_rng(0).random((5, *a.input_shape)).astype(np.float32)
    np.testing.assert_array_equal(a.run(x), b.run(x))
    assert np.asarray(a.bind(x[:1])()).size == b.run(x[:1]).size


def test_an_accelerator_that_cannot_compile_here_is_unavailable_with_the_reason():
    from edgebench.runtimes.litert_compiled import LiteRTCompiledRuntime, probe_model

    assert probe_model()[4:8] == b"TFL3"
    assert "unknown LiteRT accelerator 'tpu'" in LiteRTCompiledRuntime("tpu").unavailable_reason()
    npu = LiteRTCompiledRuntime("npu").unavailable_reason()
    # no NPU dispatch library ships with the wheel: the probe cannot compile, and the
    # runtime says so instead of falling back to the CPU under an NPU label
    assert npu is not None and "NPU" in npu


def test_litert_compiled_is_not_a_default_runtime():
    from edgebench.runtimes.registry import default_runtime_names, runtime_names

    assert "litert-compiled" in runtime_names()
    assert "litert-compiled" not in default_runtime_names()


@pytest.mark.slow
def test_several_outputs_come_in_the_litert_runtime_order(tmp_path):
    """A model with three outputs of different shapes: litert-compiled returns them in the
    order the litert runtime does (tensor names), with the same scores from run()."""
    from edgebench.frameworks.keras.tfcompat import import_keras, import_tensorflow
    from edgebench.runtimes.registry import make_runtime

    keras, tf = import_keras(), import_tensorflow()
    inputs = keras.Input((6,), name="x")
    outputs = [
        keras.layers.Dense(3, name="c")(inputs),
        keras.layers.Dense(1, name="a")(inputs),
        keras.layers.Dense(5, name="b")(inputs),
    ]
    model = keras.Model(inputs, outputs)
    path = tmp_path / "three.tflite"
    path.write_bytes(tf.lite.TFLiteConverter.from_keras_model(model).convert())
    compiled = make_runtime("litert-compiled").load(path, 1)
    interpreter = make_runtime("litert").load(path, 1)
    x = np.random.default_rng(0).random((2, 6)).astype(np.float32)
    got, want = compiled.run_outputs(x), interpreter.run_outputs(x)
    assert [o.shape for o in got] == [o.shape for o in want]
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(compiled.run(x), interpreter.run(x))
    assert np.asarray(compiled.bind(x[:1])()).size == interpreter.run(x[:1]).size

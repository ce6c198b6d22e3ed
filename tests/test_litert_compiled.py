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

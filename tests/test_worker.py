"""The isolated worker: memory readings, timing samples, crashes and hangs."""

import pytest

from edgebench.errors import InferenceError
from edgebench.instruments.memory import memory_fields, read_status_kib, reset_peak
from edgebench.targets.local_worker import run_worker


def test_status_fields_from_a_fake_proc_file(tmp_path):
    status = tmp_path / "status"
    status.write_text("Name:\tpython\nVmHWM:\t  123456 kB\nVmRSS:\t  100000 kB\n")
    assert read_status_kib("VmHWM", status) == 123456
    assert read_status_kib("VmSwap", status) is None
    assert read_status_kib("VmHWM", tmp_path / "absent") is None
    assert reset_peak(tmp_path / "no" / "clear_refs") is False


def test_idle_baseline_and_a_model(data_dir):
    baseline = run_worker({"runtime": "litert", "artifact": None})
    assert baseline["peak_kib"] > 10_000 and baseline["source"].startswith("VmHWM")
    result = run_worker(
        {
            "runtime": "litert",
            "artifact": str(data_dir / "digits_mlp.tflite"),
            "threads": 1,
            "rounds": 25,
            "warmup": 3,
        }
    )
    assert len(result["samples_s"]) == 25 and all(s > 0 for s in result["samples_s"])
    assert result["peak_reset"] is True
    fields = memory_fields(result, baseline)
    assert fields["peak_memory_mb"] >= fields["memory_inference_peak_mb"]
    assert fields["memory_over_baseline_mb"] == pytest.approx(
        fields["peak_memory_mb"] - fields["memory_baseline_mb"]
    )


def test_memory_fields_arithmetic():
    result = {
        "import_peak_kib": 40 * 1024,
        "load_peak_kib": 60 * 1024,
        "inference_peak_kib": 50 * 1024,
        "source": "VmHWM (/proc/self/status)",
        "peak_reset": True,
    }
    fields = memory_fields(result, {"peak_kib": 40 * 1024})
    assert fields["peak_memory_mb"] == 60.0 and fields["memory_over_baseline_mb"] == 20.0
    assert fields["memory_load_peak_mb"] == 60.0 and fields["memory_inference_peak_mb"] == 50.0


def test_a_crashing_worker_reports_status_and_stderr(tmp_path):
    (tmp_path / "bad.onnx").write_bytes(b"not a model")
    with pytest.raises(
        InferenceError,
        match=r"exited with status 2: edgebench worker: ONNX Runtime cannot load bad.onnx",
    ):
        run_worker({"runtime": "onnxruntime", "artifact": str(tmp_path / "bad.onnx"), "threads": 1})


def test_a_big_split_goes_to_the_target_in_parts_with_the_same_outputs(data_dir, monkeypatch):
    """A board's accuracy pass sends the prepared split in parts of bounded size (a 6 GB
    split at 224x224 is never written whole); the outputs are those of one whole pass."""
    from types import SimpleNamespace

    import numpy as np

    from edgebench.jobs import PredictJob
    from edgebench.measurements import accuracy
    from edgebench.targets.base import CheckedTarget
    from edgebench.targets.local_worker import LocalWorkerTarget

    sent: list[int] = []
    worker = CheckedTarget(LocalWorkerTarget())

    def run(job):
        sent.append(len(np.load(job.inputs)))
        return worker.run(job)

    context = SimpleNamespace(
        job=lambda **fields: PredictJob(
            runtime="litert",
            artifact=str(data_dir / "digits_mlp.tflite"),
            **{k: v for k, v in fields.items() if k != "kind"},
        ),
        target=SimpleNamespace(run=run),
    )
    x = np.random.default_rng(0).random((50, 8, 8, 1), dtype=np.float32)
    whole = accuracy.remote_outputs(context, x, 4)
    monkeypatch.setattr(accuracy, "REMOTE_PART_BYTES", 64 * 4 * 18)  # 18 rows: 16, 4 batches
    parts = accuracy.remote_outputs(context, x, 4)
    assert sent == [50, 16, 16, 16, 2]
    np.testing.assert_array_equal(parts, whole)
    assert whole.shape[0] == 50
    (every,) = accuracy.remote_outputs(context, x, 4, every=True)  # each output, in parts
    np.testing.assert_array_equal(every, whole)

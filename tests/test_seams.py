"""Each extension point is one module plus a registration: toys registered from outside
the package (tests/toys) run through a real bench session end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from edgebench.data.registry import unregister_dataset
from edgebench.formats import unregister_exporter, unregister_format
from edgebench.meters.registry import unregister_meter
from edgebench.runtimes.registry import unregister_runtime
from edgebench.targets.registry import unregister_target
from edgebench.tasks.registry import unregister_task
from tests.conftest import lay_out_project

HERE = Path(__file__).parent
REPO = HERE.parent
pytest.importorskip("ai_edge_litert.interpreter")
pytest.importorskip("sklearn.datasets")

CONFTEST = """
import toy_dataset, toy_format, toy_runtime, toy_target, toy_task
from edgebench.formats import register_exporter, register_format
from edgebench.data.registry import register_dataset
from edgebench.measurements import Measurement, MeasureColumn
from edgebench.meters import register_meter
from edgebench.runtimes import register_runtime
from edgebench.targets import register_target
from edgebench.tasks import register_task

register_runtime(toy_runtime.SPEC)
register_format(toy_format.FORMAT)
register_exporter(toy_format.EXPORTER)
register_runtime(toy_format.RUNTIME)
register_target(toy_target.SPEC)
register_target(toy_target.TIMER_ONLY)
register_task(toy_task.SPEC)
register_dataset(toy_dataset.SPEC)
register_dataset(toy_dataset.PICKED)
register_meter("toy", "toy_meter:make")


def artifact_kib(context):
    return {"artifact_kib": context.artifact.file_bytes / 1024}, {}


def pytest_edgebench_measurements(config):
    return [Measurement("size", (MeasureColumn("artifact_kib", "Artifact [KiB]", "{:.1f}"),),
                        artifact_kib, fields=("artifact_kib",))]
"""


@pytest.fixture
def toy_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    lay_out_project(pytester.path, suffixes=(".tflite",))
    for toy in (HERE / "toys").glob("toy_*.py"):
        shutil.copy(toy, pytester.path)
    pytester.makeconftest(CONFTEST)
    pytester.makeini(
        "[pytest]\nedgebench_devices =\n    toybox: threads=1; meter=toy; target=journal\n"
    )
    pytester.syspathinsert()
    monkeypatch.setenv("EDGEBENCH_CACHE", str(pytester.path / "cache"))
    monkeypatch.setenv("TOY_JOURNAL", str(pytester.path / "journal.jsonl"))
    yield pytester
    unregister_runtime("toylite")
    unregister_runtime("gzlite")
    unregister_format("tflite.gz")
    unregister_exporter("keras->tflite.gz")
    unregister_target("journal")
    unregister_target("timer-only")
    unregister_task("top2")
    unregister_dataset("odd-digits")
    unregister_dataset("picked")
    unregister_meter("toy")


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest(
        "bench",
        "--model",
        "models/digits_mlp.tflite",
        "--device",
        "toybox",
        "--energy-seconds",
        "0.5",
        "--rounds",
        "20",
        "--warmup",
        "2",
        "-p",
        "no:cacheprovider",
        *args,
    )


def test_a_toy_runtime_target_task_meter_and_measurement_run_end_to_end(toy_project):
    top1 = run(toy_project, "--runtimes", "toylite", "--edgebench-json", "top1.json")
    top1.assert_outcomes(passed=5)  # accuracy, latency, memory, energy, size
    top2 = run(
        toy_project, "--runtimes", "toylite", "--task", "top2", "--edgebench-json", "top2.json"
    )
    top2.assert_outcomes(passed=5)
    top2.stdout.re_match_lines([r"\| Model .*\| Artifact \[KiB\] .*"])
    # the task's report metadata: the report heads its metric as the task declares
    from edgebench.cli import main

    out = toy_project.path / "reports"
    assert (
        main(["report", str(toy_project.path / "top2.json"), "--out", str(out), "--no-plots"]) == 0
    )
    assert "| Top-2 " in (out / "top2.md").read_text()
    (one,) = json.loads((toy_project.path / "top1.json").read_text())["records"]
    (two,) = json.loads((toy_project.path / "top2.json").read_text())["records"]
    # the runtime: rows named after it, and LiteRT underneath
    assert one["runtime"] == "toylite" and one["runtime_impl"] in (
        "ai_edge_litert",
        "tflite_runtime",
    )
    # the task: top-2 is at least top-1, and it is what the second run recorded
    assert (
        two["metric"] == "top2"
        and 0.5 < one["accuracy"] < 1.0
        and one["accuracy"] <= two["accuracy"] <= 1.0
    )
    assert two["accuracy"] > one["accuracy"]  # a 10-class MLP misses some top-1 in 360 images
    # the target: the memory jobs went through it, with the toy runtime's factory path
    jobs = [
        json.loads(line) for line in (toy_project.path / "journal.jsonl").read_text().splitlines()
    ]
    assert {j["runtime_spec"]["factory"] for j in jobs} == {"toy_runtime:make"}
    assert any(j["artifact"] is None for j in jobs) and any(j["artifact"] for j in jobs)
    assert one["memory_over_baseline_mb"] is not None and one["memory_over_baseline_mb"] >= 0
    # the meter: read in the sampler process, 2.5 W idle and busy, so nothing net
    assert one["meter"] == "toy" and one["power_avg_w"] == pytest.approx(2.5)
    assert one["energy_per_image_mj"] > 0 and one["energy_net_per_image_mj"] == pytest.approx(
        0, abs=1e-6
    )
    # the measurement: its field in the record's extra columns
    assert one["extra"]["artifact_kib"] == pytest.approx(one["file_bytes"] / 1024)


def test_a_target_that_runs_only_measure_jobs_leaves_the_rest_null_with_the_reason(
    toy_project,
):
    """A target declares the job kinds it runs: timing and memory go through it, the
    operator profile (a profile job) is null with the target's reason, the row passes."""
    toy_project.makeini(
        "[pytest]\nedgebench_devices =\n    toybox: threads=1; meter=none; target=timer-only\n"
    )
    result = run(
        toy_project, "--profile-ops", "--isolate", "--runtimes", "litert",
        "--rounds", "40", "--edgebench-json", "timer.json",
    )  # fmt: skip
    result.assert_outcomes(passed=6)  # accuracy, latency, memory, energy, size, profile
    (row,) = json.loads((toy_project.path / "timer.json").read_text())["records"]
    assert row["latency_p50_ms"] > 0 and row["memory_over_baseline_mb"] is not None
    # the target's own option (declared on its spec, default 25) reached its factory
    assert row["rounds"] == 25
    assert row["op_profile"] is None
    assert row["null_reasons"]["op_profile"] == (
        "target timer-only does not run profile jobs (it runs: measure)"
    )


def test_a_dataset_registered_from_outside_is_benched_by_name(toy_project):
    """register_dataset: NAME and NAME:PATH (the path resolved against the project)."""
    import numpy as np

    np.save(toy_project.path / "picked.npy", np.arange(0, 300, 3))
    result = run(
        toy_project, "--runtimes", "litert", "--dataset", "odd-digits,picked:picked.npy",
        "--edgebench-json", "data.json", "-k", "accuracy",
    )  # fmt: skip
    result.assert_outcomes(passed=2)
    rows = {
        r["dataset"]: r for r in json.loads((toy_project.path / "data.json").read_text())["records"]
    }
    assert set(rows) == {"odd-digits", "picked"}
    assert rows["odd-digits"]["eval_samples"] < 360 and rows["picked"]["eval_samples"] == 100
    assert rows["odd-digits"]["accuracy"] > 0.9
    # the dataset's own input spec (declared on its DatasetSpec) is what the rows say
    assert rows["odd-digits"]["inputs"] == (
        "image HWC float32 in [0, 1] (toy: 16 grey levels divided by 16)"
    )
    assert rows["picked"]["inputs"] == "image HWC float32 in [0, 1] (uint8 pixels divided by 255)"
    missing = run(toy_project, "--dataset", "picked:nope.npy")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    missing.stderr.fnmatch_lines(["*--dataset picked:nope.npy: no such file*"])


@pytest.mark.slow
def test_an_artifact_format_registered_from_outside_gets_built_and_measured(toy_project):
    """A format (gzipped .tflite), its exporter from Keras and a runtime for it: a Keras
    file's fp32 row is exported as .tflite.gz through the exporter, its weights counted by
    the format's counter, and run by the runtime, accurate as the LiteRT row."""
    import shutil

    from tests.conftest import DATA

    shutil.copy(DATA / "digits_mlp.keras", toy_project.path / "models" / "net.keras")
    result = toy_project.runpytest_subprocess(
        "bench", "--model", "models/net.keras", "--device", "toybox", "--runtimes",
        "gzlite,litert", "--rounds", "20", "--warmup", "2", "--edgebench-json", "gz.json",
        "-k", "accuracy or latency", "-p", "no:cacheprovider",
    )  # fmt: skip
    result.assert_outcomes(passed=4)
    rows = {
        r["runtime"]: r for r in json.loads((toy_project.path / "gz.json").read_text())["records"]
    }
    gz, plain = rows["gzlite"], rows["litert"]
    assert gz["artifact_format"] == "tflite.gz" and gz["artifact_path"].endswith(".tflite.gz")
    assert gz["file_bytes"] < plain["file_bytes"]
    assert gz["params_in_artifact"] == plain["params_in_artifact"] == 2410
    assert gz["accuracy"] == plain["accuracy"] and gz["latency_p50_ms"] > 0


def test_unknown_registered_names_are_usage_errors(toy_project):
    result = run(toy_project, "--task", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown task 'nope'; known: classify, segment, detect, top2*"])
    result = run(toy_project, "--runtimes", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*unknown runtime(s) *'nope'*; known: litert, onnxruntime, litert-compiled, toylite, gzlite"
        ]
    )


def test_a_device_naming_an_unknown_target_is_a_usage_error(toy_project):
    toy_project.makeini(
        "[pytest]\nedgebench_devices =\n    lab: threads=1; target=carrier-pigeon\n"
    )
    result = run(toy_project, "--device", "lab")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*unknown target 'carrier-pigeon'; known: worker, ssh, labgrid, inprocess, journal*"]
    )

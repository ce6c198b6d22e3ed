"""The suite in a project of one's own: ``edgebench init`` in a fresh folder outside this
checkout, then ``pytest bench/`` there on a user's model, with no conftest."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from tests.conftest import DATA

pytestmark = pytest.mark.slow
pytest.importorskip("onnxruntime")
pytest.importorskip("sklearn.datasets")


def test_init_then_bench_in_a_fresh_folder(tmp_path):
    project = tmp_path / "their-project"
    made = subprocess.run(
        [sys.executable, "-m", "edgebench", "init", str(project)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "wrote" in made.stdout and (project / "bench" / "test_latency.py").is_file()
    assert not (project / "conftest.py").exists()
    shutil.copy(DATA / "digits_mlp.onnx", project / "theirs.onnx")
    env = {k: v for k, v in __import__("os").environ.items() if k != "EDGEBENCH_CACHE"}
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "bench/", "--model", "theirs.onnx", "--dataset", "digits",
         "--runtimes", "onnxruntime", "--threads", "1", "--rounds", "20",
         "--edgebench-json", ".edgebench/run.json", "-p", "no:cacheprovider"],
        cwd=project, capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    (row,) = json.loads((project / ".edgebench" / "run.json").read_text())["records"]
    assert row["model"] == "theirs.onnx" and row["accuracy"] > 0.9
    # nothing but the cache and what init wrote: no .benchmarks, no scratch
    assert sorted(p.name for p in project.iterdir()) == [
        ".edgebench",
        "bench",
        "pytest.ini",
        "theirs.onnx",
    ]
    again = subprocess.run(
        [sys.executable, "-m", "edgebench", "init", str(project)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "kept" in again.stdout and "wrote" not in again.stdout

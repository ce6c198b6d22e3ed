"""The history of runs: 22 runs over commits of a test repository, each filed by its
commit (subject and time from git), an injected latency step found at its commit and no
other, run files of every schema version read, re-adding a run a no-op."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest

from edgebench.cli import main
from edgebench.history.changes import change_points
from edgebench.history.store import HistoryStore
from edgebench.results import RunStore, make_fragment

STEP_AT = 13
RUNS = 22


def git(repo, *args):
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout.strip()


def run_file(path, commit, p50, accuracy, device="rpi4"):
    """A run file as the plugin writes it (RunStore), two rows."""
    store = RunStore(path, {"provenance": {"git_commit": commit, "machine": "aarch64"}})
    for recipe, scale in (("fp32", 1.0), ("int8", 0.5)):
        key = {
            "model": "m",
            "dataset": "d",
            "recipe": recipe,
            "runtime": "litert",
            "device": device,
        }
        store.add(make_fragment(key, 1, {"latency_p50_ms": p50 * scale}))
        store.add(make_fragment(key, None, {"accuracy": accuracy, "metric": "accuracy"}))
    return path


@pytest.fixture
def history(tmp_path):
    """A repository of RUNS commits; a run file per commit, the fp32 p50 stepping up 30% at
    commit STEP_AT (noise 1%), the accuracy flat."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    git(repo, "config", "user.email", "ci@example.invalid")
    git(repo, "config", "user.name", "CI")
    rng = np.random.default_rng(7)
    runs = []
    for n in range(RUNS):
        (repo / "model.txt").write_text(f"version {n}\n")
        git(repo, "add", "model.txt")
        date = f"2026-01-{n + 1:02d}T12:00:00+00:00"
        subprocess.run(
            ["git", "commit", "-q", "-m", f"change {n}"],
            cwd=repo,
            check=True,
            env={"GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date, "PATH": "/usr/bin:/bin"},
        )
        level = 2.0 * (1.3 if n >= STEP_AT else 1.0)
        p50 = level * (1 + rng.normal(0, 0.01))
        runs.append(run_file(tmp_path / f"run-{n}.json", git(repo, "rev-parse", "HEAD"), p50, 0.9))
    return repo, runs


def test_runs_are_filed_by_commit_and_the_step_is_found_at_its_commit(tmp_path, history, capsys):
    repo, runs = history
    store_dir = tmp_path / "store"
    # filed in shuffled order: the store orders runs by commit time
    order = np.random.default_rng(1).permutation(len(runs))
    assert main(["history", "--store", str(store_dir), "add", "--repo", str(repo),
                 *(str(runs[i]) for i in order)]) == 0  # fmt: skip
    assert capsys.readouterr().out.count("added:") == RUNS
    store = HistoryStore(store_dir)
    filed = store.runs()
    assert [r.subject for r in filed] == [f"change {n}" for n in range(RUNS)]
    assert filed[0].committed.startswith("2026-01-01") and filed[0].device == "rpi4"
    series = store.series("latency_p50_ms")
    fp32 = [value for _, value in series[("m", "d", "fp32", "litert", "rpi4", 1)]]
    assert len(fp32) == RUNS
    (step,) = change_points(fp32)
    assert step.index == STEP_AT and step.relative == pytest.approx(0.3, abs=0.03)
    assert (
        change_points([v for _, v in series[("m", "d", "int8", "litert", "rpi4", 1)]])[0].index
        == STEP_AT
    )
    accuracy = [v for _, v in store.series("accuracy")[("m", "d", "fp32", "litert", "rpi4", 1)]]
    assert change_points(accuracy) == []
    assert main(["history", "--store", str(store_dir), "changes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(f"change {STEP_AT}" in line for line in lines)
    assert all(line.endswith(f"change {STEP_AT}") for line in lines)
    # adding a run again changes nothing
    assert main(["history", "--store", str(store_dir), "add", str(runs[0])]) == 0
    assert "already there" in capsys.readouterr().out
    assert len(HistoryStore(store_dir).runs()) == RUNS


def test_a_version_1_run_file_is_filed_and_a_bad_one_is_one_line(tmp_path, capsys):
    v1 = tmp_path / "v1.json"
    run_file(tmp_path / "v2.json", None, 1.0, 0.9)
    data = json.loads((tmp_path / "v2.json").read_text())
    data.pop("groups")
    data["schema"] = 1
    v1.write_text(json.dumps(data))
    store = tmp_path / "store"
    assert main(["history", "--store", str(store), "add", str(v1)]) == 0
    assert HistoryStore(store).runs()[0].git_commit is None
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": 2, "records": [{"model": 1}]}')
    assert main(["history", "--store", str(store), "add", str(bad)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.json" in err[0]
    assert len(HistoryStore(store).runs()) == 1


def test_change_points_find_one_step_in_noise_and_none_without():
    rng = np.random.default_rng(0)
    false_alarms = 0
    for _ in range(200):
        flat = 1 + rng.normal(0, 0.02, 20)
        false_alarms += len(change_points(flat))
        stepped = flat.copy()
        stepped[12:] += 0.3
        assert [c.index for c in change_points(stepped)] == [12]
    assert false_alarms == 0


def test_records_are_mlflow_runs_found_by_their_parameters(tmp_path, capsys):
    pytest.importorskip("mlflow")
    from edgebench.history.mlflow_runs import find_runs

    run = run_file(tmp_path / "run.json", "abc123", 2.0, 0.9)
    uri = str(tmp_path / "mlruns")
    assert main(["history", "mlflow", str(run), "--uri", uri]) == 0
    assert "2 records logged" in capsys.readouterr().out
    # MLflow's own search API, on the parameters
    (int8,) = find_runs(uri, "params.recipe = 'int8' and params.runtime = 'litert'")
    assert int8.data.params["model"] == "m" and int8.data.params["threads"] == "1"
    assert int8.data.metrics["latency_p50_ms"] == pytest.approx(1.0)
    assert int8.data.metrics["accuracy"] == pytest.approx(0.9)
    assert int8.data.tags["edgebench.git_commit"] == "abc123"
    assert find_runs(uri, "params.device = 'rpi4'") and not find_runs(uri, "params.device = 'x'")
    parent = int8.data.tags["mlflow.parentRunId"]
    import mlflow

    artifacts = mlflow.tracking.MlflowClient(tracking_uri=(tmp_path / "mlruns").as_uri())
    names = sorted(a.path for a in artifacts.list_artifacts(parent))
    assert names == ["run.json", "run.md"]


def test_the_site_has_a_page_per_model_with_a_row_of_trends_each(tmp_path, history):
    pytest.importorskip("plotly")
    from edgebench.history.dashboard import write_dashboard

    repo, runs = history
    store = HistoryStore(tmp_path / "store")
    for run in runs:
        store.add(run, repo)
    pages = write_dashboard(store, tmp_path / "site")
    assert [p.name for p in pages] == ["index.html", "m-d.html"]
    page = pages[1].read_text()
    assert page.count('class="row"') == 2 and page.count('class="plotly-graph-div"') == 2
    assert '<script src="plotly.min.js"></script>' in page
    assert (tmp_path / "site" / "plotly.min.js").stat().st_size > 1_000_000  # offline
    # filters, the runs with their subjects and tables, the step marked at its commit
    assert '<select name="recipe">' in page and '<option value="int8">' in page
    assert page.count("tables</a>") == RUNS and f"change {STEP_AT}" in page
    assert page.count("changed +") == 2  # the fp32 and the int8 rows
    linked = tmp_path / "site" / "runs"
    assert len(list(linked.glob("*.html"))) == RUNS
    assert (
        main(
            ["history", "--store", str(tmp_path / "store"), "report", "--out", str(tmp_path / "s2")]
        )
        == 0
    )

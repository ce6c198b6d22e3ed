"""--baseline: paths, latest, latest:N, and clear errors."""

import os

import pytest

from edgebench.options import UsageError, resolve_baseline


def saved(tmp_path, names):
    runs = tmp_path / ".edgebench" / "runs"
    runs.mkdir(parents=True)
    for age, name in enumerate(reversed(names)):
        path = runs / name
        path.write_text('{"schema": 1, "records": []}')
        os.utime(path, (1_000_000 - age, 1_000_000 - age))  # the first name is the oldest
    return runs


def test_paths_latest_and_latest_n(tmp_path):
    runs = saved(tmp_path, ["a.json", "b.json", "c.json"])
    assert resolve_baseline("", tmp_path) == ()
    assert resolve_baseline("latest", tmp_path) == (runs / "c.json",)
    assert resolve_baseline("latest:2", tmp_path) == (runs / "b.json", runs / "c.json")
    assert len(resolve_baseline("latest:9", tmp_path)) == 3  # as many as there are
    both = resolve_baseline(".edgebench/runs/a.json, latest", tmp_path)
    assert both == (runs / "a.json", runs / "c.json")
    assert resolve_baseline("latest,latest:1", tmp_path) == (runs / "c.json",)  # no duplicates


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("missing.json", "no such run file"),
        ("latest:0", "latest:N with N >= 1"),
        ("latest:x", "latest:N with N >= 1"),
    ],
)
def test_errors(tmp_path, raw, message):
    saved(tmp_path, ["a.json"])
    with pytest.raises(UsageError, match=message):
        resolve_baseline(raw, tmp_path)


def test_latest_without_saved_runs(tmp_path):
    with pytest.raises(UsageError, match="no saved run"):
        resolve_baseline("latest:3", tmp_path)


@pytest.mark.parametrize(
    "text", ["{not json", "[1, 2]", '{"records": [3]}', '{"schema": 1, "records": [3]}']
)
def test_a_corrupt_baseline_is_refused_before_anything_runs(tmp_path, text):
    (tmp_path / "bad.json").write_text(text)
    with pytest.raises(UsageError, match="bad.json: not a readable edgebench run file"):
        resolve_baseline("bad.json", tmp_path)


def test_history_n_takes_the_newest_runs_made_on_a_machine_like_this(tmp_path):
    import platform

    from edgebench.history.store import HistoryStore
    from edgebench.provenance import cpu_model
    from edgebench.results import RunStore, make_fragment

    store = HistoryStore(tmp_path / "hist")
    key = {"model": "m", "dataset": "d", "recipe": "fp32", "runtime": "litert", "device": "host"}
    for n, machine in enumerate(["other-arch", platform.machine(), platform.machine()]):
        provenance = {
            "machine": machine,
            "cpu": cpu_model(),
            "started": f"2026-01-0{n + 1}T00:00:00+00:00",
        }
        run = RunStore(tmp_path / f"r{n}.json", {"provenance": provenance})
        run.add(make_fragment(key, 1, {"latency_p50_ms": 1.0 + n}))
        store.add(tmp_path / f"r{n}.json")
    found = resolve_baseline("history:5", tmp_path, "hist")
    assert len(found) == 2  # the other machine's run is not comparable
    assert [p.parent.name for p in found] == ["runs", "runs"]
    assert resolve_baseline("history:1", tmp_path, str(tmp_path / "hist")) == found[-1:]
    with pytest.raises(UsageError, match="history:N with N >= 1"):
        resolve_baseline("history:0", tmp_path, "hist")
    with pytest.raises(UsageError, match="no history at"):
        resolve_baseline("history:2", tmp_path, "elsewhere")

"""Report tables, formats, comparison, recommendations, plots and the pytest-benchmark export."""

import json

import pytest

from edgebench.cli import main
from edgebench.report import tables as t
from edgebench.report.export import benchmark_stats, to_pytest_benchmark
from edgebench.report.plots import pareto_front
from edgebench.report.render import render
from edgebench.results import Record, RunStore, make_fragment


def rec(recipe, threads=1, **values):
    base = {
        "accuracy": 0.9,
        "accuracy_drop": 0.0,
        "accuracy_threshold": 1.0,
        "file_bytes": 1024 * 100,
    }
    return Record("m", "digits", recipe, "litert", threads, "host", **{**base, **values})


RECORDS = [
    rec("fp32", 1, latency_p50_ms=2.0, latency_mean_ms=2.1, params=1000),
    rec("fp32", 2, latency_p50_ms=1.2),
    rec("int8", 1, latency_p50_ms=1.0, accuracy=0.895, accuracy_drop=0.5, file_bytes=1024 * 30),
    rec("int8", 2, latency_p50_ms=0.8, accuracy=0.895, accuracy_drop=0.5, file_bytes=1024 * 30),
    rec(
        "prune0.5+ft2",
        1,
        latency_p50_ms=0.5,
        accuracy=0.80,
        accuracy_drop=10.0,
        compression=[{"step": "prune0.5+ft2", "fine_tune_epochs": 2}],
    ),
]


def test_milestone_table_groups_families_and_shows_fine_tuning():
    (table,) = t.milestone_tables(RECORDS, ["recipe", "ft", "mean", "accuracy", "drop"])
    assert table.title == "m on digits, litert (threads 1)"
    assert [row[0] for row in table.rows] == ["fp32", "int8", "prune0.5+ft2"]
    assert table.rows[2][1] == "2" and table.rows[0][1] == "n/a"
    with pytest.raises(ValueError, match="unknown column"):
        t.milestone_tables(RECORDS, ["bogus"])


def test_thread_scaling_and_quantization_tables():
    (scaling,) = t.thread_scaling_tables(RECORDS)
    assert scaling.headers == ["Recipe", "1 thread", "2 threads"]
    assert scaling.rows[0] == ["fp32", "2.000", "1.200"]
    assert ["prune0.5+ft2", "0.500", "n/a"] in scaling.rows
    (quant,) = t.quantization_tables(RECORDS)
    assert [row[0] for row in quant.rows] == ["fp32", "int8"]


def test_recommendation_is_the_fastest_and_smallest_within_threshold():
    (line,) = t.recommendations(RECORDS)
    assert line.startswith("m on digits, litert: fastest within threshold: int8 (p50 1.000 ms")
    assert "smallest: int8 (30.0 KiB" in line  # prune0.5+ft2 is faster but breaches its threshold


def test_comparison_gives_both_values_and_the_difference():
    later = [rec("int8", 1, latency_p50_ms=1.5, accuracy=0.9)]
    table = t.comparison_table(RECORDS, later, "M1", "M2")
    assert len(table.rows) == len(RECORDS)  # rows of one run only are listed with n/a
    (row,) = [r for r in table.rows if r[1:4] == ["int8", "litert", "1"]]
    only_m1 = next(r for r in table.rows if r[1:4] == ["fp32", "litert", "1"])
    assert only_m1[4:7] == ["90.000", "n/a", "n/a"]
    assert row[4:7] == ["89.500", "90.000", "+0.500"]
    assert row[7:10] == ["1.000", "1.500", "+0.500"]


@pytest.mark.parametrize("fmt", ["md", "csv", "html", "json"])
def test_formats(fmt):
    tables = t.milestone_tables(RECORDS, ["recipe", "accuracy"])
    text = render(tables, fmt, ["a note"], ["plot.png"])
    assert "int8" in text
    if fmt == "json":
        assert json.loads(text)["tables"][0]["headers"] == ["Recipe", "Accuracy"]
    if fmt == "md":
        assert (
            "## m on digits, litert" in text
            and "![plot.png](plot.png)" in text
            and "- a note" in text
        )
    if fmt == "html":
        assert "<table>" in text and '<img src="plot.png"' in text


def test_pareto_front():
    assert pareto_front([(1.0, 0.9), (2.0, 0.95), (3.0, 0.8), (1.5, 0.85)]) == [0, 1]


def test_pytest_benchmark_export():
    stats = benchmark_stats([0.001, 0.002, 0.003, 0.004])
    assert (
        stats["median"] == pytest.approx(0.0025)
        and stats["rounds"] == 4
        and stats["ops"] == pytest.approx(400)
    )
    record = rec("fp32", latency_samples_ms=[1.0, 2.0, 3.0], rounds=3)
    doc = to_pytest_benchmark(
        {"provenance": {"cpu": "x", "started": "2026-01-01T00:00:00+00:00"}}, [record, rec("int8")]
    )
    assert len(doc["benchmarks"]) == 1  # only rows with samples
    assert doc["benchmarks"][0]["stats"]["data"] == [0.001, 0.002, 0.003]
    assert doc["benchmarks"][0]["name"] == "test_latency[m-digits-fp32-litert-t1]"


def write_run(path, records):
    store = RunStore(path, {"provenance": {"cpu": "x"}})
    for r in records:
        data = r.to_dict()
        key = {k: data[k] for k in ("model", "dataset", "recipe", "runtime", "device")}
        values = {
            k: v
            for k, v in data.items()
            if k not in key and k not in ("threads", "null_reasons", "errors", "tests", "extra")
        }
        store.add(make_fragment(key, r.threads, values))


def test_report_command_writes_tables_plots_and_comparison(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    write_run(tmp_path / "m1.json", RECORDS)
    write_run(tmp_path / "m2.json", [rec("int8", 1, latency_p50_ms=1.5)])
    out = tmp_path / "reports"
    assert main(["report", str(tmp_path / "m1.json"), "--out", str(out)]) == 0
    report = (out / "m1.md").read_text()
    assert (
        "## Thread scaling, p50 [ms]: m on digits, litert" in report
        and "## Recommendations" in report
    )
    pngs = sorted(p.name for p in (out / "m1-plots").glob("*.png"))
    assert "m-digits-litert-pareto.png" in pngs and "m-digits-litert-threads.png" in pngs
    assert (out / "m1-plots" / pngs[0]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "m1.pytest-benchmark.json").read_text())["benchmarks"] == []
    assert (
        main(
            [
                "report",
                "--compare",
                str(tmp_path / "m1.json"),
                str(tmp_path / "m2.json"),
                "--out",
                str(out),
                "--no-plots",
            ]
        )
        == 0
    )
    assert "| m       | int8" in (out / "compare-m1-m2.md").read_text()
    # the comparison leaves the runs' own reports alone (they keep their plot references)
    assert "(m1-plots/m-digits-litert-pareto.png)" in (out / "m1.md").read_text()
    assert not (out / "m2.md").exists()
    assert main(["report", "--runs-dir", str(tmp_path / "none"), "--out", str(out)]) == 2
    assert "no run files" in capsys.readouterr().err


def test_several_devices_get_their_own_tables_and_a_comparison():
    from dataclasses import replace

    host = [rec("fp32", 1, latency_p50_ms=2.0), rec("int8", 1, latency_p50_ms=1.0)]
    board = [replace(r, device="lab-pi", latency_p50_ms=r.latency_p50_ms * 5) for r in host]
    titles = [table.title for table in t.milestone_tables(host + board)]
    assert titles == [
        "m on digits, litert on host (threads 1)",
        "m on digits, litert on lab-pi (threads 1)",
    ]
    assert [table.title for table in t.milestone_tables(host)] == [
        "m on digits, litert (threads 1)"
    ]
    (table,) = t.device_tables(host + board)
    assert table.title == "Devices compared: m on digits"
    assert table.headers[:5] == ["Recipe", "Runtime", "Threads", "p50 [ms] host", "p50 [ms] lab-pi"]
    assert table.rows[0][:5] == ["fp32", "litert", "1", "2.000", "10.000"]
    assert table.rows[1][:5] == ["int8", "litert", "1", "1.000", "5.000"]
    assert t.device_tables(host) == []  # one device: no comparison


def test_rows_measured_while_throttled_are_named_in_the_report():
    hot = rec(
        "fp32",
        1,
        device_host="pi@rpi5-a",
        device_facts={"throttled": {"flags": "0x50005", "throttled_now": True}},
    )
    cool = rec("int8", 1, device_facts={"throttled": {"flags": "0x0", "throttled_now": False}})
    assert t.throttled_notes([hot, cool, rec("fp32", 2)]) == [
        "throttled while measured: m fp32 on litert, host (pi@rpi5-a), t1 (flags 0x50005)"
    ]


def test_rows_flagged_hot_throttled_or_under_load_and_boards_off_in_a_pool_are_named():
    flagged = rec(
        "int8",
        4,
        device_host="pi@rpi4-b",
        board_flags=["hot: 83.0 C", "under load: 40% of the CPU busy just before"],
    )
    assert t.throttled_notes([flagged, rec("fp32", 1, board_flags=[])]) == [
        "measured hot: 83.0 C; under load: 40% of the CPU busy just before: m int8 on litert, host (pi@rpi4-b), t4"
    ]
    check = {
        "boards": {
            "pi@a": {"p50_ms": 2.0, "ratio": 1.0},
            "pi@b": {"p50_ms": 2.6, "ratio": 1.3, "low": 1.25, "high": 1.36, "flagged": True},
        },
        "flags": [
            "pi@b: fp32 p50 1.30x the p50 on pi@a (95% interval 1.25-1.36), beyond 3% and the noise"
        ],
    }
    row = rec("fp32", 1, pool_check=check)
    (table,) = t.pool_tables([row, rec("int8", 1)])
    assert table.title == "Boards of the pool host compared (fp32 on every board)"
    assert table.rows == [
        ["m", "litert", "1", "pi@a", "2.000", "1.000", "(the row's own board)", ""],
        ["m", "litert", "1", "pi@b", "2.600", "1.300", "1.25-1.36", "OFF"],
    ]
    assert t.pool_notes([row]) == [
        "pool host, m on litert t1: pi@b: fp32 p50 1.30x the p50 on pi@a (95% interval 1.25-1.36), beyond 3% and the noise"
    ]
    assert (
        t.pool_tables([rec("fp32", 1)]) == []
        and t.pool_notes([rec("fp32", 1, pool_check="junk")]) == []
    )


def test_milestone_tables_head_the_metric_of_the_task():
    from edgebench.report.tables import milestone_tables
    from edgebench.results import Record

    rows = [
        Record(
            "det",
            "shapes-det",
            recipe,
            "litert",
            1,
            "host",
            accuracy=value,
            metric="map50",
            metrics={"map50": value, "map": value / 2},
            latency_mean_ms=0.1,
            end_to_end_p50_ms=0.25,
        )
        for recipe, value in (("fp32", 0.76), ("int8", 0.75))
    ]
    (table,) = milestone_tables(rows)
    assert "mAP@0.5" in table.headers and "mAP@[.5:.95]" in table.headers
    assert "Accuracy" not in table.headers
    col = table.headers.index("mAP@[.5:.95]")
    assert [row[col] for row in table.rows] == ["38.00%", "37.50%"]
    e2e = table.headers.index("End-to-end p50 [ms]")
    assert table.headers[e2e - 1] == "Avg latency [ms]" and table.rows[0][e2e] == "0.250"


def test_pictures_of_float_and_quantized_predictions(tmp_path):
    pytest.importorskip("matplotlib")
    import numpy as np

    from edgebench.report.pictures import draw_pictures, picture_pairs
    from edgebench.results import Record

    mask = [[0, 1], [2, 0]]
    seg = [
        Record(
            "seg",
            "shapes-seg",
            recipe,
            "litert",
            1,
            "host",
            accuracy=0.9,
            metric="miou",
            sample_prediction={"image_index": 0, "mask": mask},
        )
        for recipe in ("fp32", "int8", "fp16")
    ]
    det = [
        Record(
            "det",
            "shapes-det",
            recipe,
            "onnxruntime",
            1,
            "host",
            accuracy=0.7,
            metric="map50",
            sample_prediction={"image_index": 0, "boxes": [[0.1, 0.1, 0.5, 0.5, 0.9, 1]]},
        )
        for recipe in ("fp32", "ort-qdq")
    ]
    pairs = picture_pairs([*seg, *det])
    assert [(a.recipe, b.recipe) for a, b in pairs] == [("fp32", "ort-qdq"), ("fp32", "int8")]
    image = np.zeros((2, 2, 3), np.float32)
    names, notes = draw_pictures([*seg, *det], tmp_path, lambda name, index: image)
    assert sorted(names) == [
        "det-shapes-det-onnxruntime-ort-qdq-picture.png",
        "seg-shapes-seg-litert-int8-picture.png",
    ]
    assert all((tmp_path / n).stat().st_size > 1000 for n in names) and not notes
    names, notes = draw_pictures(seg, tmp_path, lambda name, index: None)
    assert not names and notes == ["no picture of seg on shapes-seg: the dataset is not here"]

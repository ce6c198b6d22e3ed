"""Golden files for the report layout: every table `edgebench report` writes, in Markdown
and CSV, and the comparison of two runs. A layout change shows as a diff of the files in
tests/golden/; after checking it, rewrite them with ``EDGEBENCH_UPDATE_GOLDEN=1 pytest
tests/test_report_golden.py``."""

import os
from pathlib import Path

import pytest

from edgebench.cli import main
from edgebench.results import Record
from tests.test_report import write_run

GOLDEN = Path(__file__).parent / "golden"


def rec(recipe, runtime="litert", threads=1, **values):
    base = {"params": 832_106, "accuracy_threshold": 1.0, "compression": [{"step": recipe}]}
    return Record("mobilenet_v1", "digits", recipe, runtime, threads, "host", **{**base, **values})


def tensor(layer, before, after, distinct_after, snr):
    def quartiles(values, distinct):
        return dict(
            zip(("min", "q1", "median", "q3", "max"), values, strict=True), distinct=distinct
        )

    return {
        "layer": layer,
        "shape": [3, 3, 1, 16],
        "before": quartiles(before, 144),
        "after": quartiles(after, distinct_after),
        "error": {"snr_db": snr},
    }


MILESTONE_1 = [
    rec("fp32", threads=1, latency_p50_ms=0.105, latency_mean_ms=0.1092, accuracy=0.9222, accuracy_drop=0.0,
        file_bytes=3_288_808, gzip_bytes=2_963_000, memory_over_baseline_mb=14.9),
    rec("fp32", threads=2, latency_p50_ms=0.075, latency_mean_ms=0.078, accuracy=0.9222, accuracy_drop=0.0,
        file_bytes=3_288_808),
    rec("int8", threads=1, latency_p50_ms=0.048, latency_mean_ms=0.0499, accuracy=0.9222, accuracy_drop=0.0,
        file_bytes=985_744, gzip_bytes=700_000, memory_over_baseline_mb=6.1,
        power_max_w=11.5, energy_net_per_image_mj=0.55),
    rec("int8", threads=2, latency_p50_ms=0.052, latency_mean_ms=0.0541, accuracy=0.9222, accuracy_drop=0.0,
        file_bytes=985_744),
    rec("fp16", threads=1, latency_p50_ms=0.121, latency_mean_ms=0.1258, accuracy=0.9194, accuracy_drop=0.28,
        file_bytes=1_650_000),
    rec("sprune0.5+ft5", threads=1, latency_p50_ms=0.045, latency_mean_ms=0.0468, accuracy=0.7861,
        accuracy_drop=13.61, file_bytes=868_008, params=220_970,
        compression=[{"step": "sprune0.5+ft5", "fine_tune_epochs": 5}]),
    rec("dfq4-asym-pc", threads=1, accuracy=0.9111, accuracy_drop=1.11, file_bytes=3_288_808,
        packed_bytes=420_000,
        compression=[{"step": "dfq4-asym-pc", "tensors": [
            tensor("conv1", [-0.81, -0.12, 0.0, 0.13, 0.77], [-0.8, -0.11, 0.0, 0.11, 0.8], 16, 19.73),
            tensor("conv_dw_1", [-2.4, -0.3, 0.01, 0.31, 2.2], [-2.4, -0.32, 0.0, 0.32, 2.24], 15, None),
        ]}]),
    rec("fp32", runtime="onnxruntime", threads=1, latency_p50_ms=0.126, latency_mean_ms=0.131, accuracy=0.9222,
        accuracy_drop=0.0, file_bytes=3_315_460),
    rec("ort-dyn", runtime="onnxruntime", threads=1, latency_p50_ms=1.91, latency_mean_ms=1.9864, accuracy=0.9222,
        accuracy_drop=0.0, file_bytes=883_808),
]  # fmt: skip

MILESTONE_2 = [
    rec("fp32", threads=1, latency_p50_ms=0.101, latency_mean_ms=0.105, accuracy=0.9250, accuracy_drop=0.0,
        file_bytes=3_288_808, memory_over_baseline_mb=15.2),
    rec("int8", threads=1, latency_p50_ms=0.061, latency_mean_ms=0.0634, accuracy=0.9194, accuracy_drop=0.56,
        file_bytes=985_744, memory_over_baseline_mb=6.0, energy_net_per_image_mj=0.61),
    rec("int16x8", threads=1, latency_p50_ms=2.5, latency_mean_ms=2.6, accuracy=0.9222, accuracy_drop=0.28,
        file_bytes=1_020_000),
]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "written", "golden"),
    [
        ([], "m1.md", "report.md"),
        (["--format", "csv"], "m1.csv", "report.csv"),
        (["--compare"], "compare-m1-m2.md", "compare.md"),
    ],
    ids=["markdown", "csv", "compare"],
)
def test_report_matches_golden_file(tmp_path, args, written, golden):
    write_run(tmp_path / "m1.json", MILESTONE_1)
    write_run(tmp_path / "m2.json", MILESTONE_2)
    runs = [tmp_path / "m1.json"] + ([tmp_path / "m2.json"] if "--compare" in args else [])
    out = tmp_path / "reports"
    options = [a for a in args if a != "--compare"]
    compare = ["--compare"] if "--compare" in args else []
    assert (
        main(["report", *compare, *map(str, runs), *options, "--out", str(out), "--no-plots"]) == 0
    )
    text = (out / written).read_text()
    expected = GOLDEN / golden
    if os.environ.get("EDGEBENCH_UPDATE_GOLDEN"):
        expected.write_text(text)
    assert text == expected.read_text()

from pathlib import Path

import pytest

from edgebench.report.columns import SUMMARY_COLUMNS, field_column, milestone_table
from edgebench.results import Record

GOLDEN = Path(__file__).parent / "golden" / "milestone_table.md"


def record(recipe, threads, **values):
    return Record("mnet", "digits", recipe, "litert", threads, "host", **values)


def test_golden_milestone_table():
    common = {"params": 3206464, "accuracy": 0.7752, "accuracy_drop": 0.0}
    records = [
        record(
            "int8",
            1,
            params=3206464,
            file_bytes=25600,
            latency_p50_ms=4.57,
            latency_p90_ms=5.125,
            accuracy=0.6964,
            accuracy_drop=7.88,
            memory_over_baseline_mb=33.0,
        ),
        record("fp32", 2, file_bytes=102400, **common),
        record(
            "fp32",
            1,
            file_bytes=102400,
            latency_p50_ms=9.59,
            latency_p90_ms=10.0,
            memory_over_baseline_mb=38.0,
            **common,
        ),
    ]
    # sorted: baseline first, then by thread count; n/a where not measured
    columns = [*SUMMARY_COLUMNS[:-2], "memory", "power", "energy", "accuracy", "drop"]
    assert milestone_table(records, columns) + "\n" == GOLDEN.read_text()


def test_selected_columns_and_unknown_column():
    text = milestone_table(
        [record("fp32", 1, latency_mean_ms=1.0)], columns=["recipe", "mean", "power"]
    )
    assert "Avg latency [ms]" in text and "1.000" in text and "n/a" in text
    with pytest.raises(ValueError, match="unknown column"):
        milestone_table([], columns=["bogus"])


def test_field_columns_show_extra_values():
    r = record("fp32", 1)
    r.extra["cpu_c"] = 51.25
    text = milestone_table(
        [r], ["recipe", field_column("cpu_c", "CPU [C]", "{:.1f}"), field_column("meter", "Meter")]
    )
    assert "CPU [C]" in text and "51.2" in text and "n/a" in text


def test_terminal_summary_reads_like_a_milestone_report():
    """recipe, fine-tuning epochs, #params, memory, latency, power, energy, accuracy,
    drop, size: in that order, whatever else is registered."""
    from edgebench.measurements import BUILTIN_MEASUREMENTS
    from edgebench.report.columns import COLUMNS, summary_columns

    columns = summary_columns(BUILTIN_MEASUREMENTS)
    headers = [COLUMNS[c].header if isinstance(c, str) else c.header for c in columns]
    wanted = [
        "Recipe",
        "FT epochs",
        "#Params",
        "Mem over base [MiB]",
        "p50 [ms]",
        "Max power [W]",
        "Energy/image [mJ]",
        "Accuracy",
        "Drop [pts]",
        "Size [KiB]",
    ]
    positions = [headers.index(h) for h in wanted]
    assert positions == sorted(positions)
    assert "Device" in [
        COLUMNS[c].header if isinstance(c, str) else c.header
        for c in summary_columns(BUILTIN_MEASUREMENTS, several_devices=True)
    ]


def test_fine_tuning_epochs_column():
    from edgebench.report.columns import COLUMNS, format_cell

    ft = COLUMNS["ft"]
    steps = [{"step": "prune0.5+ft4", "fine_tune_epochs": 4}, {"scheme": "int8"}]
    assert format_cell(ft, record("prune0.5+ft4+int8", 1, compression=steps)) == "4"
    assert format_cell(ft, record("int8", 1, compression=[{"scheme": "int8"}])) == "0"
    assert format_cell(ft, record("fp32", 1)) == "n/a"  # never built: not known


def test_the_milestone_set_parses_and_covers_every_family():
    from edgebench.options import VARIANT_SETS, expand_variant_sets
    from edgebench.recipes import default_registry, parse_recipes

    recipes = parse_recipes(expand_variant_sets(["milestone"]), default_registry())
    assert [r.id for r in recipes] == list(VARIANT_SETS["milestone"])
    groups = {r.describe()["group"] for r in recipes}
    assert {"fp32", "quantization", "pruning", "structured pruning", "clustering"} <= groups
    assert any(len(r.steps) > 1 and r.export_step is not None for r in recipes)  # a chain

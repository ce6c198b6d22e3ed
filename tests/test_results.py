import json

from edgebench.results import (
    DEFAULT_NULL_REASONS,
    SCHEMA_VERSION,
    Record,
    RunStore,
    load_run,
    make_fragment,
)

VARIANT = {
    "model": "m",
    "dataset": "digits",
    "recipe": "fp32",
    "runtime": "litert",
    "device": "host",
}


def test_variant_facts_reach_rows_before_and_after(tmp_path):
    store = RunStore(tmp_path / "run.json", {"edgebench": "test"})
    store.add(make_fragment(VARIANT, 1, {"latency_p50_ms": 1.0}))
    store.add(make_fragment(VARIANT, None, {"accuracy": 0.9, "file_bytes": 100}))
    store.add(make_fragment(VARIANT, 2, {"latency_p50_ms": 0.6}))
    rows = {r.threads: r for r in store.records()}
    assert rows[1].accuracy == rows[2].accuracy == 0.9
    assert rows[2].file_bytes == 100 and rows[2].latency_p50_ms == 0.6


def test_run_file_is_rewritten_after_every_fragment(tmp_path):
    path = tmp_path / "runs" / "run.json"
    store = RunStore(path, {"edgebench": "test"})
    store.add(make_fragment(VARIANT, 1, {"latency_p50_ms": 1.0}, test="t1"))
    first = json.loads(path.read_text())
    assert (
        first["schema"] == SCHEMA_VERSION == 2
        and "latency" in first["groups"]
        and len(first["records"]) == 1
    )
    store.add(make_fragment({**VARIANT, "runtime": "onnxruntime"}, 1, {"latency_p50_ms": 2.0}))
    assert len(json.loads(path.read_text())["records"]) == 2


def test_null_fields_carry_reasons():
    record = Record(**VARIANT, threads=1)
    data = record.to_dict()
    assert data["peak_memory_mb"] is None
    assert data["null_reasons"]["peak_memory_mb"] == DEFAULT_NULL_REASONS["peak_memory_mb"]
    assert "accuracy" in data["null_reasons"]
    for name in DEFAULT_NULL_REASONS:
        assert data[name] is None and name in data["null_reasons"]


def test_specific_reasons_win_and_disappear_when_measured(tmp_path):
    store = RunStore(None, {})
    store.add(make_fragment(VARIANT, 1, {}, {"latency_p50_ms": "not timed: xdist"}))
    assert store.records()[0].to_dict()["null_reasons"]["latency_p50_ms"] == "not timed: xdist"
    store.add(make_fragment(VARIANT, 1, {"latency_p50_ms": 1.5}))
    assert "latency_p50_ms" not in store.records()[0].to_dict()["null_reasons"]


def test_errors_and_tests_are_collected_once():
    store = RunStore(None, {})
    for _ in range(2):
        store.add(make_fragment(VARIANT, 1, {}, error="cannot load m", test="bench::t[1]"))
    record = store.records()[0]
    assert record.errors == ["cannot load m"] and record.tests == ["bench::t[1]"]


def test_variant_without_latency_rows_still_gets_a_record():
    store = RunStore(None, {})
    store.add(make_fragment(VARIANT, None, {"accuracy": 0.5}))
    (record,) = store.records()
    assert record.threads is None and record.accuracy == 0.5
    assert "no latency test" in record.null_reasons["latency_p50_ms"]


def test_third_party_columns_go_to_extra(tmp_path):
    store = RunStore(tmp_path / "r.json", {})
    store.add(make_fragment(VARIANT, 1, {"cpu_mhz": 2400.0}))
    store.add(make_fragment(VARIANT, 2, {}, {"cpu_mhz": "no cpufreq"}))
    rows = {r["threads"]: r for r in json.loads((tmp_path / "r.json").read_text())["records"]}
    assert rows[1]["extra"] == {"cpu_mhz": 2400.0}
    assert rows[2]["null_reasons"]["cpu_mhz"] == "no cpufreq"


def test_load_run_roundtrip(tmp_path):
    store = RunStore(tmp_path / "r.json", {"provenance": {"cpu": "x"}})
    store.add(make_fragment(VARIANT, 1, {"latency_p50_ms": 1.0, "accuracy": 0.75}))
    header, records = load_run(tmp_path / "r.json")
    assert header["provenance"] == {"cpu": "x"}
    assert records[0].accuracy == 0.75 and records[0].variant_key == tuple(VARIANT.values())


def test_every_measurement_field_is_a_record_field_with_a_null_reason():
    from dataclasses import fields

    from edgebench.measurements import ALL_MEASUREMENTS
    from edgebench.results import DEFAULT_NULL_REASONS, Record

    names = {f.name for f in fields(Record)}
    for measurement in ALL_MEASUREMENTS:
        assert measurement.fields and set(measurement.fields) <= names, measurement.name
        assert all(DEFAULT_NULL_REASONS[f] == measurement.null_reason for f in measurement.fields)
        assert all(c.field in names for c in measurement.columns)


def test_a_non_finite_measurement_is_null_with_its_value_as_reason(tmp_path):
    """A NaN accuracy (a model whose outputs are NaN) is never a figure: not in the run
    file, not recommended as the fastest within threshold."""
    import json

    from edgebench.report.tables import recommendations

    store = RunStore(tmp_path / "r.json", {})
    key = {"model": "m", "dataset": "d", "recipe": "int8", "runtime": "litert", "device": "host"}
    store.add(make_fragment(key, None, {"accuracy": float("nan"), "accuracy_drop": float("nan"),
                                        "metrics": {"top5": float("inf")}}))  # fmt: skip
    store.add(make_fragment(key, 1, {"latency_p50_ms": 0.1, "accuracy_threshold": 1.0}))
    data = json.loads((tmp_path / "r.json").read_text())  # strict JSON: no NaN in the file
    record = data["records"][0]
    assert record["accuracy"] is None and "nan" in record["null_reasons"]["accuracy"]
    assert record["metrics"] == {"top5": None}
    _, records = load_run(tmp_path / "r.json")
    assert "fastest" not in " ".join(recommendations(records))

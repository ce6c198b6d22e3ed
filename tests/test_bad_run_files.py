"""Foreign, hostile and broken run files into `edgebench report`: one clean error line naming
the file and the field, or a valid report; never a traceback, never a non-finite figure."""

from __future__ import annotations

import copy
import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgebench.cli import main
from edgebench.results import load_run
from edgebench.run_files import RunFileError
from tests.test_report import RECORDS, write_run

NON_FINITE = re.compile(r"(?<![A-Za-z_])(nan|inf|infinity)(?![A-Za-z_])", re.IGNORECASE)


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "good.json"
    write_run(path, RECORDS)
    return json.loads(path.read_text())


def _report(tmp_path, capsys, content, name="run.json", *extra):
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    code = main(["report", str(path), *extra, "--out", str(tmp_path / "out"), "--no-plots"])
    err = capsys.readouterr().err
    return code, err


def _one_line(err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("edgebench: error: "), err
    assert "Traceback" not in err
    return lines[0]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: [d], "the top level is a list"),
        (lambda d: {**d, "schema": 999}, "schema 999 is newer than this edgebench reads"),
        (lambda d: {**d, "schema": "1"}, "no integer 'schema' field"),
        (lambda d: {k: v for k, v in d.items() if k != "schema"}, "no integer 'schema' field"),
        (lambda d: {**d, "records": {"a": 1}}, "'records' is an object, not a list"),
        (lambda d: {**d, "provenance": [1]}, "header field provenance is a list"),
    ],
)
def test_foreign_files_are_refused_in_one_line(tmp_path, capsys, good, mutate, message):
    code, err = _report(tmp_path, capsys, mutate(copy.deepcopy(good)))
    assert code == 2 and message in _one_line(err)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("runtime", None, "record 0 has no runtime"),
        ("device", None, "record 0 has no device"),
        ("latency_p50_ms", "fast", "record 0 field latency_p50_ms: a string where"),
        ("params", 10**400, "record 0 field params: integer out of range"),
        ("accuracy", True, "record 0 field accuracy: true/false where"),
        ("threads", 0, "record 0 field threads: 0 is not a thread count"),
        ("model", 7, "record 0 field model: an integer where"),
        ("device_facts", {"cores": 10**400}, "record 0 field device_facts.cores: integer out"),
        ("latency_samples_ms", [1.0, "x"], "field latency_samples_ms[1]: a string"),
    ],
)
def test_bad_fields_are_named(tmp_path, capsys, good, field, value, message):
    data = copy.deepcopy(good)
    if value is None:
        del data["records"][0][field]
    else:
        data["records"][0][field] = value
    code, err = _report(tmp_path, capsys, data)
    assert code == 2 and message in _one_line(err)


def test_nan_and_infinity_are_refused(tmp_path, capsys, good):
    text = json.dumps(good).replace('"accuracy": 0.9,', '"accuracy": NaN,', 1)
    code, err = _report(tmp_path, capsys, text)
    assert code == 2 and "non-finite number NaN" in _one_line(err)
    text = json.dumps(good).replace('"accuracy": 0.9,', '"accuracy": 1e999,', 1)
    code, err = _report(tmp_path, capsys, text)
    assert code == 2 and "inf is not a finite number" in _one_line(err)


def test_a_newer_schema_is_not_compared_with_an_older_one(tmp_path, capsys, good):
    (tmp_path / "old.json").write_text(json.dumps(good))
    (tmp_path / "new.json").write_text(json.dumps({**good, "schema": 999}))
    out = str(tmp_path / "out")
    code = main(["report", "--compare", str(tmp_path / "old.json"), str(tmp_path / "new.json"),
                 "--out", out])  # fmt: skip
    assert code == 2 and "schema 999 is newer" in _one_line(capsys.readouterr().err)


def test_deep_nesting_and_junk_bytes(tmp_path, capsys):
    code, err = _report(tmp_path, capsys, "[" * 100_000 + "]" * 100_000)
    assert code == 2 and "not valid JSON" in _one_line(err)
    code, err = _report(tmp_path, capsys, "\x00\xff garbage")
    assert code == 2 and _one_line(err)


def test_unknown_fields_are_kept_not_dropped(tmp_path, good):
    good["records"][0]["my_plugin_column"] = 3.5
    (tmp_path / "r.json").write_text(json.dumps(good))
    _, records = load_run(tmp_path / "r.json")
    assert records[0].extra["my_plugin_column"] == 3.5


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12).filter(lambda t: not NON_FINITE.search(t)),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = sorted({key for record in RECORDS for key in record.to_dict()} | {"schema", "records"})


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    edits=st.lists(
        st.tuples(st.integers(0, len(RECORDS) - 1), st.sampled_from(FIELDS), JSON_VALUES),
        min_size=1,
        max_size=4,
    )
)
def test_mutated_run_files_end_in_a_report_or_one_line(tmp_path, capsys, edits):
    path = tmp_path / "good.json"
    write_run(path, RECORDS)
    data = json.loads(path.read_text())
    for index, field, value in edits:
        records = data.get("records")
        if field in ("schema", "records"):
            data[field] = value
        elif (
            isinstance(records, list) and index < len(records) and isinstance(records[index], dict)
        ):
            records[index][field] = value
    text = json.dumps(data, allow_nan=True)
    (tmp_path / "out").mkdir(exist_ok=True)
    code, err = _report(tmp_path, capsys, text, "mutated.json")
    if code == 2:
        _one_line(err)
        return
    assert code == 0, err
    report = (tmp_path / "out" / "mutated.md").read_text()
    assert not NON_FINITE.search(report), report


def test_a_run_file_the_reader_rejects_raises_one_error(tmp_path):
    (tmp_path / "x.json").write_text("[]")
    with pytest.raises(RunFileError, match="x.json: not an edgebench run file"):
        load_run(tmp_path / "x.json")


def _typed_values(field: str) -> st.SearchStrategy:
    """Values of the type ``Record`` declares for ``field``: they pass the reader, so the
    tables must cope with them (zeros, negatives, empty strings, control characters)."""
    import typing

    from edgebench.results import VARIANT_KEYS, Record

    hint = str(typing.get_type_hints(Record).get(field, ""))
    # a text that spells "nan" or "inf" is a name, not a figure: kept out of the check
    text = st.text(max_size=8).filter(lambda t: not NON_FINITE.search(t))
    if field in VARIANT_KEYS:
        return text
    if field == "threads":
        return st.none() | st.integers(1, 64)
    if hint.startswith("float"):
        return st.none() | st.floats(-1e9, 1e9, allow_nan=False) | st.integers(-(10**6), 10**6)
    if hint.startswith("int"):
        return st.none() | st.integers(-(10**12), 10**12)
    if hint.startswith("str"):
        return st.none() | text
    if hint.startswith("bool"):
        return st.none() | st.booleans()
    return st.none()


TYPED_FIELDS = sorted({key for record in RECORDS for key in record.to_dict()})


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_typed_but_odd_values_give_a_clean_report(tmp_path, capsys, data):
    path = tmp_path / "good.json"
    write_run(path, RECORDS)
    run = json.loads(path.read_text())
    for _ in range(data.draw(st.integers(1, 6))):
        index = data.draw(st.integers(0, len(RECORDS) - 1))
        field = data.draw(st.sampled_from(TYPED_FIELDS))
        run["records"][index][field] = data.draw(_typed_values(field))
    (tmp_path / "out").mkdir(exist_ok=True)
    code, err = _report(tmp_path, capsys, run, "typed.json", "--format", "md")
    if code == 2:
        _one_line(err)
        return
    assert code == 0, err
    report = (tmp_path / "out" / "typed.md").read_text()
    assert not NON_FINITE.search(report), report
    assert not any(ord(c) < 32 and c not in "\n" for c in report), "control characters"


def test_a_saved_version_1_run_file_still_reads_and_reports(tmp_path, capsys):
    """tests/data/run-v1.json, written by a bench run of schema 1: it reads (upgraded to
    the current schema when there is a newer one) and renders."""
    from tests.conftest import DATA

    header, records = load_run(DATA / "run-v1.json")
    assert header["schema"] >= 2 and records[0].model == "digits_mlp.tflite"
    # the upgrade to 2 names each field's group; the records themselves are as written
    assert header["groups"]["key"][:2] == ["model", "dataset"]
    assert "latency_p50_ms" in header["groups"]["latency"]
    assert "accuracy" in header["groups"]["accuracy"]
    assert records[0].latency_p50_ms is not None
    out = tmp_path / "out"
    assert main(["report", str(DATA / "run-v1.json"), "--out", str(out), "--no-plots"]) == 0
    assert "digits_mlp.tflite" in (out / "run-v1.md").read_text()


def test_every_record_field_is_declared_by_exactly_one_group():
    """A record is a key plus groups: each field in one group; each measurement's own
    fields (what its null reason covers) inside its group."""
    from dataclasses import fields

    from edgebench.measurements import ALL_MEASUREMENTS
    from edgebench.results import RECORD_GROUPS, Record, record_groups

    declared = [name for names in record_groups().values() for name in names]
    assert sorted(declared) == sorted(f.name for f in fields(Record))
    assert len(declared) == len(set(declared))
    for measurement in ALL_MEASUREMENTS:
        group = {f.name for f in fields(RECORD_GROUPS[measurement.name])}
        assert set(measurement.fields) <= group, measurement.name

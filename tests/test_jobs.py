"""Worker jobs: typed on both sides, JSON on the wire, read back strictly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edgebench.errors import UsageError
from edgebench.jobs import (
    JOB_KINDS,
    JOB_TYPES,
    EnergyJob,
    MeasureJob,
    PredictJob,
    parse_job,
)


def test_every_kind_goes_over_the_wire_and_comes_back_equal():
    for kind, cls in JOB_TYPES.items():
        job = cls(runtime="litert", artifact="/tmp/m.tflite", threads=2)
        wire = job.to_json()
        assert wire["kind"] == kind and parse_job(wire) == job
    assert parse_job({"runtime": "litert"}) == MeasureJob(runtime="litert")  # kind defaults
    predict = PredictJob(inputs="x.npy", outputs="y.npy", batch_size=8, all_outputs=True)
    assert parse_job(predict.to_json()) == predict


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        ({"kind": "dance"}, "unknown job kind 'dance'"),
        ({"kind": 3}, "unknown job kind 3"),
        ({"kind": "measure", "rounds": "10"}, "measure job: rounds is str"),
        ({"kind": "measure", "rounds": True}, "measure job: rounds is bool"),
        ({"kind": "loop", "rounds": 3}, "loop job: unknown field(s) rounds"),
        ({"kind": "energy", "idle_w": "1"}, "energy job: idle_w is str"),
        ([1, 2], "a worker job is a JSON object"),
    ],
)
def test_a_job_a_worker_does_not_run_is_one_line(wire, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_job(wire)


def test_an_energy_job_takes_integral_seconds_and_a_null_idle_power():
    job = parse_job({"kind": "energy", "seconds": 2, "idle_w": None, "meter": "rapl"})
    assert isinstance(job, EnergyJob) and job.seconds == 2 and job.idle_w is None


values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)  # fmt: skip


@given(
    st.dictionaries(
        st.sampled_from(["kind", "runtime", "artifact", "threads", "rounds", "seconds", "x"]),
        values,
        max_size=5,
    ),
    st.sampled_from(sorted(JOB_KINDS)),
)
def test_any_wire_form_parses_to_its_kind_or_is_refused_in_one_line(data, kind):
    data = {"kind": kind, **{k: v for k, v in data.items() if k != "kind"}}
    try:
        job = parse_job(data)
    except UsageError as exc:
        assert "\n" not in str(exc)
        return
    assert job.kind == kind and parse_job(job.to_json()) == job

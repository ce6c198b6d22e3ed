"""The measuring machine's state before a timed window, and the rules that act on it,
read from fake sysfs trees (a Raspberry Pi's, a big.LITTLE board's) and from this machine."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edgebench import device_facts
from edgebench.device_facts import decode_throttled, throttling
from edgebench.instruments import board_state
from edgebench.instruments.board_state import (
    RuleBroken,
    apply_rules,
    cores_state,
    flags,
    parse_cores,
)

NO_RULES = {"cores": None, "require_governor": None, "cooldown_c": None, "cooldown_max_s": 0}


def fake_cpus(root: Path, governors: dict[int, str], offline: tuple[int, ...] = ()) -> Path:
    """A /sys/devices/system/cpu tree: cpuN/cpufreq with the governor and frequencies."""
    for cpu, governor in governors.items():
        freq = root / f"cpu{cpu}" / "cpufreq"
        freq.mkdir(parents=True)
        (freq / "scaling_governor").write_text(governor + "\n")
        (freq / "scaling_cur_freq").write_text(f"{1_500_000 + cpu}\n")
        (freq / "scaling_min_freq").write_text("600000\n")
        (freq / "scaling_max_freq").write_text("2400000\n")
        if cpu in offline:
            (root / f"cpu{cpu}" / "online").write_text("0\n")
    (root / "cpufreq").mkdir()  # not a core
    return root


def test_per_core_governor_and_frequencies_in_core_order(tmp_path):
    root = fake_cpus(tmp_path, {0: "ondemand", 1: "ondemand", 10: "performance", 2: "x"}, (2,))
    found = cores_state(root)
    assert [c["cpu"] for c in found] == [0, 1, 10]  # numeric order, cpu2 offline
    assert found[2] == {
        "cpu": 10,
        "governor": "performance",
        "cur_khz": 1_500_010,
        "min_khz": 600_000,
        "max_khz": 2_400_000,
    }


def test_a_core_without_cpufreq_reads_none(tmp_path):
    (tmp_path / "cpu0").mkdir()
    assert cores_state(tmp_path) == [
        {"cpu": 0, "governor": None, "cur_khz": None, "min_khz": None, "max_khz": None}
    ]


def test_raspberry_pi_throttling_flags_from_the_firmware_file(tmp_path):
    firmware = tmp_path / "get_throttled"
    firmware.write_text("50005\n")  # under-voltage and throttled now, both since boot
    found = throttling(firmware)
    assert found["now"] == ["under-voltage", "throttled"]
    assert found["since_boot"] == ["under-voltage", "throttled"]
    assert found["flags"] == "0x50005" and found["source"] == str(firmware)
    firmware.write_text("0x80000\n")  # a soft temperature limit since boot only
    assert throttling(firmware)["now"] == [] and throttling(firmware)["since_boot"] == [
        "soft temperature limit"
    ]
    firmware.write_text("garbage")
    assert throttling(firmware) is None


@given(st.integers(min_value=0, max_value=2**20 - 1))
def test_throttling_bits_decode_back_to_the_value(value):
    found = decode_throttled(value)
    names = {name: bit for bit, name in device_facts.THROTTLE_BITS.items()}
    rebuilt = sum(1 << names[n] for n in found["now"]) + sum(
        1 << (names[n] + 16) for n in found["since_boot"]
    )
    assert rebuilt == value & 0xF000F


def test_rows_measured_throttled_hot_or_under_load_are_flagged():
    state = {
        "throttling": {"now": ["frequency capped"]},
        "temperature_c": 81.0,
        "cpu_busy_share": 0.5,
    }
    assert flags(state) == [
        "throttled: frequency capped now",
        "hot: 81.0 C",
        "under load: 50% of the CPU busy just before",
    ]
    assert flags({"throttling": None, "temperature_c": 79.9, "cpu_busy_share": 0.2}) == []
    assert flags({}) == []


@pytest.mark.parametrize(
    ("text", "cores"), [("4-7", [4, 5, 6, 7]), ("2,3", [2, 3]), ("0, 4-5", [0, 4, 5]), ("3", [3])]
)
def test_core_lists(text, cores):
    assert parse_cores(text) == cores


@pytest.mark.parametrize("text", ["", "a", "7-4", "1-", "-1", "1;2", "99999"])
def test_bad_core_lists_are_refused(text):
    with pytest.raises(ValueError, match="core"):
        parse_cores(text)


def test_the_governor_rule_names_the_wrong_cores_and_the_fix(tmp_path, monkeypatch):
    fake_cpus(tmp_path / "sys" / board_state.CPU, {0: "performance", 1: "ondemand"})
    monkeypatch.setenv("EDGEBENCH_SYSFS_ROOT", str(tmp_path))
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    with pytest.raises(RuleBroken) as caught:
        apply_rules(None, "performance", None, 0, temperature=lambda: 40.0)
    assert str(caught.value) == (
        "--require-governor performance: cpu1 ondemand (on the board: sudo cpupower "
        "frequency-set -g performance)"
    )
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})  # pinned to the good core
    values = apply_rules(None, "performance", None, 0, temperature=lambda: 40.0)
    assert [c["governor"] for c in values["board_state"]["cores"]] == ["performance", "ondemand"]


def test_a_rule_that_cannot_be_checked_fails_in_one_line(tmp_path, monkeypatch):
    (tmp_path / "sys" / board_state.CPU / "cpu0").mkdir(parents=True)
    monkeypatch.setenv("EDGEBENCH_SYSFS_ROOT", str(tmp_path))
    with pytest.raises(RuleBroken, match="exposes no cpufreq governor"):
        apply_rules(None, "performance", None, 0)
    with pytest.raises(RuleBroken, match="--cooldown 60: this machine has no readable thermal"):
        apply_rules(None, None, 60.0, 5, temperature=lambda: None)


def test_cooldown_waits_until_cooler_and_flags_a_board_that_stays_hot(monkeypatch):
    monkeypatch.setattr(board_state.time, "sleep", lambda s: None)
    readings = iter([75.0, 72.0, 69.0, 64.0, 64.0, 64.0])
    said: list[str] = []
    values = apply_rules(None, None, 65.0, 60, say=said.append, temperature=lambda: next(readings))
    assert said[0] == "cooling down: 75.0 C, waiting for below 65 C" and len(said) == 3
    assert values["cooldown_waited_s"] >= 0 and "not cooled" not in " ".join(values["board_flags"])
    hot = apply_rules(None, None, 65.0, 0, temperature=lambda: 90.0)
    assert "not cooled down: 90.0 C after 0 s (--cooldown 65)" in hot["board_flags"]
    assert "hot: 90.0 C" in hot["board_flags"]


def test_this_machine_state_and_pinning(tmp_path):
    saved = os.sched_getaffinity(0)
    with board_state.window_rules(dict(NO_RULES, cores=[min(saved)])) as values:
        assert os.sched_getaffinity(0) == {min(saved)}
        assert values["pinned_cores"] == [min(saved)]
    assert os.sched_getaffinity(0) == saved  # given back
    state = values["board_state"]
    assert len(state["load_average"]) == 3 and 0.0 <= state["cpu_busy_share"] <= 1.0
    assert [c["cpu"] for c in state["cores"]] and state["affinity"] == [min(saved)]
    with pytest.raises(RuleBroken, match="--pin-cores"):
        apply_rules([4000], None, None, 0)


def fake_raspberry_pi(root: Path) -> Path:
    """A Raspberry Pi 4's sysfs: four cores on ondemand, 82 C, under-voltage and
    throttled now (get_throttled 0x50005)."""
    fake_cpus(root / "sys" / board_state.CPU, dict.fromkeys(range(4), "ondemand"))
    zone = root / "sys" / "class" / "thermal" / "thermal_zone0"
    zone.mkdir(parents=True)
    (zone / "temp").write_text("82000\n")
    firmware = root / "sys" / device_facts.FIRMWARE
    firmware.parent.mkdir(parents=True)
    firmware.write_text("50005\n")
    return root


@pytest.mark.parametrize("isolate", [True, False], ids=["worker", "pytest-process"])
def test_the_rules_act_on_the_board_state_and_flagged_rows_are_named(
    pytester, monkeypatch, isolate
):
    """On a (fake) throttled, hot Raspberry Pi: --require-governor performance fails the
    rows in one line; --pin-cores and --cooldown run them, recorded and flagged, and the
    summary says which rows were measured throttled and hot."""
    import json

    from tests.conftest import lay_out_project

    lay_out_project(pytester.path)
    pytester.makeini("[pytest]\n")
    monkeypatch.setenv("EDGEBENCH_CACHE", str(pytester.path / "cache"))
    monkeypatch.setenv("PYTEST_ADDOPTS", "--convert=false")
    monkeypatch.setenv("EDGEBENCH_SYSFS_ROOT", str(fake_raspberry_pi(pytester.path / "pi")))
    where = ("--isolate",) if isolate else ()
    quick = ("bench", "-k", "latency", "--threads", "1", "--rounds", "20", "--warmup", "2", *where)
    refused = pytester.runpytest_subprocess(*quick, "--require-governor", "performance")
    refused.assert_outcomes(failed=2)
    mine = ", ".join(f"cpu{c} ondemand" for c in sorted(os.sched_getaffinity(0)) if c < 4)
    refused.stdout.fnmatch_lines(  # the cores this process may run on
        [f"*--require-governor performance: {mine} (on the board: sudo cpupower "
         "frequency-set -g performance)*"]
    )  # fmt: skip
    ran = pytester.runpytest_subprocess(
        *quick, "--pin-cores", "0", "--cooldown", "90", "--edgebench-json", "run.json"
    )
    ran.assert_outcomes(passed=2)
    ran.stdout.fnmatch_lines(
        ["measured throttled: under-voltage, throttled now; hot: 82.0 C*: digits_mlp*"]
    )
    for row in json.loads((pytester.path / "run.json").read_text())["records"]:
        assert row["pinned_cores"] == [0] and row["cooldown_waited_s"] == 0
        assert row["board_flags"][:2] == ["throttled: under-voltage, throttled now", "hot: 82.0 C"]
        state = row["board_state"]
        assert [c["governor"] for c in state["cores"]] == ["ondemand"] * 4
        assert state["throttling"]["since_boot"] == ["under-voltage", "throttled"]
        assert state["affinity"] == [0] and len(state["load_average"]) == 3


def test_the_device_facts_read_throttling_from_the_firmware_file(tmp_path, monkeypatch):
    monkeypatch.setenv("EDGEBENCH_SYSFS_ROOT", str(fake_raspberry_pi(tmp_path)))
    assert device_facts.throttled() == {
        "flags": "0x50005",
        "throttled_now": True,
        "throttled_since_boot": True,
    }
    assert device_facts.temperature_c() == 82.0

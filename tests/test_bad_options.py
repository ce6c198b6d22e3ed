"""Options and device profiles a careless user or an attacker writes: one clean usage line,
never an INTERNALERROR, a run without end, or a "board" that is this machine."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgebench.devices import BUILTIN_PROFILES, load_profiles, parse_ini_profile
from edgebench.errors import DeviceUnreachable, UsageError
from edgebench.options import OPTIONS, check_options
from edgebench.targets.ssh import SSHTarget, identity_mismatch

DEFAULTS = {option.ini: option.default for option in OPTIONS}


def _check(tmp_path: Path, **given: str) -> None:
    values = {**DEFAULTS, **{f"edgebench_{k}": v for k, v in given.items()}}
    check_options(lambda name: values.get(name, ""), tmp_path, dict(BUILTIN_PROFILES))


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("max_accuracy_drop", "nan", "must be a finite number"),
        ("max_accuracy_drop", "inf", "must be a finite number"),
        ("max_accuracy_drop", "-1", "--max-accuracy-drop must be between 0 and 100"),
        ("rounds", "1000000000000", "--rounds must be between 1 and 10,000,000"),
        ("rounds", "2.5", "must be an integer"),
        ("warmup", "1e9", "must be an integer"),
        ("energy_seconds", "nan", "finite"),
        ("stall_timeout", "1e300", "--stall-timeout must be between 1 and 86,400"),
        ("threshold", "fp32=nan", "threshold fp32='nan' must be a number of points"),
        ("threshold", "int8=inf", "must be a number of points from 0 to 100"),
        ("max_slowdown", "p50:nan%", "must be finite"),
        ("max_slowdown", "p50:inf", "must be finite"),
        ("expect_speedup", "int8:nan", "finite"),
        ("threads", "1,100000", "from 1 to 1024"),
        ("train_epochs", "1e6", "integer"),
    ],
)
def test_non_finite_and_absurd_values_are_one_usage_line(tmp_path, option, value, message):
    with pytest.raises(UsageError, match=message):
        _check(tmp_path, **{option: value})


def test_the_defaults_pass(tmp_path):
    _check(tmp_path)


def test_ssh_config_cannot_change_the_transport(tmp_path):
    """ssh_config=/dev/null//popen ran the "board" rows on this machine; now refused."""
    line = "lab: hosts=pi; ssh_config=/dev/null//popen"
    with pytest.raises(UsageError, match="ssh_config '/dev/null//popen': only letters"):
        parse_ini_profile(line, {})
    with pytest.raises(UsageError, match="no such file"):
        parse_ini_profile(f"lab: hosts=pi; ssh_config={tmp_path}/none", {})
    config = tmp_path / "ssh_config"
    config.write_text("Host pi\n")
    assert parse_ini_profile(f"lab: hosts=pi; ssh_config={config}", {}).ssh_config == str(config)
    with pytest.raises(UsageError, match="control characters"):
        parse_ini_profile("lab: description=a\x1b[2Jb", {})


def test_the_target_refuses_a_spec_that_is_not_ssh(tmp_path, monkeypatch):
    target = SSHTarget(hosts=("pi",))
    target.python = "python3//popen"  # past the checks a profile's fields go through
    with pytest.raises(DeviceUnreachable, match="refusing the transport spec"):
        target._spec()


def test_identity_mismatch():
    board = {"node": "pi-a", "machine_id": "aa"}
    assert identity_mismatch(board, {"node": "pi-a", "machine_id": "aa"}) == ""
    assert identity_mismatch(board, {"node": "pi-a", "machine_id": None}) == ""
    assert "hostname 'vm'" in identity_mismatch(board, {"node": "vm", "machine_id": "aa"})
    assert "machine id 'bb'" in identity_mismatch(board, {"node": "pi-a", "machine_id": "bb"})


def test_an_agent_on_another_machine_than_ssh_reaches_is_refused(tmp_path, monkeypatch):
    """The agent answers from this machine (a popen gateway stands in for a transport gone
    wrong) while a plain ssh to the host reaches another one: the board is refused, its
    rows would fail, and the summary says it was not reached."""
    pytest.importorskip("execnet")
    fake = tmp_path / "bin" / "ssh"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho otherbox\necho 0123456789abcdef\n")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("EDGEBENCH_LOCK_DIR", str(tmp_path / "locks"))
    target = SSHTarget(hosts=("pi",), cache=str(tmp_path / "board"))
    monkeypatch.setattr(target, "_spec", lambda: "popen//python=" + os.sys.executable)
    with pytest.raises(
        DeviceUnreachable, match="agent answered from another machine .*hostname 'otherbox'"
    ):
        target.connect()
    assert target.hello is None and "otherbox" in (target.failure or "")
    with pytest.raises(DeviceUnreachable):  # every later row fails fast with the same line
        target.run({"kind": "facts"})


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_random_profile_lines_parse_or_fail_in_one_line(line):
    try:
        profile = parse_ini_profile(line, {})
    except UsageError as exc:
        assert "\n" not in str(exc).strip() or "\n" in line
        return
    assert profile.name and all(1 <= t <= 1024 for t in profile.threads)
    for text in (profile.description, profile.meter, profile.target):
        assert not any(ord(c) < 32 for c in text)


def test_profiles_from_ini_lines_keep_working():
    profiles = load_profiles(["pi: threads=1,2; hosts=pi@board; python=/usr/bin/python3"])
    assert profiles["pi"].threads == (1, 2) and profiles["pi"].hosts == ("pi@board",)


def test_board_locks_live_in_the_cache(tmp_path, monkeypatch):
    """Not /tmp/edgebench-locks: the session's cache, else the cache the environment names."""
    from edgebench.devices import DeviceProfile

    monkeypatch.delenv("EDGEBENCH_LOCK_DIR", raising=False)
    monkeypatch.setenv("EDGEBENCH_CACHE", str(tmp_path / "cache"))
    assert SSHTarget(hosts=("pi",)).lock_dir == tmp_path / "cache" / "board-locks"
    options = DeviceProfile("lab", hosts=("pi",)).target_options(tmp_path / "session-cache")
    assert options["lock_dir"] == str(tmp_path / "session-cache" / "board-locks")
    assert SSHTarget(**options).lock_dir == tmp_path / "session-cache" / "board-locks"

import pytest

from edgebench.devices import (
    BUILTIN_PROFILES,
    DeviceProfile,
    load_profiles,
    parse_ini_profile,
    parse_threads,
    resolve_profile,
)
from edgebench.errors import UsageError


def test_builtin_profiles():
    assert set(BUILTIN_PROFILES) == {"host", "rpi4", "rpi5", "jetson-orin", "x86-laptop"}
    assert BUILTIN_PROFILES["rpi4"].thread_counts() == (1, 2, 3, 4)
    assert BUILTIN_PROFILES["rpi5"].meter == "rpi5-pmic"


def test_host_threads_are_one_and_all_cores():
    host = BUILTIN_PROFILES["host"]
    assert host.thread_counts(cores=8) == (1, 8)
    assert host.thread_counts(cores=1) == (1,)


@pytest.mark.parametrize(
    ("raw", "expected"), [("1,2,4", (1, 2, 4)), ("4, 1,1", (1, 4)), ([2, 1], (1, 2))]
)
def test_parse_threads(raw, expected):
    assert parse_threads(raw) == expected


@pytest.mark.parametrize("raw", ["", "0", "a,b", "-1"])
def test_parse_threads_errors(raw):
    with pytest.raises(UsageError):
        parse_threads(raw)


def test_ini_profile_line():
    profile = parse_ini_profile(
        "board: threads=1,2; meter=command; description=my board", BUILTIN_PROFILES
    )
    assert profile == DeviceProfile("board", "my board", (1, 2), "command", "idle-worker")
    # an ini line may override part of a built-in
    rpi4 = parse_ini_profile("rpi4: meter=command", BUILTIN_PROFILES)
    assert rpi4.meter == "command" and rpi4.threads == (1, 2, 3, 4)
    with pytest.raises(UsageError, match="unknown field"):
        parse_ini_profile("x: cores=4", BUILTIN_PROFILES)
    with pytest.raises(UsageError, match="not key=value"):
        parse_ini_profile("x: threads", BUILTIN_PROFILES)


def test_pyproject_and_ini_profiles(tmp_path):
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text(
        '[tool.edgebench.devices.coral]\nthreads = [1, 4]\nmeter = "command"\n'
        '[tool.edgebench.devices.rpi5]\nthreads = "1,2"\n'
    )
    profiles = load_profiles(["coral: description=from ini"], pyproject)
    assert profiles["coral"].threads == (1, 4)
    assert profiles["coral"].description == "from ini"
    assert profiles["rpi5"].threads == (1, 2) and profiles["rpi5"].meter == "rpi5-pmic"
    pyproject.write_text("[tool.edgebench\n")
    with pytest.raises(UsageError, match="cannot read"):
        load_profiles([], pyproject)


def test_unknown_device_lists_known():
    with pytest.raises(
        UsageError, match="unknown device 'rpi9'; known devices: host, jetson-orin, rpi4"
    ):
        resolve_profile("rpi9", BUILTIN_PROFILES)

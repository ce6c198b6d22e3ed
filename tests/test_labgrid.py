"""Board labs through labgrid: a real coordinator and exporter on 127.0.0.1 export the
local sshd "board" as a NetworkService; edgebench acquires the place, measures over SSH,
waits while someone else holds it, and gives it back."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("labgrid")
sys.path.insert(0, str(Path(__file__).parent.parent / "ci"))
from labgrid_local import Lab, client  # noqa: E402  (ci/labgrid_local.py)

from tests.test_ssh_device import QUICK, device_python, lab, sshd  # noqa: E402, F401


@pytest.fixture
def labgrid_lab(sshd, tmp_path):  # noqa: F811
    _, port = sshd
    running = Lab(tmp_path / "labgrid", port, {"board-a": "pool=ci"})
    yield running
    running.stop()


def profile(lab, labgrid_lab, where: str) -> str:  # noqa: F811
    line = lab.profile().strip()
    ssh = line[line.index("python=") :]
    return f"lg: threads=1; target=labgrid; {where}; coordinator={labgrid_lab.coordinator}; {ssh}"


def acquired(labgrid_lab) -> str:
    return client(labgrid_lab.coordinator, "-p", "board-a", "show")


def test_a_session_waits_for_a_held_place_measures_through_it_and_releases_it(lab, labgrid_lab):  # noqa: F811
    """Someone else (another labgrid user) holds the place; the session waits with a line
    naming them, acquires the place when it is released, measures on its board, and
    releases it at the end."""
    client(labgrid_lab.coordinator, "-p", "board-a", "acquire", user="colleague")

    def release_later() -> None:
        time.sleep(12)  # the session starts, builds and asks for the place well before
        client(labgrid_lab.coordinator, "-p", "board-a", "release", user="colleague")

    threading.Thread(target=release_later, daemon=True).start()
    started = time.monotonic()
    result = lab.runpytest_subprocess(
        "bench", "--model", "models/digits_mlp.tflite", "--device", "lg", "-k", "latency or accuracy",
        "-o", f"edgebench_devices={profile(lab, labgrid_lab, 'place=board-a')}",
        "--edgebench-json", "run.json", *QUICK,
    )  # fmt: skip
    result.assert_outcomes(passed=2)
    assert time.monotonic() - started > 12  # it waited for the colleague
    result.stdout.fnmatch_lines(["*waiting for labgrid place board-a: *colleague*"])
    run = json.loads((lab.path / "run.json").read_text())
    sent = run["device_transfers"]["lg"]
    assert sent["reached"] and sent["labgrid"]["place"] == "board-a"
    assert sent["labgrid"]["acquire_s"] > 1 and "NetworkService" in sent["labgrid"]["resources"]
    row = next(r for r in run["records"] if r["latency_p50_ms"])
    assert row["device_host"].startswith("board-a (") and row["latency_p50_ms"] > 0
    assert row["device_facts"]["labgrid_place"] == "board-a"
    assert "acquired:" not in acquired(labgrid_lab) or "acquired: None" in acquired(labgrid_lab)


def test_a_pool_reserves_a_free_place_by_its_tags_and_gives_it_back(lab, labgrid_lab):  # noqa: F811
    result = lab.runpytest_subprocess(
        "bench", "--model", "models/digits_mlp.tflite", "--device", "lg", "-k", "latency",
        "-o", f"edgebench_devices={profile(lab, labgrid_lab, 'tags=pool=ci')}",
        "--edgebench-json", "run.json", *QUICK,
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    sent = json.loads((lab.path / "run.json").read_text())["device_transfers"]["lg"]
    assert sent["labgrid"]["place"] == "board-a" and sent["labgrid"]["reservation"]
    assert "acquired: None" in acquired(labgrid_lab) or "acquired:" not in acquired(labgrid_lab)
    assert sent["labgrid"]["reservation"] not in client(labgrid_lab.coordinator, "reservations")


def test_a_place_that_stays_held_fails_the_rows_in_one_line(lab, labgrid_lab):  # noqa: F811
    client(labgrid_lab.coordinator, "-p", "board-a", "acquire", user="colleague")
    result = lab.runpytest_subprocess(
        "bench", "--model", "models/digits_mlp.tflite", "--device", "lg", "-k", "latency",
        "-o", f"edgebench_devices={profile(lab, labgrid_lab, 'place=board-a')}",
        "--lab-wait", "3", *QUICK,
    )  # fmt: skip
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*labgrid place board-a stayed held for 3 s (*colleague*); --lab-wait*"]
    )

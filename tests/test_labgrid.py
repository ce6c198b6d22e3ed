# ruff: noqa: F811  (the sshd fixtures come from tests/test_ssh_device.py)
"""Board labs through labgrid: a real coordinator and exporter on 127.0.0.1 export the
local sshd "board" as a NetworkService; edgebench acquires the place, measures over SSH,
waits while someone else holds it, and gives it back."""

from __future__ import annotations

import contextlib
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
def labgrid_lab(sshd, tmp_path):
    _, port = sshd
    running = Lab(tmp_path / "labgrid", port, {"board-a": "pool=ci"})
    yield running
    running.stop()


def profile(lab, labgrid_lab, where: str) -> str:
    line = lab.profile().strip()
    ssh = line[line.index("python=") :]
    return f"lg: threads=1; target=labgrid; {where}; coordinator={labgrid_lab.coordinator}; {ssh}"


def acquired(labgrid_lab) -> str:
    return client(labgrid_lab.coordinator, "-p", "board-a", "show")


def test_a_session_waits_for_a_held_place_measures_through_it_and_releases_it(lab, labgrid_lab):
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


def test_a_pool_reserves_a_free_place_by_its_tags_and_gives_it_back(lab, labgrid_lab):
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


def test_a_place_that_stays_held_fails_the_rows_in_one_line(lab, labgrid_lab):
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


class PoweredBoard:
    """The local sshd as a board behind a power port: a ``simplerest`` HTTP relay
    (labgrid's NetworkPowerPort model) whose off kills the sshd and everything it runs
    (a power cut), and whose on starts it again on the same port."""

    def __init__(self, folder: Path) -> None:
        import http.server

        import device as local_device  # ci/device.py

        self.folder, self.start = folder, local_device.start_sshd
        self.process, self.config, self.port = self.start(folder)
        self.on, self.switched = True, []
        board = self

        class Relay(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                parts = self.path.strip("/").split("/")
                if len(parts) == 3:
                    board.switch(parts[2] == "1")
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"1" if board.on else b"0")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Relay)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/relay/{{index}}/{{value}}"

    def processes(self) -> list:
        import psutil

        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.Error:
            return []

    def switch(self, on: bool) -> None:
        self.switched.append("on" if on else "off")
        if not on and self.on:
            for child in self.processes():
                child.kill()
            self.process.kill()
            self.process.wait()
        elif on and not self.on:
            self.process, _, _ = self.start(self.folder, self.port)
        self.on = on

    def stop(self) -> None:
        self.server.shutdown()
        self.switch(False)


def test_a_hung_board_is_power_cycled_through_the_place_and_the_next_rows_go_on(
    lab,
    device_python,
    tmp_path,
):
    """The board freezes mid-row (every process it runs for edgebench SIGSTOPped: no
    answer, no progress); the controller gives up after the stall limit, power-cycles the
    board through the place's power port (labgrid's power driver, over HTTP), waits for
    SSH, fails that row saying so, and measures the next row; the run file notes the cycle."""
    import psutil

    board = PoweredBoard(tmp_path / "sshd")
    running = Lab(tmp_path / "labgrid", board.port, {"board-p": ""}, {"board-p": board.url})
    frozen: list[int] = []

    def timing(process: psutil.Process) -> bool:
        with contextlib.suppress(psutil.Error):
            return "edgebench.worker" in process.cmdline() and (
                time.time() - process.create_time() > 1.5
            )
        return False

    def freeze() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not frozen:
            if any(timing(p) for p in board.processes()):
                for p in board.processes():
                    with contextlib.suppress(psutil.Error):
                        p.suspend()
                        frozen.append(p.pid)
            time.sleep(0.1)

    threading.Thread(target=freeze, daemon=True).start()
    try:
        where = f"place=board-p; coordinator={running.coordinator}"
        line = (
            f"lg: threads=1; target=labgrid; {where}; python={device_python}; "
            f"ssh_config={board.config}; cache={tmp_path / 'board-cache'}"
        )
        result = lab.runpytest_subprocess(
            "bench", "-k", "latency", "-o", f"edgebench_devices={line}", "--device", "lg",
            "--stall-timeout", "3", "--rounds", "1000000", "--warmup", "0", "--threads", "1",
            "--meter", "none", "--edgebench-json", "run.json", "-p", "no:cacheprovider",
        )  # fmt: skip
    finally:
        running.stop()
        board.stop()
    assert frozen
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the board was power-cycled through labgrid place board-p and answered SSH again after * s*"
        ]
    )
    assert board.switched[:2] == ["off", "on"]
    lab_run = json.loads((lab.path / "run.json").read_text())["device_transfers"]["lg"]["labgrid"]
    (cycle,) = lab_run["power_cycles"]
    assert cycle["power"] == "cycled" and cycle["ssh_back_after_s"] > 0
    assert "NetworkPowerPort" in lab_run["resources"]


def test_devices_check_reaches_the_board_of_a_labgrid_place_and_releases_it(
    lab, labgrid_lab, tmp_path
):
    import subprocess

    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nedgebench_devices =\n    " + profile(lab, labgrid_lab, "place=board-a") + "\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "edgebench", "devices", "--check", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (line,) = [x for x in done.stdout.splitlines() if x.startswith("lg board-a")]
    assert line.startswith("lg board-a (") and ": ok; Python " in line, done.stdout
    assert "acquired: None" in acquired(labgrid_lab) or "acquired:" not in acquired(labgrid_lab)

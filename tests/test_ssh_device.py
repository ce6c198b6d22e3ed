"""A real board over SSH: an OpenSSH server on 127.0.0.1 with a throwaway key, and a
"device" venv that holds only numpy and the runtimes (ci/device.py makes both). Skipped,
with the reason, where sshd cannot start."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from tests.conftest import lay_out_project

REPO = Path(__file__).parent.parent
DATA = Path(__file__).parent / "data"
sys.path.insert(0, str(REPO / "ci"))
import device as local_device  # noqa: E402  (ci/device.py)

pytest.importorskip("execnet")
pytest.importorskip("ai_edge_litert.interpreter")
pytest.importorskip("onnxruntime")
pytest.importorskip("sklearn.datasets")
QUICK = (
    "--rounds",
    "20",
    "--warmup",
    "2",
    "--threads",
    "1",
    "--meter",
    "none",
    "-p",
    "no:cacheprovider",
)


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory):
    """(ssh_config path, port) of a running sshd that accepts this user's throwaway key."""
    try:
        process, config, port = local_device.start_sshd(tmp_path_factory.mktemp("sshd"))
    except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"no local sshd: {exc}")
    yield config, port
    process.terminate()
    process.wait(10)


@pytest.fixture(scope="session")
def device_python() -> str:
    """The device venv's Python: numpy, ai-edge-litert and onnxruntime, nothing else."""
    return str(local_device.device_venv())


@pytest.fixture
def lab(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, sshd, device_python):
    """A project whose ``lab`` device is the local sshd (and its cache a fresh folder)."""
    config, _ = sshd
    lay_out_project(pytester.path)
    cache = pytester.path / "board-cache"
    # each file on its own runtime (conversions between formats: test_formats_both_ways.py)
    monkeypatch.setenv("PYTEST_ADDOPTS", "--convert=false")

    def profile(
        name: str = "lab", hosts: str = "edgebench-device", python: str = device_python
    ) -> str:
        return f"    {name}: threads=1; hosts={hosts}; python={python}; ssh_config={config}; cache={cache}\n"

    pytester.makeini("[pytest]\nedgebench_devices =\n" + profile())
    pytester.profile = profile  # type: ignore[attr-defined]
    pytester.cache = cache  # type: ignore[attr-defined]
    monkeypatch.setenv("EDGEBENCH_CACHE", str(pytester.path / "cache"))
    monkeypatch.setenv("EDGEBENCH_LOCK_DIR", str(pytester.path / "locks"))
    return pytester


def records(project: pytest.Pytester, name: str) -> list[dict]:
    return json.loads((project.path / name).read_text())["records"]


def run_json(project: pytest.Pytester, name: str) -> dict:
    return json.loads((project.path / name).read_text())


def kill_when(
    select: Callable[[list[psutil.Process]], list[psutil.Process]], killed: list[int]
) -> threading.Thread:
    """A thread that SIGKILLs the processes ``select`` picks (as soon as it picks any, within
    90 s) and notes their pids in ``killed``."""

    def watch() -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            chosen = select(list(psutil.process_iter(["cmdline", "create_time"])))
            if chosen:
                for process in chosen:
                    process.kill()
                    killed.append(process.pid)
                return
            time.sleep(0.05)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    return thread


def board_workers(procs: list[psutil.Process], older_than_s: float = 0.0) -> list[psutil.Process]:
    """Worker processes (``python -m edgebench.worker``) running for longer than ``older_than_s``."""
    return [
        p
        for p in procs
        if "edgebench.worker" in (p.info["cmdline"] or [])
        and time.time() - p.info["create_time"] > older_than_s
    ]


def test_the_quick_bench_on_a_board_over_ssh(lab):
    """Records from the board, accuracy equal to this machine's, memory and latency there,
    and a second run that sends nothing."""
    result = lab.runpytest_subprocess(
        "bench", "--device", "host,lab", "--edgebench-json", "one.json", *QUICK
    )
    result.assert_outcomes(passed=16)  # 2 models x 2 devices x (accuracy, latency, memory, energy)
    result.stdout.fnmatch_lines(
        [
            "| Model * | Device * | Recipe *",  # several devices: the table names them
            "*device lab: measured on edgebench-device; * file(s)*sent to its cache*",
        ]
    )
    rows = {(r["device"], r["runtime"]): r for r in records(lab, "one.json")}
    assert set(rows) == {
        ("host", "litert"),
        ("host", "onnxruntime"),
        ("lab", "litert"),
        ("lab", "onnxruntime"),
    }
    for runtime in ("litert", "onnxruntime"):
        board, here = rows[("lab", runtime)], rows[("host", runtime)]
        assert board["device_host"] == "edgebench-device" and here["device_host"] is None
        assert board["accuracy"] == here["accuracy"] and board["eval_samples"] == 360
        assert board["latency_p50_ms"] > 0 and len(board["latency_samples_ms"]) == 20
        assert "on edgebench-device" in board["latency_timer"]
        # the board's state just before the window, read there
        assert board["board_state"]["cores"] and len(board["board_state"]["load_average"]) == 3
        assert isinstance(board["board_flags"], list) and board["timed_window_start_unix_s"]
        assert board["memory_over_baseline_mb"] > 0 and board["peak_memory_mb"] > 0
        assert board["device_facts"]["python_executable"].endswith("device-venv/bin/python")
        assert board["device_facts"]["onnxruntime"] and board["energy_per_image_mj"] is None
        assert "board" in board["null_reasons"]["energy_per_image_mj"]
    sent = run_json(lab, "one.json")["device_transfers"]["lab"]
    assert sent["files"] >= 2  # two artifacts, and the test split at least once
    # The board has no edgebench: the runner came over the link into the cache.
    assert list(lab.cache.glob("runner/*/edgebench/worker.py"))
    again = lab.runpytest_subprocess(
        "bench", "--device", "lab", "--edgebench-json", "two.json", *QUICK
    )
    again.assert_outcomes(passed=8)
    assert run_json(lab, "two.json")["device_transfers"]["lab"] == {
        "host": "edgebench-device",
        "files": 0,
        "bytes": 0,
        "reached": True,
        "failure": None,
    }
    again.stdout.fnmatch_lines(["*device lab: measured on edgebench-device; nothing sent*"])


def test_an_unreachable_board_fails_its_rows_in_one_line_and_the_others_go_on(lab, sshd):
    _, port = sshd
    closed = local_device.free_port()  # nothing listens there
    lab.makeini(
        "[pytest]\nedgebench_devices =\n"
        + lab.profile("gone", hosts=f"ssh://nobody@127.0.0.1:{closed}")
    )
    started = time.monotonic()
    result = lab.runpytest_subprocess(
        "bench",
        "--model",
        "models/digits_mlp.tflite",
        "--device",
        "host,gone",
        "--edgebench-json",
        "run.json",
        *QUICK,
    )
    result.assert_outcomes(passed=4, failed=4)
    result.stdout.fnmatch_lines([f"*nobody@127.0.0.1:{closed}: cannot reach the board over ssh*"])
    result.stdout.fnmatch_lines(["device gone: not reached, nothing measured there (*"])
    assert "nothing sent (everything was in its cache)" not in result.stdout.str()
    assert time.monotonic() - started < 120
    by_device = {r["device"]: r for r in records(lab, "run.json")}
    assert by_device["host"]["accuracy"] is not None and not by_device["host"]["errors"]
    assert any("cannot reach the board" in e for e in by_device["gone"]["errors"])


def test_a_runtime_missing_on_the_board_skips_its_rows_with_the_install_line(lab):
    python = str(local_device.device_venv(without=("onnxruntime",)))
    lab.makeini("[pytest]\nedgebench_devices =\n" + lab.profile(python=python))
    result = lab.runpytest_subprocess(
        "bench", "--device", "lab", "--edgebench-json", "run.json", "-rs", *QUICK
    )
    # litert rows measured; the onnxruntime rows that run the model skip (its energy row is
    # null with the reason that a board's meter is not read yet, and passes)
    result.assert_outcomes(passed=5, skipped=3)
    rows = {r["runtime"]: r for r in records(lab, "run.json")}
    assert rows["litert"]["accuracy"] is not None and rows["onnxruntime"]["accuracy"] is None
    result.stdout.fnmatch_lines(
        ["*onnxruntime is not installed on the board: pip install onnxruntime there*"]
    )


def test_a_worker_killed_on_the_board_fails_its_row(lab):
    """SIGKILL to the worker of a long latency row: that row fails with the signal, the
    next row runs."""
    killed: list[int] = []

    def the_boards_worker(procs: list[psutil.Process]) -> list[psutil.Process]:
        # run from the runner bundle in the board's cache (its PYTHONPATH says so)
        return [
            p for p in board_workers(procs) if str(lab.cache) in p.environ().get("PYTHONPATH", "")
        ]

    # Latency only, with enough rounds that the worker is still timing when it is killed.
    thread = kill_when(the_boards_worker, killed)
    result = lab.runpytest_subprocess(
        "bench",
        "--model",
        "models/digits_mlp.tflite",
        "--device",
        "lab",
        "-k",
        "latency",
        "--edgebench-json",
        "run.json",
        "--rounds",
        "3000000",
        "--warmup",
        "0",
        "--threads",
        "1",
        "-p",
        "no:cacheprovider",
    )
    thread.join(5)
    assert killed
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*edgebench-device: measurement worker exited with status -9*"])


def test_host_strings_with_shell_metacharacters_are_refused_and_nothing_runs(lab, tmp_path):
    marker = tmp_path / "pwned"
    for hosts, python in (
        (f"pi@x$(touch${{IFS}}{marker})", "python3"),
        ("edgebench-device", f"/usr/bin/python3`touch {marker}`"),
        ("-oProxyCommand=touch", "python3"),
    ):
        lab.makeini("[pytest]\nedgebench_devices =\n" + lab.profile(hosts=hosts, python=python))
        result = lab.runpytest_subprocess("bench", "--device", "lab", *QUICK)
        assert result.ret == pytest.ExitCode.USAGE_ERROR, result.stderr.str()
        result.stderr.fnmatch_lines(
            ["*only letters, digits*" if "`" in python else "*plain names*"]
        )
    assert not marker.exists()


def test_devices_check_prints_one_line_per_host(sshd, device_python, tmp_path):
    config, _ = sshd
    closed = local_device.free_port()
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nedgebench_devices =\n"
        f"    lab: threads=1; hosts=edgebench-device,ssh://nobody@127.0.0.1:{closed}; "
        f"python={device_python}; ssh_config={config}; cache={tmp_path / 'board'}\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "edgebench", "devices", "--check", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr  # one host failed
    lines = [
        line for line in done.stdout.splitlines() if line.startswith(("lab edgebench", "lab ssh"))
    ]
    assert lines[0].startswith("lab edgebench-device: ok; Python ")
    assert "ai-edge-litert 2.3" in lines[0] and "onnxruntime 1." in lines[0]
    assert "cannot reach the board over ssh (ssh: connect to host 127.0.0.1 port" in lines[1]
    assert "Connection refused" in lines[1]


def test_a_fleet_spreads_rows_over_its_boards_under_xdist(lab, sshd):
    """Two hosts (two names of the local sshd) and -n 2: each xdist worker measures on its
    own board, latency is timed on the boards (not null under -n), each row names its board."""
    _, port = sshd
    lab.makeini(
        "[pytest]\nedgebench_devices =\n"
        + lab.profile(
            hosts=f"edgebench-device,ssh://{os.environ.get('USER', 'root')}@127.0.0.1:{port}"
        )
    )
    pytest.importorskip("xdist")
    result = lab.runpytest_subprocess(
        "bench",
        "--device",
        "lab",
        "-n",
        "2",
        "--dist",
        "loadgroup",
        "--edgebench-json",
        "run.json",
        *QUICK,
    )
    result.assert_outcomes(passed=8)
    rows = records(lab, "run.json")
    assert all(r["latency_p50_ms"] is not None for r in rows)  # timed on the board, not here
    assert {r["device_host"] for r in rows} <= {
        "edgebench-device",
        f"{os.environ.get('USER', 'root')}@127.0.0.1:{port}",
    }
    assert all(r["device_host"] for r in rows)


def test_a_pool_deals_its_rows_out_by_seed_and_times_fp32_on_every_board(lab, sshd):
    """Two hosts (two names of the local sshd): every job of a row on the board the seed
    deals it to; the fp32 rows are timed on both boards and compared; the pool's seed and
    what each board received are in the run file."""
    from edgebench.targets.host_pool import place_row

    _, port = sshd
    second = f"ssh://{os.environ.get('USER', 'root')}@127.0.0.1:{port}"
    lab.makeini("[pytest]\nedgebench_devices =\n" + lab.profile(hosts=f"edgebench-device,{second}"))
    result = lab.runpytest_subprocess(
        "bench", "--device", "lab", "--pool-seed", "s1", "-k", "latency or accuracy",
        "--edgebench-json", "run.json", *QUICK,
    )  # fmt: skip
    result.assert_outcomes(passed=4)
    run = run_json(lab, "run.json")
    hosts = ["edgebench-device", second]
    labels = {"edgebench-device": "edgebench-device", second: second.removeprefix("ssh://")}
    for row in run["records"]:
        row_id = f"{row['model']}-{row['dataset']}-{row['recipe']}-{row['runtime']}"
        assert row["device_host"] == labels[place_row(row_id, hosts, "s1")]
        check = row["pool_check"]
        assert set(check["boards"]) == set(labels.values())
        other = next(b for b in check["boards"] if b != row["device_host"])
        assert check["boards"][other]["p50_ms"] > 0 and check["boards"][other]["low"] > 0
    sent = run["device_transfers"]["lab"]
    assert sent["pool_seed"] == "s1" and set(sent["boards"]) == set(hosts)


def test_the_board_reads_its_own_meter(lab):
    """A command meter runs on the board (here: a command that prints 3.5 W), idle and
    during inference, and the energy fields come back from there."""
    result = lab.runpytest_subprocess(
        "bench", "--model", "models/digits_mlp.tflite", "--device", "lab", "-k", "energy",
        "--meter", "command", "--meter-command", "echo 3.5", "--energy-seconds", "0.5",
        "--edgebench-json", "run.json", "--rounds", "20", "--warmup", "2", "--threads", "1",
        "-p", "no:cacheprovider",
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    (row,) = records(lab, "run.json")
    assert (row["meter"], row["device_host"]) == ("command", "edgebench-device")
    assert row["power_avg_w"] == pytest.approx(3.5) and row["power_idle_w"] == pytest.approx(3.5)
    assert row["energy_images"] > 0 and row["energy_net_per_image_mj"] == pytest.approx(0, abs=1e-6)


def test_a_dropped_link_fails_the_row_and_the_next_rows_reconnect(lab):
    """The ssh client dies while the board times a long row: that row fails with the host
    and the cause, and the memory row after it reconnects and is measured."""
    killed: list[int] = []

    def the_ssh_client_while_timing(procs: list[psutil.Process]) -> list[psutil.Process]:
        # the long latency row: a worker on the board that has been timing for 2 s
        if not board_workers(procs, older_than_s=2):
            return []
        return [
            p
            for p in procs
            if (p.info["cmdline"] or [""])[0] == "ssh" and "edgebench-device" in p.info["cmdline"]
        ]

    thread = kill_when(the_ssh_client_while_timing, killed)
    result = lab.runpytest_subprocess(
        "bench", "--model", "models/digits_mlp.tflite", "--device", "lab", "-k", "latency or memory",
        "--meter", "none", "--edgebench-json", "run.json", "--rounds", "3000000", "--warmup", "0",
        "--threads", "1", "-p", "no:cacheprovider",
    )  # fmt: skip
    thread.join(5)
    assert killed
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*edgebench-device: the link dropped*"])
    (row,) = records(lab, "run.json")
    assert row["memory_over_baseline_mb"] is not None and row["latency_p50_ms"] is None


def test_a_meter_read_on_this_machine_while_the_board_runs(lab, tmp_path):
    """meter_at=host: a command on this machine (a USB meter's reader) is sampled while the
    board runs its inference loop."""
    reader = tmp_path / "usbmeter"
    reader.write_text("#!/bin/sh\necho 4.25\n")
    reader.chmod(0o755)
    lab.makeini(
        "[pytest]\nedgebench_devices =\n" + lab.profile().rstrip("\n") + "; meter_at=host\n"
    )
    result = lab.runpytest_subprocess(
        "bench", "--model", "models/digits_mlp.tflite", "--device", "lab", "-k", "energy",
        "--meter", "command", "--meter-command", str(reader), "--energy-seconds", "0.5",
        "--edgebench-json", "run.json", "--threads", "1", "-p", "no:cacheprovider",
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    (row,) = records(lab, "run.json")
    assert row["meter"] == "command (read on this machine)"
    assert row["power_avg_w"] == pytest.approx(4.25) and row["energy_images"] > 0
    assert row["energy_window_s"] == pytest.approx(0.5, rel=0.2)


def test_a_refused_key_and_a_hanging_worker_fail_their_rows_with_the_cause(lab, sshd):
    _, port = sshd
    lab.makeini(
        "[pytest]\nedgebench_devices =\n"
        + lab.profile("refused", hosts=f"ssh://nobody@127.0.0.1:{port}")
    )
    refused = lab.runpytest_subprocess(
        "bench", "--model", "models/digits_mlp.tflite", "--device", "refused", *QUICK
    )
    refused.assert_outcomes(failed=4)
    refused.stdout.fnmatch_lines(
        ["*nobody@127.0.0.1:*: cannot reach the board over ssh (*Permission denied*"]
    )


def test_a_worker_stuck_on_the_board_is_stopped_by_its_silence(lab):
    """A worker that stops reporting (SIGSTOP: alive, silent, as one stuck in a driver) is
    stopped after --stall-timeout seconds without progress; its row fails naming the last
    progress, the next row runs."""
    stopped: list[int] = []

    def stop_it(procs: list[psutil.Process]) -> list[psutil.Process]:
        chosen = [
            p
            for p in board_workers(procs, older_than_s=2.5)
            if str(lab.cache) in p.environ().get("PYTHONPATH", "")
        ]
        for process in chosen:
            process.suspend()
            stopped.append(process.pid)
        return []  # nothing to kill

    watch = kill_when(lambda procs: [] if stopped else stop_it(procs), [])
    hang = lab.runpytest_subprocess(
        "bench", "--model", "models/digits_mlp.tflite", "--device", "lab", "-k", "latency or memory",
        "--stall-timeout", "3", "--rounds", "10000000", "--warmup", "0", "--threads", "1",
        "--meter", "none", "-p", "no:cacheprovider",
    )  # fmt: skip
    watch.join(5)
    assert stopped
    hang.assert_outcomes(passed=1, failed=1)
    hang.stdout.fnmatch_lines(
        [
            "*edgebench-device: measurement worker: no progress for 3 s after * s (last: rounds */10000000): stopped as hung*"
        ]
    )


def test_two_controllers_never_measure_on_one_board_at_once(lab, tmp_path):
    """Two sessions, with caches of their own on the board and on this machine (nothing
    shared but the board), started together: the board's lock serialises their jobs, so
    their timed windows (the board's clock, in the records) never overlap, and the one
    that waited says for whom."""
    import concurrent.futures

    def session(name: str) -> pytest.RunResult:
        folder = lab.path / name
        env = dict(
            os.environ,
            EDGEBENCH_CACHE=str(folder / "cache"),
            EDGEBENCH_LOCK_DIR=str(folder / "locks"),
        )
        profile = (
            lab.profile().strip().replace(f"cache={lab.cache}", f"cache={folder / 'board-cache'}")
        )
        folder.mkdir()
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "bench", "-o", f"edgebench_devices={profile}",
             "--device", "lab", "-k", "latency", "--rounds", "200000", "--warmup", "0", "--threads", "1", "--meter", "none",
             "--edgebench-json", str(folder / "run.json"), "-p", "no:cacheprovider"],
            cwd=lab.path, env=env, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
        return json.loads((folder / "run.json").read_text())["records"]

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        runs = list(pool.map(session, ["first", "second"]))
    windows = []
    for rows in runs:
        for row in rows:
            assert row["timed_window_start_unix_s"] < row["timed_window_end_unix_s"]
            windows.append((row["timed_window_start_unix_s"], row["timed_window_end_unix_s"], row))
    assert len(windows) == 4  # 2 sessions x 2 models (one per runtime)
    windows.sort(key=lambda w: w[0])
    for (_, end, _), (start, _, _) in zip(windows, windows[1:], strict=False):
        assert end <= start, "two timed windows overlap on one board"
    waited = [w[2] for w in windows if w[2]["board_lock_waited_for"]]
    assert waited, "neither session ever waited: the test did not make them contend"
    assert all(r["board_lock_wait_s"] > 0 and " pid " in r["board_lock_waited_for"] for r in waited)


def test_a_board_held_past_board_wait_fails_the_row_naming_the_holder(lab):
    """Someone holds the board's lock (here this test, as a controller that says who it
    is): the row waits --board-wait seconds with progress lines, then fails in one line
    naming the holder; nothing is measured meanwhile."""
    import fcntl

    path = (
        "/run/lock/edgebench-board.lock"
        if os.access("/run/lock", os.W_OK)
        else "/tmp/edgebench-board.lock"
    )
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        holder = {
            "controller": "ci-7",
            "user": "nightly",
            "pid": 4242,
            "device": "rpi4",
            "kind": "measure",
            "since": 0,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        result = lab.runpytest_subprocess(
            "bench", "--model", "models/digits_mlp.tflite", "--device", "lab", "-k", "latency",
            "--board-wait", "3", *QUICK,
        )  # fmt: skip
    finally:
        os.close(fd)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*waiting for the board, measured by nightly@ci-7 pid 4242 (rpi4, a measure job) since 1970-01-01 00:00:00 UTC*",
            "*edgebench-device: the board stayed busy for 3 s: measured by nightly@ci-7 pid 4242 (rpi4, a measure job)*(--board-wait)*",
        ]
    )

"""Hung jobs are found by the lack of progress, not by a wall-clock limit: a worker that
keeps reporting runs as long as it needs, one that goes quiet is stopped."""

import contextlib
import os
import signal
import sys
import time

import psutil
import pytest

from edgebench.errors import InferenceError
from edgebench.instruments.watched_process import PREFIX, Stalled, run_watched
from edgebench.targets.local_worker import run_worker

BEATING = f"""
import os, sys, time
assert os.environ.get("EDGEBENCH_BEATS") == "1"
for i in range({{n}}):
    sys.stderr.write("{PREFIX}step %d\\n" % i); sys.stderr.flush()
    time.sleep(0.25)
sys.stderr.write("a real error line\\n")
{{after}}
print("done")
"""


def program(n: int, after: str = "") -> list[str]:
    return [sys.executable, "-c", BEATING.format(n=n, after=after)]


def test_a_job_that_keeps_reporting_outlives_the_stall_limit():
    seen: list[str] = []
    done = run_watched(program(12), "", stall_s=1.0, on_progress=seen.append)
    assert done.returncode == 0 and done.stdout == "done\n"
    assert done.seconds > 2.5  # ran well past the 1 s limit, reporting every 0.25 s
    assert seen[:2] == ["step 0", "step 1"] and done.last_progress == "step 11"
    assert done.stderr == "a real error line\n"  # beats are not in stderr


def test_a_job_that_goes_quiet_is_stopped_with_its_last_progress():
    started = time.monotonic()
    with pytest.raises(Stalled, match=r"no progress for 1 s after \d+ s \(last: step 3\)"):
        run_watched(program(4, after="time.sleep(60)"), "", stall_s=1.0)
    assert time.monotonic() - started < 10


def test_a_job_that_never_reports_says_so():
    with pytest.raises(Stalled, match="it never reported"):
        run_watched([sys.executable, "-c", "import time; time.sleep(60)"], "", stall_s=0.5)


def test_stdin_reaches_the_job_and_a_crash_keeps_its_status():
    done = run_watched(
        [sys.executable, "-c", "import sys; print(input()); sys.exit(3)"], "hi", stall_s=5
    )
    assert (done.returncode, done.stdout) == (3, "hi\n")


def stop_the_worker(stopped: list[int]):
    """An ``on_progress`` that SIGSTOPs the ``edgebench.worker`` this process started (its
    newest direct child: a test session may have other descendants running workers, such
    as a local sshd's) at its first report (a worker stuck in a driver: alive, silent)."""

    def on_progress(text: str) -> None:
        if stopped:
            return
        mine = []
        for child in psutil.Process().children(recursive=False):
            with contextlib.suppress(psutil.Error):  # a zombie of an earlier test
                if "edgebench.worker" in child.cmdline():
                    mine.append((child.create_time(), child))
        _, newest = max(mine, key=lambda found: found[0])
        os.kill(newest.pid, signal.SIGSTOP)
        stopped.append(newest.pid)

    return on_progress


def test_a_long_worker_job_that_reports_is_not_stopped(data_dir):
    """A 4-second inference loop under a 1.5-second stall limit finishes."""
    job = {
        "kind": "loop",
        "runtime": "litert",
        "artifact": str(data_dir / "digits_mlp.tflite"),
        "seconds": 4,
    }
    seen: list[str] = []
    result = run_worker(job, timeout_s=1.5, on_progress=seen.append)
    assert result["seconds"] >= 4 and result["images"] > 0
    assert any(text.startswith("steady inference") for text in seen)


def test_a_stuck_worker_is_stopped_by_its_silence(data_dir):
    """A timing job of ~1e6 rounds (seconds, bounded: if the stop went astray the job ends
    and the test fails rather than hangs) stopped at its first report."""
    stopped: list[int] = []
    job = {
        "runtime": "litert",
        "artifact": str(data_dir / "digits_mlp.tflite"),
        "threads": 1,
        "rounds": 10**6,
    }
    with pytest.raises(
        InferenceError,
        match=r"measurement worker: no progress for 2 s .*\(last: rounds \d+/1000000\)",
    ):
        run_worker(job, timeout_s=2, on_progress=stop_the_worker(stopped))
    assert stopped and not psutil.pid_exists(stopped[0])  # killed and reaped

"""A measurement worker's progress: reported by the worker (:func:`beat`), watched by
whoever started it (:func:`run_watched`), which stops a worker that goes quiet.

A hung job is one that stops making progress, not one that runs long: a Raspberry Pi
scoring 10,000 images at 224x224 works for minutes and reports every few seconds, a
worker stuck in a driver reports nothing. The worker writes one line per beat to its
stderr (``edgebench-progress: rounds 300/1000``), at most every :data:`BEAT_EVERY_S`
seconds, and only when the process that started it asked for beats
(``EDGEBENCH_BEATS=1`` in its environment), so a worker run by hand or in-process
prints nothing.

Stdlib only: it runs in the board's agent (shipped in the runner bundle) as well as on
this machine. The worker imports it in every job, so ``subprocess`` and ``threading`` are
imported by :func:`run_watched` only, never in a memory measurement's window.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

#: the prefix of a progress line on the worker's stderr.
PREFIX = "edgebench-progress: "
#: the environment variable that asks a worker for beats.
ENV = "EDGEBENCH_BEATS"
#: the shortest time between two beats.
BEAT_EVERY_S = 1.0

_last_beat = [0.0]


def beat(text: str, *, force: bool = False) -> None:
    """Report progress (``"images 1200/10000"``) to the process that started this worker,
    at most once a second unless ``force``; nothing when no one asked for beats.

    >>> beat("rounds 1/10")  # a no-op here: EDGEBENCH_BEATS is not set
    """
    if os.environ.get(ENV) != "1":
        return
    now = time.monotonic()
    if not force and now - _last_beat[0] < BEAT_EVERY_S:
        return
    _last_beat[0] = now
    sys.stderr.write(PREFIX + text.replace("\n", " ") + "\n")
    sys.stderr.flush()


class Stalled(Exception):
    """The worker reported no progress for the allowed time and was stopped."""


@dataclass
class Finished:
    """A watched worker that ended: its exit status, stdout and stderr (beats removed),
    the last progress it reported and how long it ran (s)."""

    returncode: int
    stdout: str
    stderr: str
    last_progress: str | None = None
    seconds: float = 0.0
    beats: int = 0


def run_watched(
    argv: list[str],
    input_text: str,
    *,
    stall_s: float,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    on_progress: Callable[[str], None] | None = None,
    pass_fds: tuple[int, ...] = (),
) -> Finished:
    """Run ``argv`` with ``input_text`` on stdin, asking it for beats; stop it (SIGKILL)
    and raise :class:`Stalled` when ``stall_s`` seconds pass without a beat (the start
    counts as one), however long it has run. ``on_progress`` gets every beat's text;
    ``pass_fds`` stay open in the child (a lock it holds with its parent).

    >>> run_watched([sys.executable, "-c", "print(input())"], "hi", stall_s=30).stdout
    'hi\\n'
    """
    import subprocess
    import threading

    started = time.monotonic()
    state = {"last": started, "text": None, "beats": 0}
    other: list[str] = []
    out: list[str] = []
    process = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env if env is not None else os.environ, **{ENV: "1"}),
        cwd=cwd,
        pass_fds=pass_fds,
    )

    def read_stderr() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            if line.startswith(PREFIX):
                text = line[len(PREFIX) :].strip()
                state.update(last=time.monotonic(), text=text, beats=state["beats"] + 1)
                if on_progress is not None:
                    # a display that fails must not stop the watch
                    with contextlib.suppress(Exception):
                        on_progress(text)
            else:
                other.append(line)

    def read_stdout() -> None:
        assert process.stdout is not None
        out.append(process.stdout.read())

    readers = [threading.Thread(target=f, daemon=True) for f in (read_stderr, read_stdout)]
    for reader in readers:
        reader.start()
    try:
        assert process.stdin is not None
        process.stdin.write(input_text)
        process.stdin.close()
    except (BrokenPipeError, OSError):
        pass  # it ended before reading: its exit status says why
    while True:
        try:
            process.wait(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            quiet = time.monotonic() - float(state["last"])
            if quiet > stall_s:
                process.kill()
                process.wait()
                last = f" (last: {state['text']})" if state["text"] else " (it never reported)"
                raise Stalled(
                    f"no progress for {stall_s:g} s after {time.monotonic() - started:.0f} s"
                    f"{last}: stopped as hung"
                ) from None
    for reader in readers:
        reader.join(5)
    return Finished(
        process.returncode,
        "".join(out),
        "".join(other),
        state["text"],  # type: ignore[arg-type]
        time.monotonic() - started,
        int(state["beats"]),  # type: ignore[arg-type]
    )

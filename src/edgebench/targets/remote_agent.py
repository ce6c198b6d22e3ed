"""The agent that runs on a board, sent there by execnet (``remote_exec``): stdlib only.

It keeps a content-addressed cache on the board (``~/.cache/edgebench-device`` unless the
controller names another folder): the runner bundle under ``runner/<sha256>/``, artifacts
and input files under ``files/<sha256><suffix>``. Every measurement job runs in a fresh
``python -m edgebench.worker`` on the board, with the bundle on ``PYTHONPATH``, so its
peak memory is the runtime's and the model's.

Messages (tuples over the channel), each answered with ``("ok", value)`` or
``("error", message)``:

- ``("hello", cache_dir)``: the board's Python, platform and cache folder.
- ``("runner", sha, {path: source} | None)``: ``None`` asks whether the bundle is there
  (answer ``True``/``False``); with sources, installs it.
- ``("has", sha, suffix)``: the path of a cached file, or ``None``.
- ``("put", sha, suffix, bytes)``: store a file (checked against its sha256).
- ``("job", job, stall_s, holder, wait_s)``: run a worker job under the board's lock;
  the answer is ``{"result": ..., "board_lock": {...}}`` (a ``predict`` job's outputs
  as ``outputs_bytes`` beside). While it runs the agent sends ``("progress", text)``:
  the worker's own beats (rounds timed, images scored) and, while another controller
  holds the board, who holds it. A worker that reports nothing for ``stall_s`` seconds
  is stopped as hung.
- ``("close",)``: end.

**The board's lock.** Every job but ``facts`` runs while the agent holds an exclusive
``flock`` on ``/run/lock/edgebench-board.lock`` (``/tmp`` where ``/run/lock`` is not
writable), shared with the worker it starts (so the lock lasts as long as either of
them), whatever controller started it, whoever it logs in as and whatever cache folder
it names: two controllers never measure on one board at once. The holder writes who it
is into the lock file (the controller's host, user and pid, the device's name, since
when on the board's clock); a second job waits up to ``wait_s`` seconds, reporting the
holder every few seconds, then fails in one line naming it.
"""

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import sys
import tempfile
import time

#: seconds between two lines about a board held by someone else.
WAITING_EVERY_S = 5.0


def _machine_id():
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        with contextlib.suppress(OSError), open(path) as handle:
            value = handle.read().strip()
            if value:
                return value
    return None


def _cache(root):
    root = os.path.expanduser(root or "~/.cache/edgebench-device")
    os.makedirs(os.path.join(root, "files"), exist_ok=True)
    os.makedirs(os.path.join(root, "runner"), exist_ok=True)
    return root


def _runner_dir(root, sha):
    return os.path.join(root, "runner", sha)


def _install_runner(root, sha, sources):
    final = _runner_dir(root, sha)
    if os.path.isdir(final):
        return final
    staging = tempfile.mkdtemp(dir=os.path.join(root, "runner"), prefix=".tmp-")
    for name, source in sources.items():
        path = os.path.join(staging, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as handle:
            handle.write(source)
    with contextlib.suppress(OSError):  # another controller installed it first
        os.rename(staging, final)
    return final


def _file_path(root, sha, suffix):
    return os.path.join(root, "files", sha + suffix)


def _put(root, sha, suffix, data):
    if hashlib.sha256(data).hexdigest() != sha:
        raise ValueError("file arrived corrupted (sha256 differs)")
    path = _file_path(root, sha, suffix)
    fd, staging = tempfile.mkstemp(dir=os.path.join(root, "files"), prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(staging, path)
    return path


def _lock_path():
    """The board's one lock, whoever logs in and whatever cache folder they name:
    ``/run/lock`` (a tmpfs every user may write on Debian and Raspberry Pi OS), else
    ``/tmp``."""
    folder = "/run/lock" if os.access("/run/lock", os.W_OK) else "/tmp"
    return os.path.join(folder, "edgebench-board.lock")


def _holder_text(fd):
    """Who holds the board's lock, as its holder wrote into it (one line)."""
    try:
        who = json.loads(os.pread(fd, 4096, 0).decode())
    except (OSError, ValueError):
        return "another controller (it did not say who yet)"
    since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(who.get("since", 0)))
    return (
        f"{who.get('user', '?')}@{who.get('controller', '?')} pid {who.get('pid', '?')} "
        f"({who.get('device', '?')}, a {who.get('kind', '?')} job) since {since}"
    )


def _take_board(holder, wait_s, say):
    """The board's lock, taken (``(fd, waited_s, holder seen or None)``), or ``(None,
    waited_s, holder)`` when it stayed taken for ``wait_s`` seconds. The holder's facts are
    written into the lock file itself (any user may write it: mode 0666)."""
    path = _lock_path()
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    with contextlib.suppress(OSError):  # another user's file: already 0666
        os.fchmod(fd, 0o666)
    started = time.monotonic()
    seen = None
    next_say = started
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            waited = time.monotonic() - started
            seen = _holder_text(fd)
            if waited >= wait_s:
                os.close(fd)
                return None, waited, seen
            if time.monotonic() >= next_say:
                say(f"waiting for the board, measured by {seen} ({waited:.0f}/{wait_s:g} s)")
                next_say = time.monotonic() + WAITING_EVERY_S
            time.sleep(0.2)
    record = dict(holder or {}, since=time.time(), agent_pid=os.getpid())
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(record).encode(), 0)
    return fd, time.monotonic() - started, seen


def _run_job(root, runner, job, stall_s, holder, wait_s, say):
    if runner not in sys.path:
        sys.path.insert(0, runner)
    from edgebench.instruments.watched_process import Stalled, run_watched

    env = dict(os.environ, PYTHONPATH=runner, TF_CPP_MIN_LOG_LEVEL="3")
    lock = None
    board_lock = {"held": False, "waited_s": 0.0, "waited_for": None}
    if job.get("kind") != "facts":
        lock, waited, seen = _take_board(dict(holder or {}, kind=job.get("kind")), wait_s, say)
        board_lock = {"held": lock is not None, "waited_s": round(waited, 3), "waited_for": seen}
        if lock is None:
            return (
                "board-busy",
                f"the board stayed busy for {wait_s:g} s: measured by {seen} (--board-wait)",
            )
    outputs = None
    if job.get("kind") == "predict":
        fd, outputs = tempfile.mkstemp(dir=os.path.join(root, "files"), suffix=".npy")
        os.close(fd)
        job = dict(job, outputs=outputs)
    try:
        done = run_watched(
            [sys.executable, "-m", "edgebench.worker"],
            json.dumps(job),
            stall_s=stall_s,
            env=env,
            cwd=root,
            on_progress=say,
            pass_fds=(lock,) if lock is not None else (),
        )
        if done.returncode != 0:
            tail = " | ".join(done.stderr.strip().splitlines()[-3:]) or "no stderr"
            return ("worker-failed", f"worker exited with status {done.returncode}: {tail}")
        lines = done.stdout.strip().splitlines()
        if not lines:
            return ("worker-failed", "worker printed no result")
        answer = {"result": json.loads(lines[-1]), "board_lock": board_lock}
        if outputs is not None:
            with open(outputs, "rb") as handle:
                answer["outputs_bytes"] = handle.read()
        return ("ok", answer)
    except Stalled as exc:
        return ("worker-failed", f"worker: {exc}")
    finally:
        if lock is not None:
            os.close(lock)
        if outputs is not None and os.path.exists(outputs):
            os.remove(outputs)


def serve(channel):
    root = None
    runner = None
    for message in channel:
        kind = message[0]
        try:
            if kind == "close":
                channel.send(("ok", None))
                return
            if kind == "hello":
                root = _cache(message[1])
                channel.send(
                    (
                        "ok",
                        {
                            "python": platform.python_version(),
                            "executable": sys.executable,
                            "machine": platform.machine(),
                            "node": platform.node(),
                            "machine_id": _machine_id(),
                            "cache": root,
                            "board_lock": _lock_path(),
                        },
                    )
                )
            elif kind == "runner":
                _, sha, sources = message
                if sources is None:
                    there = os.path.isdir(_runner_dir(root, sha))
                    runner = _runner_dir(root, sha) if there else None
                    channel.send(("ok", there))
                else:
                    runner = _install_runner(root, sha, sources)
                    channel.send(("ok", True))
            elif kind == "has":
                path = _file_path(root, message[1], message[2])
                channel.send(("ok", path if os.path.exists(path) else None))
            elif kind == "put":
                channel.send(("ok", _put(root, message[1], message[2], message[3])))
            elif kind == "job":
                _, job, stall_s, holder, wait_s = message
                say = lambda text: channel.send(("progress", text))  # noqa: E731
                channel.send(_run_job(root, runner, job, stall_s, holder, wait_s, say))
            else:
                channel.send(("error", f"unknown message {kind!r}"))
        except Exception as exc:  # reported to the controller with the board's reason
            channel.send(("error", f"{type(exc).__name__}: {exc}"))


if __name__ == "__channelexec__":
    serve(channel)  # noqa: F821 - execnet provides ``channel``

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
- ``("job", job, timeout_s)``: run a worker job; a ``predict`` job's outputs come back
  as ``{"result": ..., "outputs_bytes": bytes}``.
- ``("close",)``: end.
"""

import contextlib
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile


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


def _run_job(root, runner, job, timeout_s):
    env = dict(os.environ, PYTHONPATH=runner, TF_CPP_MIN_LOG_LEVEL="3")
    outputs = None
    if job.get("kind") == "predict":
        fd, outputs = tempfile.mkstemp(dir=os.path.join(root, "files"), suffix=".npy")
        os.close(fd)
        job = dict(job, outputs=outputs)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "edgebench.worker"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            timeout=timeout_s,
            env=env,
            cwd=root,
        )
        if done.returncode != 0:
            tail = " | ".join(done.stderr.strip().splitlines()[-3:]) or "no stderr"
            return ("worker-failed", f"worker exited with status {done.returncode}: {tail}")
        lines = done.stdout.strip().splitlines()
        if not lines:
            return ("worker-failed", "worker printed no result")
        result = json.loads(lines[-1])
        if outputs is None:
            return ("ok", {"result": result})
        with open(outputs, "rb") as handle:
            return ("ok", {"result": result, "outputs_bytes": handle.read()})
    except subprocess.TimeoutExpired:
        return ("worker-failed", f"worker timed out after {timeout_s:g} s")
    finally:
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
                channel.send(_run_job(root, runner, message[1], message[2]))
            else:
                channel.send(("error", f"unknown message {kind!r}"))
        except Exception as exc:  # reported to the controller with the board's reason
            channel.send(("error", f"{type(exc).__name__}: {exc}"))


if __name__ == "__channelexec__":
    serve(channel)  # noqa: F821 - execnet provides ``channel``

"""The ``ssh`` target: jobs run on a board over SSH, through execnet.

execnet (pytest-dev's, under pytest-xdist) starts the board's Python over the system
``ssh`` (so ``~/.ssh/config``, keys, agents and ``ProxyJump`` work) and ships
:mod:`edgebench.targets.remote_agent` to it; the agent keeps a content-addressed cache on
the board and runs every job in a fresh ``python -m edgebench.worker`` there, from the
runner bundle (:mod:`edgebench.targets.bundle`). Files (artifacts, test inputs) go over
once, keyed by sha256; timing happens on the board, never across the link.

This is one board; a profile with several hosts is a pool of identical boards whose rows
are dealt out over them (``targets.fleet``). Files go over once by content
(``file_sync``). This module is the transport only.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edgebench.errors import DeviceUnreachable, InferenceError, RuntimeUnavailable
from edgebench.targets.base import TargetBase
from edgebench.targets.file_sync import FileSync
from edgebench.targets.host_pool import board_lock
from edgebench.targets.host_pool import lock_dir as pool_lock_dir
from edgebench.targets.hosts import SSHHost, check_remote_path, check_ssh_config, parse_host

#: seconds ssh may take to connect before the board counts as unreachable.
CONNECT_TIMEOUT_S = 15
#: a failed start of the agent is tried again this many times, this far apart.
CONNECT_RETRIES = 1
CONNECT_RETRY_PAUSE_S = 2.0
#: how long the agent may stay silent during a job beyond the worker's own stall limit
#: (it reports the worker's progress, and every few seconds while it waits for the board).
ANSWER_GRACE_S = 30
#: seconds a job waits for a board another controller measures on (``--board-wait``).
DEFAULT_BOARD_WAIT_S = 900.0
_RUNTIME_HINTS = {
    "onnxruntime": "pip install onnxruntime",
    "litert": "pip install ai-edge-litert (or tflite-runtime)",
}


class SSHTarget(TargetBase):
    """Runs jobs on one board of the profile's hosts."""

    name = "ssh"
    fresh_process = True
    remote = True

    def __init__(
        self,
        timeout_s: float = 120.0,
        hosts: tuple[str, ...] = (),
        python: str = "python3",
        ssh_config: str | None = None,
        cache: str | None = None,
        lock_dir: str | None = None,
        board_wait: float = DEFAULT_BOARD_WAIT_S,
    ) -> None:
        if not hosts:
            raise DeviceUnreachable("the ssh target needs hosts= in the device profile")
        if len(hosts) > 1:
            raise DeviceUnreachable("one SSHTarget is one board; a pool is targets.fleet")
        self.host: SSHHost = parse_host(hosts[0])
        self.python = check_remote_path(python, "python")
        self.cache = check_remote_path(cache, "cache") if cache else None
        self.ssh_config = check_ssh_config(ssh_config, "ssh_config") if ssh_config else None
        self.timeout_s = timeout_s
        self.board_wait_s = float(board_wait)
        self.lock_dir = pool_lock_dir(lock_dir)
        #: files sent to the board by this process, once each (content-addressed).
        self.sync = FileSync(
            lambda sha, suffix: self._call("has", sha, suffix),
            lambda sha, suffix, data: self._call(
                "put", sha, suffix, data, timeout=max(60.0, len(data) / 1e5)
            ),
        )
        self._gateway: Any = None
        self._channel: Any = None
        self._failure: str | None = None
        #: what the agent said when it connected (``None``: never reached).
        self.hello: dict[str, Any] | None = None
        self._lock = threading.Lock()

    @property
    def label(self) -> str:
        """The board this process measures on."""
        return self.host.label

    def transfers(self) -> dict[str, Any]:
        """What this process sent to the board, and whether the board was reached."""
        return {
            "host": self.label,
            "files": self.sync.files,
            "bytes": self.sync.bytes,
            "reached": self.hello is not None,
            "failure": self._failure,
        }

    def facts(self) -> dict[str, Any]:
        """The board's facts, read on the board (a ``facts`` job)."""
        facts = self.run({"kind": "facts"})
        facts.pop("host", None)
        return facts

    @property
    def failure(self) -> str | None:
        """Why the board could not be reached (``None`` while it could, or was not tried)."""
        return self._failure

    # -- the connection ---------------------------------------------------------------

    def _spec(self) -> str:
        options = ["-o", "BatchMode=yes", "-o", f"ConnectTimeout={CONNECT_TIMEOUT_S}"]
        spec = f"ssh={' '.join([*options, *self.host.ssh_args()])}//python={self.python}"
        if self.ssh_config:
            spec += f"//ssh_config={self.ssh_config}"
        import execnet

        parsed = execnet.XSpec(spec)
        if parsed.popen or parsed.socket or parsed.vagrant_ssh or parsed.via or not parsed.ssh:
            raise DeviceUnreachable(f"{self.label}: refusing the transport spec {spec!r}")
        return spec

    def _call(
        self,
        *message: Any,
        timeout: float = 60.0,
        on_progress: Callable[[str], None] | None = None,
    ) -> Any:
        """Send ``message`` to the agent and return its answer; the ``("progress", text)``
        messages a job sends meanwhile go to ``on_progress`` and each restarts the
        ``timeout`` (the link counts as dropped only when the agent stays silent)."""
        try:
            self._channel.send(message)
            answer = self._channel.receive(timeout)
            while answer[0] == "progress":
                if on_progress is not None:
                    on_progress(str(answer[1]))
                answer = self._channel.receive(timeout)
        except Exception as exc:  # execnet raises its own types for a dropped link
            self._drop()
            raise DeviceUnreachable(
                f"{self.label}: the link dropped ({type(exc).__name__}: {exc})"
            ) from exc
        status, value = answer[0], answer[1]
        if status == "ok":
            return value
        if status == "worker-failed":
            raise _worker_error(self.label, value)
        raise InferenceError(f"{self.label}: {value}")

    def _call_job(self, job: dict[str, Any]) -> Any:
        """Run ``job`` through the agent, saying who asks (the board's lock names the
        holder); the agent itself stops a worker that reports no progress for
        ``timeout_s``, so the link is given up only after that and a grace."""
        import getpass
        import os
        import socket

        holder = {
            "controller": socket.gethostname(),
            "user": getpass.getuser(),
            "pid": os.getpid(),
            "device": self.label,
        }
        return self._call(
            "job",
            job,
            self.timeout_s,
            holder,
            self.board_wait_s,
            timeout=self.timeout_s + ANSWER_GRACE_S,
            on_progress=self.progress,
        )

    def _drop(self) -> None:
        gateway, self._gateway, self._channel = self._gateway, None, None
        if gateway is not None:
            with contextlib.suppress(Exception):  # it is gone already
                gateway.exit()

    def check(self) -> None:
        """Reach the board and start its agent (``connect``)."""
        self.connect()

    def connect(self) -> dict[str, Any]:
        """Start the agent on the board (once) and install the runner; the board's facts
        (Python, machine, cache folder). An unreachable board raises ``DeviceUnreachable``
        now and for every later job of this process (so its rows fail fast)."""
        if self._failure:
            raise DeviceUnreachable(self._failure)
        if self._channel is not None:
            return self.hello
        import execnet

        from edgebench.targets import remote_agent
        from edgebench.targets.bundle import runner_sources

        for attempt in range(1 + CONNECT_RETRIES):
            try:
                self._gateway = execnet.makegateway(self._spec())
                self._channel = self._gateway.remote_exec(remote_agent)
                break
            except Exception as exc:  # HostNotFound, OSError, ...: one line with the cause
                self._drop()
                if attempt < CONNECT_RETRIES:
                    # right after a dropped link the first new session can fail while the
                    # board's side of the old one is torn down: once more, a moment later
                    time.sleep(CONNECT_RETRY_PAUSE_S)
                    continue
                self._failure = (
                    f"{self.label}: cannot reach the board over ssh ({self._ssh_cause()})"
                )
                raise DeviceUnreachable(self._failure) from exc
        try:
            self.hello = self._call("hello", self.cache, timeout=CONNECT_TIMEOUT_S * 2)
        except DeviceUnreachable as exc:
            self._failure = (
                f"{self.label}: ssh works but {self.python} did not start the agent ({exc}); "
                "is python= the board's Python 3.9+?"
            )
            raise DeviceUnreachable(self._failure) from exc
        self._check_identity()
        sha, sources = runner_sources()
        if not self._call("runner", sha, None):
            self._call("runner", sha, sources)
        return self.hello

    def _check_identity(self) -> None:
        """The agent must run on the machine a plain ``ssh HOST`` reaches: its hostname and
        machine id (from ``hello``) against those read over a separate ssh command, a path
        that shares nothing with the agent's transport. A mismatch refuses the board, so no
        row claims a place it was not measured."""
        import subprocess

        config = ["-F", self.ssh_config] if self.ssh_config else []
        options = ["-o", "BatchMode=yes", "-o", f"ConnectTimeout={CONNECT_TIMEOUT_S}"]
        probe = (
            "uname -n; cat /etc/machine-id 2>/dev/null || "
            "cat /var/lib/dbus/machine-id 2>/dev/null || true"
        )
        try:
            done = subprocess.run(
                ["ssh", *config, *options, *self.host.ssh_args(), probe],
                capture_output=True,
                text=True,
                timeout=CONNECT_TIMEOUT_S * 2,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            self._drop()
            self._failure = f"{self.label}: cannot confirm which machine answers ({exc})"
            raise DeviceUnreachable(self._failure) from exc
        lines = done.stdout.split()
        seen = {
            "node": lines[0] if lines else None,
            "machine_id": lines[1] if len(lines) > 1 else None,
        }
        mismatch = identity_mismatch(self.hello, seen)
        if done.returncode != 0 or mismatch:
            self._drop()
            self.hello = None
            self._failure = (
                f"{self.label}: the agent answered from another machine than ssh reaches "
                f"({mismatch or 'ssh: ' + (done.stderr.strip().splitlines() or ['failed'])[-1]}); "
                "check the profile's hosts= and ssh_config="
            )
            raise DeviceUnreachable(self._failure)

    def _ssh_cause(self) -> str:
        """ssh's own words for why it cannot log in (execnet does not keep them): the last
        line of ``ssh ... true`` (an argument list, no local shell)."""
        import subprocess

        config = ["-F", self.ssh_config] if self.ssh_config else []
        options = ["-o", "BatchMode=yes", "-o", f"ConnectTimeout={CONNECT_TIMEOUT_S}"]
        try:
            done = subprocess.run(
                ["ssh", *config, *options, *self.host.ssh_args(), "true"],
                capture_output=True,
                text=True,
                timeout=CONNECT_TIMEOUT_S * 2,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"ssh: {exc}"
        lines = done.stderr.strip().splitlines()
        if done.returncode == 0:
            return f"ssh logs in, but {self.python} did not start the agent"
        return lines[-1] if lines else f"ssh exited with status {done.returncode}"

    def close(self) -> None:
        """End the agent and the connection."""
        if self._channel is not None:
            with contextlib.suppress(DeviceUnreachable):
                self._call("close", timeout=5)
        self._drop()

    # -- files and jobs ------------------------------------------------------------------

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run ``job`` on the board (files in it sent first); a predict job's outputs come
        back into a local ``.npy`` whose path replaces ``outputs``."""
        with self._lock, board_lock(self.lock_dir, self.label):
            self.connect()
            remote = dict(job)
            for key in ("artifact", "inputs"):
                if remote.get(key):
                    remote[key] = self.sync.remote_path(Path(remote[key]))
            local_outputs = remote.pop("outputs", None)
            answer = self._call_job(remote)
        result = dict(answer["result"])
        held = answer.get("board_lock") or {}
        if held.get("held"):
            result["board_lock_wait_s"] = held.get("waited_s")
            result["board_lock_waited_for"] = held.get("waited_for")
        if job.get("kind") == "facts":
            seen = {"node": result.get("hostname"), "machine_id": result.get("machine_id")}
            mismatch = identity_mismatch(self.hello, seen)
            if mismatch:
                raise InferenceError(
                    f"{self.label}: the facts were read on another machine than the board "
                    f"connected as ({mismatch}); the row is not recorded as measured there"
                )
        if local_outputs is not None and "outputs_bytes" in answer:
            Path(local_outputs).write_bytes(answer["outputs_bytes"])
            result["outputs"] = local_outputs
        result["host"] = self.label
        return result


def identity_mismatch(expected: dict[str, Any], seen: dict[str, Any]) -> str:
    """How ``seen`` (hostname ``node``, ``machine_id``) differs from ``expected``; empty when
    every fact both sides know agrees (a board without a machine id is judged by name).

    >>> identity_mismatch({"node": "pi", "machine_id": "a"}, {"node": "pi", "machine_id": "b"})
    "machine id 'b' where the board said 'a'"
    """
    for key, name in (("node", "hostname"), ("machine_id", "machine id")):
        want, got = expected.get(key), seen.get(key)
        if want and got and want != got:
            return f"{name} {got!r} where the board said {want!r}"
    return ""


def _worker_error(label: str, message: str) -> Exception:
    """A failed worker on the board as the error a local one would raise; a runtime that is
    not installed there says what to install on the board."""
    if "is not installed" in message or "No module named" in message:
        for runtime, hint in _RUNTIME_HINTS.items():
            if runtime in message.lower() or (runtime == "litert" and "lite" in message.lower()):
                return RuntimeUnavailable(
                    f"{label}: {runtime} is not installed on the board: {hint} there"
                )
        return RuntimeUnavailable(f"{label}: {message}")
    return InferenceError(f"{label}: measurement {message}")

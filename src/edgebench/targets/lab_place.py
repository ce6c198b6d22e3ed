"""The ``labgrid`` target: a board in a lab that labgrid's coordinator shares out.

A device profile names a labgrid place (``place=rpi4-a``), or a tag filter that matches
several places (``tags=pool=rpi4``: a pool; labgrid's reservations pick a free one), and
the coordinator (``coordinator=`` or ``$LG_COORDINATOR``). The target acquires the place
(waiting, with a line naming the holder, while someone else has it), reads the SSH
address from the place's ``NetworkService`` resource, measures over the ``ssh`` target,
and releases the place when the session ends (also on Ctrl-C and on failure; ``atexit``
as a last resort). Everything goes through ``labgrid-client`` (an argument list, never a
shell), so what a user sees in ``labgrid-client who`` is what edgebench did.

One place per pytest process: under pytest-xdist each worker reserves a place of the
pool for itself.
"""

from __future__ import annotations

import atexit
import contextlib
import re
import subprocess
import sys
import time
from typing import Any

from edgebench.errors import DeviceUnreachable, UsageError
from edgebench.targets.base import TargetBase
from edgebench.targets.ssh import DEFAULT_BOARD_WAIT_S, SSHTarget

#: seconds to wait for a place someone else holds (``--lab-wait``).
DEFAULT_LAB_WAIT_S = 900.0
#: seconds between two tries to acquire a held place, and between two progress lines.
RETRY_EVERY_S = 2.0
SAY_EVERY_S = 10.0
_TAG = re.compile(r"[a-z][a-z0-9_]*=[A-Za-z0-9_.-]+")
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_ADDRESS = re.compile(r"[A-Za-z0-9_.-]+(:[0-9]{1,5})?")


def check_profile_field(key: str, value: Any, where: str) -> Any:
    """The ``labgrid`` target's profile fields: ``place`` (a place name), ``tags`` (a
    filter ``key=value[,key=value]``), ``coordinator`` (``host[:port]``); ``python``,
    ``ssh_config`` and ``cache`` as the ``ssh`` target checks them."""
    from edgebench.targets.hosts import check_profile_field as check_ssh_field

    text = str(value).strip()
    if key == "place":
        if text and not _NAME.fullmatch(text):
            raise UsageError(f"{where}: {text!r} is not a labgrid place name")
        return text
    if key == "tags":
        pairs = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
        bad = [p for p in pairs if not _TAG.fullmatch(p)]
        if bad:
            raise UsageError(f"{where}: {', '.join(bad)} is not a labgrid tag filter key=value")
        return ",".join(pairs)
    if key == "coordinator":
        if text and not _ADDRESS.fullmatch(text):
            raise UsageError(f"{where}: {text!r} is not a coordinator address host[:port]")
        return text
    return check_ssh_field(key, value, where)


def network_service(env_yaml: str, place: str) -> dict[str, Any]:
    """The ``NetworkService`` arguments (address, username, port) of ``place`` in the
    output of ``labgrid-client env``, and the classes of its other resources.

    >>> text = "targets:\\n  b1:\\n    resources:\\n    - NetworkService: {address: 10.0.0.7, username: pi}\\n"
    >>> network_service(text, "b1")["address"]
    '10.0.0.7'
    """
    import yaml

    try:
        found = yaml.safe_load(env_yaml) or {}
        resources = found["targets"][place]["resources"]
    except (yaml.YAMLError, KeyError, TypeError) as exc:
        raise DeviceUnreachable(
            f"labgrid place {place}: labgrid-client env did not describe it ({exc})"
        ) from exc
    classes = [next(iter(r)) for r in resources if isinstance(r, dict) and r]
    for resource in resources:
        if isinstance(resource, dict) and "NetworkService" in resource:
            service = dict(resource["NetworkService"] or {})
            service["resources"] = classes
            return service
    raise DeviceUnreachable(
        f"labgrid place {place} has no NetworkService resource (it has: "
        f"{', '.join(classes) or 'none'}); export the board's SSH address as one"
    )


class LabgridTarget(TargetBase):
    """Jobs on the board of a labgrid place, over SSH; the place held for the session."""

    name = "labgrid"
    fresh_process = True
    remote = True

    def __init__(
        self,
        timeout_s: float = 120.0,
        place: str = "",
        tags: str = "",
        coordinator: str = "",
        python: str = "python3",
        ssh_config: str | None = None,
        cache: str | None = None,
        lock_dir: str | None = None,
        board_wait: float = DEFAULT_BOARD_WAIT_S,
        lab_wait: float = DEFAULT_LAB_WAIT_S,
    ) -> None:
        if bool(place) == bool(tags):
            raise UsageError(
                "the labgrid target needs place= (one place) or tags= (a pool, e.g. "
                "tags=pool=rpi4) in the device profile, not both"
            )
        import os

        self.place_wanted = place
        self.tags = tags
        self.coordinator = coordinator or os.environ.get("LG_COORDINATOR", "127.0.0.1:20408")
        self.lab_wait_s = float(lab_wait)
        self.ssh_options = {
            "timeout_s": timeout_s,
            "python": python,
            "ssh_config": ssh_config,
            "cache": cache,
            "lock_dir": lock_dir,
            "board_wait": board_wait,
        }
        self.place: str | None = None
        #: the board's SSH address from the place's NetworkService (``ssh://user@address:port``).
        self.host: str | None = None
        self.token: str | None = None
        self.ssh: SSHTarget | None = None
        self.acquire_s: float | None = None
        self.resources: list[str] = []
        #: the power cycles of a hung board: when, why, how long until SSH answered.
        self.power_cycles: list[dict[str, Any]] = []
        self._failure: str | None = None
        self._released = False

    # -- labgrid-client ---------------------------------------------------------------

    def _client(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
        """``labgrid-client -x COORDINATOR ARGS`` (an argument list, this Python's)."""
        try:
            return subprocess.run(
                [sys.executable, "-m", "labgrid.remote.client", "-x", self.coordinator, *args],
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired as exc:
            raise DeviceUnreachable(
                f"labgrid coordinator {self.coordinator}: labgrid-client {args[-1]} did not "
                f"answer within {timeout:g} s"
            ) from exc

    @staticmethod
    def _said(done: subprocess.CompletedProcess) -> str:
        lines = (done.stderr.strip() or done.stdout.strip()).splitlines()
        last = lines[-1].strip() if lines else "no output"
        return re.sub(r"^(labgrid-client|client\.py): (Error: )?", "", last)

    def _say(self, text: str) -> None:
        if self.progress is not None:
            self.progress(text)

    @property
    def label(self) -> str:
        """``place (host)`` once acquired, else what the profile asks for."""
        where = self.place or self.place_wanted or f"a place tagged {self.tags}"
        return f"{where} ({self.ssh.label})" if self.ssh is not None else str(where)

    # -- the place ---------------------------------------------------------------------

    def _acquire_named(self, place: str) -> None:
        started = time.monotonic()
        next_say = started
        while True:
            done = self._client("-p", place, "acquire")
            if done.returncode == 0:
                return
            said = self._said(done)
            if "already acquired" not in said:
                raise DeviceUnreachable(f"labgrid place {place}: {said}")
            waited = time.monotonic() - started
            if waited >= self.lab_wait_s:
                raise DeviceUnreachable(
                    f"labgrid place {place} stayed held for {self.lab_wait_s:g} s ({said}); "
                    "--lab-wait sets how long to wait"
                )
            if time.monotonic() >= next_say:
                self._say(f"waiting for labgrid place {place}: {said} ({waited:.0f} s)")
                next_say = time.monotonic() + SAY_EVERY_S
            time.sleep(RETRY_EVERY_S)

    def _reserve(self) -> str:
        """A reservation for a free place matching ``tags``; the place's name."""
        done = self._client("reserve", "--shell", *self.tags.split(","))
        match = re.search(r"LG_TOKEN=([A-Za-z0-9]+)", done.stdout)
        if done.returncode != 0 or not match:
            raise DeviceUnreachable(
                f"labgrid coordinator {self.coordinator}: no reservation for {self.tags} "
                f"({self._said(done)})"
            )
        self.token = match[1]
        started = time.monotonic()
        waiter = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "labgrid.remote.client",
                "-x",
                self.coordinator,
                "wait",
                self.token,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        next_say = started + SAY_EVERY_S
        while waiter.poll() is None:
            waited = time.monotonic() - started
            if waited >= self.lab_wait_s:
                waiter.kill()
                raise DeviceUnreachable(
                    f"no labgrid place tagged {self.tags} came free within "
                    f"{self.lab_wait_s:g} s; --lab-wait sets how long to wait"
                )
            if time.monotonic() >= next_say:
                self._say(f"waiting for a free labgrid place tagged {self.tags} ({waited:.0f} s)")
                next_say = time.monotonic() + SAY_EVERY_S
            time.sleep(0.5)
        if waiter.returncode != 0:
            raise DeviceUnreachable(
                f"labgrid reservation {self.token}: {(waiter.stderr.read() or '').strip()[-200:]}"
            )
        shown = self._client("-p", f"+{self.token}", "show")
        named = re.search(r"^Place '([^']+)'", shown.stdout, re.MULTILINE)
        if shown.returncode != 0 or not named:
            raise DeviceUnreachable(
                f"labgrid reservation {self.token}: no place allocated ({self._said(shown)})"
            )
        return named[1]

    def connect(self) -> SSHTarget:
        """Acquire the place (once), read its SSH address and reach the board."""
        if self._failure:
            raise DeviceUnreachable(self._failure)
        if self.ssh is not None:
            return self.ssh
        started = time.monotonic()
        try:
            place = self._reserve() if self.tags else self.place_wanted
            self._acquire_named(place if not self.token else f"+{self.token}")
            self.place = place
            self._released = False
            atexit.register(self.release)
            self.acquire_s = time.monotonic() - started
            env = self._client("-p", place, "env")
            if env.returncode != 0:
                raise DeviceUnreachable(f"labgrid place {place}: {self._said(env)}")
            service = network_service(env.stdout, place)
            self.resources = list(service.pop("resources"))
            host = f"{service['address']}"
            if service.get("username"):
                host = f"{service['username']}@{host}"
            host = f"ssh://{host}:{int(service.get('port') or 22)}"
            self.host = host
            self.ssh = SSHTarget(hosts=(host,), **self.ssh_options)
            self.ssh.progress = self.progress
        except DeviceUnreachable as exc:
            self._failure = str(exc)
            self.release()
            raise
        self._say(f"labgrid place {place} acquired in {self.acquire_s:.1f} s: {self.ssh.label}")
        return self.ssh

    def release(self) -> None:
        """Give the place (and the reservation) back; safe to call more than once."""
        if self._released:
            return
        self._released = True
        if self.place is not None:
            with contextlib.suppress(DeviceUnreachable):
                self._client("-p", self.place, "release", timeout=30)
        if self.token is not None:
            with contextlib.suppress(DeviceUnreachable):
                self._client("cancel-reservation", self.token, timeout=30)

    # -- the protocol ------------------------------------------------------------------

    def check(self) -> None:
        """Acquire the place and reach its board."""
        self.connect().check()

    @property
    def has_power(self) -> bool:
        """Whether the place has a power resource labgrid's power driver can switch."""
        return any("Power" in name for name in self.resources)

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        """Run ``job`` on the place's board. A board that stops answering (the link drops,
        or the agent stays silent past the stall limit) on a place with a power resource
        is power-cycled and waited for until SSH answers; the row fails saying so, and the
        next rows go on."""
        ssh = self.connect()
        try:
            result = ssh.run(job)
        except DeviceUnreachable as exc:
            if not self.has_power or job.get("kind") == "facts":
                raise
            raise DeviceUnreachable(f"{exc}; {self.power_cycle(str(exc))}") from exc
        result["host"] = self.label
        return result

    def power_cycle(self, why: str) -> str:
        """Switch the board off and on through the place's power port (``labgrid-client
        power cycle``), wait (at most ``lab_wait`` seconds) until its SSH answers and the
        agent starts, and note it; one line saying what happened."""
        assert self.place is not None and self.ssh is not None
        started = time.monotonic()
        self._say(f"labgrid place {self.place}: the board stopped answering; power-cycling it")
        self.ssh.close()
        done = self._client("-p", self.place, "power", "cycle", timeout=120)
        cycle = {
            "at_unix_s": time.time(),
            "why": why,
            "power": "cycled" if done.returncode == 0 else f"failed: {self._said(done)}",
            "ssh_back_after_s": None,
        }
        self.power_cycles.append(cycle)
        if done.returncode != 0:
            return f"power-cycling place {self.place} failed ({self._said(done)})"
        while time.monotonic() - started < self.lab_wait_s:
            fresh = SSHTarget(hosts=(self.host,), **self.ssh_options)
            fresh.progress = self.progress
            try:
                fresh.check()
            except DeviceUnreachable:
                time.sleep(RETRY_EVERY_S)
                continue
            self.ssh = fresh
            cycle["ssh_back_after_s"] = round(time.monotonic() - started, 1)
            return (
                f"the board was power-cycled through labgrid place {self.place} and answered "
                f"SSH again after {cycle['ssh_back_after_s']:.0f} s"
            )
        self._failure = (
            f"labgrid place {self.place}: power-cycled, but SSH did not answer within "
            f"{self.lab_wait_s:g} s"
        )
        return self._failure

    def facts(self) -> dict[str, Any]:
        """The board's facts, read there, with the place."""
        facts = self.connect().facts()
        facts["labgrid_place"] = self.place
        return facts

    def transfers(self) -> dict[str, Any]:
        """What was sent to the board, and the place: its name, how long acquiring took."""
        sent = self.ssh.transfers() if self.ssh is not None else {
            "host": self.label, "files": 0, "bytes": 0, "reached": False, "failure": self._failure
        }  # fmt: skip
        sent["labgrid"] = {
            "coordinator": self.coordinator,
            "place": self.place,
            "tags": self.tags or None,
            "reservation": self.token,
            "acquire_s": self.acquire_s,
            "resources": self.resources,
            "power_cycles": self.power_cycles,
        }
        return sent

    def close(self) -> None:
        """End the connection and release the place."""
        try:
            if self.ssh is not None:
                self.ssh.close()
        finally:
            self.release()

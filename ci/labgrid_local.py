"""A labgrid lab on 127.0.0.1: a coordinator, and an exporter that exports the local sshd
"board" (ci/device.py) as a ``NetworkService`` in one place per name. Used by the tests
(tests/test_labgrid.py) and by ci/labgrid_lab.py; everything runs labgrid's own programs.

    python ci/labgrid_local.py FOLDER PORT_OF_SSHD  # prints LG_COORDINATOR=..., waits
"""

from __future__ import annotations

import getpass
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from device import free_port  # noqa: E402


def client(coordinator: str, *args: str, user: str | None = None, check: bool = True) -> str:
    """``labgrid-client -x COORDINATOR ARGS`` (as ``user`` when given: ``LG_USERNAME``)."""
    env = dict(os.environ, **({"LG_USERNAME": user} if user else {}))
    done = subprocess.run(
        [sys.executable, "-m", "labgrid.remote.client", "-x", coordinator, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    if check and done.returncode != 0:
        raise RuntimeError(f"labgrid-client {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout + done.stderr


def listening(address: str) -> bool:
    """Whether something accepts TCP connections at ``host:port``."""
    host, _, port = address.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=0.5).close()
        return True
    except OSError:
        return False


class Lab:
    """A running coordinator and exporter; ``places`` name places over the sshd."""

    def __init__(
        self,
        folder: Path,
        ssh_port: int,
        places: dict[str, str],
        power: dict[str, str] | None = None,
    ) -> None:
        """``places``: name -> tags (``pool=ci``); ``power``: name -> the URL of a
        ``simplerest`` power port (``http://127.0.0.1:PORT/relay/{index}/{value}``)."""
        folder.mkdir(parents=True, exist_ok=True)
        self.coordinator = f"127.0.0.1:{free_port()}"
        self.processes: list[subprocess.Popen] = []
        self.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "labgrid.remote.coordinator", "-l", self.coordinator],
                cwd=folder,
                stdout=open(folder / "coordinator.log", "w"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
            )
        )
        exported = folder / "exporter.yaml"
        power = power or {}
        exported.write_text(
            "".join(
                f"{group}:\n  NetworkService:\n    address: 127.0.0.1\n"
                f"    username: {getpass.getuser()}\n    port: {ssh_port}\n"
                + (
                    f"  NetworkPowerPort:\n    model: simplerest\n    host: '{power[group]}'\n"
                    "    index: 0\n"
                    if group in power
                    else ""
                )
                for group in places
            )
        )
        self._wait(lambda: listening(self.coordinator) or None)
        self.processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "labgrid.remote.exporter", "-c", self.coordinator,
                 "-n", "ci", "--hostname", "127.0.0.1", str(exported)],
                cwd=folder,
                stdout=open(folder / "exporter.log", "w"),  # noqa: SIM115
                stderr=subprocess.STDOUT,
            )
        )  # fmt: skip
        wanted = [f"ci/{g}/NetworkService" for g in places] + [
            f"ci/{g}/NetworkPowerPort" for g in power
        ]
        self._wait(
            lambda: (
                all(w in client(self.coordinator, "resources", check=False) for w in wanted) or None
            )
        )
        for group, tags in places.items():
            client(self.coordinator, "-p", group, "create")
            client(self.coordinator, "-p", group, "add-match", f"ci/{group}/*")
            if tags:
                client(self.coordinator, "-p", group, "set-tags", *tags.split(","))

    @staticmethod
    def _wait(ready, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if ready() is not None:
                return
            time.sleep(0.3)
        raise RuntimeError("the labgrid coordinator or exporter did not come up within 30 s")

    def stop(self) -> None:
        for process in reversed(self.processes):
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    lab = Lab(Path(sys.argv[1]), int(sys.argv[2]), {"board-a": "pool=ci"})
    print(f"LG_COORDINATOR={lab.coordinator}", flush=True)
    try:
        lab.processes[0].wait()
    finally:
        lab.stop()

"""A local "device" for tests and CI: a real OpenSSH server on 127.0.0.1 with a throwaway
key, and a separate virtual environment that holds only numpy and the runtimes (what a
board has), never edgebench or TensorFlow.

    python ci/device.py venv [--without onnxruntime]   # create .edgebench/device-venv[-...]
    python ci/device.py sshd                           # start sshd; print its ssh_config path

The tests use the same functions (tests/conftest.py).
"""

from __future__ import annotations

import argparse
import getpass
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONSTRAINTS = REPO / "ci" / "constraints.txt"
DEVICE_PACKAGES = ("numpy", "ai-edge-litert", "onnxruntime")
SSHD = shutil.which("sshd") or "/usr/sbin/sshd"


def device_venv(without: tuple[str, ...] = ()) -> Path:
    """The device venv's Python (created once, under .edgebench/), with the device packages
    except ``without``."""
    name = "device-venv" + "".join(f"-no-{w}" for w in without)
    folder = REPO / ".edgebench" / name
    python = folder / "bin" / "python"
    if not (folder / ".complete").exists():
        shutil.rmtree(folder, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
        packages = [p for p in DEVICE_PACKAGES if p not in without]
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "-c", str(CONSTRAINTS), *packages],
            check=True,
        )
        (folder / ".complete").write_text(" ".join(packages) + "\n")
    return python


def one_thread_rows(run: Path) -> list[dict]:
    """The fp32 and int8 rows at 1 thread of a run file that name their artifact (what the
    agreement benchmarks time on two paths)."""
    import json

    return [
        r
        for r in json.loads(run.read_text())["records"]
        if r.get("threads") == 1 and r["recipe"] in ("fp32", "int8") and r.get("artifact_path")
    ]


def timing_job(row: dict, rounds: int) -> dict:
    """A worker's measure job for ``row``'s artifact at 1 thread (20 warm-up rounds)."""
    return {
        "runtime": row["runtime"],
        "artifact": row["artifact_path"],
        "threads": 1,
        "rounds": rounds,
        "warmup": 20,
    }


def p50_ms(result: dict) -> float:
    """The median of a measure job's samples, in ms."""
    import statistics

    return statistics.median(result["samples_s"]) * 1e3


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_sshd(folder: Path, port: int | None = None) -> tuple[subprocess.Popen, Path, int]:
    """An sshd on 127.0.0.1 (a free port) that accepts one throwaway key for this user;
    returns the process, an ssh_config naming the host ``edgebench-device`` and the port.
    Raises ``RuntimeError`` with the reason when sshd cannot start here."""
    if not Path(SSHD).exists():
        raise RuntimeError("no sshd: apt-get install openssh-server")
    folder.mkdir(parents=True, exist_ok=True)
    for key in ("host_key", "client_key"):
        if not (folder / key).exists():
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(folder / key)],
                check=True,
            )
    shutil.copy(folder / "client_key.pub", folder / "authorized_keys")
    os.chmod(folder / "authorized_keys", 0o600)
    port = port or free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {folder / 'host_key'}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPidFile {folder / 'sshd.pid'}\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "PermitRootLogin prohibit-password\nStrictModes no\nPrintMotd no\n"
        "MaxStartups 50:30:100\nMaxSessions 50\n"
    )
    if os.geteuid() == 0:
        Path("/run/sshd").mkdir(exist_ok=True)  # privilege separation directory
    process = subprocess.Popen(
        [SSHD, "-D", "-e", "-f", str(config)], stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sshd exited: {process.stderr.read().strip()[-300:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        raise RuntimeError("sshd did not listen within 10 s")
    client = folder / "ssh_config"
    client.write_text(
        # the alias, and 127.0.0.1 itself (a host written as ssh://user@127.0.0.1:PORT)
        f"Host edgebench-device 127.0.0.1\n  HostName 127.0.0.1\n  Port {port}\n"
        f"  User {getpass.getuser()}\n"
        f"  IdentityFile {folder / 'client_key'}\n  IdentitiesOnly yes\n"
        "  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n"
    )
    return process, client, port


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    venv = sub.add_parser("venv", help="create the device venv(s)")
    venv.add_argument("--without", action="append", default=[], choices=DEVICE_PACKAGES)
    sshd = sub.add_parser("sshd", help="start an sshd in the foreground")
    sshd.add_argument("--folder", default=str(REPO / ".edgebench" / "sshd"))
    args = parser.parse_args()
    if args.command == "venv":
        print(device_venv(tuple(args.without)))
        return 0
    process, client, port = start_sshd(Path(args.folder))
    print(f"sshd on 127.0.0.1:{port}; ssh -F {client} edgebench-device", flush=True)
    return process.wait()


if __name__ == "__main__":
    sys.exit(main())

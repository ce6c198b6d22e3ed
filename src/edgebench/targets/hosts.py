"""Host strings of a device profile (``pi@rpi5-a.local``, ``ssh://pi@10.0.0.7:2222``,
``rpi5-a``), parsed and checked: they end up in an ``ssh`` command line, and the board's
shell reads the Python path, so anything but plain names is refused, never quoted away."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgebench.errors import UsageError

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}")
_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
_PATH = re.compile(r"[A-Za-z0-9_.~+/][A-Za-z0-9_.~+/-]{0,1023}")


@dataclass(frozen=True)
class SSHHost:
    """One board: ``user@host`` and an optional port (``None``: ssh's own default or the
    ``~/.ssh/config`` entry)."""

    host: str
    user: str | None = None
    port: int | None = None

    @property
    def label(self) -> str:
        """How records and messages name the board (``pi@rpi5-a:2222``)."""
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"{user}{self.host}{port}"

    def ssh_args(self) -> list[str]:
        """The ``ssh`` arguments that name this board (options first)."""
        args = ["-p", str(self.port)] if self.port else []
        return [*args, f"{self.user}@{self.host}" if self.user else self.host]


def parse_host(text: str) -> SSHHost:
    """``[ssh://][user@]host[:port]`` (a port only in the ``ssh://`` form); refuses
    anything that is not a plain name, so nothing reaches a shell but names."""
    raw = text.strip()
    rest = raw[len("ssh://") :] if raw.startswith("ssh://") else raw
    user, _, host = rest.rpartition("@")
    port: int | None = None
    if raw.startswith("ssh://") and ":" in host:
        host, _, port_text = host.rpartition(":")
        if not port_text.isdigit() or not 0 < int(port_text) < 65536:
            raise UsageError(f"host {raw!r}: port {port_text!r} is not a port number")
        port = int(port_text)
    if not _NAME.fullmatch(host) or (user and not _USER.fullmatch(user)):
        raise UsageError(
            f"host {raw!r} is not [ssh://][user@]host[:port] with plain names (letters, "
            "digits, '.', '-', '_'); use an alias from ~/.ssh/config for anything else"
        )
    return SSHHost(host, user or None, port)


def check_remote_path(path: str, what: str) -> str:
    """A path that the board's shell will read (the Python, the cache folder): plain
    characters only."""
    if not _PATH.fullmatch(path) or "//" in path:
        raise UsageError(
            f"{what} {path!r}: only letters, digits and . _ - + ~ / are allowed (it is read by "
            "the board's shell)"
        )
    return path


def check_ssh_config(path: str, what: str) -> str:
    """An ``ssh_config=`` value: an existing file, named with plain path characters. It goes
    into the SSH transport's spec, whose ``//`` separates settings: anything else could
    change how (or whether) the board is reached (``ssh_config=/dev/null//popen`` ran the
    "board" on this machine)."""
    check_remote_path(path, what)
    found = Path(path).expanduser()
    if not found.is_file():
        raise UsageError(f"{what} {path!r}: no such file (an ssh_config file for ssh -F)")
    return str(found)


def check_profile_field(key: str, value: Any, where: str) -> Any:
    """The ``ssh`` target's device-profile fields, checked: ``hosts`` (plain host strings,
    a list or ``a,b``), ``ssh_config`` (an existing plainly named file), ``python`` and
    ``cache`` (plain paths on the board)."""
    if key == "hosts":
        hosts = value.split(",") if isinstance(value, str) else value
        found = tuple(str(h).strip() for h in hosts if str(h).strip())
        for host in found:
            parse_host(host)  # refuses anything that is not a plain name, now
        return found
    text = str(value).strip()
    if key == "ssh_config":
        return check_ssh_config(text, where) if text else ""
    return check_remote_path(text, where)

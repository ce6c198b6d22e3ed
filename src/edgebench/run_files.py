"""Run files read back with suspicion: the schema version checked, every record's fields
checked against the types :class:`~edgebench.results.Record` declares, every number finite.

A run file can come from another machine, another version or another person (a baseline, a
report's input). Whatever is wrong with it ends in one :class:`RunFileError` line naming the
file, the record and the field, never a traceback, and nothing non-finite reaches a table.

Schema versions: a file newer than :data:`SCHEMA_VERSION` is refused (this edgebench does
not know what its fields mean); an older one is brought up to date by the functions in
:data:`UPGRADES`, one version step each.
"""

from __future__ import annotations

import json
import math
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from edgebench.errors import UsageError

#: the version of the run files this edgebench writes: 2 names each record group's fields
#: in a ``groups`` header (``results.RECORD_GROUPS``); 1 had no such header.
SCHEMA_VERSION = 2
#: ``{version: upgrade}``: turns a run file of ``version`` into one of ``version + 1``.
UPGRADES: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}
#: integers beyond this are not measurements (JSON can spell 10**400).
MAX_INT = 2**63 - 1
#: the largest float a run file may hold.
MAX_FLOAT = 1e300
#: the largest run file read (a run of thousands of rows with raw samples is tens of MB).
MAX_BYTES = 512 * 1024 * 1024
#: header fields and the type each must have when present.
HEADER_TYPES: dict[str, type] = {
    "edgebench": str,
    "provenance": dict,
    "settings": dict,
    "findings": dict,
    "sensitivity": list,
    "device_transfers": dict,
    "groups": dict,
}


class RunFileError(UsageError):
    """A run file that cannot be used; the message is one line naming the file and field."""


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def _problem(value: Any, annotation: Any, where: str, depth: int = 0) -> str | None:
    """Why ``value`` does not fit ``annotation`` (``None`` when it does)."""
    if depth > 64:
        return f"{where}: nested deeper than 64 levels"
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for option in typing.get_args(annotation):
            if _shape_fits(value, option):
                return _problem(value, option, where, depth)
        return f"{where}: {_kind(value)} where {_name(annotation)} was expected"
    if annotation is Any:
        return _finite_anywhere(value, where, depth)
    if annotation is type(None):
        return None if value is None else f"{where}: {_kind(value)} where null was expected"
    if origin is list:
        if not isinstance(value, list):
            return f"{where}: {_kind(value)} where a list was expected"
        (item,) = typing.get_args(annotation) or (Any,)
        for index, element in enumerate(value):
            problem = _problem(element, item, f"{where}[{index}]", depth + 1)
            if problem:
                return problem
        return None
    if origin is dict:
        if not isinstance(value, dict):
            return f"{where}: {_kind(value)} where an object was expected"
        _, item = typing.get_args(annotation) or (str, Any)
        for key, element in value.items():
            problem = _problem(element, item, f"{where}.{key}", depth + 1)
            if problem:
                return problem
        return None
    if annotation is bool:
        return (
            None
            if isinstance(value, bool)
            else f"{where}: {_kind(value)} where true/false was expected"
        )
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            return f"{where}: {_kind(value)} where an integer was expected"
        return None if abs(value) <= MAX_INT else f"{where}: integer out of range"
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"{where}: {_kind(value)} where a number was expected"
        return _finite_number(value, where)
    if annotation is str:
        return (
            None
            if isinstance(value, str)
            else f"{where}: {_kind(value)} where a string was expected"
        )
    return None


def _shape_fits(value: Any, annotation: Any) -> bool:
    """Whether ``value`` is of the outer kind of ``annotation`` (its items are checked next)."""
    origin = typing.get_origin(annotation) or annotation
    if annotation is Any:
        return True
    if origin is type(None):
        return value is None
    if isinstance(value, bool):
        return origin is bool
    if origin is float:
        return isinstance(value, int | float)
    return isinstance(origin, type) and isinstance(value, origin)


def _finite_number(value: float, where: str) -> str | None:
    if isinstance(value, int):
        return None if abs(value) <= MAX_INT else f"{where}: integer out of range"
    if not math.isfinite(value) or abs(value) > MAX_FLOAT:
        return f"{where}: {value!r} is not a finite number"
    return None


def _finite_anywhere(value: Any, where: str, depth: int) -> str | None:
    """Any JSON value, every number in it finite and in range."""
    if depth > 64:
        return f"{where}: nested deeper than 64 levels"
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    if isinstance(value, int | float):
        return _finite_number(value, where)
    if isinstance(value, list):
        for index, element in enumerate(value):
            problem = _finite_anywhere(element, f"{where}[{index}]", depth + 1)
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        for key, element in value.items():
            problem = _finite_anywhere(element, f"{where}.{key}", depth + 1)
            if problem:
                return problem
    return None


def _kind(value: Any) -> str:
    names = {bool: "true/false", int: "an integer", float: "a number", str: "a string"}
    names.update({list: "a list", dict: "an object", type(None): "null"})
    return names.get(type(value), type(value).__name__)


def _name(annotation: Any) -> str:
    return str(annotation).replace("typing.", "")


def record_problem(
    data: Any, index: int, record_type: type, key_fields: tuple[str, ...]
) -> str | None:
    """Why record ``index`` of a run file cannot be read (``None`` when it can): its
    fields against the types ``record_type`` (a dataclass) declares; ``key_fields`` (the
    row's key, strings) and ``threads`` must be there."""
    where = f"record {index}"
    if not isinstance(data, dict):
        return f"{where} is {_kind(data)}, not an object"
    missing = [key for key in (*key_fields, "threads") if key not in data]
    if missing:
        return f"{where} has no {', '.join(missing)}"
    hints = typing.get_type_hints(record_type)
    for name, value in data.items():
        annotation = hints.get(name, Any)
        if name in key_fields:
            annotation = str
        problem = _problem(value, annotation, f"{where} field {name}")
        if problem:
            return problem
    threads = data["threads"]
    if threads is not None and not 1 <= threads <= 1024:
        return f"{where} field threads: {threads} is not a thread count"
    return None


def parse_run(
    data: Any, name: str, record_type: type, key_fields: tuple[str, ...]
) -> dict[str, Any]:
    """The checked (and upgraded) content of a run file whose records are ``record_type``
    (see :func:`record_problem`); ``RunFileError`` otherwise."""
    if not isinstance(data, dict):
        raise RunFileError(f"{name}: not an edgebench run file (the top level is {_kind(data)})")
    version = data.get("schema")
    if isinstance(version, bool) or not isinstance(version, int):
        raise RunFileError(f"{name}: not an edgebench run file (no integer 'schema' field)")
    if version > SCHEMA_VERSION:
        raise RunFileError(
            f"{name}: run file schema {version} is newer than this edgebench reads "
            f"({SCHEMA_VERSION}); update edgebench to read it"
        )
    if version < 1:
        raise RunFileError(f"{name}: run file schema {version} is not a version edgebench wrote")
    while version < SCHEMA_VERSION:
        data = UPGRADES[version](data)
        version += 1
        data["schema"] = version
    for key, kind in HEADER_TYPES.items():
        if key in data and not isinstance(data[key], kind):
            raise RunFileError(f"{name}: header field {key} is {_kind(data[key])}")
    records = data.get("records", [])
    if not isinstance(records, list):
        raise RunFileError(f"{name}: 'records' is {_kind(records)}, not a list")
    for index, record in enumerate(records):
        problem = record_problem(record, index, record_type, key_fields)
        if problem:
            raise RunFileError(f"{name}: {problem}")
    return data


def read_run(path: Path, record_type: type, key_fields: tuple[str, ...]) -> dict[str, Any]:
    """Read and check the run file at ``path`` (see :func:`parse_run`)."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_BYTES:
            raise RunFileError(f"{path}: {path.stat().st_size} bytes is too large for a run file")
        text = path.read_text(encoding="utf-8")
        data = json.loads(text, parse_constant=_refuse_constant)
    except RunFileError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise RunFileError(f"cannot read run file {path}: {exc}") from exc
    except (ValueError, RecursionError) as exc:
        raise RunFileError(f"{path}: not valid JSON ({str(exc)[:200]})") from exc
    return parse_run(data, str(path), record_type, key_fields)

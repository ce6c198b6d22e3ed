"""Which layers a quantization recipe keeps in float: ``-skip=RULE,RULE`` on the ONNX
Runtime and AI Edge Quantizer recipes (``dfq`` has its own, by Keras layer name).

A rule is a layer name or an fnmatch pattern, matched against each component of an
operator's name in the converted file (split at ``/`` and ``;``): converters name the
operators of a Keras layer ``model/layer/Op`` and join fused ones with ``;``, so the
names a sensitivity analysis proposes (``conv1``) select the same layer in every format.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence

from edgebench.errors import ConversionError

#: the ``-skip=`` suffix of a recipe token (group 1: the comma list).
SKIP_SUFFIX = r"(?:-skip=([\w*?.\[\]/:-]+(?:,[\w*?.\[\]/:-]+)*))?"


def parse_skip(text: str | None) -> tuple[str, ...]:
    """The rules of a ``-skip=`` group (duplicates dropped, order kept)."""
    return tuple(dict.fromkeys(text.split(","))) if text else ()


def skip_token(rules: Sequence[str]) -> str:
    """The ``-skip=...`` suffix of ``rules`` (empty for none)."""
    return f"-skip={','.join(rules)}" if rules else ""


def _components(name: str) -> list[str]:
    return [part for part in re.split(r"[/;]", name) if part]


def matches(name: str, rule: str) -> bool:
    """Whether operator ``name`` belongs to the layer ``rule`` names.

    >>> matches("mobilenet_v1/conv1/Conv2D", "conv1"), matches("mobilenet_v1/conv10/Conv2D", "conv1")
    (True, False)
    >>> matches("m/conv_bn;m/conv_pw_2/Conv2D", "conv_pw_*")
    True
    """
    return name == rule or any(fnmatch.fnmatchcase(part, rule) for part in _components(name))


def matched(names: Iterable[str], rules: Sequence[str], where: str) -> list[str]:
    """The ``names`` some rule matches; a rule that matches none is a ``ConversionError``
    naming a few of the names there are (a typo must not quantize everything)."""
    names = list(names)
    chosen = [n for n in names if any(matches(n, r) for r in rules)]
    for rule in rules:
        if not any(matches(n, rule) for n in names):
            shown = ", ".join(names[:8]) + (", ..." if len(names) > 8 else "")
            raise ConversionError(f"-skip={rule} matches no operator of {where} (it has {shown})")
    return chosen


def component_regex(rule: str) -> str:
    """A regular expression (``re.search``) equivalent to :func:`matches` for ``rule``.

    >>> bool(re.search(component_regex("conv1"), "model/conv1/Conv2D"))
    True
    >>> bool(re.search(component_regex("conv1"), "model/conv10/Conv2D"))
    False
    """
    body = fnmatch.translate(rule)
    body = body[4:-3] if body.startswith("(?s:") and body.endswith(")\\Z") else body
    return rf"(?:^|[/;])(?:{body})(?:[/;]|$)"

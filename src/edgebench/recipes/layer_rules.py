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
from pathlib import Path

import numpy as np

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


#: what a rule may spell (the ``-skip=`` grammar), without fnmatch's wildcards.
_PLAIN_RULE = re.compile(r"[\w.:/-]+")


def layer_labels(names: Sequence[str]) -> list[str]:
    """A rule for each operator name that selects it alone among ``names``: the layer part
    of the name (``model/conv1/Conv2D`` -> ``conv1``) where that is unique, else the whole
    name; names no rule can spell are left out.

    >>> layer_labels(["m/conv1/Conv2D", "m/dense/MatMul", "m/dense_1/MatMul"])
    ['conv1', 'dense', 'dense_1']
    """
    labels = []
    for name in names:
        parts = _components(name)
        candidates = [parts[-2]] if len(parts) >= 2 else []
        candidates.append(name)
        for candidate in candidates:
            if not _PLAIN_RULE.fullmatch(candidate):
                continue
            if sum(matches(other, candidate) for other in names) == 1:
                labels.append(candidate)
                break
    return labels


#: ONNX operators whose weights a quantizer quantizes (what a sensitivity analysis varies).
ONNX_WEIGHT_OPS = frozenset({"Conv", "ConvTranspose", "MatMul", "Gemm"})


def onnx_weight_layers(path: Path) -> list[tuple[str, int]]:
    """The weight-carrying operators of an ``.onnx`` file as (rule, weights), in graph order."""
    import onnx

    model = onnx.load(str(path))
    sizes = {
        init.name: int(np.prod(init.dims))
        for init in model.graph.initializer
        if len(init.dims) >= 2
    }
    nodes = [
        (node.name, sum(sizes.get(i, 0) for i in node.input))
        for node in model.graph.node
        if node.op_type in ONNX_WEIGHT_OPS and node.name and any(i in sizes for i in node.input)
    ]
    labels = layer_labels([name for name, _ in nodes])
    by_rule = {}
    for rule in labels:
        by_rule[rule] = sum(size for name, size in nodes if matches(name, rule))
    return list(by_rule.items())


def tflite_weight_layers(path: Path) -> list[tuple[str, int]]:
    """The constant tensors of two or more dimensions in a ``.tflite`` file (its weights) as
    (rule, elements), in file order."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=str(path))
    weights = []
    for detail in interpreter.get_tensor_details():
        if len(detail["shape"]) < 2:
            continue
        try:
            interpreter.get_tensor(detail["index"])
        except ValueError:  # an activation: no data before invoke
            continue
        weights.append((str(detail["name"]), int(np.prod(detail["shape"]))))
    del interpreter
    labels = layer_labels([name for name, _ in weights])
    return [(rule, sum(size for name, size in weights if matches(name, rule))) for rule in labels]

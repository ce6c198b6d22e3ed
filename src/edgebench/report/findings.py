"""Findings drawn from a run's records: slower-than-fp32 variants (and why), bit limits."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edgebench.recipes import describe_recipe
from edgebench.results import Record

#: a variant counts as slower when its p50 is this much above the fp32 p50 of the same row.
SLOWER_RATIO = 1.10
VNNI_FLAGS = frozenset({"avx512_vnni", "avx_vnni", "avx_vnni_int8", "asimddp", "dotprod", "i8mm"})
# ONNX ops that int8 graphs cannot fuse into their quantized neighbours.
FLOAT_ISLANDS = (
    "BatchNormalization",
    "LayerNormalization",
    "InstanceNormalization",
    "Div",
    "Sqrt",
    "Pow",
    "Erf",
)


def onnx_causes(op_counts: Counter[str]) -> list[str]:
    """Known reasons for a slow quantized ONNX graph, from its op types."""
    causes = []
    integer_ops = {op: n for op, n in op_counts.items() if op in ("ConvInteger", "MatMulInteger")}
    if integer_ops:
        listed = ", ".join(f"{op} x{n}" for op, n in sorted(integer_ops.items()))
        causes.append(
            f"dynamic quantization runs {listed}, which ONNX Runtime's CPU provider executes "
            "without optimized int8 convolution kernels, plus a DynamicQuantizeLinear per layer"
        )
    quantized = any(
        op.startswith("QLinear") or op in ("QuantizeLinear", "QGemm") for op in op_counts
    )
    islands = {op: n for op, n in op_counts.items() if op in FLOAT_ISLANDS}
    if quantized and islands:
        listed = ", ".join(f"{op} x{n}" for op, n in sorted(islands.items()))
        causes.append(
            f"float ops left in the int8 graph ({listed}) force Dequantize/Quantize round trips"
        )
    return causes


def tflite_causes(
    op_names: Counter[str], activation_types: set[str], constant_types: set[str]
) -> list[str]:
    """Known reasons for a slow quantized TFLite model, from its ops and tensor types."""
    causes = []
    if "INT16" in activation_types:
        causes.append(
            "16-bit activations (int16x8) run on reference kernels; XNNPACK does not accelerate them"
        )
    if op_names.get("DEQUANTIZE") and "FLOAT16" in constant_types:
        causes.append(
            "float16 weights are dequantized to float32; this CPU path has no fp16 arithmetic"
        )
    integer_activations = {"INT8", "UINT8", "INT16"} & activation_types
    if "INT8" in constant_types and not integer_activations and "FLOAT32" in activation_types:
        causes.append("dynamic-range (hybrid) kernels quantize activations on every invoke")
    return causes


def cpu_causes(recipe: str, flags: Iterable[str]) -> list[str]:
    """A CPU without int8 dot-product instructions gains little from int8 kernels."""
    parsed = describe_recipe(recipe)
    if parsed is not None and parsed.integer_kernels and not VNNI_FLAGS & set(flags):
        return [
            "this CPU has no VNNI/dot-product instructions (avx512_vnni, avx_vnni, asimddp), so int8 kernels gain little"
        ]
    return []


#: channel multiple ONNX Runtime's CPU convolution kernels are laid out for (its NCHWc
#: blocks); pruned widths off it measured up to 2.5x slower than the wider fp32 model.
CHANNEL_BLOCK = 8


def width_causes(runtime: str, compression: Sequence[dict[str, Any]] | None) -> list[str]:
    """Structured pruning that left channel counts off multiples of 8, on ONNX Runtime.

    >>> width_causes("onnxruntime", [{"pruned_layers": {"a": 22, "b": 24}}])
    ["structured pruning left 1 of 2 layer widths off multiples of 8 (22); ONNX Runtime's convolution kernels favour multiples of 8: try sprune<F>-r8"]
    """
    if runtime != "onnxruntime":
        return []
    widths: list[int] = []
    for step in compression or []:
        widths += [int(w) for w in (step.get("pruned_layers") or {}).values()]
        widths += [int(pair[1]) for pair in (step.get("widths") or {}).values()]
    odd = [w for w in widths if w % CHANNEL_BLOCK]
    if not odd:
        return []
    shown = ", ".join(str(w) for w in sorted(set(odd))[:5])
    return [
        f"structured pruning left {len(odd)} of {len(widths)} layer widths off multiples of "
        f"{CHANNEL_BLOCK} ({shown}); ONNX Runtime's convolution kernels favour multiples of "
        f"{CHANNEL_BLOCK}: try sprune<F>-r{CHANNEL_BLOCK}"
    ]


def inspect_artifact(path: Path, artifact_format: str) -> list[str]:
    """Causes read off an artifact file (op types, activation types) by its format's
    ``inspect`` function (``formats.registry``); empty when unknown."""
    from edgebench.formats import format_names, format_spec

    if artifact_format not in format_names():
        return []
    try:
        inspect = format_spec(artifact_format).function("inspect")
        return list(inspect(path)) if inspect is not None else []
    except Exception:  # noqa: BLE001 - a cause we cannot read is simply not reported
        return []


def onnx_file_causes(path: Path) -> list[str]:
    """:func:`onnx_causes` of the operators in an ONNX file."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    return onnx_causes(Counter(node.op_type for node in model.graph.node))


def tflite_file_causes(path: Path) -> list[str]:
    """:func:`tflite_causes` of the operators and tensor types in a TFLite file."""
    from edgebench.artifacts.artifact import builtin_code, enum_names, tflite_schema

    schema = tflite_schema()
    data = path.read_bytes()
    model = schema.Model.GetRootAs(data, 0)
    names = enum_names(schema.BuiltinOperator)
    types = enum_names(schema.TensorType)
    ops: Counter[str] = Counter()
    activations: set[str] = set()
    constants: set[str] = set()
    for s in range(model.SubgraphsLength()):
        graph = model.Subgraphs(s)
        for o in range(graph.OperatorsLength()):
            ops[names.get(builtin_code(model, graph.Operators(o)), "?")] += 1
        for t in range(graph.TensorsLength()):
            tensor = graph.Tensors(t)
            buffer = model.Buffers(tensor.Buffer())
            is_constant = buffer.DataLength() > 0 or buffer.Offset() > 1
            (constants if is_constant else activations).add(types.get(tensor.Type(), "?"))
    return tflite_causes(ops, activations, constants)


def _row(r: Record) -> tuple[Any, ...]:
    return (r.model, r.dataset, r.runtime, r.threads, r.device)


#: the share of time operators fp32 does not run must reach to be named as the cause.
NEW_OPERATOR_SHARE = 0.10


def profile_causes(
    profile: dict[str, Any] | None, fp32_profile: dict[str, Any] | None
) -> list[str]:
    """What the operator profile (``--profile-ops``) says of a slow variant: the operator
    types that fp32 does not run, with their share of the time (quantize/dequantize
    pairs, integer convolutions), then the largest shares.

    >>> profile_causes({"by_type": {"QLinearConv": {"share": 0.5}, "DequantizeLinear":
    ...     {"share": 0.4}, "Relu": {"share": 0.1}}}, {"by_type": {"Conv": {"share": 0.9},
    ...     "Relu": {"share": 0.1}}})
    ['op profile: operators fp32 does not run take 90% of the time (QLinearConv 50%, DequantizeLinear 40%)']
    """
    if not profile or not profile.get("by_type"):
        return []
    shares = {op: e.get("share") or 0.0 for op, e in profile["by_type"].items()}
    ranked = sorted(shares.items(), key=lambda kv: -kv[1])
    if fp32_profile and fp32_profile.get("by_type"):
        new = [(op, s) for op, s in ranked if op not in fp32_profile["by_type"] and s >= 0.01]
        if sum(s for _, s in new) >= NEW_OPERATOR_SHARE:
            listed = ", ".join(f"{op} {100 * s:.0f}%" for op, s in new[:4])
            total = sum(s for _, s in new)
            return [
                f"op profile: operators fp32 does not run take {100 * total:.0f}% of the time ({listed})"
            ]
    listed = ", ".join(f"{op} {100 * s:.0f}%" for op, s in ranked[:3])
    return [f"op profile: {listed}"]


@dataclass(frozen=True)
class Slowdown:
    """A variant slower than fp32 in the same row, with what explains it."""

    record: Record
    baseline_p50_ms: float
    ratio: float
    causes: tuple[str, ...]

    def line(self) -> str:
        """One line for the summary."""
        r = self.record
        why = "; ".join(self.causes) if self.causes else "no cause detected"
        return (
            f"{r.model} {r.recipe} on {r.runtime} t{r.threads}: {self.ratio:.2f}x slower than fp32 "
            f"(p50 {r.latency_p50_ms:.3f} vs {self.baseline_p50_ms:.3f} ms); likely cause: {why}"
        )


def slowdowns(
    records: Sequence[Record],
    cpu_flags: Iterable[str],
    inspect: Callable[[Path, str], list[str]] = inspect_artifact,
) -> list[Slowdown]:
    """Quantized variants at least ``SLOWER_RATIO`` slower (p50) than fp32 in the same row."""
    flags = list(cpu_flags)
    baseline = {
        (r.model, r.dataset, r.runtime, r.threads, r.device): r.latency_p50_ms
        for r in records
        if r.recipe == "fp32" and r.latency_p50_ms
    }
    profiles = {_row(r): r.op_profile for r in records if r.recipe == "fp32" and r.op_profile}
    found = []
    for r in records:
        base = baseline.get((r.model, r.dataset, r.runtime, r.threads, r.device))
        if r.recipe == "fp32" or not base or r.latency_p50_ms is None:
            continue
        ratio = r.latency_p50_ms / base
        if ratio < SLOWER_RATIO:
            continue
        causes: list[str] = []
        if r.artifact_path and r.artifact_format:
            causes += inspect(Path(r.artifact_path), r.artifact_format)
        causes += cpu_causes(r.recipe, flags)
        causes += width_causes(r.runtime, r.compression)
        causes += profile_causes(r.op_profile, profiles.get(_row(r)))
        found.append(Slowdown(r, base, ratio, tuple(causes)))
    return found


def bit_limits(records: Sequence[Record], threshold: float | None) -> list[dict[str, Any]]:
    """For each data-free sweep (same model/dataset/runtime/scheme, several bit widths), the
    lowest bit width from which every wider measured width stays within ``threshold``."""
    groups: dict[tuple[str, ...], dict[int, float | None]] = defaultdict(dict)
    for r in records:
        parsed = describe_recipe(r.recipe)
        sweep = None if parsed is None else parsed.sweep(axis="bits")
        if sweep is None:
            continue
        key = (r.model, r.dataset, r.runtime, r.device, sweep.pattern)
        groups[key][int(sweep.value)] = r.accuracy_drop
    limits = []
    for (model, dataset, runtime, device, family), drops in sorted(groups.items()):
        if len(drops) < 2:
            continue
        limit = None
        for bits in sorted(drops, reverse=True):
            drop = drops[bits]
            if drop is None or threshold is None or drop > threshold:
                break
            limit = bits
        limits.append(
            {
                "model": model,
                "dataset": dataset,
                "runtime": runtime,
                "device": device,
                "recipe": family,
                "threshold": threshold,
                "bit_limit": limit,
                "drops": {str(b): drops[b] for b in sorted(drops)},
            }
        )
    return limits

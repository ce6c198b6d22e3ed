"""ONNX graphs made ready for counting and quantizing, whoever exported them.

Some exporters (Paddle's, older PyTorch ones) store weights as ``Constant`` nodes instead
of initializers: parameter counts then read 0, ONNX Runtime's dynamic quantizer refuses
the model ("Expected ... to be an initializer") and its static quantizer leaves those
weights in float. :func:`constants_to_initializers` moves them where every tool looks.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

#: ONNX tensor types that hold weights (float32, float16, double, bfloat16).
WEIGHT_TYPES = frozenset({1, 10, 11, 16})


def constants_to_initializers(model: Any) -> int:
    """Move the main graph's ``Constant`` nodes that hold a weight tensor (a float tensor of
    more than one element) into its initializers, in place; the number moved.

    >>> import onnx
    >>> from onnx import helper, numpy_helper, TensorProto
    >>> import numpy as np
    >>> weight = numpy_helper.from_array(np.ones((2, 2), np.float32), "w")
    >>> node = helper.make_node("Constant", [], ["w"], value=weight)
    >>> matmul = helper.make_node("MatMul", ["x", "w"], ["y"])
    >>> x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    >>> y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    >>> model = helper.make_model(helper.make_graph([node, matmul], "g", [x], [y]))
    >>> constants_to_initializers(model), [t.name for t in model.graph.initializer]
    (1, ['w'])
    """
    graph = model.graph
    moved = []
    for node in graph.node:
        if (
            node.op_type != "Constant"
            or len(node.output) != 1
            or node.domain not in ("", "ai.onnx")
        ):
            continue
        value = next((a for a in node.attribute if a.name == "value" and a.HasField("t")), None)
        if value is None or value.t.data_type not in WEIGHT_TYPES:
            continue
        size = 1
        for dim in value.t.dims:
            size *= dim
        if size <= 1:
            continue
        tensor = type(value.t)()
        tensor.CopyFrom(value.t)
        tensor.name = node.output[0]
        graph.initializer.append(tensor)
        moved.append(node)
    for node in moved:
        graph.node.remove(node)
    return len(moved)


def onnx_input(path: Path) -> tuple[str, tuple[int | None, ...]]:
    """Name and per-sample shape of an ONNX model's single input (``None``: dynamic);
    ``ConversionError`` for a model with several inputs."""
    import onnx

    from edgebench.errors import ConversionError

    model = onnx.load(str(path), load_external_data=False)
    initializers = {t.name for t in model.graph.initializer}
    inputs = [i for i in model.graph.input if i.name not in initializers]
    if len(inputs) != 1:
        raise ConversionError(
            f"the model needs one input to be converted or quantized, found {len(inputs)}"
        )
    dims = inputs[0].type.tensor_type.shape.dim[1:]
    return inputs[0].name, tuple(int(d.dim_value) if d.dim_value > 0 else None for d in dims)


#: what a TensorFlow scope name may hold (onnx2tf names its layers after the ONNX nodes,
#: and Paddle's exporter writes names such as ``Softmax@0``).
_SCOPE_UNSAFE = re.compile(r"[^A-Za-z0-9_.\-/]")


def static_for_conversion(
    source: Path, target: Path, input_name: str, shape: tuple[int, ...]
) -> None:
    """Write ``source`` to ``target`` ready for a converter that wants a static graph:
    Constant weights as initializers, ``input_name`` fixed to ``shape`` (batch included),
    the other shapes inferred anew, and every node named with what a TensorFlow scope
    accepts (unnamed nodes get ``node_<i>``)."""
    import onnx

    model = onnx.load(str(source))
    constants_to_initializers(model)
    for graph_input in model.graph.input:
        if graph_input.name != input_name:
            continue
        dims = graph_input.type.tensor_type.shape.dim
        for dim, value in zip(dims, shape, strict=False):
            dim.ClearField("dim_param")
            dim.dim_value = int(value)
    for output in model.graph.output:
        for dim in output.type.tensor_type.shape.dim:
            dim.ClearField("dim_param")
            dim.ClearField("dim_value")
    del model.graph.value_info[:]
    model = onnx.shape_inference.infer_shapes(model)
    for index, node in enumerate(model.graph.node):
        node.name = _SCOPE_UNSAFE.sub("_", node.name) if node.name else f"node_{index}"
    onnx.save(model, str(target))

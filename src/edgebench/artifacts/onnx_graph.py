"""ONNX graphs made ready for counting and quantizing, whoever exported them.

Some exporters (Paddle's, older PyTorch ones) store weights as ``Constant`` nodes instead
of initializers: parameter counts then read 0, ONNX Runtime's dynamic quantizer refuses
the model ("Expected ... to be an initializer") and its static quantizer leaves those
weights in float. :func:`constants_to_initializers` moves them where every tool looks.
"""

from __future__ import annotations

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

from collections import Counter

from edgebench.report.findings import bit_limits, cpu_causes, onnx_causes, slowdowns, tflite_causes
from edgebench.results import Record


def rec(recipe, p50, runtime="onnxruntime", threads=1, drop=None, path="/a.onnx"):
    return Record(
        "m",
        "digits",
        recipe,
        runtime,
        threads,
        "host",
        latency_p50_ms=p50,
        accuracy_drop=drop,
        artifact_path=path,
        artifact_format=path.rsplit(".", 1)[-1],
    )


def test_dynamic_quantization_cause():
    causes = onnx_causes(
        Counter({"ConvInteger": 27, "MatMulInteger": 1, "DynamicQuantizeLinear": 28})
    )
    assert causes and "ConvInteger x27, MatMulInteger x1" in causes[0]


def test_float_islands_in_int8_graph():
    causes = onnx_causes(Counter({"QLinearConv": 27, "QuantizeLinear": 5, "BatchNormalization": 4}))
    assert causes == [
        "float ops left in the int8 graph (BatchNormalization x4) force Dequantize/Quantize round trips"
    ]
    assert onnx_causes(Counter({"Conv": 3, "BatchNormalization": 1})) == []  # a float graph


def test_tflite_causes():
    assert (
        "reference kernels" in tflite_causes(Counter(), {"INT16", "FLOAT32"}, {"INT8", "INT32"})[0]
    )
    assert "dequantized" in tflite_causes(Counter({"DEQUANTIZE": 20}), {"FLOAT32"}, {"FLOAT16"})[0]
    assert "hybrid" in tflite_causes(Counter(), {"FLOAT32"}, {"INT8", "FLOAT32"})[0]
    assert tflite_causes(Counter({"QUANTIZE": 1}), {"INT8", "FLOAT32"}, {"INT8", "INT32"}) == []


def test_cpu_without_dot_product_instructions():
    assert cpu_causes("int8", ["sse4_2", "avx2"])
    assert cpu_causes("int8", ["avx512_vnni"]) == []
    assert cpu_causes("fp16", ["avx2"]) == []


def test_slowdowns_compare_within_the_same_row():
    records = [
        rec("fp32", 1.0),
        rec("ort-dyn", 15.0),
        rec("ort-qdq", 1.05),
        rec("fp32", 2.0, threads=2),
        rec("ort-dyn", 1.0, threads=2),
        rec("int8", None),
    ]
    found = slowdowns(
        records, ["avx512_vnni"], inspect=lambda path, fmt: [f"looked at {path.name}"]
    )
    assert [(s.record.recipe, s.record.threads, round(s.ratio, 2)) for s in found] == [
        ("ort-dyn", 1, 15.0)
    ]
    assert found[0].causes == ("looked at a.onnx",)
    assert (
        "15.00x slower than fp32 (p50 15.000 vs 1.000 ms); likely cause: looked at a.onnx"
        in found[0].line()
    )
    nothing = slowdowns([rec("fp32", 1.0), rec("x", 2.0)], ["avx512_vnni"], inspect=lambda p, f: [])
    assert nothing[0].line().endswith("likely cause: no cause detected")


def test_bit_limit_is_the_lowest_width_from_which_all_wider_stay_within():
    drops = {8: 0.0, 7: 0.2, 6: 0.5, 5: 2.0, 4: 0.9, 3: 30.0, 2: 60.0}
    records = [rec(f"dfq{b}-asym-pc", 1.0, drop=d) for b, d in drops.items()]
    records.append(rec("fp32", 1.0, drop=0.0))
    (limit,) = bit_limits(records, 1.0)
    assert limit["bit_limit"] == 6  # 4 bits is within, but 5 is not
    assert limit["recipe"] == "dfq*-asym-pc" and limit["drops"]["5"] == 2.0
    assert bit_limits(records, 0.1)[0]["bit_limit"] == 8
    assert (
        bit_limits([rec("dfq8-asym-pc", 1.0, drop=3.0), rec("dfq7-asym-pc", 1.0, drop=3.0)], 1.0)[
            0
        ]["bit_limit"]
        is None
    )
    assert bit_limits([rec("dfq8-asym-pc", 1.0, drop=0.0)], 1.0) == []  # not a sweep

"""Data-free quantization schemes against hand-computed examples."""

import math

import numpy as np
import pytest

from edgebench.compression.dfq import packed_bits, quantize_weights
from edgebench.compression.tensor_stats import describe_tensor, quantization_error


def values(weights, bits, scheme, axis=None):
    return quantize_weights(np.array(weights, np.float32), bits, scheme, axis).values.tolist()


def test_symmetric_two_bits_levels_are_minus_one_zero_one():
    assert values([-1.0, -0.4, 0.2, 0.6, 1.0], 2, "sym") == [-1.0, 0.0, 0.0, 1.0, 1.0]


def test_symmetric_rounds_half_to_even():
    # 3 bits: levels -3..3, scale 0.9/3 = 0.3; 0.45/0.3 = 1.5 rounds to 2, 0.1/0.3 to 0
    assert values([-0.9, 0.1, 0.45, 0.6], 3, "sym") == pytest.approx([-0.9, 0.0, 0.6, 0.6])


def test_asymmetric_exact_grid_and_zero_point():
    result = quantize_weights(np.array([-1.0, 0.0, 2.0], np.float32), 2, "asym")
    assert result.values.tolist() == [-1.0, 0.0, 2.0]  # scale 1, zero point 1
    assert result.scales.tolist() == [1.0] and result.zero_points.tolist() == [1]


def test_asymmetric_zero_point_rounding_and_range_includes_zero():
    # range [-0.25, 1.0] -> scale 1.25/3, zero point round(0.6) = 1; codes 0 and 3
    scale = 1.25 / 3
    result = quantize_weights(np.array([-0.25, 1.0], np.float32), 2, "asym")
    assert result.zero_points.tolist() == [1]
    assert result.values.tolist() == pytest.approx([-scale, 2 * scale])
    # all-positive weights still get a range starting at 0, so 0 stays exact
    assert values([0.5, 1.5], 2, "asym") == pytest.approx([0.5, 1.5])


def test_power_of_two_levels_zero_and_clipping():
    # 3 bits: 3 magnitudes 2^0, 2^-1, 2^-2 (e_max = round(log2 1.0) = 0), plus zero
    assert values([1.0, -0.5, 0.3, 0.2, 0.1, 0.0], 3, "po2") == [1.0, -0.5, 0.25, 0.25, 0.0, 0.0]
    # e_max = round(log2 3) = 2: 3.0 snaps up to 4.0
    assert values([3.0, 1.0], 3, "po2") == [4.0, 1.0]


def test_per_channel_scales_along_the_output_axis():
    weights = np.array([[1.0, 10.0], [0.5, -5.0]], np.float32)  # channel = last axis
    result = quantize_weights(weights, 2, "sym", channel_axis=-1)
    assert result.values.tolist() == [[1.0, 10.0], [0.0, 0.0]]
    assert result.scales.tolist() == [1.0, 10.0] and result.ranges == 2
    per_tensor = quantize_weights(weights, 2, "sym")
    assert per_tensor.values.tolist() == [[0.0, 10.0], [0.0, -0.0]] and per_tensor.ranges == 1


def test_per_channel_on_a_conv_kernel_keeps_the_shape():
    kernel = np.random.default_rng(0).normal(size=(3, 3, 4, 8)).astype(np.float32)
    result = quantize_weights(kernel, 4, "asym", channel_axis=-1)
    assert result.values.shape == kernel.shape and result.ranges == 8
    for channel in range(8):
        assert np.unique(result.values[..., channel]).size <= 16


@pytest.mark.parametrize("scheme", ["sym", "asym", "po2"])
@pytest.mark.parametrize("bits", [2, 4, 8])
def test_distinct_values_never_exceed_the_levels(scheme, bits):
    weights = np.random.default_rng(bits).normal(size=1000).astype(np.float32)
    distinct = np.unique(quantize_weights(weights, bits, scheme).values).size
    assert distinct <= 2**bits


def test_all_zero_tensor_stays_zero():
    for scheme in ("sym", "asym", "po2"):
        assert values([0.0, 0.0], 4, scheme) == [0.0, 0.0]


@pytest.mark.parametrize(("bits", "scheme"), [(1, "sym"), (9, "sym"), (4, "log")])
def test_invalid_arguments(bits, scheme):
    with pytest.raises(ValueError):
        quantize_weights(np.ones(3), bits, scheme)


def test_packed_bits():
    # 100 4-bit codes, 10 ranges of (float32 scale + 4-bit zero point), 50 float32 params
    assert packed_bits(100, 10, 4, "asym", 50) == 400 + 10 * 36 + 50 * 32
    assert packed_bits(100, 10, 4, "sym", 0) == 400 + 10 * 32


def test_tensor_statistics():
    stats = describe_tensor(np.array([0.0, 0.0, 1.0, 3.0]))
    assert stats == {
        "min": 0.0,
        "q1": 0.0,
        "median": 0.5,
        "q3": 1.5,
        "max": 3.0,
        "mean": 1.0,
        "std": pytest.approx(math.sqrt(1.5)),
        "zero_fraction": 0.5,
        "distinct": 3,
    }


def test_quantization_error():
    error = quantization_error(np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    assert error["mse"] == 0.5
    assert error["snr_db"] == pytest.approx(10 * math.log10(5.0))
    assert quantization_error(np.ones(3), np.ones(3))["snr_db"] is None

"""The pure parts of the toolbox (issue 25): the distillation loss, low-rank factors and
the power-of-two check, against hand computations and properties (no framework)."""

import doctest

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from edgebench.compression import dfq, distillation, lowrank, sensitivity
from edgebench.compression.distillation import distillation_loss, logits_of, softmax
from edgebench.compression.lowrank import chosen_rank, factor_conv, factor_dense, relative_error
from edgebench.data import hierarchy
from edgebench.recipes import default_registry, parse_recipe, parse_recipes


@pytest.mark.parametrize("module", [distillation, lowrank, dfq, sensitivity, hierarchy])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


def test_distillation_loss_by_hand():
    # teacher [ln 3, 0] at T=1: soft targets (0.75, 0.25); student uniform over two classes
    teacher = np.array([[np.log(3.0), 0.0]])
    student = np.zeros((1, 2))
    hard = np.log(2.0)
    kl = 0.75 * np.log(0.75 / 0.5) + 0.25 * np.log(0.25 / 0.5)
    got = distillation_loss(student, teacher, np.array([1]), temperature=1.0, alpha=0.5)
    assert got == pytest.approx(0.5 * hard + 0.5 * kl)
    # T^2 scales the soft term: at T=2 the soft targets are softmax([ln3/2, 0])
    soft = softmax(teacher, 2.0)[0]
    kl2 = float(np.sum(soft * np.log(soft / 0.5)))
    assert distillation_loss(student, teacher, np.array([1]), 2.0, 1.0) == pytest.approx(4 * kl2)


def test_probabilities_and_logits_give_the_same_loss():
    rng = np.random.default_rng(0)
    z_s, z_t = rng.normal(size=(6, 5)), rng.normal(size=(6, 5))
    labels = rng.integers(0, 5, 6)
    from_logits = distillation_loss(z_s, z_t, labels)
    from_probs = distillation_loss(
        logits_of(softmax(z_s), True), logits_of(softmax(z_t), True), labels
    )
    assert from_probs == pytest.approx(from_logits, rel=1e-9)


matrices = hnp.arrays(
    np.float64,
    st.tuples(st.integers(2, 9), st.integers(2, 9)),
    elements=st.floats(-4, 4, allow_nan=False),
)


@settings(max_examples=60, deadline=None)
@given(matrices, st.integers(1, 9))
def test_dense_factors_are_the_best_rank_r_approximation(w, rank):
    factors = factor_dense(w, rank)
    r = factors.rank
    assert r == min(rank, *w.shape)
    s = np.linalg.svd(w, compute_uv=False)
    # Eckart-Young: the error is the norm of the dropped singular values
    expected = np.sqrt(np.sum(s[r:] ** 2))
    assert np.linalg.norm(w - factors.first @ factors.second) == pytest.approx(expected, abs=1e-4)


kernels = hnp.arrays(
    np.float64,
    st.tuples(
        st.sampled_from([1, 3]), st.sampled_from([1, 3]), st.integers(1, 6), st.integers(1, 6)
    ),
    elements=st.floats(-2, 2, allow_nan=False),
)


@settings(max_examples=60, deadline=None)
@given(kernels, st.integers(1, 6))
def test_tucker2_ranks_and_error(kernel, rank):
    factors = factor_conv(kernel, rank)
    r_in, r_out = factors.ranks
    assert r_in <= min(rank, kernel.shape[2]) and r_out <= min(rank, kernel.shape[3])
    assert (factors.first is None) == (r_in >= kernel.shape[2])
    approximation = factors.reconstruct()
    assert approximation.shape == kernel.shape
    # full ranks reconstruct the kernel exactly
    full = factor_conv(kernel, 64)
    np.testing.assert_allclose(full.reconstruct(), kernel, atol=1e-4)
    # a projection never grows the kernel
    assert np.linalg.norm(approximation) <= np.linalg.norm(kernel) + 1e-4


def test_energy_rank_keeps_the_share():
    s = np.array([4.0, 2.0, 1.0, 0.5])
    share = np.cumsum(s**2) / np.sum(s**2)  # 0.7619, 0.9524, 0.9762, 1.0
    assert [chosen_rank(s, energy=e) for e in (0.5, 0.9, 0.96, 0.99)] == [1, 2, 3, 4]
    assert share[1] >= 0.9 > share[0]


def test_relative_error():
    assert relative_error(np.ones(4), np.zeros(4)) == 1.0
    assert relative_error(np.zeros(4), np.ones(4)) == 0.0


@pytest.mark.parametrize(
    ("text", "token", "bits", "sweep"),
    [
        ("kd5", "kd5", None, None),
        ("sprune0.5+kd5-t2-a0.5", "kd5-t2-a0.5", None, "sprune*+kd5-t2-a0.5"),
        ("lowrank8", "lowrank8", None, "lowrank*"),
        ("lowrank-e0.9+ft2", "lowrank-e0.9", None, None),
        ("qat-po2", "qat-po2", 6, "qat-po2-b*"),
        ("qat-po2-b4+ft3", "qat-po2-b4+ft3", 4, "qat-po2-b*+ft3"),
    ],
)
def test_toolbox_recipes_parse(text, token, bits, sweep):
    recipe = parse_recipe(text, default_registry())
    assert token in [step.token for step in recipe.steps]
    assert recipe.bits == bits
    found = recipe.sweep()
    assert (found.pattern if found else None) == sweep
    assert parse_recipe(recipe.id, default_registry()).id == recipe.id


def test_a_range_of_power_of_two_bits_expands():
    ids = [r.id for r in parse_recipes(["qat-po2-b3..5"], default_registry())]
    assert ids == ["qat-po2-b3", "qat-po2-b4", "qat-po2-b5"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("kd0", "at least one epoch"),
        ("kd2-a1.5", "between 0 and 1"),
        ("lowrank0", "1 or more"),
        ("lowrank-e1.0", "between 0 and 1"),
        ("qat-po2-b9", "2 to 8 bits"),
    ],
)
def test_bad_toolbox_recipes_say_why(text, says):
    from edgebench.errors import UsageError

    with pytest.raises(UsageError, match=says):
        parse_recipe(text, default_registry())


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=8), st.floats(0, 10))
def test_the_proposal_always_meets_a_threshold_fp32_meets(costs, max_drop):
    """With costs that add up (a toy model of the metric), the greedy search stops at the
    first prefix within the threshold, and keeping every layer float is fp32."""
    from edgebench.compression.sensitivity import measure_layers, propose_float_layers

    names = [f"l{i}" for i in range(len(costs))]
    cost = dict(zip(names, costs, strict=True))

    def metric(float_layers):
        return 1.0 - sum(cost[n] for n in names if n not in float_layers) / 1000

    def points(base, value):
        return (base - value) * 100

    fp32, quantized = metric(frozenset(names)), metric(frozenset())
    layers = measure_layers([(n, 1) for n in names], metric, fp32, quantized, points)
    assert [s.layer for s in layers] == sorted(names, key=lambda n: (-cost[n], n))
    found = propose_float_layers(layers, metric, fp32, quantized, max_drop, points)
    assert found["met"] and found["drop"] <= max_drop + 1e-9
    # no shorter prefix of the path met the threshold
    assert all(step["drop"] > max_drop for step in found["path"][:-1])


def test_the_layers_of_converted_files_are_named_by_their_layer_part():
    from pathlib import Path

    from edgebench.recipes.layer_rules import (
        layer_labels,
        matched,
        onnx_weight_layers,
        tflite_weight_layers,
    )

    data = Path(__file__).parent / "data"
    assert onnx_weight_layers(data / "digits_mlp.onnx") == [
        ("dense", 64 * 32),
        ("dense_1", 32 * 10),
    ]
    assert sorted(tflite_weight_layers(data / "digits_mlp.tflite")) == [
        ("dense", 64 * 32),
        ("dense_1", 32 * 10),
    ]
    # a layer part that is not unique falls back to the whole name
    assert layer_labels(["/a/0/Conv", "/b/0/Conv"]) == ["/a/0/Conv", "/b/0/Conv"]
    from edgebench.errors import ConversionError

    with pytest.raises(ConversionError, match="-skip=conv9 matches no operator of m.onnx"):
        matched(["m/conv1/Conv2D"], ["conv9"], "m.onnx")

"""Graph surgery on real Keras models (imports TensorFlow: a few seconds)."""

import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

sys.path.insert(0, str(Path(__file__).parent.parent))
from models import mobilenet_v1  # noqa: E402


@pytest.fixture(scope="module")
def keras():
    from edgebench.frameworks.keras.tfcompat import import_keras

    return import_keras()


def randomise_batchnorm(model, seed=0):
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            g, b, m, v = layer.get_weights()
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, g.shape),
                    rng.normal(0, 0.1, b.shape),
                    rng.normal(0, 0.1, m.shape),
                    rng.uniform(0.5, 1.5, v.shape),
                ]
            )
    return model


@pytest.fixture(scope="module")
def mobilenet(keras):
    keras.utils.set_random_seed(0)
    return randomise_batchnorm(mobilenet_v1.build(keras, (32, 32, 1), 10, alpha=0.25))


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(1).random((3, 32, 32, 1)).astype(np.float32)


def test_batchnorm_folding_keeps_the_function(mobilenet, images):
    from edgebench.frameworks.keras.graph import fold_batchnorm

    folded = fold_batchnorm(mobilenet)
    assert not [layer for layer in folded.layers if type(layer).__name__ == "BatchNormalization"]
    np.testing.assert_allclose(
        folded.predict(images, verbose=0), mobilenet.predict(images, verbose=0), atol=1e-5
    )


def test_structured_pruning_keeps_the_strongest_filters(mobilenet, images):
    from edgebench.frameworks.keras.graph import count_macs, structured_prune

    same, _ = structured_prune(mobilenet, 0.0, "l1", 0)
    np.testing.assert_allclose(
        same.predict(images, verbose=0), mobilenet.predict(images, verbose=0), atol=1e-6
    )
    narrow, meta = structured_prune(mobilenet, 0.5, "l1", 0)
    assert narrow.count_params() < 0.4 * mobilenet.count_params()
    assert count_macs(narrow) < 0.4 * count_macs(mobilenet)
    kernel = mobilenet.get_layer("conv1").get_weights()[0]
    strongest = np.sort(
        np.argsort(-np.abs(kernel).sum(axis=(0, 1, 2)))[: meta["pruned_layers"]["conv1"]]
    )
    np.testing.assert_array_equal(
        narrow.get_layer("conv1").get_weights()[0], kernel[..., strongest]
    )
    # the depthwise conv after conv1 keeps the same channels
    dw = mobilenet.get_layer("conv_dw_1").get_weights()[0]
    np.testing.assert_array_equal(
        narrow.get_layer("conv_dw_1").get_weights()[0], dw[:, :, strongest, :]
    )
    assert narrow.predict(images, verbose=0).shape == (3, 10)


def test_residual_additions_prune_as_one_group(keras):
    """Convolutions that meet at an addition lose the same channels; one that feeds a
    concatenation keeps all of its channels."""
    from edgebench.frameworks.keras.graph import (
        channel_plan,
        prunable_convolutions,
        structured_prune,
    )

    inputs = keras.Input((8, 8, 3))
    a = keras.layers.Conv2D(8, 3, padding="same", name="a")(inputs)
    b = keras.layers.Conv2D(8, 3, padding="same", name="b")(a)
    c = keras.layers.Conv2D(8, 3, padding="same", name="c")(keras.layers.Add()([a, b]))
    d = keras.layers.Conv2D(4, 1, name="d")(c)
    joined = keras.layers.Concatenate()([c, d])
    out = keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(joined))
    model = keras.Model(inputs, out)
    assert prunable_convolutions(model) == ["a", "b"]
    plan = channel_plan(model, 0.5, "l2", 0)
    np.testing.assert_array_equal(plan["a"], plan["b"])
    summed = sum(
        np.sqrt((model.get_layer(n).get_weights()[0] ** 2).sum(axis=(0, 1, 2))) for n in "ab"
    )
    np.testing.assert_array_equal(plan["a"], np.sort(np.argsort(-summed)[:4]))
    narrow, meta = structured_prune(model, 0.5, "l2", 0)
    assert meta["pruned_layers"] == {"a": 4, "b": 4}
    assert meta["channel_groups"] == 1
    x = np.ones((1, 8, 8, 3), np.float32)
    assert narrow.predict(x, verbose=0).shape == (1, 2)


def test_macs_by_hand(keras):
    from edgebench.frameworks.keras.graph import count_macs

    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Conv2D(4, 3, padding="same")(inputs)  # 8*8 * 3*3*1 * 4 = 2304
    x = keras.layers.DepthwiseConv2D(3, strides=2, padding="same")(x)  # 4*4 * 3*3 * 4 = 576
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(10)(x)  # 4 * 10 = 40
    assert count_macs(keras.Model(inputs, outputs)) == 2304 + 576 + 40


def test_channel_ranking():
    from edgebench.frameworks.keras.graph import rank_channels

    kernel = np.zeros((1, 1, 2, 3), np.float32)
    kernel[..., 0] = [1.0, 1.0]  # l1 2, l2 1.41
    kernel[..., 1] = [0.0, 1.9]  # l1 1.9, l2 1.9
    kernel[..., 2] = [0.1, 0.0]
    rng = np.random.default_rng(0)
    assert rank_channels(kernel, "l1", rng).tolist() == [0, 1, 2]
    assert rank_channels(kernel, "l2", rng).tolist() == [1, 0, 2]
    assert sorted(rank_channels(kernel, "random", rng).tolist()) == [0, 1, 2]


def test_round_to_keeps_widths_multiples(mobilenet):
    """sprune-rN removes channels in multiples of N: MobileNetV1 at alpha 0.25 has widths
    that are multiples of 8, and they stay so (without it, 30% leaves 6, 11, 22, ...)."""
    from edgebench.frameworks.keras.graph import structured_prune

    _, plain = structured_prune(mobilenet, 0.3, "l1", 0)
    _, rounded = structured_prune(mobilenet, 0.3, "l1", 0, round_to=8)
    assert any(width % 8 for width in plain["pruned_layers"].values())
    assert all(width % 8 == 0 for width in rounded["pruned_layers"].values())
    assert rounded["round_to"] == 8

"""The Keras zoo models (MobileNetV2, MobileNetV3-Small, EfficientNet-Lite0/B0,
ResNet-18): sizes by hand, structured pruning through residual additions and
squeeze-excitation gates, and pretrained-weight loading into the mirrored graphs."""

import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.slow

sys.path.insert(0, str(Path(__file__).parent.parent))
from models import (  # noqa: E402
    efficientnet_b0,
    efficientnet_lite0,
    mobilenet_v2,
    mobilenet_v3_small,
    resnet18,
)

NEW_MODELS = {
    "mobilenet_v2": (mobilenet_v2, {"alpha": 0.35}),
    "mobilenet_v3_small": (mobilenet_v3_small, {"alpha": 0.75}),
    "efficientnet_lite0": (efficientnet_lite0, {}),
    "efficientnet_b0": (efficientnet_b0, {"width": 0.25}),
    "resnet18": (resnet18, {"width": 0.125}),
}


@pytest.fixture(scope="module")
def keras():
    from edgebench.frameworks.keras.tfcompat import import_keras

    return import_keras()


def randomise(model, seed=0):
    """Batch-norm statistics and biases away from their identity initialisation, so a
    wrong channel shows in the outputs."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if type(layer).__name__ == "BatchNormalization":
            g, b, m, v = weights
            layer.set_weights(
                [
                    rng.uniform(0.5, 1.5, g.shape),
                    rng.normal(0, 0.1, b.shape),
                    rng.normal(0, 0.1, m.shape),
                    rng.uniform(0.5, 1.5, v.shape),
                ]
            )
        elif type(layer).__name__ in ("Conv2D", "Dense") and len(weights) == 2:
            layer.set_weights([weights[0], rng.normal(0, 0.1, weights[1].shape)])
    return model


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(1).random((2, 32, 32, 3)).astype(np.float32)


def masked_copy(keras, model, keep):
    """``model`` with every pruned channel silenced instead of removed: the pruned filters
    of each convolution and the matching batch-norm channels zeroed (scale and shift), so
    the channel is 0 after every activation and merge (relu, swish, hard-swish of 0 are 0;
    a gate of a zero channel multiplies 0)."""
    from edgebench.frameworks.keras.graph import channel_groups

    groups = channel_groups(model)
    dropped = {}
    for name, kept in keep.items():
        width = model.get_layer(name).filters
        dropped[groups.root(groups.space_of[name])] = np.setdiff1d(np.arange(width), kept)
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    for layer in copy.layers:
        kind = type(layer).__name__
        space = groups.space_of.get(layer.name)
        gone = None if space is None else dropped.get(groups.root(space))
        if gone is None or kind not in ("Conv2D", "BatchNormalization", "DepthwiseConv2D"):
            continue
        weights = layer.get_weights()
        if kind == "Conv2D":
            weights[0][..., gone] = 0
            if len(weights) > 1:
                weights[1][gone] = 0
        elif kind == "BatchNormalization":
            weights[0][gone] = 0
            weights[1][gone] = 0
        elif len(weights) > 1:
            weights[1][gone] = 0
        layer.set_weights(weights)
    return copy


@pytest.mark.parametrize("name", sorted(NEW_MODELS))
def test_structured_pruning_equals_silencing_the_channels(keras, images, name):
    """Removing a group's channels (slicing every layer that touches them) gives the
    same outputs as zeroing them in the unpruned model: the additions and gates stay
    consistent, and the narrow model really is smaller."""
    from edgebench.frameworks.keras.graph import channel_plan, count_macs, structured_prune

    module, params = NEW_MODELS[name]
    keras.utils.set_random_seed(0)
    model = randomise(module.build(keras, (32, 32, 3), 10, **params))
    narrow, meta = structured_prune(model, 0.3, "l1", 0)
    keep = channel_plan(model, 0.3, "l1", 0)
    assert set(meta["pruned_layers"]) == set(keep)
    assert meta["channel_groups"] > 0  # additions or gates joined convolutions
    assert narrow.count_params() < 0.8 * model.count_params()
    assert count_macs(narrow) < 0.8 * count_macs(model)
    reference = masked_copy(keras, model, keep)
    expected = logits(keras, reference, images)
    assert expected.std() > 0.02  # outputs that can tell a wrong channel
    np.testing.assert_allclose(logits(keras, narrow, images), expected, rtol=1e-4, atol=1e-4)


def logits(keras, model, images):
    """The classifier's inputs times its weights (before the softmax flattens them)."""
    head = model.get_layer("predictions")
    features = keras.Model(model.inputs, head.input).predict(images, verbose=0)
    kernel, bias = head.get_weights()
    return features @ kernel + bias


APPLICATIONS = {
    # zoo model, parameters, keras.applications kwargs, the layer before pooling
    "mobilenet_v2": ({"alpha": 0.35}, {"alpha": 0.35}, "out_relu"),
    "mobilenet_v3_small": (
        {"alpha": 0.75},
        {"alpha": 0.75, "include_preprocessing": False},
        "Conv_1/hard_swish",
    ),
    "efficientnet_b0": ({}, {}, "top_activation"),
}


@pytest.mark.parametrize("name", sorted(APPLICATIONS))
def test_application_weights_load_into_the_mirrored_graph(keras, name):
    """keras.applications' own network (random weights here: ImageNet's need a download)
    copied into the zoo graph gives the same feature maps: the graphs are the same
    function, so weights=imagenet online means the published network."""
    from edgebench.artifacts.pretrained import transfer_weights

    module = NEW_MODELS[name][0]
    params, app_kwargs, features = APPLICATIONS[name]
    keras.utils.set_random_seed(0)
    reference = randomise(
        getattr(keras.applications, module.APPLICATION)(
            input_shape=(32, 32, 3), include_top=False, weights=None, **app_kwargs
        )
    )
    model = module.build(keras, (32, 32, 3), 10, **params)
    copied = transfer_weights(reference, model)
    assert copied > 30
    images = np.random.default_rng(2).random((2, 32, 32, 3)).astype(np.float32)
    # EfficientNet's application rescales by 1/255 itself (its normaliser is the identity
    # before ImageNet weights are loaded)
    scale = 255.0 if name == "efficientnet_b0" else 1.0
    expected = reference.predict(images * scale, verbose=0)
    got = keras.Model(model.inputs, model.get_layer(features).output).predict(images, verbose=0)
    assert expected.std() > 0.01
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_grey_inputs_take_the_summed_colour_kernel(keras):
    from edgebench.artifacts.pretrained import transfer_weights

    keras.utils.set_random_seed(0)
    reference = randomise(
        keras.applications.MobileNetV2(
            input_shape=(32, 32, 3), include_top=False, weights=None, alpha=0.35
        )
    )
    model = mobilenet_v2.build(keras, (32, 32, 1), 10, alpha=0.35)
    transfer_weights(reference, model)
    grey = np.random.default_rng(3).random((2, 32, 32, 1)).astype(np.float32)
    expected = reference.predict(np.repeat(grey, 3, axis=-1), verbose=0)
    got = keras.Model(model.inputs, model.get_layer("out_relu").output).predict(grey, verbose=0)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


def test_a_graph_that_does_not_mirror_the_application_is_refused(keras):
    from edgebench.artifacts.pretrained import transfer_weights
    from edgebench.errors import UsageError

    reference = keras.applications.MobileNetV2(
        input_shape=(32, 32, 3), include_top=False, weights=None, alpha=0.35
    )
    with pytest.raises(UsageError, match="cannot take"):
        transfer_weights(reference, mobilenet_v2.build(keras, (32, 32, 3), 10, alpha=0.5))


def test_imagenet_weights_offline_skip_with_the_reason(keras, monkeypatch, tmp_path):
    """Offline (no Keras cache), weights=imagenet is a dataset-style 'cannot be had here'."""
    from edgebench.errors import DatasetUnavailable

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/: None -- offline")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    from tf_keras.src.applications import mobilenet_v2 as app_module

    monkeypatch.setattr(app_module.data_utils, "get_file", offline)
    with pytest.raises(DatasetUnavailable, match="run once online"):
        mobilenet_v2.build(keras, (32, 32, 3), 10, alpha=0.35, weights="imagenet")


def test_hard_swish_and_gates_go_through_tfmot_prune_and_qat(keras):
    """tfmot's registries know neither Rescaling nor (for QAT) Multiply: pruning wraps the
    layers it knows and leaves those (they hold no weights), QAT fake-quantizes their
    outputs, where tfmot's own quantize_model refuses the model."""
    import tensorflow_model_optimization as tfmot

    from edgebench.recipes.training_steps import _prune_wrapped, _quantize_for_training

    model = mobilenet_v3_small.build(keras, (32, 32, 1), 10, alpha=0.75)
    with pytest.raises(Exception, match="not supported"):
        tfmot.quantization.keras.quantize_model(model)
    quantized, output_only = _quantize_for_training(model)
    assert "Conv/hard_swish" in output_only and "expanded_conv/squeeze_excite/Mul" in output_only
    schedule = tfmot.sparsity.keras.ConstantSparsity(0.5, begin_step=0)
    pruned = _prune_wrapped(model, schedule)
    wrapped = {type(layer).__name__ for layer in pruned.layers}
    assert "PruneLowMagnitude" in wrapped and "Rescaling" in wrapped
    x = np.random.default_rng(0).random((2, 32, 32, 1)).astype(np.float32)
    assert quantized.predict(x, verbose=0).shape == pruned.predict(x, verbose=0).shape == (2, 10)

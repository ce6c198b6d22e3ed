"""Pretrained ImageNet weights from ``keras.applications`` for zoo models that mirror an
application's layers (``--model mobilenet_v2:weights=imagenet``).

The zoo builder builds its own graph (standard layers only, so graph surgery, tfmot and
both converters handle it) and copies the application's weights into it layer by layer:
the convolutions, depthwise convolutions and batch norms of both, in graph order, must
match one for one (the classifier is new). Keras downloads the weights once online
(into ``~/.keras/models``); offline and not there, the model's tests skip with the reason.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

from edgebench.errors import DatasetUnavailable, UsageError

#: the layer types whose weights are copied
WEIGHTED = ("Conv2D", "DepthwiseConv2D", "BatchNormalization")


def load_application_weights(
    model: Any,
    keras: ModuleType,
    application: str,
    weights: str,
    **kwargs: Any,
) -> None:
    """Copy ``keras.applications.<application>(weights=weights, **kwargs)``'s backbone
    weights into ``model`` (in place)."""
    if weights != "imagenet":
        raise UsageError(f"weights={weights!r}: only weights=imagenet (Keras' pretrained) exists")
    height, width, _ = (int(d) for d in model.inputs[0].shape[1:])
    builder = getattr(keras.applications, application)
    try:
        reference = builder(
            input_shape=(height, width, 3), include_top=False, weights=weights, **kwargs
        )
    except ValueError as exc:  # an alpha or input size with no published weights
        raise UsageError(f"keras.applications.{application} weights: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - Keras' get_file raises a bare Exception offline
        raise DatasetUnavailable(
            f"keras.applications.{application} ImageNet weights cannot be downloaded here "
            f"({type(exc).__name__}: {exc}); run once online (Keras keeps them in "
            "~/.keras/models), or leave out weights=imagenet (random init)"
        ) from exc
    transfer_weights(reference, model)


def transfer_weights(reference: Any, model: Any) -> int:
    """Copy ``reference``'s conv/depthwise/batch-norm weights into the same layers of
    ``model``, in graph order; a 3-channel stem kernel is summed over its colour axis for
    a 1-channel input. Returns the number of layers copied."""
    theirs = [layer for layer in reference.layers if type(layer).__name__ in WEIGHTED]
    ours = [layer for layer in model.layers if type(layer).__name__ in WEIGHTED]
    if len(ours) < len(theirs):
        raise UsageError(
            f"{model.name} has {len(ours)} weighted layers, {reference.name} {len(theirs)}: "
            "the builder does not mirror the application"
        )
    for source, target in zip(theirs, ours, strict=False):
        weights = [np.asarray(w) for w in source.get_weights()]
        if type(source) is not type(target):
            raise UsageError(
                f"{target.name} ({type(target).__name__}) does not match {source.name} "
                f"({type(source).__name__}) of {reference.name}"
            )
        expected = [tuple(w.shape) for w in target.get_weights()]
        if (
            len(weights) == len(expected)
            and weights[0].ndim == 4
            and weights[0].shape[2] == 3
            and expected[0][2] == 1
            and type(target).__name__ == "Conv2D"
        ):
            weights[0] = weights[0].sum(axis=2, keepdims=True)  # grey input: sum of colours
        got = [tuple(w.shape) for w in weights]
        if got != expected:
            raise UsageError(
                f"{target.name}: weights of shapes {expected} cannot take {source.name}'s "
                f"{got} (width parameters differ from the pretrained model's?)"
            )
        target.set_weights(weights)
    return len(theirs)

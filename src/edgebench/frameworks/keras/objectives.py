"""What a Keras model is trained and fine-tuned on, by the kind of labels it learns.

A task declares its labels (``Task.labels``); the losses are Keras objects and live here,
with the framework. A zoo module can bring its own (``encode_targets`` and ``loss``: the
detectors).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edgebench.errors import ConversionError


@dataclass(frozen=True)
class Objective:
    """What a model is trained on: its loss, how labels become targets, the Keras metrics,
    and what early stopping watches."""

    loss: Any
    encode: Any  # labels -> targets for the model's output (identity for most tasks)
    metrics: tuple[str, ...] = ("accuracy",)
    monitor: str = "val_accuracy"


#: label kinds a sparse cross-entropy trains: one class per sample, one class per pixel.
CROSS_ENTROPY_LABELS = frozenset({"classify", "segment"})


def objective_for(
    module: Any, labels: str, model: Any, num_classes: int, *, fine_tune: bool = False
) -> Objective:
    """The zoo module's own objective when it defines ``encode_targets`` and ``loss``
    (detectors: targets from boxes, early stopping on the validation loss), else sparse
    cross-entropy on class labels (per sample or per pixel), with accuracy."""
    if module is not None and hasattr(module, "encode_targets") and hasattr(module, "loss"):
        shape = tuple(model.outputs[0].shape)
        return Objective(
            loss=module.loss(num_classes),
            encode=lambda y: module.encode_targets(y, shape, num_classes),
            metrics=(),
            monitor="val_loss",
        )
    if labels not in CROSS_ENTROPY_LABELS:
        raise ConversionError(
            f"there is no generic Keras loss for {labels} labels; a zoo module for them "
            "defines encode_targets and loss (models/det_centernet.py does)"
        )
    loss = sparse_cross_entropy(model) if fine_tune else "sparse_categorical_crossentropy"
    return Objective(loss=loss, encode=lambda y: y)


def sparse_cross_entropy(model: Any) -> Any:
    """Keras' sparse categorical cross-entropy for ``model``'s outputs (per sample or per
    pixel), from logits unless the model ends in softmax."""
    from edgebench.frameworks.keras.tfcompat import import_keras

    return import_keras().losses.SparseCategoricalCrossentropy(
        from_logits=not ends_in_softmax(model)
    )


def ends_in_softmax(model: Any) -> bool:
    """Whether ``model``'s last layer applies softmax, looking through tfmot's wrappers
    (``prune_low_magnitude``, ``cluster_weights``, ``quantize_model`` wrap each layer and
    hide its activation; a wrapped model read as logits was fine-tuned on the wrong loss)."""
    last = model.layers[-1]
    layer = getattr(last, "layer", last)
    if type(layer).__name__ == "Softmax":
        return True
    activation = getattr(layer, "activation", None)
    activation = getattr(activation, "activation", activation)  # QuantizeAwareActivation
    return getattr(activation, "__name__", "") == "softmax"

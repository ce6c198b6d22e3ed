"""Regenerate the tiny model files the tests use (needs the ``tf`` extra).

    python tests/data/make_models.py

Writes ``digits_mlp.keras``, ``digits_mlp.onnx`` and ``digits_mlp.tflite``: a small
MLP (8x8x1 -> 32 -> 10) trained for a few seconds on edgebench's digits split, so
the plugin tests can benchmark real files without TensorFlow or training.
"""

from __future__ import annotations

from pathlib import Path

from edgebench.artifacts.budget import plan_training, training_settings
from edgebench.artifacts.convert import keras_to_onnx, keras_to_tflite
from edgebench.data.datasets import load_digits
from edgebench.frameworks.keras.tfcompat import import_keras
from edgebench.frameworks.keras.training import compile_for_training, fit, seed_everything

HERE = Path(__file__).parent


def main() -> None:
    keras = import_keras()
    data = load_digits()
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 1), name="input")
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(32, activation="relu")(x)
    outputs = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="digits_mlp")
    budget = plan_training(
        len(data.x_train),
        training_settings({"learning_rate": 5e-3, "validation_fraction": 0}),
        epochs=30,
    )
    seed_everything(0)
    compile_for_training(model, "sparse_categorical_crossentropy", budget)
    result = fit(
        model,
        budget,
        (data.x_train, data.y_train),
        test=(data.x_test, data.y_test),
        seed=0,
        title="digits_mlp",
    )
    print(f"Keras test accuracy {result.test_accuracy:.4f}")
    model.save(HERE / "digits_mlp.keras")
    keras_to_tflite(model, HERE / "digits_mlp.tflite")
    keras_to_onnx(model, HERE / "digits_mlp.onnx")


if __name__ == "__main__":
    main()

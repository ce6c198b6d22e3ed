"""The Keras framework for the artifact builder (``frameworks.base.Framework``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgebench.frameworks.base import TrainingRun, ZooModel


class KerasFramework:
    """tf_keras models: built by a zoo module, trained with ``tf.data``, transformed by a
    step's :meth:`~edgebench.recipes.core.Step.transform`, saved as ``.keras``, exported by
    the step (``fp32``: the ``keras -> format`` exporter)."""

    name = "keras"
    cache_kind = "zoo-float"
    model_file = "model.keras"
    saved_kind = "keras"

    def obstacle(self, source: Any, recipe: Any, artifact_format: str, runtime: str) -> str | None:
        """Every step and format applies to a Keras model (the recipe says what it can
        express)."""
        return None

    def tools(self, base: dict[str, str], *, export: bool = False) -> dict[str, str]:
        """The build tools' versions (TensorFlow, tf-keras, tf2onnx, ...) decide it all."""
        return base

    def build_zoo(self, zoo: ZooModel, seed: int) -> tuple[Any, dict[str, Any]]:
        from edgebench.frameworks.keras.tfcompat import import_keras
        from edgebench.frameworks.keras.training import (
            configure_tensorflow_threads,
            seed_everything,
        )

        keras = import_keras()
        threads = configure_tensorflow_threads()
        seed_everything(seed)
        model = zoo.architecture.module.build(keras, zoo.input_shape, zoo.num_classes, **zoo.params)
        return model, threads

    def constructor(self, zoo: ZooModel) -> Any:
        """A ``.keras`` file holds its structure."""
        return None

    def train(self, model: Any, zoo: ZooModel, run: TrainingRun) -> tuple[Any, dict[str, Any]]:
        from edgebench.frameworks.keras.objectives import objective_for
        from edgebench.frameworks.keras.training import compile_for_training, fit

        goal = objective_for(zoo.architecture.module, run.labels, model, run.num_classes)
        compile_for_training(model, goal.loss, run.budget, goal.metrics)
        result = fit(
            model,
            run.budget,
            (run.train[0], goal.encode(run.train[1])),
            validation=(run.validation[0], goal.encode(run.validation[1])),
            test=None if run.test is None else (run.test[0], goal.encode(run.test[1])),
            seed=run.seed,
            title=run.title,
            progress=run.progress,
            monitor=goal.monitor,
        )
        return result, {"input_pipeline": "tf.data"}

    def counts(self, model: Any, input_shape: tuple[int, ...]) -> dict[str, Any]:
        from edgebench.frameworks.keras.graph import count_macs

        try:
            macs = count_macs(model)
        except Exception:  # noqa: BLE001 - layers we cannot count: unknown, not zero
            macs = None
        trainable = sum(int(w.shape.num_elements()) for w in model.trainable_weights)
        return {
            "params": int(model.count_params()),
            "trainable_params": int(trainable),
            "macs": macs,
        }

    def save(self, model: Any, folder: Path) -> None:
        from edgebench.frameworks.keras.files import save_keras_model

        save_keras_model(model, folder / self.model_file)

    def load(self, path: Path, kind: str, *, trusted: bool, constructor: Any = None) -> Any:
        from edgebench.frameworks.keras.files import load_keras_model

        return load_keras_model(path, kind, trusted=trusted)

    def step_obstacle(self, step: Any) -> str | None:
        return None

    def transform(self, step: Any, model: Any, context: Any) -> tuple[Any, dict[str, Any]]:
        return step.transform(model, context)

    def export_needs_model(self, step: Any, artifact_format: str) -> bool:
        return bool(step.needs_keras or step.token == "fp32")

    def export(
        self, step: Any, model: Any, artifact_format: str, out_path: Path, context: Any
    ) -> dict[str, Any]:
        return step.export(model, artifact_format, out_path, context)

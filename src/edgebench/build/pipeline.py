"""From a model source, a dataset and a recipe to an artifact file, through the cache.

Each stage is cached on disk under a key of everything that determines it:

- the float model: a zoo spec trained on a dataset (architecture source, builder
  parameters, input shape, dataset fingerprint, training settings, seed, tool
  versions), or a user's Keras file (its bytes);
- the artifact: float model key + recipe + format + tool versions.

A warm run finds every entry valid and imports no TensorFlow at all.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from edgebench.build.artifacts import Artifact, describe_artifact
from edgebench.build.cache import ArtifactCache, cache_key, tree_sha256
from edgebench.build.sources import ModelFile, ModelSource
from edgebench.build.zoo import Architecture, ZooSpec
from edgebench.data.datasets import Dataset, random_inputs
from edgebench.data.preprocess import adapt_images
from edgebench.errors import ConversionError, UsageError
from edgebench.provenance import package_versions
from edgebench.recipes import Float32, Recipe

BUILD_TOOLS: tuple[str, ...] = ("tensorflow", "tf-keras", "tf2onnx", "onnx", "onnxruntime", "numpy")
DEFAULT_CALIBRATION_SAMPLES = 200
#: bumped when what an entry holds changes, so older cache entries are rebuilt.
PIPELINE_VERSION = 2
FORMAT_SUFFIX = {"tflite": ".tflite", "onnx": ".onnx"}


@dataclass(frozen=True)
class FloatModel:
    """Where the float Keras model of a source lives, and its cache key."""

    key: str
    path: Path  # a .keras file, an .h5 file or a SavedModel folder
    kind: str  # "keras", "h5", "savedmodel"
    params: int | None
    meta: dict[str, Any]


class ArtifactBuilder:
    """Builds (or finds in the cache) the float models and artifacts of a session."""

    def __init__(
        self,
        cache: ArtifactCache,
        architectures: dict[str, Architecture],
        *,
        seed: int = 0,
        verbose: bool = False,
        calibration_samples: int = DEFAULT_CALIBRATION_SAMPLES,
    ) -> None:
        self.cache = cache
        self.architectures = architectures
        self.seed = seed
        self.verbose = verbose
        self.calibration_samples = calibration_samples
        self.tool_versions = package_versions(BUILD_TOOLS)

    def _log(self, message: str) -> None:
        if self.verbose:
            print(f"[edgebench] {message}", file=sys.stderr, flush=True)

    # -- float models -------------------------------------------------------------

    def zoo_float_model(self, spec: ZooSpec, dataset: Dataset) -> FloatModel:
        """The zoo model trained on ``dataset`` (untrained for ``random``), cached."""
        architecture = self.architectures[spec.name]
        params = spec.builder_params(architecture)
        input_shape = architecture.input_shape_for(dataset.sample_shape)
        num_classes = dataset.num_classes or 10
        training = architecture.training if dataset.labelled else {"epochs": 0}
        key = cache_key(
            pipeline=PIPELINE_VERSION,
            kind="zoo-float",
            architecture=spec.name,
            architecture_sha256=architecture.source_sha256,
            params=params,
            input_shape=input_shape,
            num_classes=num_classes,
            dataset=dataset.fingerprint,
            training=training,
            seed=self.seed,
            tools=self.tool_versions,
        )

        def build(folder: Path) -> dict[str, Any]:
            from edgebench.build.keras_io import save_keras_model
            from edgebench.build.tfcompat import import_keras
            from edgebench.build.training import fit_classifier, seed_everything

            keras = import_keras()
            seed_everything(self.seed)
            model = architecture.module.build(keras, input_shape, num_classes, **params)
            meta: dict[str, Any] = {"input_shape": list(input_shape), "num_classes": num_classes}
            if dataset.labelled:
                self._log(
                    f"training {spec.id} on {dataset.name} for {training['epochs']} epochs "
                    f"(input {input_shape}, cached afterwards)"
                )
                assert dataset.x_train is not None and dataset.y_train is not None
                result = fit_classifier(
                    model,
                    adapt_images(dataset.x_train, input_shape),
                    dataset.y_train,
                    None if dataset.x_test is None else adapt_images(dataset.x_test, input_shape),
                    dataset.y_test,
                    epochs=int(training["epochs"]),
                    batch_size=int(training["batch_size"]),
                    learning_rate=float(training["learning_rate"]),
                    seed=self.seed,
                    verbose=2 if self.verbose else 0,
                )
                self._log(
                    f"trained {spec.id} in {result.seconds:.1f} s, Keras test accuracy "
                    f"{result.test_accuracy:.4f}"
                )
                meta.update(
                    training=training,
                    train_seconds=result.seconds,
                    keras_train_accuracy=result.train_accuracy,
                    keras_test_accuracy=result.test_accuracy,
                )
            else:
                meta["training"] = "none (dataset has no labels; weights are random)"
            from edgebench.build.keras_graph import count_macs

            meta["params"] = int(model.count_params())
            meta["trainable_params"] = _trainable(model)
            meta["macs"] = _macs(model, count_macs)
            save_keras_model(model, folder / "model.keras")
            return meta

        entry = self.cache.get_or_build(key, build)
        return FloatModel(
            key, entry.file("model.keras"), "keras", entry.meta.get("params"), entry.meta
        )

    def file_float_model(self, source: ModelFile) -> FloatModel:
        """A user's Keras file as the float model (keyed by its bytes)."""
        key = cache_key(kind="file-float", sha256=tree_sha256(source.path), file_kind=source.kind)
        return FloatModel(key, source.path, source.kind, None, {})

    def float_model(self, source: ModelSource, dataset: Dataset) -> FloatModel:
        """The float Keras model of ``source``."""
        if isinstance(source, ZooSpec):
            return self.zoo_float_model(source, dataset)
        if source.is_keras:
            return self.file_float_model(source)
        raise UsageError(f"{source.id} is a {source.kind} file, not a Keras model")

    # -- artifacts ------------------------------------------------------------------

    def _model_chain(self, source: ModelSource, dataset: Dataset, recipe: Recipe) -> FloatModel:
        """The Keras model after the recipe's model steps; each prefix is its own cache entry.

        (A ``ft<E>`` after prune or cluster is bound into that step when the recipe is
        parsed, so ``prune0.5+ft2`` is one step and one cache entry.)
        """
        model = self.float_model(source, dataset)
        for step in recipe.model_steps:
            token = step.token
            parent = model
            key = cache_key(
                pipeline=PIPELINE_VERSION,
                kind="model-step",
                parent=parent.key,
                step=token,
                seed=self.seed,
                tools=self.tool_versions,
            )

            def build(
                folder: Path,
                step: Any = step,
                parent: FloatModel = parent,
                token: str = token,
            ) -> dict[str, Any]:
                from edgebench.build.keras_graph import count_macs
                from edgebench.build.keras_io import load_keras_model, save_keras_model

                self._log(f"applying {token} to {source.id}")
                keras_model = load_keras_model(parent.path, parent.kind)
                context = self._context(source, dataset, recipe)
                keras_model, meta = step.transform(keras_model, context)
                save_keras_model(keras_model, folder / "model.keras")
                described = {**step.describe(), **meta}
                return {
                    "params": int(keras_model.count_params()),
                    "trainable_params": _trainable(keras_model),
                    "macs": _macs(keras_model, count_macs),
                    "steps": [*parent.meta.get("steps", []), described],
                }

            entry = self.cache.get_or_build(key, build)
            model = FloatModel(
                key, entry.file("model.keras"), "keras", entry.meta.get("params"), entry.meta
            )
        return model

    def _context(self, source: ModelSource, dataset: Dataset, recipe: Recipe) -> _Context:
        return _Context(self, source, dataset, recipe)

    def artifact(
        self, source: ModelSource, dataset: Dataset, recipe: Recipe, artifact_format: str
    ) -> Artifact:
        """The artifact of ``source`` compressed by ``recipe`` in ``artifact_format``."""
        if not recipe.supports(artifact_format):
            raise UsageError(f"recipe {recipe.id} cannot be expressed as {artifact_format}")
        export = recipe.export_step or Float32()
        if isinstance(source, ModelFile) and source.native_format is not None:
            if export.token == "fp32" and not recipe.model_steps:
                return self._native_artifact(source, artifact_format)
            if recipe.needs_keras or source.native_format != artifact_format:
                raise UsageError(f"recipe {recipe.id} cannot be applied to {source.id}")
            parent_key = cache_key(kind="file", sha256=tree_sha256(source.path))
            model: FloatModel | None = None
            parent_meta: dict[str, Any] = {}
        else:
            model = self._model_chain(source, dataset, recipe)
            parent_key, parent_meta = model.key, model.meta
        key = cache_key(
            pipeline=PIPELINE_VERSION,
            kind="artifact",
            model=parent_key,
            export=export.token,
            format=artifact_format,
            calibration=self.calibration_samples if export.uses_calibration else None,
            tools=self.tool_versions,
        )
        filename = "model" + FORMAT_SUFFIX[artifact_format]
        context = self._context(source, dataset, recipe)

        def build(folder: Path) -> dict[str, Any]:
            from edgebench.build.keras_io import load_keras_model

            self._log(f"building {source.id} {recipe.id} as {artifact_format}")
            keras_model = None
            if model is not None and (export.needs_keras or export.token == "fp32"):
                keras_model = load_keras_model(model.path, model.kind)
            meta = export.export(keras_model, artifact_format, folder / filename, context)
            params = model.params if model is not None else None
            if params is None and keras_model is not None:
                params = int(keras_model.count_params())
            steps = [*parent_meta.get("steps", [])]
            if export.token != "fp32":
                steps.append({**export.describe(), **meta})
            return {
                "source_params": params,
                "trainable_params": None if model is None else model.meta.get("trainable_params"),
                "macs": None if model is None else model.meta.get("macs"),
                "recipe": recipe.id,
                "format": artifact_format,
                "steps": steps,
            }

        entry = self.cache.get_or_build(key, build)
        artifact = describe_artifact(
            entry.file(filename),
            artifact_format,
            source_params=entry.meta.get("source_params"),
            build_seconds=entry.build_seconds,
            cache_hit=entry.hit,
            tool_versions=self.tool_versions,
        )
        return replace(
            artifact,
            steps=list(entry.meta.get("steps", [])),
            trainable_params=entry.meta.get("trainable_params"),
            macs=entry.meta.get("macs"),
        )

    def _native_artifact(self, source: ModelFile, artifact_format: str) -> Artifact:
        if source.native_format != artifact_format:
            raise UsageError(
                f"{source.id} is a {source.native_format} file; it cannot run as {artifact_format}"
            )
        return describe_artifact(source.path, artifact_format)


def _trainable(model: Any) -> int:
    return int(sum(int(w.shape.num_elements()) for w in model.trainable_weights))


def _macs(model: Any, count: Any) -> int | None:
    try:
        return count(model)
    except Exception:  # noqa: BLE001 - layers we cannot count: unknown, not zero
        return None


class _Context:
    """The :class:`~edgebench.recipes.BuildContext` a step sees while it is built."""

    def __init__(
        self, builder: ArtifactBuilder, source: ModelSource, dataset: Dataset, recipe: Recipe
    ) -> None:
        self._builder = builder
        self._source = source
        self._dataset = dataset
        self._recipe = recipe
        self.calibration_samples = builder.calibration_samples
        self.seed = builder.seed
        self.verbose = builder.verbose

    def training_data(self, input_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The training split fitted to ``input_shape``."""
        data = self._dataset
        if data.x_train is None or data.y_train is None:
            raise ConversionError(
                f"recipe {self._recipe.id} trains, and dataset {data.name!r} has no labelled training split"
            )
        x = adapt_images(data.x_train, tuple(input_shape)) if data.adapt_to_model else data.x_train
        return x, data.y_train

    def training_settings(self) -> dict[str, Any]:
        """The zoo architecture's training settings, or defaults for a user's model."""
        if isinstance(self._source, ZooSpec):
            return self._builder.architectures[self._source.name].training
        return {"epochs": 10, "batch_size": 32, "learning_rate": 1e-3}

    def calibration_inputs(self, input_shape: tuple[int, ...]) -> np.ndarray:
        """A seeded sample of the training split fitted to ``input_shape``."""
        return calibration_inputs(
            self._dataset, input_shape, self.calibration_samples, self._builder.seed
        )

    def float_onnx(self) -> Path:
        """The float ONNX export of the model after the recipe's model steps."""
        prefix = Recipe(self._recipe.model_steps)
        return self._builder.artifact(self._source, self._dataset, prefix, "onnx").path

    def log(self, message: str) -> None:
        self._builder._log(message)


def calibration_inputs(
    dataset: Dataset, input_shape: tuple[int, ...], count: int, seed: int
) -> np.ndarray:
    """``count`` training samples chosen with ``seed``, fitted to ``input_shape``.

    For a dataset without data (``random``) these are random inputs of that shape.
    """
    if dataset.x_train is None:
        return random_inputs(tuple(input_shape), np.float32, count, seed=seed)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(dataset.x_train), size=min(count, len(dataset.x_train)), replace=False)
    samples = dataset.x_train[np.sort(chosen)]
    if dataset.adapt_to_model:
        return adapt_images(samples, tuple(input_shape))
    return samples

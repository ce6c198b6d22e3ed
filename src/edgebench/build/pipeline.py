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

from edgebench.build.artifacts import Artifact, describe_artifact, read_facts
from edgebench.build.budget import (
    TrainingBudget,
    plan_training,
    split_validation,
    training_settings,
    validation_size,
)
from edgebench.build.cache import ArtifactCache, cache_key, tree_sha256
from edgebench.build.sources import ModelFile, ModelSource
from edgebench.build.zoo import Architecture, ZooSpec
from edgebench.data.datasets import Dataset, random_inputs
from edgebench.data.preprocess import adapt_images
from edgebench.errors import ConversionError, ModelLoadError, UsageError
from edgebench.progress import NULL_PROGRESS, Progress
from edgebench.provenance import package_versions
from edgebench.recipes import Float32, Recipe

BUILD_TOOLS: tuple[str, ...] = ("tensorflow", "tf-keras", "tf2onnx", "onnx", "onnxruntime", "numpy")
DEFAULT_CALIBRATION_SAMPLES = 200
#: bumped when what an entry holds changes, so older cache entries are rebuilt.
PIPELINE_VERSION = 3


@dataclass(frozen=True)
class FloatModel:
    """Where the float Keras model of a source lives, and its cache key."""

    key: str
    path: Path  # a .keras file, an .h5 file or a SavedModel folder
    kind: str  # "keras", "h5", "savedmodel"
    params: int | None
    meta: dict[str, Any]
    #: whether edgebench built it (a cache entry) rather than a user handed it over; a
    #: user's file has its Keras config checked for code before it is loaded.
    built_here: bool = True


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
        train_epochs: int | None = None,
        fine_tune_epochs: int | None = None,
        file_output_adapter: str | None = None,
        progress: Progress = NULL_PROGRESS,
    ) -> None:
        self.cache = cache
        #: ``--train-epochs``: exact training epochs instead of the step budget.
        self.train_epochs = train_epochs
        #: ``--fine-tune-epochs``: epochs of a training step whose recipe names none.
        self.fine_tune_epochs = fine_tune_epochs
        self.progress = progress
        #: ``--output-adapter``: how model files' outputs are decoded.
        self.file_output_adapter = file_output_adapter
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
        budget = None
        if dataset.labelled:
            assert dataset.x_train is not None
            budget = plan_training(
                len(dataset.x_train), architecture.training, epochs=self.train_epochs
            )
        torch_model = architecture.framework == "torch"
        key = cache_key(
            pipeline=PIPELINE_VERSION,
            kind="torch-zoo-float" if torch_model else "zoo-float",
            architecture=spec.name,
            architecture_sha256=architecture.source_sha256,
            params=params,
            input_shape=input_shape,
            num_classes=num_classes,
            dataset=dataset.fingerprint,
            training=None if budget is None else budget.as_record(),
            seed=self.seed,
            tools=self._torch_tools() if torch_model else self.tool_versions,
        )
        if torch_model:
            return self._torch_zoo_float_model(spec, dataset, budget, key)

        def build(folder: Path) -> dict[str, Any]:
            from edgebench.build.keras_io import save_keras_model
            from edgebench.build.tfcompat import import_keras
            from edgebench.build.training import (
                compile_for_training,
                configure_tensorflow_threads,
                fit,
                objective_for,
                seed_everything,
                summary_line,
            )

            keras = import_keras()
            threads = configure_tensorflow_threads()
            seed_everything(self.seed)
            model = architecture.module.build(keras, input_shape, num_classes, **params)
            meta: dict[str, Any] = {"input_shape": list(input_shape), "num_classes": num_classes}
            if budget is not None:
                assert dataset.x_train is not None and dataset.y_train is not None
                what = f"training {spec.id} on {dataset.name}"
                self._log(f"{what}: {budget.as_record()} (cached afterwards)")
                x_all = adapt_images(dataset.x_train, input_shape)
                train, val = split_validation(len(x_all), budget.validation_samples, self.seed)
                goal = objective_for(architecture.module, dataset.task, model, num_classes)
                compile_for_training(model, goal.loss, budget, goal.metrics)
                y_all = goal.encode(dataset.y_train)
                result = fit(
                    model,
                    budget,
                    (x_all[train], y_all[train]),
                    validation=(x_all[val], y_all[val]),
                    test=None
                    if dataset.x_test is None or dataset.y_test is None
                    else (adapt_images(dataset.x_test, input_shape), goal.encode(dataset.y_test)),
                    seed=self.seed,
                    title=what,
                    progress=self.progress,
                    monitor=goal.monitor,
                )
                self.progress.line(
                    summary_line(f"trained {spec.id} on {dataset.name}", budget, result)
                )
                meta["training"] = {
                    **budget.as_record(),
                    **result.as_record(),
                    **threads,
                    "input_pipeline": "tf.data",
                }
                meta.update(
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

    def _torch_builder(self, spec: ZooSpec, dataset: Dataset) -> Any:
        """A function that builds the PyTorch zoo module of ``spec`` for ``dataset``."""
        from edgebench.pytorch.modules import import_torch

        architecture = self.architectures[spec.name]
        params = spec.builder_params(architecture)
        input_shape = architecture.input_shape_for(dataset.sample_shape)
        num_classes = dataset.num_classes or 10
        torch = import_torch()
        return lambda: architecture.module.build(torch, input_shape, num_classes, **params)

    def _torch_zoo_float_model(
        self, spec: ZooSpec, dataset: Dataset, budget: TrainingBudget | None, key: str
    ) -> FloatModel:
        """A PyTorch zoo module trained on ``dataset`` (the same budget, split, seed and
        progress as a Keras one), cached under ``key`` as structure + weights
        (``pytorch.modules``)."""
        architecture = self.architectures[spec.name]
        input_shape = architecture.input_shape_for(dataset.sample_shape)
        num_classes = dataset.num_classes or 10

        def build(folder: Path) -> dict[str, Any]:
            from edgebench.build.training import summary_line
            from edgebench.pytorch.modules import count_macs, count_parameters, save_module
            from edgebench.pytorch.training import (
                check_task,
                configure_torch_threads,
                fit,
                seed_torch,
            )

            threads = configure_torch_threads()
            seed_torch(self.seed)
            module = self._torch_builder(spec, dataset)()
            meta: dict[str, Any] = {
                "input_shape": list(input_shape),
                "num_classes": num_classes,
                "framework": "torch",
            }
            if budget is not None:
                assert dataset.x_train is not None and dataset.y_train is not None
                check_task(dataset.task)
                what = f"training {spec.id} on {dataset.name}"
                self._log(f"{what} (PyTorch): {budget.as_record()} (cached afterwards)")
                x_all = adapt_images(dataset.x_train, input_shape)
                train, val = split_validation(len(x_all), budget.validation_samples, self.seed)
                result = fit(
                    module,
                    budget,
                    (x_all[train], dataset.y_train[train]),
                    validation=(x_all[val], dataset.y_train[val]),
                    test=None
                    if dataset.x_test is None or dataset.y_test is None
                    else (adapt_images(dataset.x_test, input_shape), dataset.y_test),
                    seed=self.seed,
                    title=what,
                    progress=self.progress,
                )
                self.progress.line(
                    summary_line(f"trained {spec.id} on {dataset.name}", budget, result)
                )
                meta["training"] = {
                    **budget.as_record(),
                    **result.as_record(),
                    **threads,
                    "framework": "torch",
                    "input_pipeline": "torch tensors (NCHW), seeded shuffles",
                }
                meta.update(train_seconds=result.seconds, torch_test_accuracy=result.test_accuracy)
            else:
                meta["training"] = "none (dataset has no labels; weights are random)"
            module.eval()
            meta["params"] = count_parameters(module)
            meta["trainable_params"] = meta["params"]
            meta["macs"] = count_macs(module, input_shape)
            save_module(module, folder)
            return meta

        entry = self.cache.get_or_build(key, build)
        return FloatModel(
            key, entry.file("weights.pt").parent, "torch", entry.meta["params"], entry.meta
        )

    def _torch_tools(self, *, export: bool = False) -> dict[str, str]:
        """Versions that decide a PyTorch model (torch, Torch-Pruning), and with ``export``
        also its export (the ONNX exporter's onnxscript, litert-torch)."""
        names = (
            "torch",
            "torch-pruning",
            *(("onnxscript", "litert-torch", "torchao") if export else ()),
        )
        return {**self.tool_versions, **package_versions(names)}

    def file_float_model(self, source: ModelFile) -> FloatModel:
        """A user's Keras file as the float model (keyed by its bytes)."""
        key = cache_key(kind="file-float", sha256=tree_sha256(source.path), file_kind=source.kind)
        return FloatModel(key, source.path, source.kind, None, {}, built_here=False)

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
                fine_tune=self._fine_tune_key(step),
                seed=self.seed,
                tools=self.tool_versions,
            )

            if model.kind == "torch":
                model = self._torch_step(source, dataset, recipe, step, parent, key)
                continue

            def build(
                folder: Path,
                step: Any = step,
                parent: FloatModel = parent,
                token: str = token,
            ) -> dict[str, Any]:
                from edgebench.build.keras_graph import count_macs
                from edgebench.build.keras_io import load_keras_model, save_keras_model

                self._log(f"applying {token} to {source.id}")
                keras_model = load_keras_model(parent.path, parent.kind, trusted=parent.built_here)
                context = self._context(source, dataset, recipe)
                keras_model, meta = step.transform(keras_model, context)
                save_keras_model(keras_model, folder / "model.keras")
                described = {**step.describe(), **meta}
                return {
                    "params": int(keras_model.count_params()),
                    "trainable_params": _trainable(keras_model),
                    "macs": _macs(keras_model, count_macs),
                    "steps": [*parent.meta.get("steps", []), described],
                    # how the float model at the root of the chain was trained
                    "training": parent.meta.get("training"),
                }

            entry = self.cache.get_or_build(key, build)
            model = FloatModel(
                key, entry.file("model.keras"), "keras", entry.meta.get("params"), entry.meta
            )
        return model

    def _torch_step(
        self,
        source: ModelSource,
        dataset: Dataset,
        recipe: Recipe,
        step: Any,
        parent: FloatModel,
        key: str,
    ) -> FloatModel:
        """One model step of a recipe applied to a PyTorch zoo module, cached."""
        assert isinstance(source, ZooSpec)
        if not step.supports_torch():
            raise UsageError(f"step {step.token} has no PyTorch implementation")
        input_shape = tuple(parent.meta["input_shape"])

        def build(folder: Path) -> dict[str, Any]:
            from edgebench.pytorch.modules import (
                count_macs,
                count_parameters,
                load_module,
                save_module,
            )

            self._log(f"applying {step.token} to {source.id} (PyTorch)")
            module = load_module(self._torch_builder(source, dataset), parent.path)
            meta = step.transform_torch(module, self._context(source, dataset, recipe))
            module.eval()
            save_module(module, folder)
            return {
                "params": count_parameters(module),
                "trainable_params": count_parameters(module),
                "macs": count_macs(module, input_shape),  # type: ignore[arg-type]
                "input_shape": list(input_shape),
                "framework": "torch",
                "steps": [*parent.meta.get("steps", []), {**step.describe(), **meta}],
                "training": parent.meta.get("training"),
            }

        entry = self.cache.get_or_build(key, build)
        return FloatModel(
            key, entry.file("weights.pt").parent, "torch", entry.meta.get("params"), entry.meta
        )

    def _fine_tune_key(self, step: Any) -> dict[str, Any] | None:
        """What decides a training step's budget besides its parent and token (``None``
        for a step that does not train, so its key is unchanged)."""
        if not getattr(step, "trains", False):
            return None
        return {"fine_tune_epochs": self.fine_tune_epochs, "budget": training_settings()}

    def _context(self, source: ModelSource, dataset: Dataset, recipe: Recipe) -> _Context:
        return _Context(self, source, dataset, recipe)

    def artifact(
        self, source: ModelSource, dataset: Dataset, recipe: Recipe, artifact_format: str
    ) -> Artifact:
        """The artifact of ``source`` compressed by ``recipe`` in ``artifact_format``."""
        if not recipe.supports(artifact_format):
            raise UsageError(f"recipe {recipe.id} cannot be expressed as {artifact_format}")
        if isinstance(source, ModelFile) and source.problem:
            raise ModelLoadError(source.problem)
        export = recipe.export_step or Float32()
        if isinstance(source, ModelFile) and source.is_torch:
            if artifact_format != "onnx" or recipe.needs_keras:
                raise UsageError(
                    f"recipe {recipe.id} cannot be applied to {source.id} as {artifact_format}"
                )
            if export.token == "fp32" and not recipe.model_steps:
                return self._torch_onnx(source, dataset)
            model = None
            parent_key, parent_meta = self._torch_onnx_key(source, dataset), {}
        elif isinstance(source, ModelFile) and source.native_format is not None:
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
            fine_tune=self._fine_tune_key(export),
            calibration=self.calibration_samples if export.uses_calibration else None,
            tools=self._torch_tools(export=True)
            if model is not None and model.kind == "torch"
            else self.tool_versions,
        )
        from edgebench.formats import format_spec

        filename = "model" + format_spec(artifact_format).suffix
        context = self._context(source, dataset, recipe)

        def build(folder: Path) -> dict[str, Any]:
            from edgebench.build.keras_io import load_keras_model

            self._log(f"building {source.id} {recipe.id} as {artifact_format}")
            keras_model = None
            if model is not None and model.kind == "torch":
                meta = self._torch_export(
                    source, dataset, model, export, artifact_format, folder / filename, context
                )
            else:
                if model is not None and (export.needs_keras or export.token == "fp32"):
                    keras_model = load_keras_model(model.path, model.kind, trusted=model.built_here)
                meta = export.export(keras_model, artifact_format, folder / filename, context)
            params = model.params if model is not None else None
            if params is None and keras_model is not None:
                params = int(keras_model.count_params())
            steps = [*parent_meta.get("steps", [])]
            if export.token != "fp32":
                steps.append({**export.describe(), **meta})
            return {
                "facts": read_facts(folder / filename, artifact_format),
                "source_params": params,
                "trainable_params": None if model is None else model.meta.get("trainable_params"),
                "macs": None if model is None else model.meta.get("macs"),
                "training": None if model is None else model.meta.get("training"),
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
            facts=entry.meta.get("facts"),
        )
        return replace(
            artifact,
            steps=list(entry.meta.get("steps", [])),
            trainable_params=entry.meta.get("trainable_params"),
            macs=entry.meta.get("macs"),
            training=entry.meta.get("training"),
            output_adapter=self.output_adapter(source),
        )

    def _torch_export(
        self,
        source: ModelSource,
        dataset: Dataset,
        model: FloatModel,
        export: Any,
        artifact_format: str,
        out_path: Path,
        context: _Context,
    ) -> dict[str, Any]:
        """Write the artifact of a PyTorch zoo model: a float export (ONNX through
        ``torch.onnx.export``, TFLite through litert-torch), an export step with its own
        PyTorch exporter (``int8io``: litert-torch PT2E), or an export step that starts
        from the float ONNX file (the ONNX Runtime quantizers)."""
        assert isinstance(source, ZooSpec)
        own_exporter = export.token != "fp32" and export.supports_torch_export(artifact_format)
        if export.token != "fp32" and not own_exporter:
            if export.needs_keras:
                raise UsageError(
                    f"step {export.token} converts a Keras model; {source.id} is a PyTorch model"
                )
            return export.export(None, artifact_format, out_path, context)
        from edgebench.build.torch_export import export_onnx, export_tflite
        from edgebench.pytorch.modules import load_module

        module = load_module(self._torch_builder(source, dataset), model.path)
        if own_exporter:
            return export.export_torch(module, artifact_format, out_path, context)
        input_shape = tuple(model.meta["input_shape"])
        if artifact_format == "onnx":
            meta = export_onnx(module, input_shape, out_path)
        else:
            meta = export_tflite(module, input_shape, out_path)
        return {"step": "torch-export", **meta}

    def _torch_onnx_key(self, source: ModelFile, dataset: Dataset) -> str:
        return cache_key(
            pipeline=PIPELINE_VERSION,
            kind="torch-onnx",
            sha256=tree_sha256(source.path),
            file_kind=source.kind,
            input_shape=list(self._torch_input_shape(dataset)),
            tools={**self.tool_versions, **package_versions(("torch", "onnxscript"))},
        )

    def _torch_input_shape(self, dataset: Dataset) -> tuple[int, ...]:
        shape = dataset.sample_shape
        if shape is None or len(shape) != 3:
            raise UsageError(
                f"PyTorch files are exported at the dataset's image size; {dataset.name} has "
                f"samples of {shape}"
            )
        return tuple(int(d) for d in shape)

    def _torch_onnx(self, source: ModelFile, dataset: Dataset) -> Artifact:
        """A PyTorch file exported to ONNX (NHWC input of the dataset's image size), cached."""
        input_shape = self._torch_input_shape(dataset)

        def build(folder: Path) -> dict[str, Any]:
            from edgebench.build.torch_export import export_onnx, load_torch_model

            self._log(f"exporting {source.id} to ONNX at input {input_shape}")
            module = load_torch_model(source.path, source.kind)
            meta = export_onnx(module, input_shape, folder / "model.onnx")
            steps = [{"step": "torch-export", **meta, "source_kind": source.kind}]
            return {"steps": steps, "facts": read_facts(folder / "model.onnx", "onnx")}

        entry = self.cache.get_or_build(self._torch_onnx_key(source, dataset), build)
        artifact = describe_artifact(
            entry.file("model.onnx"),
            "onnx",
            build_seconds=entry.build_seconds,
            cache_hit=entry.hit,
            tool_versions=self.tool_versions,
            facts=entry.meta.get("facts"),
        )
        return replace(
            artifact,
            steps=list(entry.meta.get("steps", [])),
            output_adapter=self.output_adapter(source),
        )

    def output_adapter(self, source: ModelSource) -> str | None:
        """The zoo module's ``OUTPUT_ADAPTER``, or ``--output-adapter`` for a model file
        (``None``: its outputs as they are)."""
        if isinstance(source, ZooSpec):
            return getattr(self.architectures[source.name].module, "OUTPUT_ADAPTER", None)
        return self.file_output_adapter

    def _native_artifact(self, source: ModelFile, artifact_format: str) -> Artifact:
        if source.native_format != artifact_format:
            raise UsageError(
                f"{source.id} is a {source.native_format} file; it cannot run as {artifact_format}"
            )
        described = describe_artifact(source.path, artifact_format)
        return replace(described, output_adapter=self.output_adapter(source))


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
        self.progress = builder.progress
        self.title = f"{source.id} on {dataset.name}, {recipe.id}"
        self.task = dataset.task

    def training_data(self, input_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """The training split fitted to ``input_shape``, less the validation images that
        training the float model kept apart (``build.budget.split_validation``)."""
        data = self._dataset
        if data.x_train is None or data.y_train is None:
            raise ConversionError(
                f"recipe {self._recipe.id} trains, and dataset {data.name!r} has no labelled training split"
            )
        x = adapt_images(data.x_train, tuple(input_shape)) if data.adapt_to_model else data.x_train
        count = validation_size(len(x), self.training_settings())
        train, _ = split_validation(len(x), count, self.seed)
        return x[train], data.y_train[train]

    def training_settings(self) -> dict[str, Any]:
        """The zoo architecture's training settings, or the defaults for a user's model."""
        if isinstance(self._source, ZooSpec):
            return self._builder.architectures[self._source.name].training
        return training_settings()

    def objective(self, model: Any) -> Any:
        """What fine-tuning ``model`` optimises (``build.training.Objective``): the zoo
        module's own loss and targets when it has them, else the task's loss."""
        from edgebench.build.training import objective_for

        module = None
        if isinstance(self._source, ZooSpec):
            module = self._builder.architectures[self._source.name].module
        classes = self._dataset.num_classes or 10
        return objective_for(module, self.task, model, classes, fine_tune=True)

    def fine_tune_epochs(self, default: int) -> tuple[int, str]:
        """Epochs of a training step whose recipe names none: ``--fine-tune-epochs``, else
        ``default``; with where the number came from."""
        if self._builder.fine_tune_epochs is not None:
            return self._builder.fine_tune_epochs, "--fine-tune-epochs"
        return default, "default"

    def calibration_inputs(self, input_shape: tuple[int, ...]) -> np.ndarray:
        """A seeded sample of the training split fitted to ``input_shape``."""
        return calibration_inputs(
            self._dataset, input_shape, self.calibration_samples, self._builder.seed
        )

    def model_input_shape(self) -> tuple[int, int, int]:
        """The zoo model's input (H, W, C) for this dataset; the dataset's sample shape for
        a model file."""
        if isinstance(self._source, ZooSpec):
            architecture = self._builder.architectures[self._source.name]
            return architecture.input_shape_for(self._dataset.sample_shape)
        shape = self._dataset.sample_shape
        if shape is None or len(shape) != 3:
            raise UsageError(f"{self._dataset.name} has no image shape (samples of {shape})")
        return (int(shape[0]), int(shape[1]), int(shape[2]))

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

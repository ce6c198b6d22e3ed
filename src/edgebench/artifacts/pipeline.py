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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from edgebench.artifacts.artifact import Artifact, describe_artifact, read_facts
from edgebench.artifacts.budget import (
    TrainingBudget,
    plan_training,
    split_validation,
    training_settings,
    validation_size,
)
from edgebench.artifacts.cache import ArtifactCache, cache_key, tree_sha256
from edgebench.artifacts.sources import ModelFile, ModelSource
from edgebench.artifacts.zoo import Architecture, ZooSpec
from edgebench.data.contract import InputContract, fit_inputs
from edgebench.data.datasets import Dataset, random_inputs
from edgebench.data.lazy import is_lazy
from edgebench.data.preprocess import adapt_images
from edgebench.errors import ConversionError, EdgebenchError, ModelLoadError, UsageError
from edgebench.formats import formats_written_by
from edgebench.frameworks.base import TrainingRun, ZooModel
from edgebench.frameworks.registry import framework, framework_of_file
from edgebench.progress import NULL_PROGRESS, Progress
from edgebench.provenance import package_versions
from edgebench.recipes import Float32, Recipe

BUILD_TOOLS: tuple[str, ...] = ("tensorflow", "tf-keras", "tf2onnx", "onnx", "onnxruntime", "numpy")
DEFAULT_CALIBRATION_SAMPLES = 200
#: bumped when what an entry holds changes, so older cache entries are rebuilt.
PIPELINE_VERSION = 3


@dataclass(frozen=True)
class FloatModel:
    """Where the float model of a source lives, its framework and its cache key."""

    key: str
    #: the saved model: a .keras/.h5 file or SavedModel folder, a zoo module's
    #: ``weights.pt``, a TorchScript ``.pt`` or ``torch.export`` ``.pt2`` file.
    path: Path
    kind: str  # what the framework loads it as: "keras", "h5", "savedmodel", "torch", ...
    params: int | None
    meta: dict[str, Any]
    #: whether edgebench built it (a cache entry) rather than a user handed it over; a
    #: user's file has its Keras config checked for code before it is loaded.
    built_here: bool = True
    #: the framework (``frameworks.registry``) that loads, transforms and exports it.
    framework: str = "keras"
    #: what the framework needs to rebuild a zoo model's structure (``None``: in the file).
    constructor: Any = field(default=None, compare=False, repr=False)

    def load(self) -> Any:
        """The model, loaded by its framework."""
        return framework(self.framework).load(
            self.path, self.kind, trusted=self.built_here, constructor=self.constructor
        )

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The model's input (H, W, C) when known (a zoo model), else ``()``."""
        return tuple(self.meta.get("input_shape") or ())


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
        kd_teacher: ModelSource | None = None,
    ) -> None:
        self.cache = cache
        #: ``--kd-teacher``: what distilling steps learn from (``None``: the model's own fp32).
        self.kd_teacher = kd_teacher
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
        #: builds that failed in this session, by cache key: asked again (another recipe
        #: that starts from the same converted file), they fail at once with the same reason.
        self._failed: dict[str, EdgebenchError] = {}

    def _log(self, message: str) -> None:
        if self.verbose:
            print(f"[edgebench] {message}", file=sys.stderr, flush=True)

    # -- float models -------------------------------------------------------------

    def _zoo_model(self, spec: ZooSpec, dataset: Dataset) -> ZooModel:
        architecture = self.architectures[spec.name]
        return ZooModel(
            architecture,
            architecture.input_shape_for(dataset.sample_shape),
            dataset.num_classes or 10,
            spec.builder_params(architecture),
        )

    def zoo_float_model(self, spec: ZooSpec, dataset: Dataset) -> FloatModel:
        """The zoo model trained on ``dataset`` (untrained for ``random``), cached; its
        framework (the module's ``FRAMEWORK``) builds, trains and saves it."""
        zoo = self._zoo_model(spec, dataset)
        architecture = zoo.architecture
        fw = framework(architecture.framework)
        budget = None
        if dataset.labelled:
            assert dataset.x_train is not None
            budget = plan_training(
                len(dataset.x_train), architecture.training, epochs=self.train_epochs
            )
        key = cache_key(
            pipeline=PIPELINE_VERSION,
            kind=fw.cache_kind,
            architecture=spec.name,
            architecture_sha256=architecture.source_sha256,
            params=zoo.params,
            input_shape=zoo.input_shape,
            num_classes=zoo.num_classes,
            dataset=dataset.fingerprint,
            inputs=dataset.input_key(),
            training=None if budget is None else budget.as_record(),
            seed=self.seed,
            tools=fw.tools(self.tool_versions),
        )

        def build(folder: Path) -> dict[str, Any]:
            model, threads = fw.build_zoo(zoo, self.seed)
            meta: dict[str, Any] = {
                "input_shape": list(zoo.input_shape),
                "num_classes": zoo.num_classes,
                "framework": fw.name,
            }
            if budget is not None:
                meta.update(self._train(fw, model, zoo, spec, dataset, budget, threads))
            else:
                meta["training"] = "none (dataset has no labels; weights are random)"
            meta.update(fw.counts(model, zoo.input_shape))
            fw.save(model, folder)
            return meta

        return _saved_model(fw, key, self.cache.get_or_build(key, build), fw.constructor(zoo))

    def _train(
        self,
        fw: Any,
        model: Any,
        zoo: ZooModel,
        spec: ZooSpec,
        dataset: Dataset,
        budget: TrainingBudget,
        threads: dict[str, Any],
    ) -> dict[str, Any]:
        """Train a fresh zoo model within ``budget`` (the same split, seed and progress for
        every framework); what the cache entry records about it."""
        from edgebench.frameworks.keras.training import summary_line

        assert dataset.x_train is not None and dataset.y_train is not None
        what = f"training {spec.id} on {dataset.name}"
        self._log(f"{what} ({fw.name}): {budget.as_record()} (cached afterwards)")
        x_all = adapt_images(dataset.x_train, zoo.input_shape)
        train, val = split_validation(len(x_all), budget.validation_samples, self.seed)
        test = None
        if (
            dataset.x_test is not None
            and dataset.y_test is not None
            and not is_lazy(dataset.x_test)
        ):
            # a set read a batch at a time is scored by the accuracy pass, not held here whole
            test = (adapt_images(dataset.x_test, zoo.input_shape), dataset.y_test)
        run = TrainingRun(
            budget=budget,
            train=(x_all[train], dataset.y_train[train]),
            validation=(x_all[val], dataset.y_train[val]),
            test=test,
            labels=dataset.task,
            num_classes=zoo.num_classes,
            seed=self.seed,
            title=what,
            progress=self.progress,
        )
        result, extra = fw.train(model, zoo, run)
        self.progress.line(summary_line(f"trained {spec.id} on {dataset.name}", budget, result))
        return {
            "training": {**budget.as_record(), **result.as_record(), **threads, **extra},
            "train_seconds": result.seconds,
        }

    def file_float_model(self, source: ModelFile, dataset: Dataset) -> FloatModel:
        """A user's model file as the float model: keyed by its bytes and the dataset its
        steps calibrate and fine-tune on (and whose image size a PyTorch file is exported
        at)."""
        name = framework_of_file(source.kind)
        if name is None:
            raise UsageError(
                f"{source.id} is a {source.kind} file; no model framework reads it (it runs "
                "as it is, with the recipes that start from the file)"
            )
        key = cache_key(
            kind="file-float",
            sha256=tree_sha256(source.path),
            file_kind=source.kind,
            dataset=dataset.fingerprint,
            inputs=dataset.input_key(),
            contract=source.contract.as_key(),
        )
        return FloatModel(key, source.path, source.kind, None, {}, built_here=False, framework=name)

    def float_model(self, source: ModelSource, dataset: Dataset) -> FloatModel:
        """The float model of ``source``: a zoo model trained on ``dataset``, or a file."""
        if isinstance(source, ZooSpec):
            return self.zoo_float_model(source, dataset)
        return self.file_float_model(source, dataset)

    # -- artifacts ------------------------------------------------------------------

    def _model_chain(self, source: ModelSource, dataset: Dataset, recipe: Recipe) -> FloatModel:
        """The model after the recipe's model steps, each applied by the model's framework;
        each prefix is its own cache entry.

        (A ``ft<E>`` after prune or cluster is bound into that step when the recipe is
        parsed, so ``prune0.5+ft2`` is one step and one cache entry.)
        """
        model = self.float_model(source, dataset)
        fw = framework(model.framework)
        for step in recipe.model_steps:
            obstacle = fw.step_obstacle(step)
            if obstacle is not None:
                raise UsageError(f"{obstacle} ({source.id})")
            parent = model
            key = cache_key(
                pipeline=PIPELINE_VERSION,
                kind="model-step",
                parent=parent.key,
                step=step.token,
                fine_tune=self._fine_tune_key(step),
                **self._teacher_key(step, source, dataset),
                seed=self.seed,
                tools=self.tool_versions,
            )

            def build(
                folder: Path, step: Any = step, parent: FloatModel = parent
            ) -> dict[str, Any]:
                self._log(f"applying {step.token} to {source.id} ({fw.name})")
                loaded = parent.load()
                context = self._context(source, dataset, recipe)
                loaded, meta = fw.transform(step, loaded, context)
                fw.save(loaded, folder)
                return {
                    **fw.counts(loaded, parent.input_shape),
                    "input_shape": parent.meta.get("input_shape"),
                    "framework": fw.name,
                    "steps": [*parent.meta.get("steps", []), {**step.describe(), **meta}],
                    # how the float model at the root of the chain was trained
                    "training": parent.meta.get("training"),
                }

            model = _saved_model(fw, key, self.cache.get_or_build(key, build), parent.constructor)
        return model

    def _fine_tune_key(self, step: Any) -> dict[str, Any] | None:
        """What decides a training step's budget besides its parent and token (``None``
        for a step that does not train, so its key is unchanged)."""
        if not getattr(step, "trains", False):
            return None
        return {"fine_tune_epochs": self.fine_tune_epochs, "budget": training_settings()}

    def teacher_source(self, source: ModelSource) -> ModelSource:
        """The model a distilling step of ``source`` learns from: ``--kd-teacher``, else
        ``source`` itself (its fp32)."""
        return self.kd_teacher if self.kd_teacher is not None else source

    def _teacher_key(self, step: Any, source: ModelSource, dataset: Dataset) -> dict[str, Any]:
        """A distilling step's teacher, when it is another model (``--kd-teacher``): part of
        the step's cache key (empty otherwise, so other keys are unchanged)."""
        if not getattr(step, "distils", False) or self.kd_teacher is None:
            return {}
        if self.kd_teacher.id == source.id:
            return {}
        return {"teacher": self.float_model(self.kd_teacher, dataset).key}

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
        model: FloatModel | None = None
        fw: Any = None
        converts = False
        if isinstance(source, ModelFile) and source.native_format is not None:
            native = source.native_format
            float_row = export.token == "fp32" and not recipe.model_steps
            if float_row and native == artifact_format:
                return self._native_artifact(source, artifact_format)
            reachable = artifact_format in formats_written_by(native)
            converts = float_row and reachable
            if recipe.needs_keras or not (reachable or native == artifact_format):
                raise UsageError(f"recipe {recipe.id} cannot be applied to {source.id}")
            parent_key = cache_key(
                kind="file",
                sha256=tree_sha256(source.path),
                dataset=dataset.fingerprint,
                inputs=dataset.input_key(),
                contract=source.contract.as_key(),
            )
            parent_meta: dict[str, Any] = {}
        else:
            model = self._model_chain(source, dataset, recipe)
            fw = framework(model.framework)
            parent_key, parent_meta = model.key, model.meta
        key = cache_key(
            pipeline=PIPELINE_VERSION,
            kind="artifact",
            model=parent_key,
            export=export.token,
            format=artifact_format,
            fine_tune=self._fine_tune_key(export),
            calibration=self.calibration_samples if export.uses_calibration else None,
            tools=self.tool_versions if fw is None else fw.tools(self.tool_versions, export=True),
        )
        from edgebench.formats import exporter_for, format_spec

        filename = "model" + format_spec(artifact_format).suffix
        context = self._context(source, dataset, recipe)

        def build(folder: Path) -> dict[str, Any]:
            self._log(f"building {source.id} {recipe.id} as {artifact_format}")
            out_path = folder / filename
            params = None if model is None else model.params
            if converts:  # a user's file of another format, converted as it is
                assert isinstance(source, ModelFile) and source.native_format is not None
                exporter = exporter_for(source.native_format, artifact_format)
                meta = exporter.load_factory()(source.path, out_path, context) or {}
            elif model is None:
                meta = export.export(None, artifact_format, out_path, context)
            else:
                loaded = model.load() if fw.export_needs_model(export, artifact_format) else None
                meta = fw.export(export, loaded, artifact_format, out_path, context)
                if params is None and loaded is not None:
                    params = fw.counts(loaded, model.input_shape)["params"]
            verify = format_spec(artifact_format).function("verify")
            if verify is not None:
                verify(out_path)  # a file its runtime refuses is not cached
            steps = [*parent_meta.get("steps", [])]
            if export.token != "fp32":
                steps.append({**export.describe(), **meta})
            elif meta:  # how the framework exported the float model (torch.onnx.export, ...)
                steps.append(meta)
            return {
                "facts": read_facts(out_path, artifact_format),
                "source_params": params,
                "trainable_params": parent_meta.get("trainable_params"),
                "macs": parent_meta.get("macs"),
                "training": parent_meta.get("training"),
                "recipe": recipe.id,
                "format": artifact_format,
                "steps": steps,
            }

        if key in self._failed:
            raise self._failed[key]
        try:
            entry = self.cache.get_or_build(key, build)
        except EdgebenchError as exc:  # a refusal: not cached, and not tried twice in a run
            self._failed[key] = exc
            raise
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


def _saved_model(fw: Any, key: str, entry: Any, constructor: Any) -> FloatModel:
    """The model a framework saved into cache ``entry``."""
    return FloatModel(
        key,
        entry.file(fw.model_file),
        fw.saved_kind,
        entry.meta.get("params"),
        entry.meta,
        framework=fw.name,
        constructor=constructor,
    )


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
        training the float model kept apart (``artifacts.budget.split_validation``)."""
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
        """What fine-tuning ``model`` optimises (``frameworks.keras.training.Objective``): the zoo
        module's own loss and targets when it has them, else the task's loss."""
        from edgebench.frameworks.keras.objectives import objective_for

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

    def fixed_input_shape(self, sample_shape: tuple[int | None, ...]) -> tuple[int, ...]:
        """``sample_shape`` with dynamic dimensions fixed by the source's input contract
        (its declared size, in its layout); a flat or fully known shape as it is."""
        if None not in sample_shape:
            return tuple(int(d) for d in sample_shape)  # type: ignore[arg-type]
        from edgebench.data.contract import resolve

        settled, hwc = resolve(self._source.contract, sample_shape, self._source.id)
        if hwc is None:
            raise UsageError(f"{self._source.id}: its input {sample_shape} has unknown dimensions")
        height, width, channels = hwc
        return (channels, height, width) if settled.layout == "NCHW" else hwc

    def calibration_inputs(self, input_shape: tuple[int, ...]) -> np.ndarray:
        """A seeded sample of the training split as the model takes it (its input contract:
        the same preparation as the accuracy pass)."""
        return calibration_inputs(
            self._dataset,
            input_shape,
            self.calibration_samples,
            self._builder.seed,
            self._source.contract,
            self._source.id,
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

    def teacher(self) -> Any:
        """The float model of ``--kd-teacher``, else of the source (a trained zoo model or the
        user's file), loaded afresh; a teacher of another framework is refused."""
        source = self._builder.teacher_source(self._source)
        model = self._builder.float_model(source, self._dataset)
        student = self._builder.float_model(self._source, self._dataset)
        if model.framework != student.framework:
            raise ConversionError(
                f"--kd-teacher {source.id} is a {model.framework} model and the student "
                f"{self._source.id} a {student.framework} one; a teacher distils into its own framework"
            )
        return model.load()

    def teacher_name(self) -> str:
        """Which model the teacher is (``--kd-teacher``'s id, or the source's fp32)."""
        source = self._builder.teacher_source(self._source)
        return f"{source.id} (fp32)"

    def float_file(self, artifact_format: str) -> Path:
        """The float ``artifact_format`` file of the model after the recipe's model steps."""
        prefix = Recipe(self._recipe.model_steps)
        return self._builder.artifact(self._source, self._dataset, prefix, artifact_format).path

    def float_onnx(self) -> Path:
        """The float ONNX export of the model after the recipe's model steps."""
        return self.float_file("onnx")

    def log(self, message: str) -> None:
        self._builder._log(message)


def calibration_inputs(
    dataset: Dataset,
    input_shape: tuple[int, ...],
    count: int,
    seed: int,
    contract: InputContract | None = None,
    model: str = "the model",
) -> np.ndarray:
    """``count`` training samples chosen with ``seed``, as a model of ``input_shape``
    takes them (through ``contract`` for images: ``data.contract.fit_inputs``).

    For a dataset without data (``random``) these are random inputs of that shape.
    """
    if dataset.x_train is None:
        return random_inputs(tuple(input_shape), np.float32, count, seed=seed)
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(dataset.x_train), size=min(count, len(dataset.x_train)), replace=False)
    samples = dataset.x_train[np.sort(chosen)]
    if dataset.adapt_to_model:
        if len(input_shape) == 3 and samples.ndim == 4:
            return fit_inputs(dataset, samples, tuple(input_shape), contract, model)
        return adapt_images(samples, tuple(input_shape))
    return samples

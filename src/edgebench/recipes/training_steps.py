"""Training-based compression: pruning, structured pruning, clustering, QAT, fine-tuning.

- ``prune<S>[-poly]``: unstructured magnitude pruning to sparsity S with
  tensorflow-model-optimization (constant schedule, or polynomial decay with ``-poly``),
  fine-tuned, then ``strip_pruning``.
- ``sprune<F>[-l2|-random]``: remove fraction F of the filters of each prunable
  convolution (ranked by L1 norm by default), giving a narrower dense model.
- ``cluster<K>[-linear|-random|-density]``: weight clustering to K centroids per layer
  (k-means++ initialisation by default), fine-tuned, ``strip_clustering``. Batch norm is
  folded into the preceding layers first, so the shared values survive conversion.
- ``ft<E>``: E fine-tuning epochs. Right after ``prune``/``cluster`` it sets their
  fine-tuning (masks and clusters kept); elsewhere it fine-tunes the float model.
  Without ``ft``, ``prune`` and ``cluster`` fine-tune for 2 epochs (``--fine-tune-epochs``
  changes that), ``sprune`` for none. Batch size and learning rate follow the step budget
  of ``artifacts.budget.plan_fine_tuning``.
- ``qat[E]``: quantization-aware training (``quantize_model``) for E epochs (default 2,
  or ``--fine-tune-epochs``),
  then full-integer conversion (TFLite) or QDQ export (ONNX).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from edgebench.errors import ConversionError, UsageError
from edgebench.recipes.core import BuildContext, Stage, Step, StepKind

DEFAULT_FINE_TUNE_EPOCHS = 2


#: fine-tuning starts at this fraction of the model's training learning rate, with cosine decay.
FINE_TUNE_LR_FRACTION = 0.5


def fit_model(
    model: Any,
    context: BuildContext,
    epochs: int,
    chosen_by: str,
    callbacks: list[Any] | None = None,
    goal: Any = None,
) -> dict[str, Any]:
    """Fine-tune ``model`` on the training split (seeded) within a step-bounded budget
    (``artifacts.budget.plan_fine_tuning``); return what happened. ``goal`` (an
    ``Objective``) replaces the task's loss (distillation's)."""
    from edgebench.artifacts.budget import plan_fine_tuning
    from edgebench.frameworks.keras.training import (
        compile_for_training,
        configure_tensorflow_threads,
        fine_tune_record,
        fit,
        seed_everything,
        summary_line,
    )

    if epochs <= 0:
        return {"fine_tune_epochs": 0}
    x, y = context.training_data(tuple(model.inputs[0].shape[1:]))
    budget = plan_fine_tuning(
        len(x),
        context.training_settings(),
        epochs,
        chosen_by=chosen_by,
        lr_fraction=FINE_TUNE_LR_FRACTION,
    )
    configure_tensorflow_threads()
    seed_everything(context.seed)
    goal = goal or context.objective(model)
    compile_for_training(model, goal.loss, budget, goal.metrics)
    context.log(f"fine-tuning: {budget.as_record()}")
    title = f"fine-tuning {context.title}"
    result = fit(
        model,
        budget,
        (x, goal.encode(y)),
        seed=context.seed,
        title=title,
        progress=context.progress,
        callbacks=callbacks,
    )
    context.progress.line(summary_line(f"fine-tuned {context.title}", budget, result))
    return fine_tune_record(budget, result)


@dataclass(frozen=True)
class FineTune(Step):
    """``ft<E>``: fine-tune the float model for E epochs."""

    epochs: int
    family: ClassVar[str] = "ft"
    trains: ClassVar[bool] = True

    @property
    def token(self) -> str:
        return f"ft{self.epochs}"

    def transform(self, model: Any, context: BuildContext) -> tuple[Any, dict[str, Any]]:
        """Fine-tune, keeping exact zeros at zero (so a pruned model stays pruned)."""
        meta = fit_model(model, context, self.epochs, "recipe", keep_zeros_callback(model))
        return model, meta

    def supports_torch(self) -> bool:
        return True

    def transform_torch(self, module: Any, context: BuildContext) -> dict[str, Any]:
        """Fine-tune a PyTorch module in place, keeping exact zeros at zero."""
        from edgebench.frameworks.pytorch.pruning import keep_zeros
        from edgebench.frameworks.pytorch.training import fine_tune

        return fine_tune(
            module,
            context,
            self.epochs,
            "recipe",
            lr_fraction=FINE_TUNE_LR_FRACTION,
            after_step=keep_zeros(module),
        )


def keep_zeros_callback(model: Any) -> list[Any]:
    """A Keras callback that sets the kernels' exact zeros back to zero after every batch
    (none when no kernel has a zero): fine-tuning keeps a pruned model pruned."""
    from edgebench.frameworks.keras.tfcompat import import_keras

    keras = import_keras()
    masks = [(w, (w.numpy() != 0).astype(w.dtype.as_numpy_dtype)) for w in _kernels(model)]
    masks = [(w, m) for w, m in masks if not m.all()]
    if not masks:
        return []

    class KeepZeros(keras.callbacks.Callback):  # type: ignore[misc, name-defined]
        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            for variable, mask in masks:
                variable.assign(variable * mask)

    return [KeepZeros()]


def _kernels(model: Any) -> list[Any]:
    names = ("kernel", "depthwise_kernel", "pointwise_kernel")
    return [getattr(layer, n) for layer in model.layers for n in names if hasattr(layer, n)]


def _kernel_sparsity(model: Any) -> dict[str, float]:
    """Fraction of exact zeros in each kernel of ``model``."""
    return {k.name: float(np.mean(k.numpy() == 0)) for k in _kernels(model)}


class WrappedTraining(Step):
    """A step that fine-tunes inside a tfmot wrapper; a following ``ft<E>`` sets its epochs
    (bound when the recipe is parsed: ``recipes.core.FineTuned``)."""

    binds_fine_tune: ClassVar[bool] = True
    trains: ClassVar[bool] = True

    def fine_tuned(
        self, model: Any, context: BuildContext, epochs: int, chosen_by: str
    ) -> tuple[Any, dict[str, Any]]:
        raise NotImplementedError

    def transform(self, model: Any, context: BuildContext) -> tuple[Any, dict[str, Any]]:
        """Fine-tuned for ``--fine-tune-epochs``, else the default 2 epochs."""
        return self.fine_tuned(model, context, *context.fine_tune_epochs(DEFAULT_FINE_TUNE_EPOCHS))

    def fine_tuned_torch(
        self, module: Any, context: BuildContext, epochs: int, chosen_by: str
    ) -> dict[str, Any]:
        raise NotImplementedError

    def transform_torch(self, module: Any, context: BuildContext) -> dict[str, Any]:
        """(PyTorch) Fine-tuned for ``--fine-tune-epochs``, else the default 2 epochs."""
        return self.fine_tuned_torch(
            module, context, *context.fine_tune_epochs(DEFAULT_FINE_TUNE_EPOCHS)
        )


def _tfmot() -> Any:
    from edgebench.frameworks.keras.tfcompat import import_tensorflow

    import_tensorflow()
    try:
        import tensorflow_model_optimization as tfmot
    except ImportError as exc:
        raise ConversionError(
            f'tensorflow-model-optimization is needed: pip install "edgebench[tf]" ({exc})'
        ) from exc
    return tfmot


def _prune_wrapped(model: Any, schedule: Any) -> Any:
    """``model`` with tfmot's pruning wrapper on every layer its registry knows; layers it
    does not know but that hold no weights (``Rescaling`` in a hard-sigmoid) stay as they
    are (``prune_low_magnitude`` of the whole model refuses them)."""
    from edgebench.frameworks.keras.tfcompat import import_keras

    keras = import_keras()
    sparsity = _tfmot().sparsity.keras
    from tensorflow_model_optimization.python.core.sparsity.keras.prune_registry import (
        PruneRegistry,
    )

    def wrap(layer: Any) -> Any:
        if PruneRegistry.supports(layer) or layer.weights:
            return sparsity.prune_low_magnitude(layer, pruning_schedule=schedule)
        return layer.__class__.from_config(layer.get_config())

    return keras.models.clone_model(model, clone_function=wrap)


@dataclass(frozen=True)
class Prune(WrappedTraining):
    """``prune<S>``: magnitude pruning to sparsity S with tfmot."""

    sparsity: float
    schedule: str = "constant"
    family: ClassVar[str] = "prune"
    group: ClassVar[str] = "pruning"
    sweep_axis: ClassVar[tuple[str, str] | None] = ("sparsity", "sparsity")

    @property
    def token(self) -> str:
        return f"prune{self.sparsity:g}" + ("-poly" if self.schedule == "poly" else "")

    @property
    def sweep_value(self) -> float | None:
        return self.sparsity

    @property
    def sweep_prefix(self) -> str:
        return f"prune{self.sparsity:g}"

    @property
    def sweep_pattern(self) -> str:
        return "prune*"

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "sparsity": self.sparsity, "schedule": self.schedule}

    def fine_tuned(
        self, model: Any, context: BuildContext, epochs: int, chosen_by: str
    ) -> tuple[Any, dict[str, Any]]:
        from edgebench.artifacts.budget import plan_fine_tuning

        tfmot = _tfmot()
        sparsity = tfmot.sparsity.keras
        if epochs == 0:
            return self._masks_only(model, context)
        x, _ = context.training_data(tuple(model.inputs[0].shape[1:]))
        steps = plan_fine_tuning(
            len(x), context.training_settings(), epochs, chosen_by=chosen_by, lr_fraction=1.0
        ).planned_steps
        if self.schedule == "poly":
            schedule = sparsity.PolynomialDecay(
                0.0, self.sparsity, begin_step=0, end_step=max(1, steps // 2), frequency=1
            )
        else:
            schedule = sparsity.ConstantSparsity(self.sparsity, begin_step=0, frequency=1)
        wrapped = _prune_wrapped(model, schedule)
        meta = fit_model(wrapped, context, epochs, chosen_by, [sparsity.UpdatePruningStep()])
        stripped = sparsity.strip_pruning(wrapped)
        meta["kernel_sparsity"] = _kernel_sparsity(stripped)
        return stripped, meta

    def supports_torch(self) -> bool:
        return self.schedule == "constant"

    def fine_tuned_torch(
        self, module: Any, context: BuildContext, epochs: int, chosen_by: str
    ) -> dict[str, Any]:
        """``torch.nn.utils.prune`` L1 masks at the sparsity, fine-tuned through the masks
        for ``epochs``, then made permanent."""
        from edgebench.frameworks.pytorch.pruning import (
            apply_magnitude_masks,
            kernel_sparsity,
            make_masks_permanent,
        )
        from edgebench.frameworks.pytorch.training import fine_tune

        apply_magnitude_masks(module, self.sparsity)
        meta = fine_tune(module, context, epochs, chosen_by, lr_fraction=FINE_TUNE_LR_FRACTION)
        make_masks_permanent(module)
        return {
            **meta,
            "tool": "torch.nn.utils.prune (global L1)",
            "kernel_sparsity": kernel_sparsity(module),
        }

    def _masks_only(self, model: Any, context: BuildContext) -> tuple[Any, dict[str, Any]]:
        """tfmot's magnitude masks without training: one step at learning rate 0, batch
        norm frozen, so only the masks change the weights."""
        from edgebench.frameworks.keras.tfcompat import import_keras

        keras = import_keras()
        sparsity = _tfmot().sparsity.keras
        schedule = sparsity.ConstantSparsity(self.sparsity, begin_step=0, frequency=1)
        wrapped = _prune_wrapped(model, schedule)
        for layer in wrapped.layers:
            inner = getattr(layer, "layer", layer)
            if type(inner).__name__ == "BatchNormalization":
                layer.trainable = False
        goal = context.objective(wrapped)
        wrapped.compile(optimizer=keras.optimizers.SGD(0.0), loss=goal.loss)
        x, y = context.training_data(tuple(model.inputs[0].shape[1:]))
        wrapped.fit(
            x[:1],
            goal.encode(y[:1]),
            epochs=1,
            verbose=0,
            callbacks=[sparsity.UpdatePruningStep()],
        )
        stripped = sparsity.strip_pruning(wrapped)
        return stripped, {"fine_tune_epochs": 0, "kernel_sparsity": _kernel_sparsity(stripped)}


@dataclass(frozen=True)
class Cluster(WrappedTraining):
    """``cluster<K>``: weight clustering to K centroids per layer with tfmot."""

    clusters: int
    init: str = "kmeans++"
    family: ClassVar[str] = "cluster"
    group: ClassVar[str] = "clustering"

    @property
    def token(self) -> str:
        return f"cluster{self.clusters}" + ("" if self.init == "kmeans++" else f"-{self.init}")

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "clusters": self.clusters, "centroid_init": self.init}

    def fine_tuned(
        self, model: Any, context: BuildContext, epochs: int, chosen_by: str
    ) -> tuple[Any, dict[str, Any]]:
        from edgebench.frameworks.keras.graph import fold_batchnorm
        from edgebench.frameworks.keras.training import seed_everything

        clustering = _tfmot().clustering.keras
        inits = {
            "kmeans++": clustering.CentroidInitialization.KMEANS_PLUS_PLUS,
            "linear": clustering.CentroidInitialization.LINEAR,
            "random": clustering.CentroidInitialization.RANDOM,
            "density": clustering.CentroidInitialization.DENSITY_BASED,
        }
        seed_everything(context.seed)
        folded = fold_batchnorm(model)
        wrapped = clustering.cluster_weights(
            folded, number_of_clusters=self.clusters, cluster_centroids_init=inits[self.init]
        )
        meta = fit_model(wrapped, context, epochs, chosen_by) if epochs else {"fine_tune_epochs": 0}
        stripped = clustering.strip_clustering(wrapped)
        meta["distinct_values"] = {
            k.name: int(np.unique(k.numpy()).size) for k in _kernels(stripped)
        }
        return stripped, meta


@dataclass(frozen=True)
class StructuredPrune(Step):
    """``sprune<F>``: remove fraction F of each prunable convolution's filters."""

    fraction: float
    criterion: str = "l1"
    #: channels are removed in multiples of this (1: exactly the fraction, rounded)
    round_to: int = 1
    family: ClassVar[str] = "sprune"
    group: ClassVar[str] = "structured pruning"
    sweep_axis: ClassVar[tuple[str, str] | None] = ("fraction", "structured pruning fraction")

    @property
    def token(self) -> str:
        return (
            f"sprune{self.fraction:g}"
            + ("" if self.criterion == "l1" else f"-{self.criterion}")
            + ("" if self.round_to == 1 else f"-r{self.round_to}")
        )

    @property
    def sweep_value(self) -> float | None:
        return self.fraction

    @property
    def sweep_prefix(self) -> str:
        return f"sprune{self.fraction:g}"

    @property
    def sweep_pattern(self) -> str:
        return "sprune*"

    def describe(self) -> dict[str, Any]:
        described = {**super().describe(), "fraction": self.fraction, "criterion": self.criterion}
        if self.round_to > 1:  # absent otherwise: the cache keys of plain sprune stay put
            described["round_to"] = self.round_to
        return described

    def transform(self, model: Any, context: BuildContext) -> tuple[Any, dict[str, Any]]:
        from edgebench.frameworks.keras.graph import structured_prune

        narrow, meta = structured_prune(
            model, self.fraction, self.criterion, context.seed, round_to=self.round_to
        )
        context.log(
            f"{self.token}: {model.count_params():,} -> {narrow.count_params():,} parameters"
        )
        return narrow, meta

    def supports_torch(self) -> bool:
        return True

    def transform_torch(self, module: Any, context: BuildContext) -> dict[str, Any]:
        """Torch-Pruning's dependency graph removes the fraction of every prunable group."""
        from edgebench.frameworks.pytorch.pruning import structured_prune

        meta = structured_prune(
            module,
            self.fraction,
            self.criterion,
            context.seed,
            context.model_input_shape(),
            round_to=self.round_to,
        )
        context.log(
            f"{self.token}: {meta['params_before']:,} -> {meta['params_after']:,} parameters"
        )
        return meta


@dataclass(frozen=True)
class QuantizationAwareTraining(Step):
    """``qat[E]``: quantize_model, E epochs of training, then integer conversion."""

    epochs: int = DEFAULT_FINE_TUNE_EPOCHS
    stage: ClassVar[Stage] = "export"
    family: ClassVar[str] = "qat"
    group: ClassVar[str] = "qat"
    trains: ClassVar[bool] = True
    #: whether the recipe named the epochs (``qat5``); ``qat`` takes ``--fine-tune-epochs``.
    explicit_epochs: bool = False

    @property
    def token(self) -> str:
        return f"qat{self.epochs}" if self.explicit_epochs else "qat"

    @property
    def bits(self) -> int | None:
        return 8

    def describe(self) -> dict[str, Any]:
        return {**super().describe(), "scheme": "qat", "epochs": self.epochs}

    def export(
        self, model: Any, artifact_format: str, out_path: Path, context: BuildContext
    ) -> dict[str, Any]:
        """Train with fake quantization, then convert (TFLite int8, or ONNX with Q/DQ)."""
        from edgebench.artifacts.convert import (
            keras_to_onnx,
            keras_to_tflite,
            short_converter_message,
        )
        from edgebench.frameworks.keras.tfcompat import import_tensorflow

        tf = import_tensorflow()
        try:
            quantized, output_only = _quantize_for_training(model)
        except Exception as exc:  # noqa: BLE001 - tfmot refuses unsupported layers
            raise ConversionError(
                f"quantize_model refused the model: {short_converter_message(exc)}"
            ) from exc
        epochs, chosen_by = (
            (self.epochs, "recipe")
            if self.explicit_epochs
            else context.fine_tune_epochs(DEFAULT_FINE_TUNE_EPOCHS)
        )
        meta = fit_model(quantized, context, epochs, chosen_by)
        if output_only:
            meta["output_quantized_layers"] = output_only

        def configure(converter: Any) -> None:
            converter.optimizations = [tf.lite.Optimize.DEFAULT]

        if artifact_format == "tflite":
            keras_to_tflite(quantized, out_path, configure)
        else:
            keras_to_onnx(quantized, out_path)
        return meta


def _quantize_for_training(model: Any) -> tuple[Any, list[str]]:
    """tfmot's ``quantize_model``, except that weight-less layers its default 8-bit
    registry does not know (``Rescaling`` and ``Multiply`` of hard-swish and
    squeeze-excitation) get fake quantization of their output only, the way the
    registry treats ``Add``; returns the wrapped model and those layers' names."""
    from edgebench.frameworks.keras.tfcompat import import_keras

    keras = import_keras()
    quantization = _tfmot().quantization.keras
    from tensorflow_model_optimization.python.core.quantization.keras.default_8bit import (
        default_8bit_quantize_registry as registry_module,
    )

    registry = registry_module.Default8BitQuantizeRegistry()
    output_only = [
        layer.name
        for layer in model.layers
        if type(layer).__name__ != "InputLayer"
        and not layer.weights
        and not registry.supports(layer)
    ]
    if not output_only:
        return quantization.quantize_model(model), []

    class OutputQuantizeConfig(quantization.QuantizeConfig):  # type: ignore[misc, name-defined]
        """Fake-quantize the layer's output (8 bits, asymmetric, moving average)."""

        def get_weights_and_quantizers(self, layer: Any) -> list[Any]:
            return []

        def get_activations_and_quantizers(self, layer: Any) -> list[Any]:
            return []

        def set_quantize_weights(self, layer: Any, quantize_weights: Any) -> None:
            pass

        def set_quantize_activations(self, layer: Any, quantize_activations: Any) -> None:
            pass

        def get_output_quantizers(self, layer: Any) -> list[Any]:
            return [
                quantization.quantizers.MovingAverageQuantizer(
                    num_bits=8, per_axis=False, symmetric=False, narrow_range=False
                )
            ]

        def get_config(self) -> dict[str, Any]:
            return {}

    def annotate(layer: Any) -> Any:
        if layer.name in output_only:
            return quantization.quantize_annotate_layer(
                layer.__class__.from_config(layer.get_config()),
                quantize_config=OutputQuantizeConfig(),
            )
        return quantization.quantize_annotate_layer(layer)

    annotated = keras.models.clone_model(model, clone_function=annotate)
    with quantization.quantize_scope({"OutputQuantizeConfig": OutputQuantizeConfig}):
        return quantization.quantize_apply(annotated), output_only


def _round_to(text: str | None, token: str) -> int:
    if text is None:
        return 1
    value = int(text)
    if value < 1:
        raise UsageError(f"{token}: -r needs a channel multiple of 1 or more")
    return value


def _fraction(text: str, token: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise UsageError(f"{token}: the fraction must be between 0 and 1 (exclusive)")
    return value


TRAINING_STEPS: tuple[StepKind, ...] = (
    StepKind(
        "prune",
        re.compile(r"prune(\d*\.\d+|\d+)(-poly)?"),
        lambda m: Prune(_fraction(m[1], m[0]), "poly" if m[2] else "constant"),
        "unstructured magnitude pruning to sparsity S (tfmot), -poly for polynomial decay",
        "prune0.5",
    ),
    StepKind(
        "sprune",
        re.compile(r"sprune(\d*\.\d+|\d+)(?:-(l1|l2|random))?(?:-r(\d+))?"),
        lambda m: StructuredPrune(_fraction(m[1], m[0]), m[2] or "l1", _round_to(m[3], m[0])),
        "structured (filter) pruning of fraction F, ranked by l1 (default), l2 or random; "
        "-rN removes channels in multiples of N (sprune0.2-r8: widths stay multiples of 8)",
        "sprune0.3",
    ),
    StepKind(
        "cluster",
        re.compile(r"cluster(\d+)(?:-(kmeans\+\+|linear|random|density))?"),
        lambda m: Cluster(int(m[1]), m[2] or "kmeans++"),
        "weight clustering to K centroids (tfmot), centroid init kmeans++/linear/random/density",
        "cluster16",
    ),
    StepKind(
        "ft", re.compile(r"ft(\d+)"), lambda m: FineTune(int(m[1])), "E fine-tuning epochs", "ft2"
    ),
    StepKind(
        "qat",
        re.compile(r"qat(\d+)?"),
        lambda m: (
            QuantizationAwareTraining(int(m[1]), True) if m[1] else QuantizationAwareTraining()
        ),
        "quantization-aware training (tfmot) for E epochs, then integer conversion",
        "qat",
    ),
)

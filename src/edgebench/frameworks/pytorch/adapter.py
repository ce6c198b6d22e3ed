"""The PyTorch framework for the artifact builder (``frameworks.base.Framework``)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from edgebench.errors import UsageError
from edgebench.frameworks.base import TrainingRun, ZooModel


class TorchFramework:
    """``torch.nn.Module`` models: zoo modules (NCHW logits) trained as classifiers,
    transformed in place by a step's ``transform_torch``, saved as weights and layer widths
    (``modules``), exported by the ``torch -> format`` exporters (NHWC input), by a step's
    own PyTorch exporter (``int8io``), or by a step that starts from the float ONNX file
    (the ONNX Runtime quantizers). TorchScript and ``torch.export`` files are loaded
    without unpickling (``export.load_torch_model``)."""

    name = "torch"
    cache_kind = "torch-zoo-float"
    model_file = "weights.pt"
    saved_kind = "torch"

    def obstacle(self, source: Any, recipe: Any, artifact_format: str, runtime: str) -> str | None:
        """A TorchScript / ``torch.export`` file reaches ONNX Runtime only, with the steps
        that start from its ONNX export; a zoo module needs torch, steps with a PyTorch
        implementation, and litert-torch for ``.tflite``."""
        import importlib.util

        from edgebench.artifacts.zoo import ZooSpec

        fmt = artifact_format
        if not isinstance(source, ZooSpec):
            if fmt != "onnx":
                return (
                    f"PyTorch files run on ONNX Runtime (exported with torch.onnx.export); the "
                    f"conversion to {fmt} is not built yet"
                )
            if recipe.needs_keras:
                return f"recipe {recipe.id} needs a Keras model; {source.id} is a PyTorch file"
            return None
        if importlib.util.find_spec("torch") is None:
            return (
                f"{source.id} is a PyTorch model and torch is not installed: "
                'pip install "edgebench[torch]" (docs/pytorch.md says how to get the CPU build)'
            )
        obstacle = recipe.torch_obstacle()
        if obstacle is not None:
            return f"recipe {recipe.id} on {source.id}: {obstacle}"
        if fmt == "tflite":
            export = recipe.export_step
            if (
                export is not None
                and export.token != "fp32"
                and not export.supports_torch_export(fmt)
            ):
                return (
                    f"recipe {recipe.id}: PyTorch models reach {runtime} through litert-torch: "
                    "its float conversion, or int8io (its PT2E quantizer, whose graphs take "
                    "int8 tensors)"
                )
            if importlib.util.find_spec("litert_torch") is None:
                return (
                    f"{source.id} is a PyTorch model and litert-torch (its converter to "
                    f'.tflite) is not installed: pip install "edgebench[litert-torch]"'
                )
        from edgebench.formats import formats_written_by

        written = formats_written_by(self.name)
        if fmt not in written:
            return f"PyTorch models are exported to {', '.join(written)}, not {fmt}"
        return None

    def tools(self, base: dict[str, str], *, export: bool = False) -> dict[str, str]:
        """torch and Torch-Pruning decide a model; onnxscript, litert-torch and torchao
        its export."""
        from edgebench.provenance import package_versions

        names = (
            "torch",
            "torch-pruning",
            *(("onnxscript", "litert-torch", "torchao") if export else ()),
        )
        return {**base, **package_versions(names)}

    def build_zoo(self, zoo: ZooModel, seed: int) -> tuple[Any, dict[str, Any]]:
        from edgebench.frameworks.pytorch.training import configure_torch_threads, seed_torch

        threads = configure_torch_threads()
        seed_torch(seed)
        return self.constructor(zoo)(), threads

    def constructor(self, zoo: ZooModel) -> Any:
        """A function that builds the zoo module afresh (its weights are loaded after)."""

        def build() -> Any:
            from edgebench.frameworks.pytorch.modules import import_torch

            return zoo.architecture.module.build(
                import_torch(), zoo.input_shape, zoo.num_classes, **zoo.params
            )

        return build

    def train(self, model: Any, zoo: ZooModel, run: TrainingRun) -> tuple[Any, dict[str, Any]]:
        from edgebench.frameworks.pytorch.training import check_task, fit

        check_task(run.labels)
        result = fit(
            model,
            run.budget,
            run.train,
            validation=run.validation,
            test=run.test,
            seed=run.seed,
            title=run.title,
            progress=run.progress,
        )
        return result, {
            "framework": "torch",
            "input_pipeline": "torch tensors (NCHW), seeded shuffles",
        }

    def counts(self, model: Any, input_shape: tuple[int, ...]) -> dict[str, Any]:
        from edgebench.frameworks.pytorch.modules import count_macs, count_parameters

        _eval(model)  # counting runs a forward pass: batch norm must not learn from it
        params = count_parameters(model)
        macs = None
        if len(input_shape) == 3:
            try:
                macs = count_macs(model, input_shape)  # type: ignore[arg-type]
            except Exception:  # noqa: BLE001 - a module we cannot trace: unknown, not zero
                macs = None
        return {"params": params, "trainable_params": params, "macs": macs}

    def save(self, model: Any, folder: Path) -> None:
        from edgebench.frameworks.pytorch.modules import save_module

        _eval(model)
        save_module(model, folder)

    def load(self, path: Path, kind: str, *, trusted: bool, constructor: Any = None) -> Any:
        """A zoo entry's module (``constructor`` rebuilds its structure; ``path`` is the
        entry's weights file), or a user's TorchScript / ``torch.export`` file."""
        if constructor is not None:
            from edgebench.frameworks.pytorch.modules import load_module

            return load_module(constructor, path.parent)
        from edgebench.frameworks.pytorch.export import load_torch_model

        return load_torch_model(path, kind)

    def step_obstacle(self, step: Any) -> str | None:
        if step.stage == "model" and not step.supports_torch():
            return f"step {step.token} has no PyTorch implementation"
        return None

    def transform(self, step: Any, model: Any, context: Any) -> tuple[Any, dict[str, Any]]:
        obstacle = self.step_obstacle(step)
        if obstacle is not None:
            raise UsageError(obstacle)
        return model, step.transform_torch(model, context)

    def export_needs_model(self, step: Any, artifact_format: str) -> bool:
        return step.token == "fp32" or step.supports_torch_export(artifact_format)

    def export(
        self, step: Any, model: Any, artifact_format: str, out_path: Path, context: Any
    ) -> dict[str, Any]:
        if step.token == "fp32":
            from edgebench.formats import exporter_for

            factory = exporter_for(self.name, artifact_format).load_factory()
            meta = factory(model, context.model_input_shape(), out_path)
            return {"step": "torch-export", **(meta or {})}
        if step.supports_torch_export(artifact_format):
            return step.export_torch(model, artifact_format, out_path, context)
        if step.needs_keras:
            raise UsageError(f"step {step.token} converts a Keras model; this is a PyTorch model")
        return step.export(None, artifact_format, out_path, context)


def _eval(model: Any) -> None:
    """Put ``model`` in eval mode (a ``torch.export`` program's module is already, and
    refuses the call)."""
    with contextlib.suppress(NotImplementedError):
        model.eval()

"""Model sources: zoo specs and user model files, and the ``--model`` option.

``--model`` takes a comma list of zoo specs (``mobilenet_v1``, ``small_cnn:dense=0``)
and model file paths; ``auto`` (the default) means the default zoo model plus every
model file dropped into the models folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from edgebench.build.zoo import (
    DEFAULT_ZOO_MODEL,
    DEFAULT_ZOO_MODELS,
    Architecture,
    ZooSpec,
    parse_zoo_spec,
)
from edgebench.errors import UsageError

# File suffix -> model file kind.
FILE_KINDS: dict[str, str] = {
    ".keras": "keras",
    ".h5": "h5",
    ".hdf5": "h5",
    ".onnx": "onnx",
    ".tflite": "tflite",
    ".pt": "torchscript",
    ".pt2": "torch-export",
}
KERAS_KINDS = frozenset({"keras", "h5", "savedmodel"})
#: PyTorch files: exported to ONNX (``build.torch_export``), never unpickled.
TORCH_KINDS = frozenset({"torchscript", "torch-export"})


@dataclass(frozen=True)
class ModelFile:
    """A user's model file (or SavedModel folder), benchmarked as provided."""

    path: Path
    kind: str

    @property
    def id(self) -> str:
        """Id in test names: the file name (``mynet.onnx``)."""
        return self.path.name

    @property
    def is_keras(self) -> bool:
        """Whether the file holds a Keras/TensorFlow model that can be converted and compressed."""
        return self.kind in KERAS_KINDS

    @property
    def is_torch(self) -> bool:
        """Whether the file holds a PyTorch model (TorchScript or a torch.export program)."""
        return self.kind in TORCH_KINDS

    @property
    def native_format(self) -> str | None:
        """The artifact format the file already is (``onnx``/``tflite``), else ``None``."""
        return self.kind if self.kind in ("onnx", "tflite") else None


ModelSource = ZooSpec | ModelFile


def model_file(path: Path) -> ModelFile:
    """Classify a path as a model file; raises ``UsageError`` for what is not one."""
    if path.is_dir():
        if (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file():
            return ModelFile(path, "savedmodel")
        raise UsageError(f"{path} is a folder without saved_model.pb; not a SavedModel")
    kind = FILE_KINDS.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(FILE_KINDS))
        raise UsageError(
            f"{path}: unknown model file type {path.suffix!r}; known: {known}, SavedModel folders"
        )
    return ModelFile(path, kind)


def discover_model_files(models_dir: Path) -> list[ModelFile]:
    """Model files and SavedModel folders dropped into ``models_dir``."""
    found: list[ModelFile] = []
    if not models_dir.is_dir():
        return found
    for path in sorted(models_dir.iterdir()):
        if path.name.startswith((".", "_")):
            continue
        if path.is_dir() and (path / "saved_model.pb").is_file():
            found.append(ModelFile(path, "savedmodel"))
        elif path.is_file() and path.suffix.lower() in FILE_KINDS:
            found.append(model_file(path))
    return found


def resolve_models(
    option: str,
    architectures: dict[str, Architecture],
    models_dir: Path,
    base_dir: Path,
    task: str = "classify",
) -> list[ModelSource]:
    """Resolve the ``--model`` option into model sources, in the order given. ``auto``
    and ``zoo`` pick the zoo models of ``task``; a zoo model of another task is an error."""
    sources: list[ModelSource] = []
    for item in (part.strip() for part in option.split(",")):
        if not item:
            continue
        if item == "auto":
            default = DEFAULT_ZOO_MODELS.get(task, DEFAULT_ZOO_MODEL)
            if default in architectures:
                sources.append(parse_zoo_spec(default, architectures))
            sources.extend(discover_model_files(models_dir))
        elif item == "zoo":
            sources.extend(
                parse_zoo_spec(name, architectures)
                for name in sorted(architectures)
                if architectures[name].task == task and architectures[name].listed
            )
        elif item.split(":")[0] in architectures:
            found = architectures[item.split(":")[0]].task
            if found != task:
                raise UsageError(
                    f"--model {item!r} is a {found} model and the task is {task} "
                    f"(--task {found} runs it)"
                )
            sources.append(parse_zoo_spec(item, architectures))
        else:
            path = Path(item).expanduser()
            if not path.is_absolute():
                path = base_dir / path
            if not path.exists():
                known = ", ".join(sorted(architectures)) or "none"
                raise UsageError(
                    f"--model {item!r} is neither a zoo model ({known}) nor an existing file"
                )
            sources.append(model_file(path))
    unique: dict[str, ModelSource] = {}
    for source in sources:
        unique.setdefault(source.id, source)
    if not unique:
        raise UsageError("--model selects no model")
    return list(unique.values())

"""Keras model configs read as data, before anything is deserialized.

Loading a Keras model rebuilds every object its config names. A ``Lambda`` layer's config
carries marshalled Python bytecode (HDF5, SavedModel) or source (Keras 3's
``__lambda__``), and a custom or registered class runs whatever its module defines; Keras'
``safe_mode`` guards only the zip-based ``.keras`` format. So edgebench reads each config
as JSON first (the v3 archive's ``config.json``, HDF5's ``model_config`` attribute, a
SavedModel's ``keras_metadata.pb`` and the Keras metadata in its object graph) and refuses
a model that names anything but Keras' own built-in objects, naming the layer.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any

from edgebench.errors import ModelLoadError

#: class names whose config holds code that loading runs.
CODE_CLASSES = frozenset({"Lambda", "__lambda__"})
#: special Keras 3 serialization markers that hold plain data.
DATA_MARKERS = frozenset(
    {
        "__tuple__",
        "__keras_tensor__",
        "__tensor__",
        "__numpy__",
        "__bytes__",
        "__ellipsis__",
        "__slice__",
        "__typespec__",
        "__tensorshape__",
        "function",  # a built-in function by name (checked by its module below)
        # a SavedModel's input signatures: TensorFlow type specs looked up by their name
        "TypeSpec",
        "TensorShape",
        "TensorSpec",
    }
)
#: modules a serialized object may come from (Keras 3 writes ``module`` beside the class).
KERAS_MODULES = ("keras", "tf_keras", "tensorflow.keras", "builtins")
#: the largest config read (a model's config is kilobytes to a few megabytes).
MAX_CONFIG_BYTES = 256 * 1024 * 1024


@lru_cache(maxsize=1)
def builtin_keras_names() -> frozenset[str]:
    """Names of Keras' own objects (layers, models, initializers, regularizers, constraints,
    activations, optimizers, losses, metrics, dtype policies), read from tf_keras itself."""
    from edgebench.frameworks.keras.tfcompat import import_keras

    keras = import_keras()
    names: set[str] = {"Functional", "Sequential", "Model", "Policy", "DTypePolicy"}
    names |= {"TFOpLambda", "SlicingOpLambda", "InputLayer", "InputSpec"}
    for module_name in (
        "layers",
        "initializers",
        "regularizers",
        "constraints",
        "activations",
        "optimizers",
        "losses",
        "metrics",
        "models",
        "mixed_precision",
    ):
        module = getattr(keras, module_name, None)
        names |= {n for n in dir(module) if not n.startswith("_")}
    names |= {n for n in dir(keras.optimizers.schedules) if not n.startswith("_")}
    try:  # the layer registry also knows v1/v2 aliases (BatchNormalizationV2, ...)
        serialization = __import__(
            keras.__name__ + ".src.layers.serialization", fromlist=["populate"]
        )
        serialization.populate_deserializable_objects()
        names |= set(serialization.LOCAL.ALL_OBJECTS)
    except (ImportError, AttributeError):  # pragma: no cover - another Keras layout
        pass
    return frozenset(names - CODE_CLASSES)


def _objects(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every serialized object in a config: (where, the dict with ``class_name``)."""
    stack: list[tuple[str, Any]] = [(path, node)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            if "class_name" in item:
                name = item.get("config", {})
                label = name.get("name") if isinstance(name, dict) else None
                yield (str(label) if label else where), item
            stack.extend((where, value) for value in item.values())
        elif isinstance(item, list):
            stack.extend((where, value) for value in item)


def unsafe_objects(config: Any, known: frozenset[str] | None = None) -> list[str]:
    """What in ``config`` would run code when loaded: ``"layer 'name' (Lambda)"`` for each
    Lambda, custom, registered or foreign-module object; empty when there is none."""
    known = builtin_keras_names() if known is None else known
    found: list[str] = []
    for where, item in _objects(config):
        cls = item.get("class_name")
        module = item.get("module")
        registered = item.get("registered_name")
        why = None
        if not isinstance(cls, str):
            why = f"a class name of type {type(cls).__name__}"
        elif cls in CODE_CLASSES:
            why = cls
        elif isinstance(module, str) and not module.startswith(KERAS_MODULES):
            why = f"{cls} from module {module}"
        elif isinstance(registered, str) and ">" in registered:
            why = f"{cls}, registered as {registered}"
        elif cls not in known and cls not in DATA_MARKERS:
            why = f"{cls}, not a built-in Keras object"
        if why:
            entry = f"'{where}' ({why})" if where else f"({why})"
            if entry not in found:
                found.append(entry)
    return found


def _json(raw: Any, what: str) -> Any:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(raw)
    except (TypeError, ValueError) as exc:
        raise ModelLoadError(f"{what} is not valid JSON ({exc})") from exc


def _zip_configs(path: Path) -> list[Any]:
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > MAX_CONFIG_BYTES:
                raise ModelLoadError(f"{path.name}: config.json of {info.file_size} bytes")
            return [_json(archive.read(info), f"{path.name}'s config.json")]
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise ModelLoadError(f"cannot read {path.name} as a Keras archive: {exc}") from exc


def _h5_configs(path: Path) -> list[Any]:
    import h5py

    try:
        with h5py.File(path, "r") as handle:
            raw = handle.attrs.get("model_config")
    except OSError as exc:
        raise ModelLoadError(f"cannot read {path.name} as HDF5: {exc}") from exc
    if raw is None:
        raise ModelLoadError(f"{path.name} holds no model config (weights-only HDF5 file?)")
    return [_json(raw, f"{path.name}'s model_config")]


def _savedmodel_configs(path: Path) -> list[Any]:
    """The Keras metadata of a SavedModel: ``keras_metadata.pb`` and the object graph's
    per-node metadata (what tf_keras reads when the first is missing), parsed as protobuf."""
    from google.protobuf import message, text_format
    from tensorflow.core.protobuf import saved_model_pb2

    configs: list[Any] = []
    saved = saved_model_pb2.SavedModel()
    try:
        if (path / "saved_model.pb").is_file():
            saved.ParseFromString((path / "saved_model.pb").read_bytes())
        else:
            text_format.Parse((path / "saved_model.pbtxt").read_text(), saved)
    except (message.DecodeError, text_format.ParseError, OSError, UnicodeDecodeError) as exc:
        raise ModelLoadError(f"cannot read {path.name}'s saved_model.pb: {exc}") from exc
    for graph in saved.meta_graphs:
        for node in graph.object_graph_def.nodes:
            if node.HasField("user_object") and node.user_object.metadata:
                configs.append(_json(node.user_object.metadata, f"{path.name}'s object metadata"))
    metadata_file = path / "keras_metadata.pb"
    if metadata_file.is_file():
        from edgebench.frameworks.keras.tfcompat import import_keras

        keras = import_keras()
        proto = __import__(keras.__name__ + ".protobuf.saved_metadata_pb2", fromlist=["x"])
        metadata = proto.SavedMetadata()
        try:
            metadata.ParseFromString(metadata_file.read_bytes())
        except message.DecodeError as exc:
            raise ModelLoadError(f"cannot read {path.name}'s keras_metadata.pb: {exc}") from exc
        configs += [_json(n.metadata, f"{path.name}'s keras_metadata.pb") for n in metadata.nodes]
    if not configs:
        raise ModelLoadError(
            f"{path.name} is a SavedModel without Keras metadata (saved with "
            "tf.saved_model.save, not model.save); edgebench builds variants from Keras "
            "models only: save it from Keras, or convert it to .tflite or .onnx and bench that"
        )
    return configs


CONFIG_READERS = {"keras": _zip_configs, "h5": _h5_configs, "savedmodel": _savedmodel_configs}


def check_keras_file(path: Path, kind: str) -> None:
    """Refuse (``ModelLoadError``) a Keras model whose loading would run code: every config
    is read as data first and each Lambda, custom or registered object is named."""
    reader = CONFIG_READERS.get(kind)
    if reader is None:
        raise ModelLoadError(f"{path.name}: not a Keras model file (kind {kind!r})")
    unsafe: list[str] = []
    for config in reader(path):
        unsafe += [entry for entry in unsafe_objects(config) if entry not in unsafe]
    if unsafe:
        shown = ", ".join(unsafe[:5]) + (f" and {len(unsafe) - 5} more" if len(unsafe) > 5 else "")
        raise ModelLoadError(
            f"{path.name} is refused: loading it would run Python code from the file: "
            f"{shown}. Rebuild the model from built-in Keras layers (a Lambda's work as a "
            "standard layer) or convert it to .tflite or .onnx where you trust it"
        )

"""Loading and saving Keras models safely (``safe_mode=True``, nothing unpickled)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from edgebench.build.tfcompat import import_keras
from edgebench.errors import ModelLoadError

UNSAFE_LAYERS = ("Lambda",)


def _h5_layer_classes(path: Path) -> list[str]:
    """Layer class names from an HDF5 model's stored config (without building it)."""
    import h5py

    with h5py.File(path, "r") as handle:
        raw = handle.attrs.get("model_config")
    if raw is None:
        raise ModelLoadError(f"{path.name} holds no model config (weights-only HDF5 file?)")
    config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    classes: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "class_name" in node:
                classes.append(str(node["class_name"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config)
    return classes


def load_keras_model(path: Path, kind: str) -> Any:
    """Load a ``.keras``/``.h5`` file or SavedModel folder as a Keras 2 model.

    ``.keras`` files load with ``safe_mode=True``; HDF5 files with a Lambda layer are
    refused, since loading one runs marshalled Python code.
    """
    keras = import_keras()
    try:
        if kind == "keras":
            return keras.models.load_model(path, compile=False, safe_mode=True)
        if kind == "h5":
            unsafe = sorted(set(_h5_layer_classes(path)) & set(UNSAFE_LAYERS))
            if unsafe:
                raise ModelLoadError(
                    f"{path.name} contains {', '.join(unsafe)} layer(s), whose code would be "
                    "executed on load; re-save it as .keras without Lambda layers"
                )
            return keras.models.load_model(path, compile=False)
        if kind == "savedmodel":
            return keras.models.load_model(path, compile=False)
    except ModelLoadError:
        raise
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for a bad file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelLoadError(
            f"cannot load {path.name} as a Keras model: {type(exc).__name__}: {first[:300]}"
        ) from exc
    raise ModelLoadError(f"{path.name}: not a Keras model file (kind {kind!r})")


def save_keras_model(model: Any, path: Path) -> None:
    """Save a Keras model in the ``.keras`` format."""
    model.save(path)

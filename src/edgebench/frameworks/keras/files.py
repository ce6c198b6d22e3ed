"""Loading and saving Keras models safely (``safe_mode=True``, nothing unpickled)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from edgebench.errors import ModelLoadError
from edgebench.frameworks.keras.tfcompat import import_keras


def load_keras_model(path: Path, kind: str, *, trusted: bool = False) -> Any:
    """Load a ``.keras``/``.h5`` file or SavedModel folder as a Keras 2 model.

    ``kind`` is what the bytes are (``artifacts.sniff``), not the suffix. Unless ``trusted``
    (a model edgebench built and cached itself), every Keras config in the file is read
    as data first and a model that names a Lambda, custom or registered object is refused
    (``frameworks.keras.safety``); ``.keras`` archives also load with ``safe_mode=True``.
    """
    from edgebench.frameworks.keras.safety import check_keras_file

    if kind not in ("keras", "h5", "savedmodel"):
        raise ModelLoadError(f"{path.name}: not a Keras model file (kind {kind!r})")
    if not trusted:
        check_keras_file(path, kind)
    keras = import_keras()
    try:
        if kind == "keras":
            return keras.models.load_model(path, compile=False, safe_mode=True)
        return keras.models.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for a bad file
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelLoadError(
            f"cannot load {path.name} as a Keras model: {type(exc).__name__}: {first[:300]}"
        ) from exc


def save_keras_model(model: Any, path: Path) -> None:
    """Save a Keras model in the ``.keras`` format."""
    model.save(path)

"""Lazy, configured import of TensorFlow and Keras 2 (tf-keras).

TensorFlow is only imported when a model has to be built or converted, so that
``pytest --help``, the unit tests and warm benchmark runs never pay for it.
tensorflow-model-optimization needs Keras 2, so ``TF_USE_LEGACY_KERAS=1`` is set
before TensorFlow is imported, and ``tf_keras`` is the Keras used everywhere.
"""

from __future__ import annotations

import os
from types import ModuleType

from edgebench.errors import RuntimeUnavailable

_INSTALL_HINT = 'TensorFlow is needed to build and convert models: pip install "edgebench[tf]"'


def _configure_environment() -> None:
    os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def import_tensorflow() -> ModuleType:
    """Return the ``tensorflow`` module, configured for Keras 2."""
    _configure_environment()
    try:
        import tensorflow as tf
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeUnavailable(f"{_INSTALL_HINT} ({exc})") from exc
    return tf


def import_keras() -> ModuleType:
    """Return Keras 2 (``tf_keras``), importing TensorFlow first."""
    import_tensorflow()
    try:
        import tf_keras
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeUnavailable(f"{_INSTALL_HINT} (tf-keras missing: {exc})") from exc
    return tf_keras

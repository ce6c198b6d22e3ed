"""Model frameworks by name: built-ins (``keras``, ``torch``), the
``edgebench.frameworks`` entry point group, and registrations made in this process.

Example (a package that adds a framework)::

    from edgebench.frameworks.registry import FrameworkSpec, register_framework

    register_framework(FrameworkSpec("jax", "myjax.framework:JaxFramework",
                                     "Flax modules", file_kinds=("msgpack",)))
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from edgebench.registry import Registry, import_path


@dataclass(frozen=True)
class FrameworkSpec:
    """A framework: ``factory`` is ``"module:attribute"`` of a class built without
    arguments (``frameworks.base.Framework``); ``file_kinds`` are the model-file kinds
    (``artifacts.sniff``) its models are read from."""

    name: str
    factory: str
    description: str = ""
    file_kinds: tuple[str, ...] = ()


BUILTIN_FRAMEWORKS: tuple[FrameworkSpec, ...] = (
    FrameworkSpec(
        "keras",
        "edgebench.frameworks.keras.adapter:KerasFramework",
        "tf_keras models: trained with tf.data, converted by TFLiteConverter and tf2onnx",
        file_kinds=("keras", "h5", "savedmodel"),
    ),
    FrameworkSpec(
        "torch",
        "edgebench.frameworks.pytorch.adapter:TorchFramework",
        "torch.nn.Module: exported by torch.onnx.export and litert-torch",
        file_kinds=("torchscript", "torch-export"),
    ),
)

FRAMEWORKS: Registry[FrameworkSpec] = Registry(
    "framework", "edgebench.frameworks", BUILTIN_FRAMEWORKS, FrameworkSpec
)


def register_framework(spec: FrameworkSpec) -> None:
    """Register ``spec`` in this process (packages can use the entry point instead)."""
    FRAMEWORKS.register(spec)
    framework.cache_clear()


def unregister_framework(name: str) -> None:
    """Remove a framework registered with :func:`register_framework` (for tests)."""
    FRAMEWORKS.unregister(name)
    framework.cache_clear()


@functools.cache
def framework(name: str) -> Any:
    """The framework ``name`` (one instance per process); an unknown name is a
    ``UsageError`` listing the known ones."""
    spec = FRAMEWORKS.get(name)
    return import_path(spec.factory, f"framework {name!r}")()


def framework_of_file(kind: str) -> str | None:
    """The framework whose models are read from model files of ``kind``, or ``None``."""
    for spec in FRAMEWORKS.specs().values():
        if kind in spec.file_kinds:
            return spec.name
    return None

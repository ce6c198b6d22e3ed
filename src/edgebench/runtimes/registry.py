"""Runtimes by name: the built-in ones, those other packages register under the
``edgebench.runtimes`` entry point group, and those a conftest registers.

A runtime is one module plus a registration: a :class:`RuntimeSpec` names the runtime,
the artifact format it loads, and the ``module:attribute`` of its factory. The factory
is a path rather than an object so that a measurement worker (a fresh process, or a
board) can import the same runtime from the job it receives.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from edgebench.option_decl import Option
from edgebench.registry import Registry, import_path
from edgebench.runtimes.base import DEFAULT_PROVIDER, Runtime

ENTRY_POINT_GROUP = "edgebench.runtimes"


@dataclass(frozen=True)
class RuntimeSpec:
    """A registered runtime.

    ``factory`` is ``"module:attribute"``: a callable taking the runtime options (a
    mapping, e.g. ``{"onnx_provider": "CPUExecutionProvider"}``) and returning a
    :class:`~edgebench.runtimes.base.Runtime`. ``options`` declares the options the
    runtime reads (a flag and a pytest.ini key each); their values reach the factory by
    :attr:`~edgebench.option_decl.Option.key`, here and in every worker.
    """

    name: str
    artifact_format: str
    factory: str
    description: str = ""
    #: in the default ``--runtimes`` (an opt-in runtime, such as a second API over the
    #: same artifacts, is not)
    default: bool = True
    options: tuple[Option, ...] = ()

    def load_factory(self) -> Callable[[Mapping[str, Any]], Runtime]:
        """Import the factory (raises ``UsageError`` naming the runtime if it cannot)."""
        return import_path(self.factory, f"runtime {self.name!r}")


def _litert(options: Mapping[str, Any]) -> Runtime:
    from edgebench.runtimes.litert import LiteRTRuntime

    return LiteRTRuntime()


def _onnxruntime(options: Mapping[str, Any]) -> Runtime:
    from edgebench.runtimes.onnxrt import OnnxRuntime

    return OnnxRuntime(str(options.get("onnx_provider") or DEFAULT_PROVIDER))


def _litert_compiled(options: Mapping[str, Any]) -> Runtime:
    from edgebench.runtimes.litert_compiled import DEFAULT_ACCELERATOR, LiteRTCompiledRuntime

    return LiteRTCompiledRuntime(str(options.get("litert_accelerator") or DEFAULT_ACCELERATOR))


BUILTIN_RUNTIMES: tuple[RuntimeSpec, ...] = (
    RuntimeSpec(
        "litert",
        "tflite",
        "edgebench.runtimes.registry:_litert",
        "LiteRT (ai-edge-litert; tflite-runtime or tf.lite as fallbacks)",
    ),
    RuntimeSpec(
        "onnxruntime",
        "onnx",
        "edgebench.runtimes.registry:_onnxruntime",
        "ONNX Runtime on --onnx-provider",
        options=(
            Option(
                "--onnx-provider",
                "edgebench_onnx_provider",
                DEFAULT_PROVIDER,
                "ONNX Runtime execution provider",
            ),
        ),
    ),
    RuntimeSpec(
        "litert-compiled",
        "tflite",
        "edgebench.runtimes.registry:_litert_compiled",
        "LiteRT's CompiledModel API on --litert-accelerator (cpu, gpu, npu); not in the default",
        default=False,
        options=(
            Option(
                "--litert-accelerator",
                "edgebench_litert_accelerator",
                "cpu",
                "accelerator of the litert-compiled runtime: cpu, gpu or npu (one that cannot "
                "compile here skips its rows with the reason; no CPU fallback)",
            ),
        ),
    ),
)
RUNTIMES: Registry[RuntimeSpec] = Registry(
    "runtime", ENTRY_POINT_GROUP, BUILTIN_RUNTIMES, RuntimeSpec
)


def declared_options() -> tuple[Option, ...]:
    """The options edgebench's own runtimes declare (each once), for the option table."""
    found: dict[str, Option] = {}
    for spec in RUNTIMES.builtins().values():
        for option in spec.options:
            found.setdefault(option.ini, option)
    return tuple(found.values())


def register_runtime(spec: RuntimeSpec) -> None:
    """Register ``spec`` in this process (a conftest or a plugin does this; packages can
    use the ``edgebench.runtimes`` entry point instead, whose object is a ``RuntimeSpec``)."""
    RUNTIMES.register(spec)


def unregister_runtime(name: str) -> None:
    """Remove a runtime registered with :func:`register_runtime` (for tests)."""
    RUNTIMES.unregister(name)


def default_runtime_names() -> tuple[str, ...]:
    """The runtimes ``--runtimes`` means when not given."""
    return tuple(name for name, spec in runtime_specs().items() if spec.default)


def runtime_specs() -> dict[str, RuntimeSpec]:
    """Every known runtime by name: built-ins, entry points, then registrations."""
    return RUNTIMES.specs()


def runtime_names() -> tuple[str, ...]:
    """The names of every known runtime, built-ins first."""
    return RUNTIMES.names()


def runtime_spec(name: str) -> RuntimeSpec:
    """The spec of ``name``; an unknown name is a ``UsageError`` listing the known ones."""
    return RUNTIMES.get(name)


def artifact_format(name: str) -> str:
    """The artifact format runtime ``name`` loads (``tflite``, ``onnx``)."""
    return runtime_spec(name).artifact_format


def runtimes_for_format(fmt: str) -> tuple[str, ...]:
    """The runtimes that load artifacts of format ``fmt``."""
    return tuple(name for name, spec in runtime_specs().items() if spec.artifact_format == fmt)


def make_runtime(name: str, options: Mapping[str, Any] | None = None) -> Runtime:
    """The runtime called ``name``, built with ``options`` (``onnx_provider``, ...)."""
    return runtime_spec(name).load_factory()(dict(options or {}))

"""The resolved options of a bench session (what ``options.resolve_settings`` returns).

A plain frozen dataclass: no pytest, no heavy imports, so the session, the CLI and the
tests build it the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from edgebench.artifacts.sources import ModelSource
    from edgebench.devices import DeviceProfile
    from edgebench.recipes import Recipe


@dataclass(frozen=True)
class Settings:
    """Resolved options of a session."""

    profile: DeviceProfile
    sources: tuple[ModelSource, ...]
    datasets: tuple[str, ...]
    recipes: tuple[Recipe, ...]
    runtimes: tuple[str, ...]
    threads: tuple[int, ...]
    rounds: int
    warmup: int
    max_accuracy_drop: float
    base_dir: Path
    cores: int
    seed: int = 0
    verbose: bool = False
    calibration_samples: int = 200
    #: ``--train-epochs`` (``None``: the step budget decides).
    train_epochs: int | None = None
    #: ``--fine-tune-epochs`` (``None``: 2, or what the recipe names).
    fine_tune_epochs: int | None = None
    #: ``--output-adapter`` for model files (``None``: their outputs as they are).
    output_adapter: str | None = None
    #: ``--kd-teacher``: the teacher of every ``kd<E>`` step (``None``: each model's fp32).
    kd_teacher: ModelSource | None = None
    thresholds: dict[str, float | None] = field(default_factory=dict)
    isolate: bool = False
    #: ``--convert``: model files also run on the runtimes a converter reaches.
    convert: bool = True
    #: the values of the options the runtimes declare, by key (``onnx_provider``,
    #: ``litert_accelerator``): given to every runtime, here and in the workers
    runtime_options: dict[str, str] = field(default_factory=dict)
    #: the checked values of the options targets, tasks and measurements declare, by key
    #: (``energy_seconds``, ``eval_batch_size``); their owners read them here.
    options: dict[str, Any] = field(default_factory=dict)
    #: ``--profile-ops``: a per-operator profile of every row
    profile_ops: bool = False
    stall_timeout_s: float = 120.0
    meter: str = "auto"
    meter_command: str = ""
    baseline: tuple[Path, ...] = ()
    max_slowdown: dict[str, float] = field(default_factory=lambda: {"p50": 0.10})
    gate_retries: int = 8
    expect_speedup: dict[str, float] = field(default_factory=dict)
    task: str = "classify"
    #: every device of ``--device a,b`` (``profile`` is the first).
    devices: tuple[DeviceProfile, ...] = ()
    #: ``--meter`` when given (otherwise each device's own meter).
    meter_option: str = ""
    #: ``--threads`` when given (otherwise each device's own thread counts).
    explicit_threads: tuple[int, ...] = ()

    def option(self, key: str) -> Any:
        """The value of the declared option ``key`` (its owner's ``Option``), parsed from
        its default when the settings were made without it (tests)."""
        if key in self.options:
            return self.options[key]
        from edgebench.owned_options import owned_options

        found = next((o for o in owned_options() if o.key == key), None)
        if found is None:
            raise KeyError(f"no option {key!r} is declared")
        return found.parse("")

    def device_profiles(self) -> tuple[DeviceProfile, ...]:
        """The devices of the session, in order."""
        return self.devices or (self.profile,)

    def meter_for(self, device: str) -> str:
        """The meter of ``device``: ``--meter``, else the device profile's."""
        return self.meter_option or self.device(device).meter

    def device(self, name: str) -> DeviceProfile:
        """The profile of device ``name``."""
        return next(p for p in self.device_profiles() if p.name == name)

    def as_dict(self) -> dict[str, Any]:
        """The settings as recorded in the run file."""
        return {
            "device": ",".join(p.name for p in self.device_profiles()),
            "models": [s.id for s in self.sources],
            "datasets": list(self.datasets),
            "variants": [r.id for r in self.recipes],
            "runtimes": list(self.runtimes),
            "threads": list(self.threads),
            "rounds": self.rounds,
            "warmup": self.warmup,
            "max_accuracy_drop": self.max_accuracy_drop,
            **self.runtime_options,
            **self.options,
            "seed": self.seed,
            "isolate": self.isolate,
            "convert": self.convert,
            "profile_ops": self.profile_ops,
            "meter": self.meter,
            "baseline": [str(p) for p in self.baseline],
            "max_slowdown": dict(self.max_slowdown),
            "gate_retries": self.gate_retries,
            "expect_speedup": dict(self.expect_speedup),
            "stall_timeout_s": self.stall_timeout_s,
            "calibration_samples": self.calibration_samples,
            "train_epochs": self.train_epochs,
            "fine_tune_epochs": self.fine_tune_epochs,
            "output_adapter": self.output_adapter,
            "kd_teacher": None if self.kd_teacher is None else self.kd_teacher.id,
            "thresholds": dict(self.thresholds),
            "task": self.task,
        }

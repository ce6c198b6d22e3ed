"""An option's declaration: its flag, its pytest.ini twin, default and help. Declared by
the core (``options.OPTIONS``) or by what the option configures (a runtime's
``RuntimeSpec.options``), so a runtime's own settings need no wiring elsewhere."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Option:
    """A command-line option with its pytest.ini twin."""

    flag: str
    ini: str
    default: str
    help: str

    @property
    def key(self) -> str:
        """The name it travels under in settings and jobs (``onnx_provider``)."""
        return self.ini.removeprefix("edgebench_")

"""Reference pages generated from the code's declarations, so they cannot drift: every
option (with its ini key, default, bounds and help), every record field (its type, the
measurement that owns it, why it is null when it is), and every registered extension
(runtimes, targets, tasks, datasets, artifact formats, exporters, recipe steps).

    python -m edgebench.reference docs/reference     # rewrite the pages

``tests/test_reference.py`` fails when a committed page differs from what this writes.
Pure functions (``*_page`` return Markdown); only :func:`main` writes files.
"""

from __future__ import annotations

import sys
import typing
from dataclasses import fields
from pathlib import Path


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def options_page() -> str:
    """Every command-line option and its pytest.ini twin."""
    from edgebench.options import LIMITS, OPTIONS
    from edgebench.owned_options import option_owners

    owners = option_owners()
    lines = [
        "# Options",
        "",
        "Every option of `pytest bench/`, generated from `edgebench.options.OPTIONS`: the",
        "core's, and those a runtime, target, task or measurement declares with what it",
        "configures (*Declared by*; it receives the value checked). Each is also a",
        "`pytest.ini` key (the command line wins). Numbers must be finite and within the",
        "bounds shown; a wrong value is one `ERROR: edgebench:` line.",
        "",
        "| Option | ini key | Default | Bounds | Declared by | What it does |",
        "|---|---|---|---|---|---|",
    ]
    for option in OPTIONS:
        limits = LIMITS.get(option.ini)
        bounds = ""
        if limits is not None:
            kind, low, high = limits
            low_text, high_text = (
                f"{int(v):,}" if float(v).is_integer() else f"{v:g}" for v in (low, high)
            )
            bounds = f"{kind.__name__} {low_text} to {high_text}"
        default = f"`{option.default}`" if option.default else "(empty)"
        lines.append(
            f"| `{option.flag}` | `{option.ini}` | {_cell(default)} | {bounds} | "
            f"{owners.get(option.ini, 'core')} | {_cell(option.help)} |"
        )
    return "\n".join(lines) + "\n"


def _type_name(annotation: object) -> str:
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "").replace("NoneType", "null")


def record_page() -> str:
    """Every field of a record (a row of the run file), by group."""
    from edgebench.results import DEFAULT_NULL_REASONS, RECORD_GROUPS, Record
    from edgebench.run_files import SCHEMA_VERSION

    hints = typing.get_type_hints(Record)
    lines = [
        "# Run file and record fields",
        "",
        f"A run file is JSON: `schema` ({SCHEMA_VERSION}), a header (`edgebench`, `provenance`,",
        "`settings`, `findings`, `device_transfers`, `sensitivity`: the `--sensitivity`",
        "analyses, `groups`: each group's fields) and",
        "`records`, one per row. A record is a key plus groups, each declared once by what",
        "fills it (`edgebench.results.RECORD_GROUPS`; a measurement's group lives in its",
        "module). A field that was not measured is `null` and `null_reasons` says why.",
        "Reading a run file checks every field against the type below",
        "(`edgebench.run_files`) and upgrades an older schema (1: no `groups` header).",
        "Fields no group declares (a plugin's) are kept in `extra`.",
        "",
    ]
    for group, group_type in RECORD_GROUPS.items():
        doc = " ".join((group_type.__doc__ or "").split())
        lines += [
            f"## {group}",
            "",
            f"`{group_type.__module__}.{group_type.__name__}`: {_cell(doc)}",
            "",
            "| Field | Type | Null when not measured because |",
            "|---|---|---|",
        ]
        for item in fields(group_type):
            name = item.name
            reason = DEFAULT_NULL_REASONS.get(name, "")
            lines.append(f"| `{name}` | `{_cell(_type_name(hints[name]))}` | {_cell(reason)} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def extensions_page() -> str:
    """What is registered, by axis, and how to add one."""
    from edgebench.data.registry import DATASETS
    from edgebench.formats.registry import EXPORTERS, FORMATS
    from edgebench.frameworks.registry import FRAMEWORKS
    from edgebench.runtimes.registry import RUNTIMES
    from edgebench.targets.registry import TARGETS
    from edgebench.tasks.registry import TASKS

    axes = [
        ("Runtimes", RUNTIMES, "edgebench.runtimes.register_runtime", "artifact_format"),
        ("Targets", TARGETS, "edgebench.targets.register_target", None),
        ("Tasks", TASKS, "edgebench.tasks.register_task", None),
        ("Datasets", DATASETS, "edgebench.data.registry.register_dataset", "path"),
        ("Artifact formats", FORMATS, "edgebench.formats.register_format", "suffix"),
        ("Exporters", EXPORTERS, "edgebench.formats.register_exporter", "format"),
        (
            "Frameworks",
            FRAMEWORKS,
            "edgebench.frameworks.registry.register_framework",
            "file_kinds",
        ),
    ]
    lines = [
        "# Built-in extensions",
        "",
        "Every axis is a registry of specs whose factories are import paths: built-ins,",
        "an entry point group for installed packages, and `register_*` for a conftest.",
        "Generated from the registries' built-ins.",
        "",
    ]
    for title, registry, register, extra in axes:
        lines += [
            f"## {title}",
            "",
            f"Register: `{register}` or the `{registry.group}` entry point group.",
            "",
        ]
        head = "| Name | Factory | " + (f"{extra} | " if extra else "") + "Description |"
        lines += [head, "|---|---|" + ("---|" if extra else "") + "---|"]
        for spec in registry.builtins().values():
            factory = getattr(spec, "factory", "")
            cells = [f"`{spec.name}`", f"`{factory}`"]
            if extra:
                value = getattr(spec, extra)
                if isinstance(value, tuple):
                    value = ", ".join(value)
                cells.append(f"`{value}`" if value else "")
            cells.append(_cell(getattr(spec, "description", "")))
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def recipes_page() -> str:
    """Every recipe step kind: its pattern, an example and what it does."""
    from edgebench.recipes import default_registry

    lines = [
        "# Recipe steps",
        "",
        "A recipe is a chain of steps joined by `+` (`sprune0.3-r8+ft5+int8`); `--variants`",
        "takes a comma list of recipes. Generated from the step registry",
        "(`edgebench.recipes.default_registry`); plugins add steps through",
        "`pytest_edgebench_register_steps`.",
        "",
        "| Step | Example | What it does |",
        "|---|---|---|",
    ]
    for kind in default_registry().kinds.values():
        lines.append(f"| `{kind.name}` | `{kind.example}` | {_cell(kind.help)} |")
    return "\n".join(lines) + "\n"


PAGES = {
    "options.md": options_page,
    "record.md": record_page,
    "recipes.md": recipes_page,
    "extensions.md": extensions_page,
}


def main(argv: list[str] | None = None) -> int:
    """Write the reference pages into the folder given (``docs/reference``)."""
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0] if args else "docs/reference")
    folder.mkdir(parents=True, exist_ok=True)
    for name, page in PAGES.items():
        (folder / name).write_text(page())
    print(f"wrote {', '.join(PAGES)} into {folder}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

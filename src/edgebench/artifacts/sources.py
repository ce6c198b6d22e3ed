"""Model sources: zoo specs and user model files, and the ``--model`` option.

``--model`` takes a comma list of zoo specs (``mobilenet_v1``, ``small_cnn:dense=0``)
and model file paths; ``auto`` (the default) means the default zoo model plus every
model file dropped into the models folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from edgebench.artifacts.sniff import KIND_NAMES, PICKLED_MODEL, sniff_kind
from edgebench.artifacts.zoo import (
    DEFAULT_ZOO_MODEL,
    DEFAULT_ZOO_MODELS,
    Architecture,
    ZooSpec,
    parse_zoo_spec,
)
from edgebench.data.contract import InputContract
from edgebench.errors import UsageError

# File suffix -> the model file kind a file of that name claims to be. Only discovery in the
# models folder looks at suffixes (which files to consider); the kind is read from the bytes
# (``artifacts.sniff``).
FILE_KINDS: dict[str, str] = {
    ".keras": "keras",
    ".h5": "h5",
    ".hdf5": "h5",
    ".onnx": "onnx",
    ".tflite": "tflite",
    ".pt": "torchscript",
    ".pt2": "torch-export",
}


@dataclass(frozen=True)
class ModelFile:
    """A user's model file (or SavedModel folder), benchmarked as provided."""

    path: Path
    kind: str
    #: the id when the file name alone is ambiguous (two files named alike in two folders).
    label: str = ""
    #: why the file cannot be read (its bytes are no format it claims, or a pickle): its
    #: rows fail with this message, the rest of the run goes on.
    problem: str = ""
    #: how dataset images become its input (``data.contract``): its sidecar's declaration
    #: and the model option's (``net.onnx:layout=NCHW``), the option winning.
    contract: InputContract = field(default_factory=InputContract)

    @property
    def id(self) -> str:
        """Id in test names: the file name (``mynet.onnx``), or its folders too where two
        model files of the run share a name (``a/mynet.onnx``)."""
        return self.label or self.path.name

    @property
    def framework(self) -> str | None:
        """The framework that reads the file (``keras``, ``torch``: ``frameworks.registry``),
        ``None`` for a converted file that runs as it is."""
        from edgebench.frameworks.registry import framework_of_file

        return framework_of_file(self.kind)

    @property
    def native_format(self) -> str | None:
        """The artifact format the file already is (a registered one: ``onnx``, ``tflite``),
        else ``None``."""
        from edgebench.formats import format_names

        return self.kind if self.kind in format_names() else None


ModelSource = ZooSpec | ModelFile


def model_file(path: Path) -> ModelFile:
    """Classify a path as a model file by its content (``artifacts.sniff``), never by its name.

    A file named like a model whose bytes are no model format (or a pickle) becomes a
    ``ModelFile`` with a ``problem``: its rows fail with it and the rest of the run goes
    on. A name and content that are both unknown, or a plain folder, is a ``UsageError``.
    """
    kind = sniff_kind(path)
    if kind in KIND_NAMES:
        return ModelFile(path, kind)
    if path.is_dir():
        raise UsageError(f"{path} is a folder without saved_model.pb; not a SavedModel")
    claimed = FILE_KINDS.get(path.suffix.lower())
    if claimed is None:
        known = ", ".join(sorted(FILE_KINDS))
        raise UsageError(
            f"{path}: unknown model file type {path.suffix!r} and its bytes are no model format "
            f"edgebench reads; known: {known}, SavedModel folders"
        )
    if kind == "pickle":
        return ModelFile(path, claimed, problem=f"{path.name} {PICKLED_MODEL}")
    known = "; ".join(KIND_NAMES.values())
    return ModelFile(
        path,
        claimed,
        problem=f"cannot load {path.name}: its bytes are no model format edgebench reads (the format is "
        f"decided by the content, not the name); readable: {known}",
    )


def discover_model_files(models_dir: Path) -> list[ModelFile]:
    """Model files and SavedModel folders dropped into ``models_dir``."""
    found: list[ModelFile] = []
    if not models_dir.is_dir():
        return found
    for path in sorted(models_dir.iterdir()):
        if path.name.startswith((".", "_")):
            continue
        saved_model = path.is_dir() and (path / "saved_model.pb").is_file()
        if saved_model or (path.is_file() and path.suffix.lower() in FILE_KINDS):
            found.append(model_file(path))
    return found


def split_declarations(item: str) -> tuple[str, dict[str, str]]:
    """``net.onnx:layout=NCHW:size=224x224`` as the path and its declarations (every
    ``:key=value`` at the end; a path may hold a colon that no ``=`` follows).

    >>> split_declarations("m/net.onnx:layout=NCHW:scale=255")
    ('m/net.onnx', {'layout': 'NCHW', 'scale': '255'})
    """
    parts = item.split(":")
    declared: dict[str, str] = {}
    while len(parts) > 1 and "=" in parts[-1]:
        key, _, value = parts.pop().partition("=")
        declared.setdefault(key.strip(), value.strip())
    return ":".join(parts), dict(reversed(list(declared.items())))


def with_contract(source: ModelFile, declared: dict[str, str]) -> ModelFile:
    """``source`` with its input contract: the sidecar's declaration, then ``declared``
    (``UsageError`` naming the file for a wrong one)."""
    from edgebench.data.contract import parse_declaration, read_sidecar

    values = {**read_sidecar(source.path), **declared} if source.path.is_file() else declared
    if not values:
        return source
    return replace(source, contract=parse_declaration(values, source.path.name))


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
            text, declared = split_declarations(item)
            path = Path(text).expanduser()
            if not path.is_absolute():
                path = base_dir / path
            if not path.exists():
                known = ", ".join(sorted(architectures)) or "none"
                raise UsageError(
                    f"--model {item!r} is neither a zoo model ({known}) nor an existing file"
                )
            sources.append(with_contract(model_file(path), declared))
    unique: dict[object, ModelSource] = {}
    for source in sources:
        key = source.path.resolve() if isinstance(source, ModelFile) else source.id
        unique.setdefault(key, source)
    if not unique:
        raise UsageError("--model selects no model")
    return disambiguate(list(unique.values()))


def disambiguate(sources: list[ModelSource]) -> list[ModelSource]:
    """Model files that share a name (``a/x.tflite``, ``b/x.tflite``) get ids with as many
    of their folders as tell them apart, so their rows never merge; ``UsageError`` when
    the ids still collide (a zoo model and a file of one name)."""
    files = [s for s in sources if isinstance(s, ModelFile)]
    names: dict[str, list[ModelFile]] = {}
    for source in files:
        names.setdefault(source.path.name, []).append(source)
    labels: dict[Path, str] = {}
    for group in (g for g in names.values() if len(g) > 1):
        parts = [s.path.resolve().parts for s in group]
        for depth in range(2, max(len(p) for p in parts) + 1):
            tails = ["/".join(p[-depth:]) for p in parts]
            if len(set(tails)) == len(tails):
                labels.update((s.path, t) for s, t in zip(group, tails, strict=True))
                break
    result = [
        replace(s, label=labels[s.path]) if isinstance(s, ModelFile) and s.path in labels else s
        for s in sources
    ]
    seen: dict[str, ModelSource] = {}
    for source in result:
        if source.id in seen:
            raise UsageError(
                f"--model: two models would both be called {source.id!r} in the results; "
                "rename one of them"
            )
        seen[source.id] = source
    return result

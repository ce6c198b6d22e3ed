"""Datasets by name: built-ins, the ``edgebench.datasets`` entry point group, and datasets a
conftest registers with :func:`register_dataset`. ``--dataset`` takes ``NAME`` or, for a
dataset that reads a path, ``NAME:PATH``.

Example (a conftest that adds a dataset of its own)::

    from edgebench.data.registry import DatasetSpec, register_dataset

    register_dataset(DatasetSpec("mine", "my_data:load", "my images", path="file"))
    # pytest bench/ --dataset mine:data/mine.bin   ->   my_data.load("data/mine.bin")
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from edgebench.data.inputs import RANDOM_INPUTS, UNIT_IMAGES, InputSpec
from edgebench.errors import UsageError
from edgebench.registry import Registry, import_path

if TYPE_CHECKING:
    from edgebench.data.datasets import Dataset

ENTRY_POINT_GROUP = "edgebench.datasets"


@dataclass(frozen=True)
class DatasetSpec:
    """A registered dataset. ``factory`` is ``"module:attribute"``: a callable that returns
    a :class:`~edgebench.data.datasets.Dataset`, called with no argument, or with the path
    of ``NAME:PATH`` as a string (resolved against the project folder; options after ``?``
    kept) when ``path`` says the dataset reads one (``"file"`` or ``"folder"``: checked to exist when the options are read).

    ``task`` is what its labels are for when that is fixed (``None``: the data decides, as
    an npz file's arrays do). ``inputs`` is what a sample is (``data.inputs.InputSpec``);
    the loader's ``Dataset`` carries the same (it may refine it: an npz file of floats is
    used as stored)."""

    name: str
    factory: str
    description: str = ""
    path: str = ""
    task: str | None = "classify"
    inputs: InputSpec = UNIT_IMAGES

    def load_factory(self) -> Callable[..., Dataset]:
        """Import the factory (``UsageError`` naming the dataset if it cannot)."""
        return import_path(self.factory, f"dataset {self.name!r}")

    @property
    def usage(self) -> str:
        """How ``--dataset`` names it: ``digits`` or ``npz:PATH``."""
        return f"{self.name}:PATH" if self.path else self.name


_D = "edgebench.data.datasets"
BUILTIN_DATASETS: tuple[DatasetSpec, ...] = (
    DatasetSpec("digits", f"{_D}:load_digits", "scikit-learn's 8x8 digits, always offline"),
    DatasetSpec("fashion-mnist", f"{_D}:load_fashion_mnist", "Fashion-MNIST idx files"),
    DatasetSpec("mnist", f"{_D}:load_mnist", "MNIST through Keras' cache"),
    DatasetSpec("cifar10", f"{_D}:load_cifar10", "CIFAR-10 through Keras' cache"),
    DatasetSpec("cifar100", f"{_D}:load_cifar100", "CIFAR-100 through Keras' cache"),
    DatasetSpec(
        "shapes-seg", f"{_D}:load_shapes_segment", "synthetic scenes with masks", task="segment"
    ),
    DatasetSpec(
        "shapes-det", f"{_D}:load_shapes_detect", "synthetic scenes with boxes", task="detect"
    ),
    DatasetSpec("voc", f"{_D}:load_voc", "Pascal VOC 2012 segmentation", task="segment"),
    DatasetSpec("coco-val", f"{_D}:load_coco_val", "COCO 2017 validation boxes", task="detect"),
    DatasetSpec(
        "random",
        f"{_D}:random_dataset",
        "no data: random inputs, latency only",
        task=None,
        inputs=RANDOM_INPUTS,
    ),
    DatasetSpec("npz", f"{_D}:load_npz", "a user's arrays", path="file", task=None),
    DatasetSpec(
        "masks", f"{_D}:load_masks_folder", "images + masks", path="folder", task="segment"
    ),
    DatasetSpec(
        "cityscapes", f"{_D}:load_cityscapes", "Cityscapes gtFine", path="folder", task="segment"
    ),
    DatasetSpec("coco", f"{_D}:load_coco_folder", "COCO annotations", path="folder", task="detect"),
    DatasetSpec(
        "images", f"{_D}:load_image_folder", "image files, one subfolder per class", path="folder"
    ),
    DatasetSpec(
        "imagenet-val",
        f"{_D}:load_imagenet_val",
        "image files and labels.txt (ImageNet validation layout)",
        path="folder",
    ),
)

DATASETS: Registry[DatasetSpec] = Registry(
    "dataset", ENTRY_POINT_GROUP, BUILTIN_DATASETS, DatasetSpec
)


def register_dataset(spec: DatasetSpec) -> None:
    """Register ``spec`` in this process (packages can use the entry point instead)."""
    DATASETS.register(spec)


def unregister_dataset(name: str) -> None:
    """Remove a dataset registered with :func:`register_dataset` (for tests)."""
    DATASETS.unregister(name)


def dataset_specs() -> dict[str, DatasetSpec]:
    """Every known dataset by name."""
    return DATASETS.specs()


def split_spec(text: str) -> tuple[DatasetSpec, str]:
    """A ``--dataset`` item as (its registered dataset, its path argument or ``""``).
    ``UsageError`` for an unknown name, a path given to a dataset without one, or a
    missing path."""
    text = text.strip()
    specs = dataset_specs()
    name, sep, argument = text.partition(":")
    spec = specs.get(name) if sep else specs.get(text)
    if spec is None:
        known = ", ".join(s.usage for s in specs.values())
        raise UsageError(f"unknown dataset {text!r}; known: {known}")
    if spec.path and not argument:
        raise UsageError(f"--dataset {text}: {spec.name} needs a path ({spec.usage})")
    if not spec.path and sep:
        raise UsageError(f"--dataset {text}: {spec.name} takes no path")
    return spec, argument


def resolve_path(argument: str, base_dir: Path | None) -> Path:
    """A ``NAME:PATH`` argument as a path (``~`` expanded; relative to ``base_dir``). Only
    the part before ``?`` is the path (``masks:data?size=64`` keeps its options)."""
    path = Path(argument.partition("?")[0]).expanduser()
    return path if path.is_absolute() or base_dir is None else base_dir / path


def call_factory(spec: DatasetSpec, argument: str, base_dir: Path | None) -> Any:
    """Run ``spec``'s factory: with its path argument as a string (resolved against
    ``base_dir``; options after ``?`` kept)."""
    factory = spec.load_factory()
    if not spec.path:
        dataset = factory()
    else:
        _, sep, options = argument.partition("?")
        dataset = factory(str(resolve_path(argument, base_dir)) + (f"?{options}" if sep else ""))
    inputs = getattr(dataset, "inputs", None)
    if inputs is UNIT_IMAGES and spec.inputs is not UNIT_IMAGES:
        # the spec declares what its samples are; the loader left the default
        from dataclasses import replace

        dataset = replace(dataset, inputs=spec.inputs)
    return dataset

"""Datasets: built-in offline data, Keras-cached data, a user's arrays, and random inputs.

A dataset spec is a short string (the ``--dataset`` option):

- ``digits``: scikit-learn's bundled 8x8 digits (1,797 images), split 80/20 with a
  fixed, stratified split. Always available offline; the default.
- ``fashion-mnist``: idx files from ``$EDGEBENCH_DATA``, ``~/.keras/datasets`` or the
  Debian package ``dataset-fashion-mnist``; downloaded through Keras only when online.
- ``mnist``, ``cifar10``, ``cifar100``: Keras' loaders and cache (``~/.keras/datasets``).
- ``npz:PATH``: a user's arrays ``x_train, y_train, x_test, y_test``, fed as given
  (uint8 images are scaled to [0, 1]).
- ``masks:PATH``, ``cityscapes:PATH``, ``coco:PATH``: segmentation masks and COCO boxes
  in the layouts users have (``data.annotated``); ``voc`` and ``coco-val`` download them
  once (``data.downloads``).
- ``shapes-seg``, ``shapes-det``: synthetic scenes (``data.scenes``) with per-pixel masks
  (task ``segment``) or boxes (task ``detect``); made offline, deterministic.
- ``random``: no data; inputs of the model's own shape, for latency-only runs.

Images are float32 NHWC in [0, 1]; labels are int64 class indices (``classify``), uint8
masks ``(N, H, W)`` (``segment``) or padded boxes ``(N, M, 5)`` (``detect``).
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from edgebench.data.hierarchy import CIFAR100_SUPERCLASSES, FASHION_MNIST_GROUPS, ClassGroups
from edgebench.data.inputs import RANDOM_INPUTS, STORED_FLOATS, UNIT_IMAGES, InputSpec
from edgebench.data.lazy import UnitImages
from edgebench.errors import DatasetInvalid, DatasetUnavailable, UsageError

DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
FASHION_FILES = {
    "x_train": "train-images-idx3-ubyte.gz",
    "y_train": "train-labels-idx1-ubyte.gz",
    "x_test": "t10k-images-idx3-ubyte.gz",
    "y_test": "t10k-labels-idx1-ubyte.gz",
}


@dataclass(frozen=True)
class Dataset:
    """A loaded dataset: arrays, class count and a fingerprint for cache keys."""

    name: str
    x_train: np.ndarray | None
    y_train: np.ndarray | None
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    num_classes: int | None
    adapt_to_model: bool = True
    source: str = ""
    fingerprint: str = field(default="", compare=False)
    #: the task its labels are for: ``classify``, ``segment`` or ``detect``.
    task: str = "classify"
    #: what a sample is (layout, dtype, value range, preprocessing): part of cache keys.
    inputs: InputSpec = field(default=UNIT_IMAGES, compare=False)
    #: coarse groups of the classes (``data.hierarchy``): ``classify`` reports coarse
    #: accuracy beside the fine one when there are some.
    class_groups: ClassGroups | None = field(default=None, compare=False)

    def input_key(self) -> dict[str, Any]:
        """The input spec with the sample shape, for cache keys."""
        return {**self.inputs.as_key(), "shape": list(self.sample_shape or ())}

    @property
    def labelled(self) -> bool:
        """Whether the dataset has labels, so accuracy can be measured."""
        return self.y_test is not None

    @property
    def sample_shape(self) -> tuple[int, ...] | None:
        """Shape of one input sample, ``None`` for ``random``."""
        return None if self.x_test is None else tuple(self.x_test.shape[1:])


def fingerprint_arrays(*arrays: np.ndarray | None) -> str:
    """sha256 over the shapes, dtypes and bytes of ``arrays``."""
    digest = hashlib.sha256()
    for array in arrays:
        if array is None:
            digest.update(b"none")
            continue
        digest.update(f"{np.dtype(array.dtype).str}{tuple(array.shape)}".encode())
        if not len(array.shape):
            digest.update(np.ascontiguousarray(array).tobytes())
            continue
        rows = max(1, (64 << 20) // max(1, array[:1].nbytes))
        for start in range(0, len(array), rows):  # 64 MiB at a time: a big set stays on disk
            digest.update(np.ascontiguousarray(array[start : start + rows]).tobytes())
    return digest.hexdigest()


def _finish(
    name: str,
    x_train: np.ndarray,
    y_train: np.ndarray,
    x_test: np.ndarray,
    y_test: np.ndarray,
    *,
    source: str,
    adapt_to_model: bool = True,
    num_classes: int | None = None,
    class_groups: ClassGroups | None = None,
) -> Dataset:
    y_train = np.asarray(y_train).reshape(-1).astype(np.int64)
    y_test = np.asarray(y_test).reshape(-1).astype(np.int64)
    if num_classes is None:
        num_classes = int(max(y_train.max(initial=0), y_test.max(initial=0))) + 1
    return Dataset(
        name=name,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        num_classes=num_classes,
        adapt_to_model=adapt_to_model,
        source=source,
        fingerprint=fingerprint_arrays(x_train, y_train, x_test, y_test),
        class_groups=class_groups,
    )


def _images_to_unit(images: np.ndarray, max_value: float = 255.0) -> np.ndarray:
    """uint8 (or 0..max_value) images to float32 NHWC in [0, 1]."""
    images = np.asarray(images, dtype=np.float32) / np.float32(max_value)
    if images.ndim == 3:
        images = images[..., None]
    return images


def load_digits(test_fraction: float = 0.2, seed: int = 0) -> Dataset:
    """scikit-learn's bundled 8x8 digits with a fixed stratified train/test split."""
    from sklearn.datasets import load_digits as sk_load_digits
    from sklearn.model_selection import train_test_split

    bunch = sk_load_digits()
    images = _images_to_unit(bunch.images, max_value=16.0)
    x_train, x_test, y_train, y_test = train_test_split(
        images, bunch.target, test_size=test_fraction, stratify=bunch.target, random_state=seed
    )
    return _finish(
        "digits",
        x_train,
        y_train,
        x_test,
        y_test,
        source="scikit-learn load_digits",
        num_classes=10,
    )


def read_idx(path: Path) -> np.ndarray:
    """Read an idx-ubyte file (optionally gzip-compressed) into a uint8 array."""
    opener: Callable[..., object] = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:  # type: ignore[operator]
            data = handle.read()  # type: ignore[attr-defined]
    except (OSError, EOFError) as exc:
        raise DatasetUnavailable(f"cannot read {path}: {exc}") from exc
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DatasetUnavailable(f"{path} is not an idx-ubyte file")
    ndim = data[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape)) if shape else 0
    if len(data) - header != expected:
        raise DatasetUnavailable(
            f"{path} is truncated: {len(data) - header} bytes of data, expected {expected}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def keras_cache_dir() -> Path:
    """Where Keras keeps downloaded datasets (``$KERAS_HOME/datasets`` or ``~/.keras/datasets``)."""
    home = os.environ.get("KERAS_HOME")
    return (Path(home) if home else Path.home() / ".keras") / "datasets"


def fashion_mnist_dirs() -> list[Path]:
    """Folders searched for the Fashion-MNIST idx files, in order."""
    dirs = []
    if os.environ.get("EDGEBENCH_DATA"):
        root = Path(os.environ["EDGEBENCH_DATA"])
        dirs += [root / "fashion-mnist", root]
    dirs += [keras_cache_dir() / "fashion-mnist", DEBIAN_FASHION_MNIST]
    return dirs


def load_fashion_mnist(download: Callable[[], tuple] | None = None) -> Dataset:
    """Fashion-MNIST from local idx files, or through Keras when online."""
    for folder in fashion_mnist_dirs():
        if all((folder / name).is_file() for name in FASHION_FILES.values()):
            arrays = {key: read_idx(folder / name) for key, name in FASHION_FILES.items()}
            return _finish(
                "fashion-mnist",
                _images_to_unit(arrays["x_train"]),
                arrays["y_train"],
                _images_to_unit(arrays["x_test"]),
                arrays["y_test"],
                source=str(folder),
                num_classes=10,
                class_groups=FASHION_MNIST_GROUPS,
            )
    searched = ", ".join(str(d) for d in fashion_mnist_dirs())
    (x_train, y_train), (x_test, y_test) = _keras_download(
        "fashion_mnist",
        download,
        hint=(
            f"no Fashion-MNIST idx files in {searched}; offline, install them with "
            "'apt-get install dataset-fashion-mnist' or put the four *-ubyte.gz files "
            "in $EDGEBENCH_DATA"
        ),
    )
    return _finish(
        "fashion-mnist",
        _images_to_unit(x_train),
        y_train,
        _images_to_unit(x_test),
        y_test,
        source="keras.datasets.fashion_mnist",
        num_classes=10,
        class_groups=FASHION_MNIST_GROUPS,
    )


def _keras_download(
    loader_name: str, download: Callable[[], tuple] | None, hint: str
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Run a Keras dataset loader (cache first, then download); offline failures get ``hint``."""
    if download is None:

        def download() -> tuple:
            from edgebench.frameworks.keras.tfcompat import import_keras

            keras = import_keras()
            return getattr(keras.datasets, loader_name).load_data()

    try:
        return download()
    except Exception as exc:  # noqa: BLE001 - any loader failure means "not available here"
        raise DatasetUnavailable(f"{hint} ({type(exc).__name__}: {exc})") from exc


def load_mnist(download: Callable[[], tuple] | None = None) -> Dataset:
    """MNIST from Keras' cache file ``mnist.npz``, or through Keras when online."""
    cached = keras_cache_dir() / "mnist.npz"
    if cached.is_file():
        with np.load(cached, allow_pickle=False) as arrays:
            x_train, y_train = arrays["x_train"], arrays["y_train"]
            x_test, y_test = arrays["x_test"], arrays["y_test"]
    else:
        (x_train, y_train), (x_test, y_test) = _keras_download(
            "mnist",
            download,
            hint=f"MNIST is not cached at {cached} and cannot be downloaded offline; "
            "run once online or copy mnist.npz there",
        )
    return _finish(
        "mnist",
        _images_to_unit(x_train),
        y_train,
        _images_to_unit(x_test),
        y_test,
        source=str(cached),
        num_classes=10,
    )


def load_cifar(
    classes: int,
    download: Callable[[], tuple] | None = None,
    coarse_download: Callable[[], tuple] | None = None,
) -> Dataset:
    """CIFAR-10 or CIFAR-100 through Keras' loader (its cache, or a download when online).
    CIFAR-100's built-in superclass map is checked against the dataset's own coarse labels
    (``label_mode="coarse"``, from the same file): a map that disagrees is refused."""
    name = f"cifar{classes}"
    hint = (
        f"{name.upper()} is not in Keras' cache {keras_cache_dir()} and cannot be "
        "downloaded offline; run once online to fill the cache"
    )
    (x_train, y_train), (x_test, y_test) = _keras_download(name, download, hint=hint)
    if classes == 100:
        if coarse_download is None:

            def coarse_download() -> tuple:
                from edgebench.frameworks.keras.tfcompat import import_keras

                return import_keras().datasets.cifar100.load_data(label_mode="coarse")

        (_, coarse_train), (_, coarse_test) = _keras_download(name, coarse_download, hint=hint)
        check_coarse_labels(CIFAR100_SUPERCLASSES, (y_train, y_test), (coarse_train, coarse_test))
    return _finish(
        name,
        _images_to_unit(x_train),
        y_train,
        _images_to_unit(x_test),
        y_test,
        source=f"keras.datasets.{name}",
        num_classes=classes,
        class_groups=CIFAR100_SUPERCLASSES if classes == 100 else None,
    )


def check_coarse_labels(
    groups: ClassGroups, fine: tuple[np.ndarray, ...], coarse: tuple[np.ndarray, ...]
) -> None:
    """``DatasetInvalid`` when ``groups`` maps a fine label to another coarse label than the
    dataset's own, naming how many disagree and the first.

    >>> check_coarse_labels(CIFAR100_SUPERCLASSES, (np.array([0, 3]),), (np.array([4, 8]),))
    """
    for split_fine, split_coarse in zip(fine, coarse, strict=True):
        mapped = groups.coarse(np.asarray(split_fine).reshape(-1))
        given = np.asarray(split_coarse).reshape(-1).astype(np.int64)
        wrong = np.flatnonzero(mapped != given)
        if wrong.size:
            first = int(wrong[0])
            raise DatasetInvalid(
                f"{groups.source}: {wrong.size} of {given.size} images have another coarse "
                f"label in the dataset than the map gives (image {first}: fine "
                f"{int(np.asarray(split_fine).reshape(-1)[first])}, coarse {int(given[first])}, "
                f"map {int(mapped[first])})"
            )


#: the label arrays an ``npz`` file may hold, and the task each is for.
NPZ_LABELS: dict[str, str] = {"y": "classify", "masks": "segment", "boxes": "detect"}


def load_npz(path: Path | str) -> Dataset:
    """A user's arrays from an ``.npz`` file (never unpickled): uint8 images (``(N, H, W,
    C)``) scaled to [0, 1] and prepared by the model's input contract, float arrays fed as
    given.

    Images are ``x_train``/``x_test``; labels are one of: ``y_train``/``y_test`` (class
    indices, task ``classify``), ``masks_train``/``masks_test`` (``(N, H, W)`` class
    indices, 255 ignored: ``segment``) or ``boxes_train``/``boxes_test`` (``(N, M, 5)``
    rows ``[class, x1, y1, x2, y2]`` normalised to [0, 1], class -1 pads: ``detect``).
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetUnavailable(f"npz dataset {path} does not exist")
    try:
        with np.load(path, allow_pickle=False) as arrays:
            names = set(arrays.files)
            found = [k for k in NPZ_LABELS if {f"{k}_train", f"{k}_test"} <= names]
            missing = [k for k in ("x_train", "x_test") if k not in names]
            if missing or len(found) != 1:
                raise DatasetUnavailable(
                    f"{path} has arrays {', '.join(sorted(names)) or 'none'}; expected x_train, "
                    "x_test and one pair of labels: y_train/y_test (classes), "
                    "masks_train/masks_test (segmentation) or boxes_train/boxes_test (detection)"
                )
            label = found[0]
            loaded = {
                "x_train": arrays["x_train"],
                "x_test": arrays["x_test"],
                "y_train": arrays[f"{label}_train"],
                "y_test": arrays[f"{label}_test"],
            }
    except (OSError, ValueError) as exc:
        raise DatasetUnavailable(f"cannot read npz dataset {path}: {exc}") from exc
    from edgebench.data.validate import check_arrays

    check_arrays(path.name, loaded, NPZ_LABELS[label])
    xs = {}
    for key in ("x_train", "x_test"):
        x = loaded[key]
        xs[key] = _images_to_unit(x) if x.dtype == np.uint8 else x.astype(np.float32, copy=False)
    task = NPZ_LABELS[label]
    stored = loaded["x_test"].dtype != np.uint8
    if task == "classify":
        dataset = _finish(
            path.stem,
            xs["x_train"],
            loaded["y_train"],
            xs["x_test"],
            loaded["y_test"],
            source=str(path),
            # uint8 images go through the model's input contract like every image set;
            # float arrays are the user's own preparation, fed as given
            adapt_to_model=not stored and loaded["x_test"].ndim == 4,
        )
    else:
        dataset = _labelled(path.stem, xs, loaded, task, source=str(path))
    return replace(dataset, inputs=STORED_FLOATS) if stored else dataset


def _labelled(
    name: str, xs: dict[str, np.ndarray], loaded: dict[str, np.ndarray], task: str, source: str
) -> Dataset:
    """A segmentation or detection dataset from arrays its caller checked as given
    (``data.validate.check_arrays``, before the casts below), shapes checked here."""
    y_train, y_test = loaded["y_train"], loaded["y_test"]
    for split, x, y in (("train", xs["x_train"], y_train), ("test", xs["x_test"], y_test)):
        if len(x) != len(y):
            raise DatasetUnavailable(f"{name}: {len(x)} {split} images but {len(y)} labels")
        if task == "segment" and (y.ndim != 3 or y.shape[1:] != x.shape[1:3]):
            raise DatasetUnavailable(
                f"{name}: {split} masks of shape {y.shape} do not match images {x.shape}"
            )
        if task == "detect" and (y.ndim != 3 or y.shape[-1] != 5):
            raise DatasetUnavailable(
                f"{name}: {split} boxes of shape {y.shape}; expected (N, M, 5) rows "
                "[class, x1, y1, x2, y2]"
            )
    if task == "segment":
        valid = np.concatenate([y_train[y_train != 255].ravel(), y_test[y_test != 255].ravel()])
        classes = int(valid.max(initial=0)) + 1
        y_train, y_test = y_train.astype(np.uint8), y_test.astype(np.uint8)
    else:
        classes = int(max(y_train[..., 0].max(initial=0), y_test[..., 0].max(initial=0))) + 1
        y_train, y_test = y_train.astype(np.float32), y_test.astype(np.float32)
    return Dataset(
        name=name,
        x_train=xs["x_train"],
        y_train=y_train,
        x_test=xs["x_test"],
        y_test=y_test,
        num_classes=classes,
        adapt_to_model=True,
        source=source,
        fingerprint=fingerprint_arrays(xs["x_train"], y_train, xs["x_test"], y_test),
        task=task,
    )


def random_dataset() -> Dataset:
    """No data: latency runs feed inputs of the model's own shape; accuracy is ``null``."""
    return Dataset(
        name="random",
        x_train=None,
        y_train=None,
        x_test=None,
        y_test=None,
        num_classes=None,
        adapt_to_model=False,
        source="random inputs of the model's shape",
        fingerprint="random",
        inputs=RANDOM_INPUTS,
    )


#: images in the synthetic scene sets (train, test) and the seeds that make them.
SHAPES_SIZES = (2000, 400)
SHAPES_SEEDS = (1, 2)


def load_shapes(task: str) -> Dataset:
    """The synthetic scenes of ``data.scenes`` labelled for ``task`` (``segment``: masks
    over background + 3 shapes; ``detect``: boxes of 3 shape classes)."""
    from edgebench.data.scenes import SHAPES, make_scenes

    x_train, masks_train, boxes_train = make_scenes(SHAPES_SIZES[0], SHAPES_SEEDS[0])
    x_test, masks_test, boxes_test = make_scenes(SHAPES_SIZES[1], SHAPES_SEEDS[1])
    y_train, y_test = (masks_train, masks_test) if task == "segment" else (boxes_train, boxes_test)
    name = "shapes-seg" if task == "segment" else "shapes-det"
    return Dataset(
        name=name,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        num_classes=len(SHAPES) + 1 if task == "segment" else len(SHAPES),
        source=f"edgebench.data.scenes (seeds {SHAPES_SEEDS}, {SHAPES_SIZES} images)",
        fingerprint=fingerprint_arrays(x_train, y_train, x_test, y_test),
        task=task,
    )


def load_cifar10() -> Dataset:
    """CIFAR-10 (Keras' loader and cache)."""
    return load_cifar(10)


def load_cifar100() -> Dataset:
    """CIFAR-100 (Keras' loader and cache)."""
    return load_cifar(100)


def load_shapes_segment() -> Dataset:
    """``shapes-seg``: the synthetic scenes with masks."""
    return load_shapes("segment")


def load_shapes_detect() -> Dataset:
    """``shapes-det``: the synthetic scenes with boxes."""
    return load_shapes("detect")


def load_voc() -> Dataset:
    """Pascal VOC 2012 segmentation, downloaded once (``data.downloads``)."""
    return load_download("voc")


def load_coco_val() -> Dataset:
    """COCO 2017 validation boxes, downloaded once (``data.downloads``)."""
    return load_download("coco-val")


def load_masks_folder(spec_path: str) -> Dataset:
    """``masks:PATH``: images and class masks (``data.annotated``)."""
    return load_folder("masks", spec_path)


def load_cityscapes(spec_path: str) -> Dataset:
    """``cityscapes:PATH``: Cityscapes gtFine with the official train ids."""
    return load_folder("cityscapes", spec_path)


def load_coco_folder(spec_path: str) -> Dataset:
    """``coco:PATH``: COCO annotations and images."""
    return load_folder("coco", spec_path)


def dataset_id(spec: str) -> str:
    """The short name a dataset spec shows in test ids (``npz:data/x.npz`` -> ``x``)."""
    from edgebench.data.registry import split_spec

    spec = spec.strip()
    try:
        found, argument = split_spec(spec)
    except UsageError:
        return spec
    if found.path == "file":
        return Path(argument.partition("?")[0]).stem
    if found.path:
        return Path(argument.partition("?")[0]).name
    return spec


def validate_spec(spec: str, base_dir: Path | None = None) -> str:
    """Check a dataset spec without loading it; returns it stripped. With ``base_dir``, a
    ``NAME:PATH`` whose path is missing is a usage error (the user named it: it is not a
    dataset that is merely unavailable offline)."""
    from edgebench.data.registry import resolve_path, split_spec

    spec = spec.strip()
    found, argument = split_spec(spec)
    if found.path and base_dir is not None:
        path = resolve_path(argument, base_dir)
        exists = path.is_file() if found.path == "file" else path.is_dir()
        if not exists:
            what = "file" if found.path == "file" else "folder"
            raise UsageError(f"--dataset {spec}: no such {what} {path}")
    return spec


def load_dataset(spec: str, base_dir: Path | None = None) -> Dataset:
    """Load a dataset by spec (``data.registry``) and check its contents
    (``data.validate``); raises ``DatasetUnavailable`` with a how-to-get-it message,
    ``DatasetInvalid`` naming the first bad value."""
    from edgebench.data.registry import call_factory, split_spec
    from edgebench.data.validate import check_dataset

    found, argument = split_spec(validate_spec(spec))
    dataset = call_factory(found, argument, base_dir)
    check_dataset(dataset)
    return dataset


def load_download(name: str) -> Dataset:
    """A public set (``voc``, ``coco-val``): from the data folder, or downloaded there once
    (``data.downloads``); offline and not there, ``DatasetUnavailable`` says where to put it."""
    from edgebench.data.downloads import DOWNLOADS, fetch

    folder = fetch(name)
    return replace(load_folder(DOWNLOADS[name].loader, str(folder)), name=name)


def load_folder(prefix: str, spec_path: str) -> Dataset:
    """A ``masks:PATH``, ``cityscapes:PATH`` or ``coco:PATH`` dataset (``data.annotated``)."""
    from edgebench.data.annotated import load_coco, load_masks
    from edgebench.data.registry import dataset_specs

    arrays = load_coco(spec_path) if prefix == "coco" else load_masks(spec_path)
    from edgebench.data.validate import check_arrays

    xs = {"x_train": arrays["x_train"], "x_test": arrays["x_test"]}
    labels = {"y_train": arrays["y_train"], "y_test": arrays["y_test"]}
    name = Path(spec_path.partition("?")[0]).name
    task = dataset_specs()[prefix].task or "segment"
    check_arrays(name, {**xs, **labels}, task)
    dataset = _labelled(name, xs, labels, task, source=arrays["source"])
    if "num_classes" in arrays:  # COCO's category list, whether or not each class occurs
        dataset = replace(dataset, num_classes=arrays["num_classes"])
    return dataset


def load_image_folder(spec_path: str) -> Dataset:
    """``images:PATH``: one subfolder per class (``data.image_folders``)."""
    from edgebench.data.image_folders import list_folder, parse_options

    root, options = parse_options(spec_path)
    return _from_image_files(root, options, list_folder(root, options))


def load_imagenet_val(spec_path: str) -> Dataset:
    """``imagenet-val:PATH``: image files and ``labels.txt`` (``data.image_folders``)."""
    from edgebench.data.image_folders import list_imagenet_val, parse_options

    root, options = parse_options(spec_path)
    return _from_image_files(root, options, list_imagenet_val(root, options))


def _from_image_files(root: Path, options: dict[str, int], listing: dict[str, Any]) -> Dataset:
    from edgebench.artifacts.cache import ArtifactCache
    from edgebench.data.image_folders import cached_arrays
    from edgebench.data.validate import check_arrays

    cache = ArtifactCache.from_environment(Path.cwd())
    arrays = cached_arrays(listing, options["size"], cache.root)
    has_train = len(arrays["y_train"]) > 0
    check_arrays(
        root.name, {k: v for k, v in arrays.items() if has_train or "test" in k}, "classify"
    )
    # pixels stay in the cache's uint8 files, read and scaled a batch at a time
    x_test = UnitImages(arrays["x_test"])
    x_train = UnitImages(arrays["x_train"]) if has_train else None
    y_train = np.asarray(arrays["y_train"]) if has_train else None
    y_test = np.asarray(arrays["y_test"])
    return Dataset(
        name=root.name,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        num_classes=len(listing["classes"]),
        adapt_to_model=True,
        source=f"image files in {root} ({len(listing['classes'])} classes, {options['size']}px)",
        fingerprint=fingerprint_arrays(arrays["x_train"], y_train, arrays["x_test"], y_test),
        inputs=InputSpec(preprocessing=f"decoded RGB, resized to {options['size']}px, /255"),
    )


def random_inputs(shape: tuple[int, ...], dtype: np.dtype, count: int, seed: int = 0) -> np.ndarray:
    """Deterministic random inputs of a model's own per-sample ``shape`` and ``dtype``."""
    rng = np.random.default_rng(seed)
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=(count, *shape), endpoint=True).astype(dtype)
    return rng.random((count, *shape), dtype=np.float32).astype(dtype)

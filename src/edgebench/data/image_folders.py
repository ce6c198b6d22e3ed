"""Classification data as image files in the layouts every framework reads.

- ``images:PATH`` with ``PATH/train/<class>/*`` and ``PATH/test/<class>/*`` (or ``val/``),
  the layout of torchvision's ``ImageFolder`` and Keras' ``image_dataset_from_directory``:
  classes are the subfolder names in sorted order, numbered from 0;
- ``images:PATH`` with only ``PATH/<class>/*``: a seeded split, a fifth of each class's
  files (sorted by name) for the test split;
- ``imagenet-val:PATH``: the ImageNet validation layout, image files in ``PATH`` and a
  label list ``PATH/labels.txt`` with one class index per line, for the files in sorted
  order (the ``ILSVRC2012_validation_ground_truth.txt`` form; its 1-based indices work
  with ``?base=1``); it is the test split, there is no training split.

Options after ``?``: ``size`` (images resized to size x size, default 128), ``train`` and
``test`` (at most that many images, evenly over the classes in name order; default 2000
and 500). Files are decoded with Pillow a batch at a time and appended to uint8 ``.npy``
files in the cache, keyed by the listing (names, sizes, times) and the options: a second
run reads them back without decoding anything. They are read a batch at a time too
(``data.lazy``): no step holds a whole split's pixels in memory.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from edgebench.errors import DatasetUnavailable

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff")
DEFAULTS = {"size": 128, "train": 2000, "test": 500, "base": 0}
#: the largest image side an image folder is resized to.
MAX_SIZE = 4096
#: images decoded before they are written to the arrays (bounds the decoder's memory).
BATCH = 64


def parse_options(spec_path: str) -> tuple[Path, dict[str, int]]:
    """``PATH?size=N&train=N&test=N&base=N`` -> the path and the options (defaults filled in).

    >>> parse_options("data/pets?size=64")[1]["size"]
    64
    """
    from edgebench.data.annotated import parse_options as parse

    path, options = parse(spec_path, DEFAULTS, {"base": 0})
    if options["size"] > MAX_SIZE:
        raise DatasetUnavailable(f"size={options['size']} in {spec_path!r} is above {MAX_SIZE}")
    return path, options


def _images_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)


def _class_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _evenly(files: list[tuple[Path, int]], limit: int) -> list[tuple[Path, int]]:
    """At most ``limit`` files, taken round-robin over the classes (name order within)."""
    by_class: dict[int, list[tuple[Path, int]]] = {}
    for item in files:
        by_class.setdefault(item[1], []).append(item)
    chosen: list[tuple[Path, int]] = []
    queues = [list(v) for _, v in sorted(by_class.items())]
    while len(chosen) < limit and any(queues):
        for queue in queues:
            if queue and len(chosen) < limit:
                chosen.append(queue.pop(0))
    return sorted(chosen, key=lambda item: (item[1], item[0].name))


def list_folder(root: Path, options: dict[str, int]) -> dict[str, Any]:
    """The files of each split with their class index, and the class names."""
    if not root.is_dir():
        raise DatasetUnavailable(f"{root} is not a folder of images")
    splits = {s: root / s for s in ("train", "test", "val") if (root / s).is_dir()}
    if "train" in splits and ("test" in splits or "val" in splits):
        test_root = splits.get("test") or splits["val"]
        names = [p.name for p in _class_folders(splits["train"])]
        index = {name: k for k, name in enumerate(names)}
        found = {}
        for split, folder in (("train", splits["train"]), ("test", test_root)):
            items = []
            for class_folder in _class_folders(folder):
                if class_folder.name not in index:
                    raise DatasetUnavailable(
                        f"{folder.name}/{class_folder.name} is not a class of train/ "
                        f"({', '.join(names)})"
                    )
                items += [(f, index[class_folder.name]) for f in _images_in(class_folder)]
            found[split] = items
    else:
        names = [p.name for p in _class_folders(root)]
        found = {"train": [], "test": []}
        for k, name in enumerate(names):
            files = _images_in(root / name)
            cut = max(1, len(files) // 5) if len(files) > 1 else 0
            found["test"] += [(f, k) for f in files[:cut]]
            found["train"] += [(f, k) for f in files[cut:]]
    if len(names) < 2:
        raise DatasetUnavailable(
            f"{root}: an image folder needs one subfolder per class (found {len(names)}), "
            "as torchvision's ImageFolder reads it"
        )
    train = _evenly(found["train"], options["train"])
    test = _evenly(found["test"], options["test"])
    if not test:
        raise DatasetUnavailable(f"{root}: no image files in the test split")
    return {"train": train, "test": test, "classes": names}


def list_imagenet_val(root: Path, options: dict[str, int]) -> dict[str, Any]:
    """The ImageNet validation layout: files in sorted order and ``labels.txt``."""
    labels_file = root / "labels.txt"
    if not labels_file.is_file():
        raise DatasetUnavailable(
            f"{root}: no labels.txt (one class index per image, in file order)"
        )
    files = _images_in(root)
    try:
        labels = [
            int(line.split()[-1]) - options["base"]
            for line in labels_file.read_text().split("\n")
            if line.strip()
        ]
    except ValueError as exc:
        raise DatasetUnavailable(f"{labels_file}: a line is not a class index ({exc})") from exc
    if len(labels) != len(files):
        raise DatasetUnavailable(
            f"{root}: {len(files)} images but {len(labels)} labels in labels.txt"
        )
    test = list(zip(files, labels, strict=True))[: options["test"]]
    classes = max(labels, default=0) + 1
    return {"train": [], "test": test, "classes": [str(k) for k in range(classes)]}


def _listing_digest(items: list[tuple[Path, int]]) -> str:
    digest = hashlib.sha256()
    for path, label in items:
        stat = path.stat()
        digest.update(f"{path.name}\0{label}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def decode_into(items: list[tuple[Path, int]], size: int, out: Any) -> None:
    """Decode ``items`` (RGB, bilinear to ``size``) a batch at a time and hand each batch,
    uint8 ``(n, size, size, 3)``, to ``out(batch)``; a file Pillow cannot read is a
    ``DatasetUnavailable`` naming it."""
    from PIL import Image, UnidentifiedImageError

    for start in range(0, len(items), BATCH):
        chunk = items[start : start + BATCH]
        batch = np.empty((len(chunk), size, size, 3), np.uint8)
        for offset, (path, _) in enumerate(chunk):
            try:
                with Image.open(path) as image:
                    pixels = image.convert("RGB").resize((size, size), Image.Resampling.BILINEAR)
                    batch[offset] = np.asarray(pixels, dtype=np.uint8)
            except (UnidentifiedImageError, OSError, ValueError) as exc:
                raise DatasetUnavailable(f"{path}: not an image Pillow can read ({exc})") from exc
        out(batch)


def write_rows(path: Path, shape: tuple[int, ...], batches: Any) -> None:
    """Write a uint8 ``.npy`` of ``shape`` from ``batches(write)``, which calls ``write``
    with consecutive row blocks: plain file writes, so a set larger than memory is never
    held (a writable memory map would keep every page it touched resident)."""
    with path.open("wb") as handle:
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(np.uint8)),
                  "fortran_order": False, "shape": shape}  # fmt: skip
        np.lib.format.write_array_header_1_0(handle, header)
        written = 0

        def write(block: np.ndarray) -> None:
            nonlocal written
            handle.write(np.ascontiguousarray(block, dtype=np.uint8).tobytes())
            written += len(block)

        batches(write)
    if written != shape[0]:
        raise DatasetUnavailable(f"{path.name}: wrote {written} of {shape[0]} images")


def cached_arrays(listing: dict[str, Any], size: int, cache_root: Path) -> dict[str, np.ndarray]:
    """The splits' pixels (uint8 in the cache, read by rows: ``data.lazy.NpyRows``) and
    labels, decoded once."""
    from edgebench.artifacts.cache import ArtifactCache, cache_key

    key = cache_key(
        kind="image-folder",
        size=size,
        train=_listing_digest(listing["train"]),
        test=_listing_digest(listing["test"]),
        version=1,
    )

    def build(folder: Path) -> dict[str, Any]:
        for split in ("train", "test"):
            items = listing[split]
            write_rows(
                folder / f"x_{split}.npy",
                (len(items), size, size, 3),
                lambda write, items=items: decode_into(items, size, write),
            )
            np.save(folder / f"y_{split}.npy", np.asarray([k for _, k in items], np.int64))
        return {"classes": listing["classes"]}

    from edgebench.data.lazy import NpyRows

    entry = ArtifactCache(cache_root).get_or_build(key, build)
    return {
        "x_train": NpyRows(entry.file("x_train.npy")),
        "x_test": NpyRows(entry.file("x_test.npy")),
        "y_train": np.load(entry.file("y_train.npy")),
        "y_test": np.load(entry.file("y_test.npy")),
    }

"""Segmentation and detection data in the layouts users have, read into arrays.

- ``masks:PATH``: images with PNG label masks of the same name, either
  ``PATH/{train,test}/images/*`` + ``PATH/{train,test}/masks/*.png``, or Pascal VOC's
  ``JPEGImages/``, ``SegmentationClass/`` and ``ImageSets/Segmentation/{train,val}.txt``.
  An optional ``PATH/classes.json`` (``{"map": {"7": 0, "8": 1, ...}}``) maps raw mask
  values to classes (Cityscapes' label ids to train ids, say); unmapped values become the
  ignore label 255. Without it the mask values are the classes (255 ignored).
- ``coco:PATH``: COCO's layout, ``PATH/annotations/instances_{train,val}*.json`` with the
  images in ``PATH/{train,val}*/``; boxes are normalised by each image's size and
  categories numbered 0.. in id order; crowd boxes are left out.

Options after ``?``: ``size`` (images and masks resized to size x size, default 128;
masks by nearest neighbour), ``train`` and ``test`` (at most that many images, first by
name, default 2000 and 500). ``masks:data/city?size=256&train=500``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import numpy as np

from edgebench.errors import DatasetUnavailable

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
DEFAULTS = {"size": 128, "train": 2000, "test": 500}


def parse_options(
    spec_path: str, defaults: dict[str, int] = DEFAULTS, minimum: dict[str, int] | None = None
) -> tuple[Path, dict[str, int]]:
    """``PATH?size=N&train=N&test=N`` -> the path and the options (``defaults`` filled in;
    each at least its ``minimum``, 1 unless given).

    >>> parse_options("data/voc?size=64")
    (PosixPath('data/voc'), {'size': 64, 'train': 2000, 'test': 500})
    """
    path, _, query = spec_path.partition("?")
    options = dict(defaults)
    try:
        parsed = parse_qs(query, strict_parsing=bool(query))
    except ValueError as exc:
        raise DatasetUnavailable(f"cannot read the options of {spec_path!r}: {exc}") from exc
    for key, values in parsed.items():
        if key not in defaults:
            raise DatasetUnavailable(
                f"unknown option {key!r} in {spec_path!r}; known: {', '.join(defaults)}"
            )
        try:
            options[key] = int(values[-1])
        except ValueError as exc:
            raise DatasetUnavailable(
                f"{key}={values[-1]!r} in {spec_path!r} is not a whole number"
            ) from exc
        low = (minimum or {}).get(key, 1)
        if options[key] < low:
            raise DatasetUnavailable(f"{key} in {spec_path!r} must be at least {low}")
    return Path(path).expanduser(), options


def _pil() -> Any:
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - Pillow comes with the extras
        raise DatasetUnavailable(
            f"reading image files needs Pillow: pip install pillow ({exc})"
        ) from exc
    return Image


def _image(path: Path, size: int) -> tuple[np.ndarray, tuple[int, int]]:
    image = _pil().open(path)
    original = image.size
    pixels = image.convert("RGB").resize((size, size), _pil().Resampling.BILINEAR)
    return np.asarray(pixels, dtype=np.float32) / 255.0, original


def _mask(path: Path, size: int, mapping: np.ndarray | None) -> np.ndarray:
    mask = _pil().open(path)
    if mask.mode not in ("L", "P", "I", "I;16"):
        raise DatasetUnavailable(
            f"{path}: a label mask must be one channel of class values, not {mask.mode}"
        )
    values = np.asarray(mask.resize((size, size), _pil().Resampling.NEAREST)).astype(np.int64)
    if mapping is not None:
        values = mapping[np.clip(values, 0, len(mapping) - 1)]
    return values.astype(np.uint8)


def _class_map(root: Path) -> np.ndarray | None:
    file = root / "classes.json"
    if not file.is_file():
        return None
    try:
        raw = json.loads(file.read_text())["map"]
        mapping = np.full(65536, 255, np.int64)
        for value, cls in raw.items():
            mapping[int(value)] = int(cls)
    except (ValueError, KeyError, TypeError) as exc:
        raise DatasetUnavailable(
            f'{file}: expected {{"map": {{"raw value": class}}}} ({exc})'
        ) from exc
    return mapping


def _pairs(root: Path, split: str) -> list[tuple[Path, Path]]:
    """(image, mask) files of a split, in name order."""
    if (root / "leftImg8bit").is_dir() and (root / "gtFine").is_dir():
        from edgebench.data.downloads import cityscapes_pairs

        return cityscapes_pairs(root, split)
    folder = root / split
    if (folder / "images").is_dir():
        masks = {p.stem: p for p in (folder / "masks").glob("*.png")}
        images = sorted(
            p for p in (folder / "images").iterdir() if p.suffix.lower() in IMAGE_SUFFIXES
        )
        return [(p, masks[p.stem]) for p in images if p.stem in masks]
    voc_split = {"train": "train", "test": "val"}[split]
    listing = root / "ImageSets" / "Segmentation" / f"{voc_split}.txt"
    if listing.is_file():
        names = [n.strip() for n in listing.read_text().splitlines() if n.strip()]
        return [
            (root / "JPEGImages" / f"{n}.jpg", root / "SegmentationClass" / f"{n}.png")
            for n in names
            if (root / "SegmentationClass" / f"{n}.png").is_file()
        ]
    return []


def load_masks(spec_path: str) -> dict[str, Any]:
    """Arrays of a ``masks:PATH`` dataset (see the module's docstring)."""
    root, options = parse_options(spec_path)
    if not root.is_dir():
        raise DatasetUnavailable(f"masks dataset {root} is not a folder")
    mapping = _class_map(root)
    if mapping is None and (root / "gtFine").is_dir():
        from edgebench.data.downloads import CITYSCAPES_TRAIN_IDS

        mapping = np.full(65536, 255, np.int64)
        for label_id, train_id in CITYSCAPES_TRAIN_IDS.items():
            mapping[label_id] = train_id
    arrays: dict[str, Any] = {}
    for split in ("train", "test"):
        pairs = _pairs(root, split)[: options[split]]
        if not pairs:
            raise DatasetUnavailable(
                f"{root}: no {split} images with masks (expected {split}/images + {split}/masks, "
                "VOC's JPEGImages, SegmentationClass and ImageSets/Segmentation, or Cityscapes' "
                "leftImg8bit and gtFine)"
            )
        arrays[f"x_{split}"] = np.stack([_image(img, options["size"])[0] for img, _ in pairs])
        arrays[f"y_{split}"] = np.stack([_mask(m, options["size"], mapping) for _, m in pairs])
    return {**arrays, "source": str(root)}


def load_coco(spec_path: str) -> dict[str, Any]:
    """Arrays of a ``coco:PATH`` dataset (see the module's docstring)."""
    from edgebench.data.coco import cocoeval

    root, options = parse_options(spec_path)
    COCO, _ = cocoeval()
    arrays: dict[str, Any] = {}
    import contextlib
    import io

    annotations = {
        pattern: sorted((root / "annotations").glob(f"instances_{pattern}*.json"))
        for pattern in ("train", "val")
    }
    if not annotations["val"]:
        raise DatasetUnavailable(f"{root}: no annotations/instances_val*.json")
    loaded = {}
    for pattern, found in annotations.items():
        if found:
            with contextlib.redirect_stdout(io.StringIO()):
                loaded[pattern] = (
                    COCO(str(found[0])),
                    root / found[0].stem.replace("instances_", ""),
                )
    categories = sorted(loaded["val"][0].getCatIds())
    index = {c: i for i, c in enumerate(categories)}

    def infos(pattern: str) -> list[dict[str, Any]]:
        coco = loaded[pattern][0]
        return sorted(coco.loadImgs(coco.getImgIds()), key=lambda i: i["file_name"])

    val = infos("val")
    if "train" in loaded:
        chosen = {
            "train": ("train", infos("train")[: options["train"]]),
            "test": ("val", val[: options["test"]]),
        }
    else:  # the validation set alone: its last images test, the first ones train
        test = val[-options["test"] :]
        rest = val[: max(0, len(val) - len(test))][: options["train"]]
        if not rest:
            raise DatasetUnavailable(
                f"{root}: too few validation images to split into train and test"
            )
        chosen = {"train": ("val", rest), "test": ("val", test)}
    for split, (pattern, picked) in chosen.items():
        coco, image_dir = loaded[pattern]
        images, boxes = [], []
        for info in picked:
            pixels, (width, height) = _image(image_dir / info["file_name"], options["size"])
            rows = [
                [index[a["category_id"]], x / width, y / height, (x + w) / width, (y + h) / height]
                for a in coco.loadAnns(coco.getAnnIds(imgIds=info["id"], iscrowd=False))
                if a["category_id"] in index
                for x, y, w, h in [a["bbox"]]
            ]
            images.append(pixels)
            boxes.append(rows)
        most = max([len(r) for r in boxes] + [1])
        padded = np.full((len(boxes), most, 5), -1.0, np.float32)
        for i, rows in enumerate(boxes):
            if rows:
                padded[i, : len(rows)] = rows
        arrays[f"x_{split}"] = np.stack(images)
        arrays[f"y_{split}"] = padded
    return {**arrays, "source": str(root), "num_classes": len(categories)}

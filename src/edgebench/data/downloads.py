"""Public segmentation and detection sets for online users: fetched once into the data
folder (``$EDGEBENCH_DATA``, else Keras' ``~/.keras/datasets``), unpacked safely, then
read by the folder loaders of ``data.annotated``. Offline, a set that is not there yet
is a skip line saying where to put it.

- ``voc``: Pascal VOC 2012 segmentation (train/val, 21 classes, 2 GB archive).
- ``coco-val``: COCO 2017 validation images and their instance boxes (5,000 images, used
  for both splits' first images: ``train`` takes the first, ``test`` the last ones).
- Cityscapes needs a login to download; ``cityscapes:PATH`` reads its layout
  (``leftImg8bit/``, ``gtFine/``) with the official label-id to train-id map.
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from edgebench.errors import DatasetUnavailable


@dataclass(frozen=True)
class Download:
    """A public archive, what it unpacks to (a folder under the data folder) and the
    loader prefix that reads that folder."""

    urls: tuple[str, ...]
    folder: str
    marker: str  # a path inside ``folder`` that exists once unpacked
    loader: str  # "masks" or "coco"


DOWNLOADS: dict[str, Download] = {
    "voc": Download(
        ("http://host.robots.ox.ac.uk/pascal/VOC/voc2012/VOCtrainval_11-May-2012.tar",),
        "VOCdevkit/VOC2012",
        "ImageSets/Segmentation/val.txt",
        "masks",
    ),
    "coco-val": Download(
        (
            "http://images.cocodataset.org/zips/val2017.zip",
            "http://images.cocodataset.org/annotations/annotations_trainval2017.zip",
        ),
        "coco2017",
        "annotations/instances_val2017.json",
        "coco",
    ),
}


def data_root() -> Path:
    """``$EDGEBENCH_DATA``, else Keras' dataset cache."""
    if os.environ.get("EDGEBENCH_DATA"):
        return Path(os.environ["EDGEBENCH_DATA"])
    home = os.environ.get("KERAS_HOME")
    return (Path(home) if home else Path.home() / ".keras") / "datasets"


def _safe_members(names: list[str], target: Path) -> None:
    root = target.resolve()
    for name in names:
        resolved = (target / name).resolve()
        if resolved != root and root not in resolved.parents:
            raise DatasetUnavailable(f"archive member {name!r} would land outside {target}")


def unpack(archive: Path, target: Path) -> None:
    """Unpack a ``.tar``/``.tar.gz``/``.zip`` into ``target``, refusing members that would
    land outside it (absolute paths, ``..``) and links."""
    target.mkdir(parents=True, exist_ok=True)
    if zipfile.is_zipfile(archive):
        with zipfile.ZipFile(archive) as z:
            _safe_members(z.namelist(), target)
            z.extractall(target)
        return
    with tarfile.open(archive) as t:
        members = t.getmembers()
        if any(m.issym() or m.islnk() or m.isdev() for m in members):
            raise DatasetUnavailable(f"{archive.name} holds links or devices; not unpacked")
        _safe_members([m.name for m in members], target)
        t.extractall(target)  # noqa: S202 - members checked above


def fetch(name: str) -> Path:
    """The unpacked folder of download ``name``: found under the data folder, or fetched
    and unpacked there now (``DatasetUnavailable`` with where to put it when that fails)."""
    spec = DOWNLOADS[name]
    root = data_root()
    folder = root / spec.folder
    if (folder / spec.marker).exists():
        return folder
    # VOC's tar holds VOCdevkit/VOC2012/...; COCO's zips hold val2017/ and annotations/
    unpack_into = root if spec.loader == "masks" else folder
    try:
        for url in spec.urls:
            with tempfile.TemporaryDirectory(prefix="edgebench-download-") as tmp:
                archive = Path(tmp) / url.rsplit("/", 1)[-1]
                with urllib.request.urlopen(url, timeout=60) as response, archive.open("wb") as out:  # noqa: S310 - fixed https/http URLs of public sets
                    shutil.copyfileobj(response, out)
                unpack(archive, unpack_into)
    except OSError as exc:
        raise DatasetUnavailable(
            f"{name} is not in {folder} and could not be downloaded ({exc}); download "
            f"{', '.join(spec.urls)} and unpack into {unpack_into}"
        ) from exc
    if not (folder / spec.marker).exists():
        raise DatasetUnavailable(
            f"{name}: the download did not contain {spec.folder}/{spec.marker}"
        )
    return folder


#: Cityscapes label ids -> the 19 train ids of its benchmark (the rest are ignored, 255).
CITYSCAPES_TRAIN_IDS: dict[int, int] = {
    7: 0, 8: 1, 11: 2, 12: 3, 13: 4, 17: 5, 19: 6, 20: 7, 21: 8, 22: 9,
    23: 10, 24: 11, 25: 12, 26: 13, 27: 14, 28: 15, 31: 16, 32: 17, 33: 18,
}  # fmt: skip


def cityscapes_pairs(root: Path, split: str) -> list[tuple[Path, Path]]:
    """(image, label-id mask) files of a Cityscapes split (``train``; ``test`` reads ``val``,
    whose labels are public), in name order."""
    folder = {"train": "train", "test": "val"}[split]
    pairs = []
    for image in sorted((root / "leftImg8bit" / folder).glob("*/*_leftImg8bit.png")):
        city = image.parent.name
        stem = image.name[: -len("_leftImg8bit.png")]
        mask = root / "gtFine" / folder / city / f"{stem}_gtFine_labelIds.png"
        if mask.is_file():
            pairs.append((image, mask))
    return pairs

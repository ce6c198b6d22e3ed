"""What a model file is, decided by its bytes, never by its name.

A file's suffix is a claim its author (or anyone who renamed it) makes; the bytes are
what a loader will read. An HDF5 file renamed ``.keras`` would otherwise skip the checks
the HDF5 path makes, so every model file is classified here by content:

- a folder with ``saved_model.pb`` (or ``.pbtxt``): ``savedmodel``;
- the HDF5 signature (at offset 0, or after a user block of 512, 1024, ... bytes): ``h5``;
- a zip archive holding ``config.json`` (Keras v3): ``keras``; ``code/`` beside
  ``data.pkl`` (TorchScript): ``torchscript``; ``archive_format`` (torch.export): ``torch-export``;
  ``data.pkl`` alone is a pickled module (``torch.save``): refused, never unpickled;
- the flatbuffer identifier ``TFL3`` at bytes 4-8: ``tflite``;
- a protobuf whose top-level fields are those of ONNX's ``ModelProto`` with a graph: ``onnx``;
- a pickle stream: refused, never unpickled.

Pure Python and the standard library: nothing here deserializes a model.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import BinaryIO

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
ZIP_SIGNATURE = b"PK\x03\x04"
#: ONNX ModelProto's field numbers and their wire types (0 varint, 2 length-delimited).
ONNX_FIELDS: dict[int, int] = {
    1: 0,  # ir_version
    2: 2,  # producer_name
    3: 2,  # producer_version
    4: 2,  # domain
    5: 0,  # model_version
    6: 2,  # doc_string
    7: 2,  # graph
    8: 2,  # opset_import
    14: 2,  # metadata_props
    20: 2,  # training_info
    25: 2,  # functions
    26: 2,  # configuration
}
PICKLED_MODEL = (
    "is a pickle (a model saved with torch.save or pickle.dump); edgebench never unpickles a "
    "file: loading one runs whatever code it names. Save it with "
    "torch.jit.save(torch.jit.script(model)) or torch.export.save(...) as .pt2, or export ONNX"
)


def _varint(stream: BinaryIO) -> int:
    """A protobuf varint read from ``stream``; ``ValueError`` when cut short."""
    value, shift = 0, 0
    while True:
        byte = stream.read(1)
        if not byte or shift > 63:
            raise ValueError("truncated varint")
        value |= (byte[0] & 0x7F) << shift
        shift += 7
        if not byte[0] & 0x80:
            return value


def looks_like_onnx(stream: BinaryIO, size: int) -> bool:
    """Whether the ``size`` bytes of ``stream`` parse as top-level ONNX ``ModelProto``
    fields, with a graph. Length-delimited fields are skipped with a seek, so a large
    model file is not read."""
    seen = set()
    try:
        while stream.tell() < size:
            tag = _varint(stream)
            number, wire = tag >> 3, tag & 7
            if ONNX_FIELDS.get(number) != wire:
                return False
            if wire == 0:
                _varint(stream)
            else:
                length = _varint(stream)
                if stream.tell() + length > size:
                    return False
                stream.seek(length, io.SEEK_CUR)
            seen.add(number)
    except ValueError:
        return False
    return 7 in seen


def _zip_kind(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    leaves = {name.rsplit("/", 1)[-1] for name in names}
    if "config.json" in names:
        return "keras"
    if any("/code/" in name or name.startswith("code/") for name in names):
        return "torchscript"
    if "archive_format" in leaves:
        return "torch-export"
    if "data.pkl" in leaves:
        return "pickle"
    return None


def _is_hdf5(path: Path, head: bytes) -> bool:
    if head.startswith(HDF5_SIGNATURE):
        return True
    # the superblock may follow a user block of 512, 1024, 2048, ... bytes
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            offset = 512
            while offset + len(HDF5_SIGNATURE) <= size and offset <= 1 << 20:
                handle.seek(offset)
                if handle.read(len(HDF5_SIGNATURE)) == HDF5_SIGNATURE:
                    return True
                offset *= 2
    except OSError:
        return False
    return False


def sniff_kind(path: Path) -> str | None:
    """The model kind of ``path`` by its content (see the module docstring), ``pickle`` for a
    pickled object, ``None`` for anything else."""
    if path.is_dir():
        if (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file():
            return "savedmodel"
        return None
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return None
    if _is_hdf5(path, head):
        return "h5"
    if head.startswith(ZIP_SIGNATURE):
        return _zip_kind(path)
    if len(head) >= 8 and head[4:8] == b"TFL3":
        return "tflite"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "pickle"
    if head[:1] == b"\x08":
        with path.open("rb") as handle:
            return "onnx" if looks_like_onnx(handle, path.stat().st_size) else None
    return None


#: what each kind is, for messages.
KIND_NAMES: dict[str, str] = {
    "keras": "a Keras v3 archive (.keras)",
    "h5": "a Keras HDF5 file (.h5)",
    "savedmodel": "a TensorFlow SavedModel folder",
    "onnx": "an ONNX model (.onnx)",
    "tflite": "a TFLite flatbuffer (.tflite)",
    "torchscript": "a TorchScript archive (.pt)",
    "torch-export": "a torch.export program (.pt2)",
}

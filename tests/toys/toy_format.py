"""An artifact format registered from outside the package: a gzip-compressed ``.tflite``
(``tflite.gz``), its exporter from Keras (TFLiteConverter, then gzip), its weight counter,
and ``gzlite``, a runtime that unpacks it next to itself and runs LiteRT."""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from edgebench.formats import ArtifactFormat, Exporter
from edgebench.runtimes.litert import LiteRTRuntime
from edgebench.runtimes.registry import RuntimeSpec


def export(model: Any, out_path: Path) -> None:
    from edgebench.artifacts.convert import keras_to_tflite

    plain = out_path.with_name("plain.tflite")
    keras_to_tflite(model, plain)
    out_path.write_bytes(gzip.compress(plain.read_bytes(), mtime=0))
    plain.unlink()


def weights(path: Path):
    from edgebench.artifacts.artifact import tflite_weight_count

    return tflite_weight_count(gzip.decompress(path.read_bytes()))


class GzLiteRuntime(LiteRTRuntime):
    """LiteRT over an unpacked copy of a ``.tflite.gz`` (next to it, under the cache)."""

    name = "gzlite"
    artifact_format = "tflite.gz"

    def load(self, path: Path, threads: int):
        plain = Path(path).with_name(Path(path).name.removesuffix(".gz"))
        if not plain.exists():
            plain.write_bytes(gzip.decompress(Path(path).read_bytes()))
        return super().load(plain, threads)


def make(options: Mapping[str, Any]) -> GzLiteRuntime:
    return GzLiteRuntime()


FORMAT = ArtifactFormat(
    "tflite.gz", ".tflite.gz", "gzip of a .tflite", weights="toy_format:weights"
)
EXPORTER = Exporter("keras->tflite.gz", "keras", "tflite.gz", "toy_format:export")
RUNTIME = RuntimeSpec("gzlite", "tflite.gz", "toy_format:make", "LiteRT over .tflite.gz")

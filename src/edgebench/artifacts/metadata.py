"""What a model file says about itself: its task and output adapter.

- ONNX: ``metadata_props`` entries ``edgebench.task`` and ``edgebench.output_adapter``;
- TFLite: a metadata entry named ``edgebench`` whose buffer is JSON
  (``{"task": "detect", "output_adapter": "tflite-detection-postprocess"}``).

Neither is required; a file that says nothing is a classifier scored as it is, unless
``--task`` and ``--output-adapter`` say otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path

TASK_KEY = "edgebench.task"
ADAPTER_KEY = "edgebench.output_adapter"
TFLITE_ENTRY = "edgebench"


def model_metadata(path: Path, kind: str) -> dict[str, str]:
    """``{"task": ..., "output_adapter": ...}`` as far as the file declares them (an
    unreadable file declares nothing: loading it fails its own tests later)."""
    from edgebench.formats import format_names, format_spec

    if kind not in format_names():
        return {}
    try:
        read = format_spec(kind).function("metadata")
        return dict(read(path)) if read is not None else {}
    except Exception:  # noqa: BLE001 - metadata is optional; the file is checked when loaded
        return {}


def onnx_metadata(path: Path) -> dict[str, str]:
    """What an ONNX file declares in its ``metadata_props``."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    props = {p.key: p.value for p in model.metadata_props}
    found = {"task": props.get(TASK_KEY), "output_adapter": props.get(ADAPTER_KEY)}
    return {k: v for k, v in found.items() if v}


def tflite_metadata(path: Path) -> dict[str, str]:
    """What a TFLite file declares in its ``edgebench`` metadata entry."""
    from edgebench.artifacts.artifact import tflite_schema

    schema = tflite_schema()
    data = path.read_bytes()
    model = schema.Model.GetRootAsModel(data, 0)
    for i in range(model.MetadataLength()):
        entry = model.Metadata(i)
        if (entry.Name() or b"").decode() != TFLITE_ENTRY:
            continue
        buffer = model.Buffers(entry.Buffer())
        raw = bytes(buffer.DataAsNumpy()) if buffer.DataLength() else b""
        if not raw and buffer.Offset():  # large models keep buffers after the flatbuffer
            raw = data[buffer.Offset() : buffer.Offset() + buffer.Size()]
        declared = json.loads(raw.decode())
        return {k: str(declared[k]) for k in ("task", "output_adapter") if declared.get(k)}
    return {}

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
    try:
        if kind == "onnx":
            return _onnx_metadata(path)
        if kind == "tflite":
            return _tflite_metadata(path)
    except Exception:  # noqa: BLE001 - metadata is optional; the file is checked when loaded
        return {}
    return {}


def _onnx_metadata(path: Path) -> dict[str, str]:
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    props = {p.key: p.value for p in model.metadata_props}
    found = {"task": props.get(TASK_KEY), "output_adapter": props.get(ADAPTER_KEY)}
    return {k: v for k, v in found.items() if v}


def _tflite_metadata(path: Path) -> dict[str, str]:
    from edgebench.build.artifacts import tflite_schema

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

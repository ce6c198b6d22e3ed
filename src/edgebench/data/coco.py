"""pycocotools, imported on demand: COCO's annotation reader and its evaluator, used by
the ``coco:PATH`` dataset (``data.annotated``) and the detect task's mAP (``tasks.detect``)."""

from __future__ import annotations

from typing import Any

from edgebench.errors import RuntimeUnavailable


def cocoeval() -> tuple[Any, Any]:
    """``(COCO, COCOeval)`` from pycocotools; ``RuntimeUnavailable`` with the install line."""
    try:
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    except ImportError as exc:
        raise RuntimeUnavailable(
            f'the detect task scores with pycocotools: pip install "edgebench[detect]" ({exc})'
        ) from exc
    return COCO, COCOeval

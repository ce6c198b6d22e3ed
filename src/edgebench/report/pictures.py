"""Pictures where people would rather look than read: the float and the quantized model's
predictions on the same test image, side by side (segmentation masks, detection boxes).

The predictions come from the records (``sample_prediction``: the first test image); the
image itself from the dataset, loaded again by its spec. A dataset that cannot be loaded
here (not offline, a file moved) gives no picture and a line saying why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edgebench.report.plots import pyplot, save_figure
from edgebench.report.tables import grouped
from edgebench.results import Record
from edgebench.tasks.registry import metric_report

#: the quantized recipe each runtime's picture compares with fp32, in order of preference.
QUANTIZED = ("int8", "ort-qdq", "int8io", "dyn8", "ort-dyn")


def picture_pairs(records: Sequence[Record]) -> list[tuple[Record, Record]]:
    """(fp32, quantized) record pairs with sample predictions, one per model x runtime."""
    pairs = []
    for _, rows in grouped(records).items():
        by_recipe = {r.recipe: r for r in rows if r.sample_prediction}
        base = by_recipe.get("fp32")
        other = next((by_recipe[q] for q in QUANTIZED if q in by_recipe), None)
        if base is not None and other is not None:
            pairs.append((base, other))
    return pairs


def draw_pictures(
    records: Sequence[Record],
    out: Path,
    load_image: Callable[[str, int], np.ndarray | None],
) -> tuple[list[str], list[str]]:
    """Write one picture per (fp32, quantized) pair into ``out``; return the file names and
    a note per pair that got none. ``load_image(dataset, index)`` returns the test image."""
    written: list[str] = []
    notes: list[str] = []
    plt = None
    for base, other in picture_pairs(records):
        index = int(base.sample_prediction.get("image_index", 0))  # type: ignore[union-attr]
        image = load_image(base.dataset, index)
        if image is None:
            notes.append(f"no picture of {base.model} on {base.dataset}: the dataset is not here")
            continue
        plt = plt or pyplot()
        fig, axes = plt.subplots(1, 3, figsize=(10, 3.6))
        axes[0].imshow(np.clip(image, 0, 1))
        axes[0].set_title("input")
        for ax, record in zip(axes[1:], (base, other), strict=True):
            _draw(ax, image, record.sample_prediction or {})
            label = metric_report(record.metric or "accuracy")[0]
            value = "n/a" if record.accuracy is None else f"{record.accuracy:.2%}"
            ax.set_title(f"{record.recipe} ({record.runtime}), {label} {value}", fontsize=9)
        for ax in axes:
            ax.axis("off")
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{base.model}-{base.dataset}-{base.runtime}")
        written.append(save_figure(fig, out, f"{stem}-{other.recipe}-picture.png"))
    return written, notes


def _draw(ax: Any, image: np.ndarray, sample: dict[str, Any]) -> None:
    if "mask" in sample:
        mask = np.asarray(sample["mask"])
        ax.imshow(np.clip(image, 0, 1))
        shown = np.ma.masked_where(mask == 0, mask)  # background stays the image
        ax.imshow(shown, cmap="tab10", vmin=0, vmax=9, alpha=0.6, interpolation="nearest")
        return
    ax.imshow(np.clip(image, 0, 1))
    height, width = image.shape[:2]
    for x1, y1, x2, y2, score, cls in sample.get("boxes", []):
        colour = f"C{int(cls) % 10}"
        ax.add_patch(
            _rectangle((x1 * width, y1 * height), (x2 - x1) * width, (y2 - y1) * height, colour)
        )
        ax.text(x1 * width, y1 * height, f"{int(cls)}:{score:.2f}", color=colour, fontsize=6)


def _rectangle(corner: tuple[float, float], width: float, height: float, colour: str) -> Any:
    from matplotlib.patches import Rectangle

    return Rectangle(corner, width, height, fill=False, edgecolor=colour, linewidth=1.2)


def dataset_images(specs: Sequence[str], base_dir: Path) -> Callable[[str, int], np.ndarray | None]:
    """``load_image(dataset id, index)`` over the run's dataset specs (loaded once each)."""
    from edgebench.data.datasets import dataset_id, load_dataset
    from edgebench.errors import EdgebenchError

    by_id = {dataset_id(spec): spec for spec in specs}
    loaded: dict[str, Any] = {}

    def load_image(name: str, index: int) -> np.ndarray | None:
        if name not in loaded:
            try:
                loaded[name] = load_dataset(by_id.get(name, name), base_dir)
            except (EdgebenchError, OSError):
                loaded[name] = None
        data = loaded[name]
        if data is None or data.x_test is None or index >= len(data.x_test):
            return None
        image = np.asarray(data.x_test[index], dtype=np.float32)
        return image if image.shape[-1] == 3 else np.repeat(image[..., :1], 3, axis=-1)

    return load_image

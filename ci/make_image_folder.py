"""Write a synthetic classification image folder (the ImageFolder layout) for the
real-resolution measurements: one shape per image, its kind the class (disc, square,
triangle, cross, ring), of random size, colour and place, on a background of stripes,
gradients and noise; JPEG files at the size asked.

    python ci/make_image_folder.py OUT --train 1000 --test 10000 --size 224

Deterministic (seeded per image), written a file at a time.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ("cross", "disc", "ring", "square", "triangle")


def background(rng: np.random.Generator, size: int) -> Image.Image:
    """Stripes or a gradient in two random colours, with noise."""
    a, b = rng.integers(0, 256, 3), rng.integers(0, 256, 3)
    t = np.linspace(0, 1, size)[None, :, None]
    if rng.random() < 0.5:
        period = rng.integers(8, 40)
        t = ((np.arange(size) // period) % 2)[None, :, None].astype(float)
    pixels = a * (1 - t) + b * t
    pixels = np.broadcast_to(pixels, (size, size, 3)).copy()
    if rng.random() < 0.5:
        pixels = pixels.transpose(1, 0, 2)
    pixels += rng.normal(0, 18, pixels.shape)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def draw_shape(image: Image.Image, kind: str, rng: np.random.Generator) -> None:
    size = image.size[0]
    radius = rng.uniform(0.15, 0.35) * size
    cx, cy = rng.uniform(radius, size - radius, 2)
    colour = tuple(int(v) for v in rng.integers(0, 256, 3))
    draw = ImageDraw.Draw(image)
    box = (cx - radius, cy - radius, cx + radius, cy + radius)
    if kind == "disc":
        draw.ellipse(box, fill=colour)
    elif kind == "ring":
        draw.ellipse(box, outline=colour, width=max(3, int(radius / 3)))
    elif kind == "square":
        draw.rectangle(box, fill=colour)
    elif kind == "triangle":
        draw.polygon([(cx, cy - radius), (cx - radius, cy + radius), (cx + radius, cy + radius)],
                     fill=colour)  # fmt: skip
    else:  # cross
        bar = radius / 3
        draw.rectangle((cx - radius, cy - bar, cx + radius, cy + bar), fill=colour)
        draw.rectangle((cx - bar, cy - radius, cx + bar, cy + radius), fill=colour)


def write(out: Path, split: str, count: int, size: int, seed: int) -> None:
    for index in range(count):
        rng = np.random.default_rng([seed, index])
        kind = CLASSES[index % len(CLASSES)]
        image = background(rng, size)
        draw_shape(image, kind, rng)
        folder = out / split / kind
        folder.mkdir(parents=True, exist_ok=True)
        image.save(folder / f"{index:06d}.jpg", quality=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--train", type=int, default=1000)
    parser.add_argument("--test", type=int, default=10000)
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args()
    started = time.perf_counter()
    write(args.out, "train", args.train, args.size, seed=1)
    write(args.out, "test", args.test, args.size, seed=2)
    print(f"wrote {args.train} + {args.test} images of {args.size}px into {args.out} "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip


if __name__ == "__main__":
    main()

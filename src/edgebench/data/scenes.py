"""Synthetic scenes: shapes on textured backgrounds, with per-pixel masks and boxes.

The offline built-in for segmentation (``shapes-seg``) and detection (``shapes-det``):
deterministic for a seed, made in numpy in about a second, and hard enough that
quantization and pruning move the metric. Each image has 1-4 shapes (disc, square,
triangle: classes 1-3; 0 is background) of random size, position and colour on a
background of random stripes, blobs and noise whose colours overlap the shapes', so
colour alone does not tell a shape; later shapes occlude earlier ones.

Masks are ``(N, H, W)`` uint8 class indices. Boxes are ``(N, MAX_SHAPES, 5)`` rows of
``[class, x1, y1, x2, y2]`` (class counted from 0 = disc for detection; ``-1`` pads),
normalised to [0, 1], the visible extent of each shape.
"""

from __future__ import annotations

import numpy as np

SHAPES: tuple[str, ...] = ("disc", "square", "triangle")
MAX_SHAPES = 4
DEFAULT_SIZE = 64


def _background(rng: np.random.Generator, size: int) -> np.ndarray:
    """Stripes at a random angle, two soft blobs and pixel noise, in random colours."""
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    angle = rng.uniform(0, np.pi)
    frequency = rng.uniform(2, 8)
    stripes = 0.5 + 0.5 * np.sin(2 * np.pi * frequency * (xx * np.cos(angle) + yy * np.sin(angle)))
    image = stripes[..., None] * rng.uniform(0, 1, 3) + (1 - stripes[..., None]) * rng.uniform(
        0, 1, 3
    )
    for _ in range(2):
        cy, cx, radius = rng.uniform(0, 1), rng.uniform(0, 1), rng.uniform(0.1, 0.4)
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * radius**2))[..., None]
        image = image * (1 - 0.6 * blob) + 0.6 * blob * rng.uniform(0, 1, 3)
    image += rng.normal(0, 0.06, image.shape)
    return image.astype(np.float32)


def _shape_mask(kind: str, size: int, cy: float, cx: float, radius: float) -> np.ndarray:
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    if kind == "disc":
        return (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2
    if kind == "square":
        return (np.abs(yy - cy) <= radius) & (np.abs(xx - cx) <= radius)
    # an upright triangle: apex at the top, base at the bottom of the bounding square
    top, bottom = cy - radius, cy + radius
    half_width = (yy - top) / (2 * radius) * radius
    return (yy >= top) & (yy <= bottom) & (np.abs(xx - cx) <= half_width)


def make_scenes(
    count: int, seed: int, size: int = DEFAULT_SIZE
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``count`` scenes: images ``(N, size, size, 3)`` float32 in [0, 1], masks
    ``(N, size, size)`` uint8 and boxes ``(N, MAX_SHAPES, 5)`` float32.

    >>> images, masks, boxes = make_scenes(2, seed=0, size=32)
    >>> images.shape, masks.shape, boxes.shape, int(masks.max()) <= len(SHAPES)
    ((2, 32, 32, 3), (2, 32, 32), (2, 4, 5), True)
    """
    rng = np.random.default_rng(seed)
    images = np.empty((count, size, size, 3), np.float32)
    masks = np.zeros((count, size, size), np.uint8)
    boxes = np.full((count, MAX_SHAPES, 5), -1.0, np.float32)
    for i in range(count):
        image = _background(rng, size)
        mask = masks[i]
        instances = np.full((size, size), -1, np.int64)
        placed: list[int] = []
        for instance in range(int(rng.integers(1, MAX_SHAPES + 1))):
            kind = int(rng.integers(len(SHAPES)))
            radius = rng.uniform(0.08, 0.2) * size
            cy, cx = rng.uniform(radius, size - radius, 2)
            region = _shape_mask(SHAPES[kind], size, cy, cx, radius)
            colour = rng.uniform(0, 1, 3)
            shading = rng.normal(0, 0.05, (size, size, 1))
            image[region] = np.clip(colour + shading[region], 0, 1)
            mask[region] = kind + 1
            instances[region] = instance
            placed.append(kind)
        # boxes: the visible extent of each shape after occlusion (a hidden one has none)
        slot = 0
        for instance, kind in enumerate(placed):
            ys, xs = np.nonzero(instances == instance)
            if len(ys) < 4:
                continue
            boxes[i, slot] = [
                kind,
                xs.min() / size,
                ys.min() / size,
                (xs.max() + 1) / size,
                (ys.max() + 1) / size,
            ]
            slot += 1
        images[i] = np.clip(image, 0, 1)
    return images, masks, boxes

"""Image sets that are read a batch at a time, so a large one is never in memory whole.

- :class:`NpyRows`: the rows of a ``.npy`` file read on demand with plain file reads (no
  memory map, whose touched pages would stay resident and count as the process's memory);
- :class:`UnitImages`: uint8 NHWC pixels seen as float32 in [0, 1], converted per slice;
- :class:`FittedInputs`: dataset images as a model takes them (its input contract),
  prepared per slice.

Each supports ``len()``, ``shape``, ``dtype``, ``ndim`` and indexing by a slice, an integer
array or an integer (what the accuracy pass, calibration and the latency input do);
``np.asarray`` on one materialises it (for the few places that need the whole array).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np


class NpyRows:
    """The rows of the ``.npy`` file at ``path`` (C order), read when indexed.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> np.save(folder / "a.npy", np.arange(24, dtype=np.uint8).reshape(4, 2, 3))
    >>> rows = NpyRows(folder / "a.npy")
    >>> len(rows), rows.shape, rows[1:3].tolist()[1], rows[np.array([3, 0])][:, 0, 0].tolist()
    (4, (4, 2, 3), [[12, 13, 14], [15, 16, 17]], [18, 0])
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with self.path.open("rb") as handle:
            version = np.lib.format.read_magic(handle)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(handle)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(handle)
            self._offset = handle.tell()
        if fortran or dtype.hasobject:
            raise ValueError(f"{self.path.name}: only C-ordered plain arrays are read by rows")
        self.shape: tuple[int, ...] = tuple(shape)
        self.dtype = np.dtype(dtype)
        self.ndim = len(self.shape)
        self._row = int(np.prod(self.shape[1:], dtype=np.int64)) * self.dtype.itemsize

    def __len__(self) -> int:
        return self.shape[0]

    def _read(self, handle: Any, start: int, count: int) -> np.ndarray:
        out = np.empty((count, *self.shape[1:]), self.dtype)
        if count:
            handle.seek(self._offset + start * self._row)
            handle.readinto(memoryview(out).cast("B"))
        return out

    def __getitem__(self, index: Any) -> np.ndarray:
        if isinstance(index, tuple) or index is Ellipsis:  # rows and more: read all, then index
            return np.asarray(self[:])[index]
        with self.path.open("rb") as handle:
            if isinstance(index, slice):
                start, stop, step = index.indices(len(self))
                if step == 1:
                    return self._read(handle, start, max(0, stop - start))
                index = np.arange(start, stop, step)
            if np.isscalar(index):
                position = int(index) % len(self) if len(self) else int(index)
                return self._read(handle, position, 1)[0]
            positions = np.asarray(index, dtype=np.int64).ravel()
            out = np.empty((len(positions), *self.shape[1:]), self.dtype)
            for k, position in enumerate(positions):
                out[k] = self._read(handle, int(position), 1)[0]
            return out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype)


class _Rows:
    """What the lazy views share: length, indexing through ``_convert``, materialising."""

    source: Any
    shape: tuple[int, ...]
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return int(self.shape[0])

    def _convert(self, rows: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __getitem__(self, index: Any) -> np.ndarray:
        if isinstance(index, tuple) or index is Ellipsis:  # rows and more: convert all, then index
            return self[:][index]
        if np.isscalar(index):
            return self._convert(np.asarray(self.source[int(index) : int(index) + 1]))[0]
        return self._convert(np.asarray(self.source[index]))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        whole = self[:]
        return whole if dtype is None else whole.astype(dtype)


class UnitImages(_Rows):
    """uint8 images ``(N, H, W, C)`` (an array, a memory map or :class:`NpyRows`) seen as
    float32 in [0, 1], converted a slice at a time."""

    def __init__(self, source: Any, max_value: float = 255.0) -> None:
        self.source = source
        self.max_value = np.float32(max_value)
        self.shape = tuple(source.shape)
        self.dtype = np.dtype(np.float32)

    def _convert(self, rows: np.ndarray) -> np.ndarray:
        return rows.astype(np.float32) / self.max_value


class FittedInputs(_Rows):
    """``images`` prepared by ``fit`` (the model's input contract) a slice at a time; the
    first image is prepared at once, so a misfit fails here as it would eagerly."""

    def __init__(self, images: Any, fit: Callable[[np.ndarray], np.ndarray]) -> None:
        self.source = images
        self._fit = fit
        first = fit(np.asarray(images[:1]))
        self.shape = (len(images), *first.shape[1:])
        self.dtype = first.dtype

    def _convert(self, rows: np.ndarray) -> np.ndarray:
        return self._fit(rows)


def is_lazy(array: Any) -> bool:
    """Whether ``array`` is one of this module's views (read a batch at a time)."""
    return isinstance(array, (NpyRows, _Rows))

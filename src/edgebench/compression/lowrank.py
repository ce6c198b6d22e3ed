"""Low-rank factorization of dense and convolution kernels, as plain numpy.

- A dense kernel ``W`` (in x out) becomes ``A @ B`` with ``A`` (in x r) and ``B``
  (r x out) from the truncated SVD (``sqrt`` of the singular values on each side): the
  best rank-r approximation in the Frobenius norm (Eckart-Young).
- A convolution kernel ``K`` (kh x kw x cin x cout, the Keras layout) becomes a Tucker-2
  decomposition (Kim et al., 2016): a 1x1 convolution ``U_in`` (cin -> r_in), the core
  kh x kw convolution (r_in -> r_out) and a 1x1 convolution ``U_out^T`` (r_out -> cout),
  with ``U_in`` and ``U_out`` the leading left singular vectors of the kernel unfolded
  along its input and output channels (truncated HOSVD), and the core ``K`` projected on
  them. A mode kept at its full width needs no 1x1 convolution (its factor is dropped).

Ranks come from a number (``lowrank8``: at most 8 per mode) or from an energy share
(``lowrank-e0.9``: the smallest rank whose singular values keep 90% of the squared sum).
A layer is factorized only when that has fewer parameters than the layer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def chosen_rank(
    singular_values: np.ndarray, rank: int | None = None, energy: float | None = None
) -> int:
    """The rank to keep: ``min(rank, len)``, or the smallest rank keeping ``energy`` of
    the squared singular values.

    >>> chosen_rank(np.array([3.0, 1.0, 0.1]), energy=0.85)
    1
    >>> chosen_rank(np.array([3.0, 1.0, 0.1]), energy=0.99)
    2
    >>> chosen_rank(np.array([3.0, 1.0, 0.1]), rank=8)
    3
    """
    values = np.asarray(singular_values, dtype=np.float64)
    if rank is not None:
        return max(1, min(int(rank), len(values)))
    if energy is None:
        raise ValueError("give a rank or an energy share")
    squared = values**2
    total = squared.sum()
    if total <= 0:
        return 1
    kept = np.cumsum(squared) / total
    return int(min(len(values), np.searchsorted(kept, energy - 1e-12) + 1))


@dataclass(frozen=True)
class DenseFactors:
    """``W ~= first @ second``."""

    first: np.ndarray  # (in, r)
    second: np.ndarray  # (r, out)

    @property
    def rank(self) -> int:
        return int(self.first.shape[1])

    @property
    def params(self) -> int:
        return int(self.first.size + self.second.size)


def factor_dense(
    kernel: np.ndarray, rank: int | None = None, energy: float | None = None
) -> DenseFactors:
    """The truncated-SVD factors of a dense kernel (in x out)."""
    w = np.asarray(kernel, dtype=np.float64)
    u, s, vt = np.linalg.svd(w, full_matrices=False)
    r = chosen_rank(s, rank, energy)
    root = np.sqrt(s[:r])
    return DenseFactors(
        (u[:, :r] * root).astype(np.float32), (root[:, None] * vt[:r]).astype(np.float32)
    )


@dataclass(frozen=True)
class ConvFactors:
    """``K ~= core x_in first x_out last``: ``first`` (cin x r_in) or ``None`` when the
    input mode is kept whole, ``core`` (kh x kw x r_in x r_out), ``last`` (r_out x cout)
    or ``None`` when the output mode is kept whole."""

    first: np.ndarray | None
    core: np.ndarray
    last: np.ndarray | None

    @property
    def ranks(self) -> tuple[int, int]:
        return int(self.core.shape[2]), int(self.core.shape[3])

    @property
    def params(self) -> int:
        return int(sum(a.size for a in (self.first, self.core, self.last) if a is not None))

    def reconstruct(self) -> np.ndarray:
        """The kernel these factors compute (kh x kw x cin x cout)."""
        kernel = self.core.astype(np.float64)
        if self.first is not None:
            kernel = np.einsum("ir,hwro->hwio", self.first, kernel)
        if self.last is not None:
            kernel = np.einsum("hwir,ro->hwio", kernel, self.last)
        return kernel


def _mode_basis(
    kernel: np.ndarray, axis: int, rank: int | None, energy: float | None
) -> np.ndarray:
    """Leading left singular vectors of ``kernel`` unfolded along ``axis``."""
    unfolded = np.moveaxis(kernel, axis, 0).reshape(kernel.shape[axis], -1)
    u, s, _ = np.linalg.svd(unfolded, full_matrices=False)
    return u[:, : chosen_rank(s, rank, energy)]


def factor_conv(
    kernel: np.ndarray, rank: int | None = None, energy: float | None = None
) -> ConvFactors:
    """The Tucker-2 factors of a convolution kernel (kh x kw x cin x cout)."""
    k = np.asarray(kernel, dtype=np.float64)
    cin, cout = k.shape[2], k.shape[3]
    u_in = _mode_basis(k, 2, rank, energy)
    u_out = _mode_basis(k, 3, rank, energy)
    keep_in = u_in.shape[1] >= cin
    keep_out = u_out.shape[1] >= cout
    core = k
    if not keep_in:
        core = np.einsum("hwio,ir->hwro", core, u_in)
    if not keep_out:
        core = np.einsum("hwio,or->hwir", core, u_out)
    return ConvFactors(
        None if keep_in else u_in.astype(np.float32),
        core.astype(np.float32),
        None if keep_out else u_out.T.astype(np.float32),
    )


def relative_error(original: np.ndarray, approximation: np.ndarray) -> float:
    """``||original - approximation|| / ||original||`` (Frobenius; 0 for a zero kernel)."""
    norm = float(np.linalg.norm(original))
    return float(np.linalg.norm(np.asarray(original) - approximation) / norm) if norm else 0.0

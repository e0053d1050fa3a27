"""The float64 linear algebra every metric shares."""

from __future__ import annotations

import numpy as np


def descending_eigh(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (..., n) descending and eigenvectors (..., n, n) in columns of the symmetric
    part (H + H^T) / 2 of H (..., n, n), in float64."""
    H = np.asarray(H, dtype=np.float64)
    values, vectors = np.linalg.eigh((H + np.swapaxes(H, -1, -2)) / 2)
    return values[..., ::-1].copy(), vectors[..., ::-1].copy()

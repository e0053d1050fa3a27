"""The float64 linear algebra every metric shares."""

from __future__ import annotations

import numpy as np


def descending_eigh(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (..., n) descending and eigenvectors (..., n, n) in columns of the symmetric
    part (H + H^T) / 2 of H (..., n, n), in float64."""
    H = np.asarray(H, dtype=np.float64)
    values, vectors = np.linalg.eigh((H + np.swapaxes(H, -1, -2)) / 2)
    return values[..., ::-1].copy(), vectors[..., ::-1].copy()


def complete_basis(eigvals: np.ndarray, eigvecs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The full eigenframe of a metric known by its top K pairs: ``eigvals`` (K,) and ``eigvecs``
    (n, K) orthonormal columns -> eigenvalues (n,) and an orthonormal basis (n, n) whose last
    n - K columns span the complement of the computed vectors with eigenvalue 0 (the metric
    restricted to what was computed). A full frame (K = n) is returned as it is."""
    import scipy.linalg

    eigvals, eigvecs = np.asarray(eigvals, dtype=np.float64), np.asarray(eigvecs, dtype=np.float64)
    n, K = eigvecs.shape
    if K == n:
        return eigvals, eigvecs
    complement = scipy.linalg.null_space(eigvecs.T)  # (n, n - K)
    return np.concatenate([eigvals, np.zeros(n - K)]), np.hstack([eigvecs, complement])

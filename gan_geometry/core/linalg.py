"""The float64 linear algebra every metric shares.

Eigendecompositions run in torch, not numpy: numpy's OpenBLAS keeps its own pool of threads,
which spin for a while after each call and then compete with torch's threads for the same cores.
Measured on dcgan-face64 (2 cores): exact metrics called back to back took 0.28-0.35 s with the
eigendecomposition in numpy against 0.23 s with numpy's pool held to one thread, the same as
calls with other work in between. One pool, torch's, now does both.
"""

from __future__ import annotations

import numpy as np
import torch


def descending_eigh(H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (..., n) descending and eigenvectors (..., n, n) in columns of the symmetric
    part (H + H^T) / 2 of H (..., n, n), in float64."""
    H = torch.as_tensor(np.asarray(H, dtype=np.float64))
    values, vectors = torch.linalg.eigh((H + H.transpose(-1, -2)) / 2)
    return values.flip(-1).numpy().copy(), vectors.flip(-1).numpy().copy()


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

"""What every metric method returns, and the float64 linear algebra they share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import torch

from geometry.core.linalg import descending_eigh


@dataclass
class MethodOutput:
    """``H`` (n, n) float64 or None (iterative methods); ``eigvals`` (n,) descending; ``eigvecs``
    (n, n) orthonormal columns; the first ``n_computed`` pairs are computed, the rest complete
    the basis in the orthogonal complement with eigenvalue 0. ``info``: what the method reports
    about itself (e.g. residuals), copied into the result's provenance."""

    H: np.ndarray | None
    eigvals: np.ndarray
    eigvecs: np.ndarray
    n_computed: int
    info: dict = field(default_factory=dict)  # method diagnostics for provenance (residuals, iterations)


def full_output(H: torch.Tensor) -> MethodOutput:
    """Symmetrise H (n, n), eigendecompose in float64, sort descending."""
    H = H.detach().to("cpu", torch.float64).numpy()
    H = (H + H.T) / 2
    eigvals, eigvecs = descending_eigh(H)
    return MethodOutput(H, eigvals, eigvecs, H.shape[0])


def top_k_output(eigvals: np.ndarray, eigvecs: np.ndarray) -> MethodOutput:
    """Top-k pairs (k,), (n, k) -> full basis: sort descending, then append an orthonormal basis
    of the complement of span(eigvecs) with eigenvalue 0."""
    order = np.argsort(eigvals)[::-1]
    eigvals, eigvecs = eigvals[order], eigvecs[:, order]
    n, k = eigvecs.shape
    complement = scipy.linalg.null_space(eigvecs.T)  # (n, n - k)
    return MethodOutput(None, np.concatenate([eigvals, np.zeros(n - k)]), np.hstack([eigvecs, complement]), k)

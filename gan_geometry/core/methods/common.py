"""What every metric method returns, and the float64 linear algebra they share."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from gan_geometry.core.linalg import descending_eigh


@dataclass
class MethodOutput:
    """``H`` (n, n) float64 or None (iterative methods); ``eigvals`` (K,) descending; ``eigvecs``
    (n, K) orthonormal columns: the ``n_computed`` = K pairs the method computed (K = n for the
    full methods; ``linalg.complete_basis`` completes a top-k frame where a full one is needed).
    ``info``: what the method reports
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
    """Top-k pairs (k,), (n, k), sorted descending, in float64: only what was computed is kept
    (a dense n x n basis would be 7168^2 floats for StyleGAN2 w+)."""
    order = np.argsort(eigvals)[::-1]
    eigvals = np.ascontiguousarray(np.asarray(eigvals, dtype=np.float64)[order])
    eigvecs = np.ascontiguousarray(np.asarray(eigvecs, dtype=np.float64)[:, order])
    return MethodOutput(None, eigvals, eigvecs, eigvecs.shape[1])

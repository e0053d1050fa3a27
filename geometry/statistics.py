"""Statistics of metric spectra (paper section 4, Appendix A.4-A.7)."""

from __future__ import annotations

import numpy as np

ANISOTROPY_FRACTIONS = (0.99, 0.999, 0.9999, 0.99999)


def anisotropy_dims(eigvals: np.ndarray, fractions=ANISOTROPY_FRACTIONS) -> np.ndarray:
    """Smallest k with sum_{i<=k} lambda_i >= f * sum_i lambda_i, for each f (paper Table 2).

    ``eigvals`` (..., n) sorted descending; negative round-off values count as 0.
    Returns (..., len(fractions)) integers in 1..n.
    """
    lam = np.clip(np.asarray(eigvals, dtype=np.float64), 0, None)
    cumulative = np.cumsum(lam, axis=-1)
    total = cumulative[..., -1:]
    reached = cumulative[..., None, :] >= np.asarray(fractions)[:, None] * total[..., None, :]
    return reached.argmax(axis=-1) + 1

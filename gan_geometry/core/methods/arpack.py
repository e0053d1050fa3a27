"""ARPACK's Lanczos (``scipy.sparse.linalg.eigsh``) on an operator known by its products, with its
failures as one-line errors.

ARPACK declares a Ritz pair converged when its residual is below max(tol |theta|, eps^(2/3)): the
second term is absolute (about 4e-11). A metric whose eigenvalues are far below it (fc6 with random
weights and MSE: about 3e-18) then "converges" at once to whatever its first Krylov vectors hold:
measured there, a 10th eigenvalue 0.57 of the top where the true 10th is 0.88 (the paper's
BackwardIter misses the same way). ``largest`` therefore runs ARPACK on the operator divided by
its scale (the norm of one product of the start vector) and scales the eigenvalues back. What it
returns is still checked to be the top k (``krylov.verified_top_k``)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, LinearOperator, eigsh

from gan_geometry.errors import GeometryError

Matvec = Callable[[np.ndarray], np.ndarray]  # v (n,) float64 -> H v (n,) float64


def largest(matvec: Matvec, n: int, k: int, seed: int, tol: float, ncv: int | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest eigenpairs (k,), (n, k) of the symmetric operator by ARPACK, from the
    random start of ``seed``, computed on the operator scaled to order one; failures are one
    ``GeometryError``."""
    v0 = np.random.default_rng(seed).standard_normal(n)
    scale = float(np.linalg.norm(matvec(v0)) / np.linalg.norm(v0))
    if not np.isfinite(scale) or scale == 0:
        raise GeometryError("the Hessian-vector products at this code are zero or not finite: the output does not "
                            "change here (a saturated generator, or a code far outside its latent distribution)")
    operator = LinearOperator((n, n), matvec=lambda v: matvec(v) / scale, dtype=np.float64)
    try:
        values, vectors = eigsh(operator, k=k, which="LA", v0=v0, tol=tol, ncv=ncv)
    except ArpackNoConvergence as err:
        raise GeometryError(f"Lanczos (ARPACK) did not converge: {len(err.eigenvalues)} of {k} eigenpairs reached the "
                            f"tolerance {tol:g}; use exact or topk, or a smaller k") from None
    except ArpackError as err:  # e.g. -9: the products are zero or not finite (a step that underflows)
        raise GeometryError(f"Lanczos (ARPACK) failed ({err}): the Hessian-vector products at this code are zero, "
                            f"not finite or not symmetric; use exact, topk or lanczos-backward") from None
    return values * scale, vectors

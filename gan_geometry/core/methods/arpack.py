"""ARPACK's Lanczos (``scipy.sparse.linalg.eigsh``) on an operator known by its products, and the
check that the pairs returned are the top k.

Lanczos with restarts converges to genuine eigenpairs, but on a flat spectrum not necessarily to
the largest: on fc6 (4096-d, random weights, MSE) ARPACK at k = 10 returned true eigenpairs whose
10th eigenvalue is 0.57 of the top where the true 10th is 0.90. A residual check cannot see that
(every returned pair is an eigenpair). ``verified_top_k`` looks where the returned pairs V (n, k)
are not: the largest eigenvalue of the operator on their orthogonal complement,

    P H P,    P = I - V V^T,

from a fresh random start. Above the k-th returned eigenvalue theta_k (beyond ``TIE``), pairs were
missed: up to k eigenpairs of the complement are computed, the top k of the union kept (V spans an
invariant subspace, so those are eigenpairs of H too), and the check repeats; after ``ROUNDS``
rounds the method refuses in one line. Below it, the k pairs are the top k (to the accuracy of the
check, ``CHECK_TOL``) and the check's value is recorded in the provenance.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.sparse.linalg import ArpackError, ArpackNoConvergence, LinearOperator, eigsh

from gan_geometry.errors import GeometryError

ROUNDS = 3  # rounds of repair before a top-k result is refused
TIE = 1e-6  # relative margin: an eigenvalue outside V within it of theta_k is a tie, not a miss
CHECK_TOL = 1e-4  # ARPACK's tolerance for the complement's top eigenvalue (a decision, not a result)
Matvec = Callable[[np.ndarray], np.ndarray]  # v (n,) float64 -> H v (n,) float64


def largest(matvec: Matvec, n: int, k: int, seed: int, tol: float, ncv: int | None = None
            ) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest eigenpairs (k,), (n, k) of the symmetric operator by ARPACK, from the
    random start of ``seed``; failures are one ``GeometryError``."""
    operator = LinearOperator((n, n), matvec=matvec, dtype=np.float64)
    v0 = np.random.default_rng(seed).standard_normal(n)
    try:
        return eigsh(operator, k=k, which="LA", v0=v0, tol=tol, ncv=ncv)
    except ArpackNoConvergence as err:
        raise GeometryError(f"Lanczos (ARPACK) did not converge: {len(err.eigenvalues)} of {k} eigenpairs reached the "
                            f"tolerance {tol:g}; use exact or topk, or a smaller k") from None
    except ArpackError as err:  # e.g. -9: the products are zero or not finite (a step that underflows)
        raise GeometryError(f"Lanczos (ARPACK) failed ({err}): the Hessian-vector products at this code are zero, "
                            f"not finite or not symmetric; use exact, topk or lanczos-backward") from None


def complement(matvec: Matvec, V: np.ndarray) -> Matvec:
    """v -> P H P v with P = I - V V^T (V (n, k) orthonormal columns)."""
    def apply(v: np.ndarray) -> np.ndarray:
        v = np.ravel(v)
        v = v - V @ (V.T @ v)
        out = matvec(v)
        return out - V @ (V.T @ out)
    return apply


def verified_top_k(matvec: Matvec, eigvals: np.ndarray, eigvecs: np.ndarray, seed: int = 1
                   ) -> tuple[np.ndarray, np.ndarray, dict]:
    """``eigvals`` (k,) descending and ``eigvecs`` (n, k) made sure to be the top k of the operator
    (see the module docstring), with {"top_k_check": the complement's largest eigenvalue,
    "repaired": rounds of repair} for the provenance."""
    n, k = eigvecs.shape
    values, vectors = np.asarray(eigvals, dtype=np.float64), np.asarray(eigvecs, dtype=np.float64)
    for repaired in range(ROUNDS + 1):
        outside = float(largest(complement(matvec, vectors), n, 1, seed + repaired, CHECK_TOL)[0][0])
        if outside <= values[-1] + TIE * abs(values[0]):
            return values, vectors, {"top_k_check": outside, "repaired": repaired}
        if repaired == ROUNDS:
            break
        found, missed = largest(complement(matvec, vectors), n, min(k, n - k), seed + 100 + repaired, 1e-8)
        order = np.argsort(np.concatenate([values, found]))[::-1][:k]  # missed lies in the complement of V
        values, vectors = np.concatenate([values, found])[order], np.hstack([vectors, missed])[:, order]
    raise GeometryError(f"the top-{k} eigenpairs could not be confirmed: after {ROUNDS} repairs an eigenvalue "
                        f"{outside:.4g} outside them still exceeds the {k}th, {values[-1]:.4g} (a flat spectrum); "
                        f"use exact, or a larger k")


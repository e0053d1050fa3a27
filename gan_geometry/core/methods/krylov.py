"""Top eigenpairs of a symmetric operator known by its block products, and the check that pairs
returned by any iterative method are the top k.

``block_top_k``: block Lanczos with full reorthogonalisation. From a seeded random block Q_0
(n, b) it grows an orthonormal basis B = [Q_0, Q_1, ...] of span{Q_0, H Q_0, H^2 Q_0, ...}:

    HQ_i    = H Q_i                              one block product
    T       = B^T [HQ_0 ... HQ_i]                Rayleigh-Ritz: T = S diag(theta) S^T
    V, HV   = B S, [HQ_0 ... HQ_i] S             Ritz vectors and their products (no new products)
    r_j     = ||HV_j - theta_j V_j|| / theta_j   for the top k; stop when max r_j <= tol (``relative_residuals``)
    Q_{i+1} = orth(HQ_i - B B^T HQ_i)            (twice, for orthogonality to rounding)

A Ritz pair with residual r has an eigenvalue error of order r^2 lambda and an eigenvector angle of
order r lambda / gap.

``verified_top_k``: small residuals say the pairs are eigenpairs, not that they are the *top* k.
A Krylov method can converge to true eigenpairs deeper in the spectrum (ARPACK did on fc6 at a
tiny scale, ``arpack``; a flat spectrum and an unlucky start can do it at any scale). So the check
looks where the returned pairs V (n, k) are not, with a fresh random block: the
top Ritz value of the operator on their orthogonal complement

    P H P,    P = I - V V^T,

after ``CHECK_BLOCKS`` iterations of blocks of k + ``OVERSAMPLING`` vectors: a lower bound of
the complement's largest eigenvalue, close to it within two blocks where the missed eigenvalue
stands clear of the rest of the complement (pairs from deep in the spectrum, as ARPACK's floor
returned); a miss among many nearly equal eigenvalues can stay below it.
Above the k-th returned eigenvalue theta_k by more than the tolerance allows (each returned
eigenvalue is only known to within its residual, tol x theta_1; ``TIE`` at least), pairs were
missed; pairs whose residual exceeds the tolerance are not eigenpairs at all. Either way the top k
are computed again by ``block_top_k`` from a block that starts with the returned vectors, the
check's top Ritz vector of the complement and random ones, and the check repeats; after ``ROUNDS``
repairs the method refuses in one line. The check's value and the repairs go into the result's
provenance.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gan_geometry.errors import GeometryError
from gan_geometry.progress import Progress, report

Matmat = Callable[[np.ndarray], np.ndarray]  # a block (n, b) float64 -> H times it (n, b)
OVERSAMPLING = 4  # block = k + OVERSAMPLING vectors
ROUNDS = 3  # repairs before a top-k result is refused
TIE = 1e-6  # least relative margin: an eigenvalue outside V within it of theta_k is a tie, not a miss
CHECK_BLOCKS = 2  # block iterations of the check: enough to see a missed eigenvalue above theta_k


def block_top_k(matmat: Matmat, n: int, k: int, *, tol: float, max_iter: int = 50, seed: int = 0,
                block: int | None = None, start: np.ndarray | None = None, progress: Progress | None = None,
                require: bool = True, name: str = "the Krylov iteration"
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """The top-``k`` Ritz pairs (k,) descending, (n, k), and the operator's products with the Ritz
    vectors (n, k) (no new products: from the Krylov basis's), of the operator from a Krylov space of
    blocks of ``block`` vectors (default k + ``OVERSAMPLING``; the first block holds the columns of
    ``start`` where given, then seeded random vectors), with {"residuals", "iterations", "block", "products"}.
    A block whose new directions run out (a start that is nearly an invariant subspace) is filled
    with fresh random ones. Stops when every residual is <= ``tol`` or the Krylov space fills the
    space; after ``max_iter`` blocks above ``tol`` it is an
    error naming ``name`` and the residual reached (``require``), or returns what it has."""
    b = min(n, block or k + OVERSAMPLING)
    rng = np.random.default_rng(seed)
    first = rng.standard_normal((n, b))
    if start is not None:
        first[:, : start.shape[1]] = start[:, :b]
    Q = np.linalg.qr(first)[0]
    basis, products = np.zeros((n, 0)), np.zeros((n, 0))
    for iteration in range(1, max_iter + 1):
        HQ = matmat(Q)
        basis, products = np.hstack([basis, Q]), np.hstack([products, HQ])
        T = basis.T @ products
        theta, S = np.linalg.eigh((T + T.T) / 2)
        order = np.argsort(theta)[::-1][:k]
        theta, S = theta[order], S[:, order]
        ritz, ritz_products = basis @ S, products @ S
        residuals = relative_residuals(ritz_products, ritz, theta)
        report(progress, min(1.0, iteration * b / n), f"block {iteration}: max residual {residuals.max():.1e}")
        if residuals.max() <= tol or basis.shape[1] >= n:
            break
        W = HQ - basis @ (basis.T @ HQ)
        W -= basis @ (basis.T @ W)
        Q, R = np.linalg.qr(W)
        keep = np.abs(np.diag(R)) > 1e-10 * max(np.abs(R).max(), np.abs(HQ).max(), 1e-300)
        Q = Q[:, keep][:, : n - basis.shape[1]]
        Q = np.linalg.qr(Q - basis @ (basis.T @ Q))[0]  # small kept directions amplify rounding: orthogonal again
        if Q.shape[1] < min(b, n - basis.shape[1]):  # directions exhausted (a nearly invariant start): fresh ones
            fresh = rng.standard_normal((n, min(b, n - basis.shape[1]) - Q.shape[1]))
            for _ in range(2):
                fresh -= basis @ (basis.T @ fresh) + Q @ (Q.T @ fresh)
            Q = np.hstack([Q, np.linalg.qr(fresh)[0]])
    else:
        if require:
            raise GeometryError(f"{name} did not converge: after {max_iter} blocks of {b} products the "
                                f"largest relative residual is {residuals.max():.1e}, above the tolerance {tol:g}; "
                                f"use exact, or a larger k")
    return theta, ritz, ritz_products, {"residuals": residuals.tolist(), "iterations": iteration, "block": b,
                                        "products": basis.shape[1]}


def relative_residuals(products: np.ndarray, vectors: np.ndarray, values: np.ndarray) -> np.ndarray:
    """||H v_j - theta_j v_j|| / theta_j, relative to the top eigenvalue for eigenvalues below a
    thousandth of it (a null direction of H has eigenvalue 0 and a residual of rounding)."""
    scale = np.maximum(np.abs(values), 1e-3 * np.abs(values).max(initial=0.0))
    return np.linalg.norm(products - vectors * values, axis=0) / np.maximum(scale, 1e-300)


def complement(matmat: Matmat, V: np.ndarray) -> Matmat:
    """X -> P H P X with P = I - V V^T (V (n, k) orthonormal columns)."""
    def apply(X: np.ndarray) -> np.ndarray:
        X = X - V @ (V.T @ X)
        Y = matmat(X)
        return Y - V @ (V.T @ Y)
    return apply


def verified_top_k(matmat: Matmat, eigvals: np.ndarray, eigvecs: np.ndarray, tol: float = 1e-4,
                   seed: int = 1, products: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, dict]:
    """``eigvals`` (k,) descending and ``eigvecs`` (n, k), made sure to be the top k of the
    operator (see the module docstring), with {"top_k_check": the complement's top Ritz value,
    "repaired": rounds of repair} for the provenance. Pairs whose residual exceeds ``tol`` are not
    eigenpairs and are repaired too. ``products``: H eigvecs (n, k) where the caller has them (a
    block Krylov iteration does), else computed here."""
    n, k = eigvecs.shape
    values, vectors = np.asarray(eigvals, dtype=np.float64), np.asarray(eigvecs, dtype=np.float64)
    outside, residuals = -np.inf, np.zeros(k)
    for repaired in range(ROUNDS + 1):
        products = matmat(vectors) if products is None else products
        tol = max(tol, operator_noise(vectors, products))  # no pair is resolved beyond the operator's own noise
        residuals = relative_residuals(products, vectors, values)
        if k < n:
            beyond, beyond_vector, _, _ = block_top_k(complement(matmat, vectors), n, 1, tol=0.0, max_iter=CHECK_BLOCKS,
                                                      seed=seed + repaired, block=k + OVERSAMPLING, require=False)
            outside = float(beyond[0])
        if residuals.max() <= tol and outside <= values[-1] + max(TIE, tol) * abs(values[0]):
            return values, vectors, {"top_k_check": None if k == n else outside, "repaired": repaired,
                                     "tolerance": tol}
        if repaired == ROUNDS:
            break
        # what was returned and the direction the check found beyond it start a new Krylov space (the
        # returned vectors alone may span an invariant subspace, where the iteration would stop at once)
        start = vectors if k == n else np.hstack([vectors, beyond_vector])
        values, vectors, products, _ = block_top_k(matmat, n, k, tol=tol, seed=seed + 100 + repaired, start=start)
    if residuals.max() > tol:
        raise GeometryError(f"the top-{k} eigenpairs could not be confirmed: after {ROUNDS} repairs a pair's relative "
                            f"residual is still {residuals.max():.1e}, above {tol:.1e}; use exact, or a larger k")
    raise GeometryError(f"the top-{k} eigenpairs could not be confirmed: after {ROUNDS} repairs an eigenvalue "
                        f"{outside:.4g} outside them still exceeds the smallest of them, {values[-1]:.4g} (a flat "
                        f"spectrum); use exact, or a larger k")


def operator_noise(vectors: np.ndarray, products: np.ndarray) -> float:
    """How far the operator is from symmetric on span(V): ||T - T^T||_F / ||T||_F with
    T = V^T H V, times 10. Exact products give rounding (1e-7 and less); finite differences
    (lanczos-forward) give their truncation and cancellation error, which no eigenpair can beat."""
    T = vectors.T @ products
    return 10 * float(np.linalg.norm(T - T.T) / max(np.linalg.norm(T), 1e-300))

"""Top-k eigenpairs of H = 2 J^T J by block Krylov iteration on J itself (``method="topk"``).

The paper's Lanczos methods take one Hessian-vector product at a time through double
back-propagation. Here every product is a block of b = k + ``OVERSAMPLING`` vectors: J V by
``vmap(jvp)`` (forward mode) and J^T U by ``vmap(vjp)`` (reverse mode, one linearisation reused),
so H Q = 2 J^T (J Q) costs one batched forward-mode and one batched reverse-mode pass. Block
Lanczos with full reorthogonalisation grows an orthonormal basis B = [Q_0, Q_1, ...] of the
Krylov space span{Q_0, H Q_0, H^2 Q_0, ...} (n, b (i + 1)):

    HQ_i    = 2 J^T (J Q_i)                      b JVPs + b VJPs
    T       = B^T [HQ_0 ... HQ_i]                Rayleigh-Ritz: T = S diag(theta) S^T
    V, HV   = B S, [HQ_0 ... HQ_i] S             Ritz vectors and their products (no new products)
    r_j     = ||HV_j - theta_j V_j|| / theta_j   for the top k; stop when max r_j <= tol
    Q_{i+1} = orth(HQ_i - B B^T HQ_i)            (twice, for orthogonality to rounding)

The residuals are the stopping rule and are reported (``provenance["residuals"]``): a Ritz pair
with residual r has an eigenvalue error of order r^2 lambda and an eigenvector angle of order
r lambda / gap. Small residuals do not say the pairs are the *top* k (on a flat spectrum a Krylov
space can miss larger eigenvalues), so the result is then checked and repaired like Lanczos's
(``arpack.verified_top_k``). Applies where D is a squared feature distance (LPIPS, MSE), like
``exact``; the products come from ``products.JacobianProducts``.
"""

from __future__ import annotations

import numpy as np
import torch

from gan_geometry.core.methods.arpack import verified_top_k
from gan_geometry.core.methods.common import MethodOutput, top_k_output
from gan_geometry.core.pullback import Pullback
from gan_geometry.errors import GeometryError
from gan_geometry.progress import Progress, report

OVERSAMPLING = 4


def compute(pb: Pullback, *, k: int, progress: Progress | None = None, tol: float = 1e-4, max_iter: int = 50,
            seed: int = 0, **_) -> MethodOutput:
    """Top-``k`` eigenpairs of 2 J^T J at z0, to a relative residual <= ``tol``; stops early when
    the Krylov space closes (an invariant subspace: exact) or fills the whole space. Stopping at
    ``max_iter`` blocks above ``tol`` is an error naming the residual reached."""
    if not pb.D.has_features:
        raise GeometryError(f"topk needs a squared feature distance (LPIPS, MSE); {pb.D.name} has none: "
                            f"use lanczos-backward")
    n = pb.n
    b = min(n, k + OVERSAMPLING)
    Q = np.linalg.qr(np.random.default_rng(seed).standard_normal((n, b)))[0]
    basis, products_seen = np.zeros((n, 0)), np.zeros((n, 0))
    products = pb.feature_products()
    for iteration in range(1, max_iter + 1):
        V = torch.as_tensor(Q.T, dtype=pb.z0.dtype, device=pb.z0.device).contiguous()
        HQ = 2 * products.gram(V).T.double().cpu().numpy()  # (n, b)
        basis, products_seen = np.hstack([basis, Q]), np.hstack([products_seen, HQ])
        T = basis.T @ products_seen
        theta, S = np.linalg.eigh((T + T.T) / 2)
        order = np.argsort(theta)[::-1][:k]
        theta, S = theta[order], S[:, order]
        ritz, ritz_products = basis @ S, products_seen @ S
        residuals = np.linalg.norm(ritz_products - ritz * theta, axis=0) / np.maximum(np.abs(theta), 1e-300)
        report(progress, min(1.0, iteration * b / n), f"block {iteration}: max residual {residuals.max():.1e}")
        if residuals.max() <= tol or basis.shape[1] >= n:
            break
        W = HQ - basis @ (basis.T @ HQ)
        W -= basis @ (basis.T @ W)
        Q, R = np.linalg.qr(W)
        keep = np.abs(np.diag(R)) > 1e-10 * max(np.abs(R).max(), np.abs(HQ).max())
        if not keep.any():  # the Krylov space closed: an invariant subspace, its Ritz pairs are exact
            break
        Q = Q[:, keep][:, : n - basis.shape[1]]
    else:
        raise GeometryError(f"topk did not converge: after {max_iter} blocks of {b} products the largest relative "
                            f"residual is {residuals.max():.1e}, above the tolerance {tol:g}; use exact or "
                            f"lanczos-backward, or a larger k")
    checks = [0]

    def matvec(v: np.ndarray) -> np.ndarray:
        checks[0] += 1
        one = torch.as_tensor(np.ravel(v)[None], dtype=pb.z0.dtype, device=pb.z0.device)
        return 2 * products.gram(one)[0].double().cpu().numpy()

    theta, ritz, check = verified_top_k(matvec, theta, ritz)
    out = top_k_output(theta, ritz)
    out.info = {"residuals": residuals.tolist(), "iterations": iteration, "block": b, "tol": tol,
                "products": 2 * (basis.shape[1] + checks[0]), **check}
    return out

"""Top-k eigenpairs of H = 2 J^T J by block Krylov iteration on J itself (``method="topk"``).

The paper's Lanczos methods take one Hessian-vector product at a time through double
back-propagation. Here every product is a block of b = k + ``krylov.OVERSAMPLING`` vectors:
J V by batched forward-mode products and J^T U by batched reverse-mode products on one
linearisation (``products.JacobianProducts.gram``), so H Q = 2 J^T (J Q) costs one batched push and
one batched pull. ``krylov.block_top_k`` grows the Krylov space and stops when every Ritz residual
is below ``tol`` (reported in ``provenance["residuals"]``); ``krylov.verified_top_k`` then makes
sure the pairs are the top k. Applies where D is a squared feature distance (LPIPS, MSE), like
``exact``.
"""

from __future__ import annotations

import numpy as np
import torch

from gan_geometry.core.methods.common import MethodOutput, top_k_output
from gan_geometry.core.methods.krylov import block_top_k, verified_top_k
from gan_geometry.core.pullback import Pullback
from gan_geometry.errors import GeometryError
from gan_geometry.progress import Progress


def compute(pb: Pullback, *, k: int, progress: Progress | None = None, tol: float = 1e-4, max_iter: int = 50,
            seed: int = 0, compiled: bool = False, **_) -> MethodOutput:
    """Top-``k`` eigenpairs of 2 J^T J at z0, to a relative residual <= ``tol``; stopping at
    ``max_iter`` blocks above ``tol`` is an error naming the residual reached."""
    if not pb.D.has_features:
        raise GeometryError(f"topk needs a squared feature distance (LPIPS, MSE); {pb.D.name} has none: "
                            f"use lanczos-backward")
    products = pb.feature_products(compiled=compiled)
    counted = [0]

    def matmat(X: np.ndarray) -> np.ndarray:
        counted[0] += X.shape[1]
        V = torch.as_tensor(X.T, dtype=pb.z0.dtype, device=pb.z0.device).contiguous()
        return 2 * products.gram(V).T.double().cpu().numpy()

    theta, ritz, info = block_top_k(matmat, pb.n, k, tol=tol, max_iter=max_iter, seed=seed, progress=progress,
                                    name="topk")
    theta, ritz, check = verified_top_k(matmat, theta, ritz)
    out = top_k_output(theta, ritz)
    out.info = {**info, "tol": tol, **check, "products": 2 * counted[0]}
    return out

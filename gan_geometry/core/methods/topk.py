"""Top-k eigenpairs of H = 2 J^T J by block Krylov iteration on J itself (``method="topk"``).

The paper's Lanczos methods take one Hessian-vector product at a time through double
back-propagation. Here every product is a block of b = k + ``krylov.OVERSAMPLING`` vectors:
J V by batched forward-mode products and J^T U by batched reverse-mode products on one
linearisation (``products.JacobianProducts.gram``), so H Q = 2 J^T (J Q) costs one batched push and
one batched pull. ``krylov.block_top_k`` grows the Krylov space and stops when every Ritz residual
is below ``tol`` (reported in ``provenance["residuals"]``); ``krylov.verified_top_k`` then makes
sure the pairs are the top k. Applies where D is a squared feature distance (LPIPS, MSE), like
``exact``.

The default tolerance ``TOL`` is set for eigenvalues: a Ritz value with relative residual r is
within about r^2 theta / gap of its eigenvalue (fc6 at full size, MSE, top 10: 3e-5 at r = 5e-3,
12 blocks; 3e-8 at 1e-4, 16 blocks: ``python -m bench.metric_methods --large``), an eigenvector
within an angle of about r theta / gap (among nearly equal eigenvalues only their span is defined).
``metric_tensor`` uses the default; for eigenvectors as sharp as the exact method's top ones call
``compute(Pullback(G, D, z), k=k, tol=1e-4)`` directly.
"""

from __future__ import annotations

import numpy as np
import torch

from gan_geometry.core.methods.common import MethodOutput, top_k_output
from gan_geometry.core.methods.krylov import block_top_k, verified_top_k
from gan_geometry.core.pullback import Pullback
from gan_geometry.errors import GeometryError
from gan_geometry.progress import Progress

TOL = 5e-3  # relative residual (see the module docstring)


def compute(pb: Pullback, *, k: int, progress: Progress | None = None, tol: float = TOL, max_iter: int = 50,
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

    theta, ritz, ritz_products, info = block_top_k(matmat, pb.n, k, tol=tol, max_iter=max_iter, seed=seed,
                                                   progress=progress, name="topk")
    theta, ritz, check = verified_top_k(matmat, theta, ritz, tol=tol, products=ritz_products)
    out = top_k_output(theta, ritz)
    out.info = {**info, "tol": tol, **check, "products": 2 * counted[0]}
    return out

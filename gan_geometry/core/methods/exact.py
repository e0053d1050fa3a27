"""Exact metric from batched Jacobian products, for any distance minimised at the reference.

Squared feature distances (LPIPS, MSE): D(x0, x) = ||psi(x) - psi(x0)||^2. The residual
psi(G(z)) - psi(G(z0)) vanishes at z0, so the Gauss-Newton term is the whole Hessian:

    H(z0) = 2 J^T J,     J = d psi(G(z)) / dz    (F, n)

Other distances (1 - SSIM, ...): D(x0, .) has its minimum at x0, so its image gradient vanishes
there and only the curvature term survives:

    H(z0) = J^T K J,     J = d G(z) / dz    (P, n),    K = d^2/dx^2 D(x0, x) |_{x = x0}    (P, P)

K is never formed: K J comes from n image-space Hessian-vector products through D alone
(forward over reverse), cheap next to the generator. Every product comes from
``core.products``: J from n batched forward-mode columns when F >= n, else F reverse-mode rows,
``chunk`` at a time to bound memory; with ``compiled``, the forward-mode products of a feature
distance run compiled (``core.compiled``: within 1e-5 relative of the eager ones).
"""

from __future__ import annotations

import torch

from gan_geometry.core.methods.common import MethodOutput, full_output
from gan_geometry.core.products import HessianProducts, JacobianProducts
from gan_geometry.core.pullback import Pullback
from gan_geometry.progress import Progress, report


def compute(pb: Pullback, *, chunk: int, progress: Progress | None = None, feature_dim: int | None = None,
            compiled: bool = False, **_) -> MethodOutput:
    if pb.D.has_features:
        J = pb.feature_products(feature_dim, compiled).matrix(chunk, progress).to(torch.float64)
        return full_output(2 * (J.T @ J))  # the factor on the (n, n) product, not on the (F, n) J
    J = JacobianProducts(pb.image, pb.z0, pb.image_dim).matrix(chunk, progress, "generator ")  # (P, n)
    report(progress, 1.0, "image-space Hessian products")
    x0 = pb.x0[0]
    K = HessianProducts(lambda x: pb.D(pb.x0, x.reshape(1, *x0.shape))[0], x0.flatten())
    KJ = K.batched(J.T.contiguous(), chunk)  # (n, P)
    return full_output(J.T.to(torch.float64) @ KJ.T.to(torch.float64))

"""Exact metric from batched Jacobian products, for any distance minimised at the reference.

Squared feature distances (LPIPS, MSE): D(x0, x) = ||psi(x) - psi(x0)||^2. The residual
psi(G(z)) - psi(G(z0)) vanishes at z0, so the Gauss-Newton term is the whole Hessian:

    H(z0) = 2 J^T J,     J = d psi(G(z)) / dz    (F, n)

Other distances (1 - SSIM, ...): D(x0, .) has its minimum at x0, so its image gradient vanishes
there and only the curvature term survives:

    H(z0) = J^T K J,     J = d G(z) / dz    (P, n),    K = d^2/dx^2 D(x0, x) |_{x = x0}    (P, P)

K is never formed: K J comes from n image-space Hessian-vector products through D alone
(forward-over-reverse, ``vmap`` over ``jvp`` of ``grad``), cheap next to the generator.

J is built from batched forward-mode products (``vmap`` over ``jvp``: one column per basis
vector) when its output dimension is at least n, else from batched reverse-mode products
(``vmap`` over ``vjp``: one row per output), ``chunk`` at a time to bound memory.

Transforms run under ``gan_geometry.core.forward_mode.FORWARD_MODE_LOCK`` (forward-mode AD state is
process-global). With ``compiled``, the forward-mode products of a feature distance run compiled
(``gan_geometry.core.compiled``: within 1e-5 relative of the eager ones, checked on first use).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.func import grad, jvp, vjp, vmap

from gan_geometry.core.compiled import compiled_push, eager_push
from gan_geometry.core.forward_mode import FORWARD_MODE_LOCK, quiet_transforms
from gan_geometry.core.methods.common import MethodOutput, full_output
from gan_geometry.core.pullback import Pullback
from gan_geometry.progress import Progress, report


def block_jacobian(f: Callable[[torch.Tensor], torch.Tensor], z0: torch.Tensor, out_dim: int, chunk: int,
                   progress: Progress | None = None, label: str = "",
                   compile_for: tuple[torch.nn.Module, torch.nn.Module] | None = None) -> torch.Tensor:
    """J = d f / dz at z0, shape (out_dim, n), for f: (n,) -> (out_dim,). ``compile_for``: the
    (generator, distance) whose compiled forward-mode product to use (``core.compiled``)."""
    n = z0.shape[0]
    if out_dim >= n:
        basis = torch.eye(n, dtype=z0.dtype, device=z0.device)
        columns = []
        for start in range(0, n, chunk):
            V = basis[start:start + chunk]
            push = compiled_push(*compile_for, f, z0, V.shape[0]) if compile_for else eager_push(f)
            columns.append(push(z0, V))  # (c, n) -> (c, out_dim)
            report(progress, min(start + chunk, n) / n, f"{label}forward-mode columns {min(start + chunk, n)}/{n}")
        return (columns[0] if len(columns) == 1 else torch.cat(columns)).T
    _, pull_fn = vjp(f, z0)
    pull = vmap(lambda u: pull_fn(u)[0])  # (c, out_dim) -> (c, n)
    basis = torch.eye(out_dim, dtype=z0.dtype, device=z0.device)
    rows = []
    for start in range(0, out_dim, chunk):
        rows.append(pull(basis[start:start + chunk]))
        report(progress, min(start + chunk, out_dim) / out_dim,
               f"{label}reverse-mode rows {min(start + chunk, out_dim)}/{out_dim}")
    return torch.cat(rows)


def jacobian(pb: Pullback, chunk: int, progress: Progress | None = None, feature_dim: int | None = None,
             compiled: bool = False) -> torch.Tensor:
    """J = d psi(G(z)) / dz at z0, shape (F, n); ``feature_dim`` F when known (else one forward
    finds it); ``compiled``: by the compiled forward-mode product."""
    return block_jacobian(pb.features, pb.z0, feature_dim or pb.feature_dim(), chunk, progress,
                          compile_for=(pb.G, pb.D) if compiled else None)


def image_hessian_products(pb: Pullback, V: torch.Tensor, chunk: int) -> torch.Tensor:
    """K V for image-space directions V (m, P), K the Hessian of x -> D(x0, x) at x0: (m, P)."""
    x0 = pb.x0[0]
    gradient = grad(lambda x: pb.D(pb.x0, x[None])[0])
    hvp = vmap(lambda v: jvp(gradient, (x0,), (v.reshape(x0.shape),))[1].flatten())
    return torch.cat([hvp(V[start:start + chunk]) for start in range(0, V.shape[0], chunk)])


def compute(pb: Pullback, *, chunk: int, progress: Progress | None = None, feature_dim: int | None = None,
            compiled: bool = False, **_) -> MethodOutput:
    with FORWARD_MODE_LOCK, quiet_transforms():
        if pb.D.has_features:
            J = jacobian(pb, chunk, progress, feature_dim, compiled).to(torch.float64)
            return full_output(2 * (J.T @ J))  # the factor on the (n, n) product, not on the (F, n) J
        J = block_jacobian(pb.image, pb.z0, pb.image_dim, chunk, progress, "generator ")  # (P, n)
        report(progress, 1.0, "image-space Hessian products")
        KJ = image_hessian_products(pb, J.T.contiguous(), chunk)  # (n, P)
    return full_output(J.T.to(torch.float64) @ KJ.T.to(torch.float64))

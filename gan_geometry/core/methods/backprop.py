"""The paper's reference method (Appendix A.2, "BP"): full double back-propagation.

Build the graph to g(z) = d d2 / dz at z0, then back-propagate each of its n entries:
row i of H is d g_i / dz. Cost: n second-order backward passes, one latent at a time.
"""

from __future__ import annotations

import torch

from gan_geometry.core.methods.common import MethodOutput, full_output
from gan_geometry.core.pullback import Pullback
from gan_geometry.progress import Progress, report


def hessian_rows(pb: Pullback, progress: Progress | None = None) -> torch.Tensor:
    """The raw Hessian (n, n), row i = d g_i / dz at z0, not symmetrised: symmetric only up to
    rounding when the double back-propagation is right."""
    g, z = pb.gradient(pb.z0, create_graph=True)
    rows = []
    for i in range(pb.n):
        (row,) = torch.autograd.grad(g[i], z, retain_graph=i < pb.n - 1)
        rows.append(row)
        report(progress, (i + 1) / pb.n, f"backward rows {i + 1}/{pb.n}")
    return torch.stack(rows)


def compute(pb: Pullback, *, progress: Progress | None = None, **_) -> MethodOutput:
    return full_output(hessian_rows(pb, progress))

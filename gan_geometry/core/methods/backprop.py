"""The paper's reference method (Appendix A.2, "BP"): full double back-propagation.

Build the graph to g(z) = d d2 / dz at z0, then back-propagate each of its n entries:
row i of H is d g_i / dz (``products.HessianProducts.rows``). Cost: n second-order backward
passes, one latent at a time.
"""

from __future__ import annotations

from gan_geometry.core.methods.common import MethodOutput, full_output
from gan_geometry.core.pullback import Pullback
from gan_geometry.progress import Progress


def compute(pb: Pullback, *, progress: Progress | None = None, **_) -> MethodOutput:
    return full_output(pb.hessian_products().rows(progress))

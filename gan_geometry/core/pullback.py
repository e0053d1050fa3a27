"""The image distance pulled back to latent space around a reference code.

``d2(z) = D(G(z0), G(z))`` for a fixed reference image ``G(z0)``. Its Hessian at ``z0`` is the
metric tensor, H = d^2/dz^2 d2(z) at z = z0 (Wang & Ponce 2021, section 2). Every metric method
works on a ``Pullback`` and takes its derivatives from its operators (``core.products``):
``feature_products`` (J of psi(G(z)), for squared feature distances) and ``hessian_products``
(H of d2 itself, for any twice-differentiable distance).
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass

import torch

from gan_geometry.core.distances import Distance
from gan_geometry.core.generators import Generator
from gan_geometry.core.products import HessianProducts, JacobianProducts


@dataclass
class Pullback:
    """``G``, ``D`` and the reference code ``z0`` (latent_dim,). The reference image
    ``x0 = G(z0)`` (1, C, H, W) is computed on first use only: the exact methods never need it
    (their forward-mode pass carries the primal)."""

    G: Generator
    D: Distance
    z0: torch.Tensor

    @functools.cached_property
    def x0(self) -> torch.Tensor:
        with torch.no_grad():
            return self.G(self.z0[None])

    @property
    def n(self) -> int:
        return self.z0.shape[0]

    def d2(self, z: torch.Tensor) -> torch.Tensor:
        """Scalar squared distance D(G(z0), G(z)) for one code z (n,)."""
        return self.D(self.x0, self.G(z[None]))[0]

    def gradient(self, z: torch.Tensor, create_graph: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """``(g, z_leaf)``: g = d d2 / dz at ``z`` (n,), and the leaf it was taken against
        (differentiate g further against ``z_leaf`` when ``create_graph``)."""
        z_leaf = z.detach().clone().requires_grad_(True)
        (g,) = torch.autograd.grad(self.d2(z_leaf), z_leaf, create_graph=create_graph)
        return g, z_leaf

    def features(self, z: torch.Tensor) -> torch.Tensor:
        """psi(G(z)) (F,) for one code z (n,); requires a feature distance."""
        return self.D.features(self.G(z[None]))[0]

    def image(self, z: torch.Tensor) -> torch.Tensor:
        """G(z) flattened (P,) for one code z (n,)."""
        return self.G(z[None])[0].flatten()

    @property
    def image_dim(self) -> int:
        """P = C * H * W of the generator's images."""
        C, H, W = self.G.image_shape
        return C * H * W

    def feature_products(self, feature_dim: int | None = None, compiled: bool = False) -> JacobianProducts:
        """Products with J = d psi(G(z)) / dz at z0 (F, n); ``feature_dim`` F when known;
        ``compiled``: forward-mode products by ``core.compiled``."""
        return JacobianProducts(self.features, self.z0, feature_dim, (self.G, self.D) if compiled else None)

    def hessian_products(self) -> HessianProducts:
        """Products with H = d^2 d2 / dz^2 at z0 (n, n), the metric itself."""
        return HessianProducts(self.d2, self.z0)

    def feature_dim(self) -> int:
        with torch.no_grad():
            return self.D.features(self.x0).shape[1]

    def to(self, dtype: torch.dtype) -> Pullback:
        """A copy whose generator, distance and code are in ``dtype`` (the originals are untouched)."""
        if dtype == self.z0.dtype:
            return self
        return Pullback(copy.deepcopy(self.G).to(dtype), copy.deepcopy(self.D).to(dtype), self.z0.to(dtype))

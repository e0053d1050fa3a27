"""``linear-toy``: a linear generator whose pull-back metric is known in closed form (for tests)."""

from __future__ import annotations

import torch
from torch import nn

from gan_geometry.core.generators import Generator
from gan_geometry.errors import GeometryError


class LinearMap(nn.Module):
    """``x = A z + b`` (N, P).

    With MSE over P = C*H*W pixels, d2(z0, z) = ||A (z - z0)||^2 / P, so H = 2 A^T A / P and the
    eigenvalues are 2 s_i^2 / P for the singular values s_i of A.
    """

    def __init__(self, A: torch.Tensor, b: torch.Tensor):
        super().__init__()
        self.register_buffer("A", A)
        self.register_buffer("b", b)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return z @ self.A.T + self.b


def build_linear_toy(
    space: str = "default", latent_dim: int = 8, image_size: int = 8, channels: int = 3,
    condition: float = 100.0, seed: int = 0,
) -> Generator:
    """A = U diag(s) V^T with random orthonormal U (P, n), V (n, n) from ``seed`` and singular
    values log-spaced over ``condition`` (s_max / s_min), scaled so pixels have an RMS standard
    deviation of 0.07 around b = 0.5 for z ~ N(0, I): outputs stay in [0, 1] for typical codes
    (they are not clamped, which would break linearity).
    """
    pixels = channels * image_size * image_size
    if latent_dim > pixels:
        raise GeometryError(f"linear-toy needs latent_dim <= channels*image_size^2 = {pixels}, got {latent_dim}")
    from gan_geometry.core.cost import ResourceError, memory_cap
    from gan_geometry.presentation.formats import size

    needed = 8 * 3 * pixels * latent_dim  # U, then U * s and its product with V^T, in float64
    if needed > memory_cap():
        raise ResourceError(f"linear-toy with latent_dim {latent_dim} and {pixels} pixels needs about {size(needed)} "
                            f"to build; this machine allows {size(memory_cap())}: use a smaller latent_dim or "
                            f"image_size")
    rng = torch.Generator().manual_seed(seed)
    U, _ = torch.linalg.qr(torch.randn(pixels, latent_dim, generator=rng, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(latent_dim, latent_dim, generator=rng, dtype=torch.float64))
    s = torch.logspace(0, -torch.log10(torch.tensor(condition)).item(), latent_dim, dtype=torch.float64)
    s = s * 0.07 * (pixels / (s**2).sum()).sqrt()
    net = LinearMap(((U * s) @ V.T).float(), torch.full((pixels,), 0.5))
    return Generator(net, name="linear-toy", space=space, latent_dim=latent_dim,
                     image_shape=(channels, image_size, image_size), output_range=(0.0, 1.0),
                     source=f"built in (seeded random A, seed={seed})", licence="MIT",
                     first_layer=net.A, pca_layer="module", block_layers=["module"])

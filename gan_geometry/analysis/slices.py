"""Maps of the metric over a 2-D slice of the latent space (Michelis et al. 2021, Fig. 1).

Michelis' latent spaces are two-dimensional, so their Fig. 1 maps the whole metric. Here the slice
is the plane through z0 spanned by two orthonormal directions B = [u1, u2] (n, 2) (by default the
top two eigenvectors of the metric at z0), and each point z = z0 + a u1 + b u2 of a grid carries
the metric restricted to the plane, the 2 x 2 pull-back of the plane's own coordinates:

    M(a, b) = B^T H(z) B        = 2 (J B)^T (J B) for squared feature distances (two JVPs)

with its condition number lambda_1 / lambda_2 (how anisotropic the plane is there), its
log-determinant log(lambda_1 lambda_2) (log of the squared area element: how fast the output
changes at all) and its top eigenvector, a direction in the plane (the field of fastest change,
defined up to sign). A homogeneous geometry gives flat maps and a parallel field.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gan_geometry.core.distances import Distance
from gan_geometry.core.generators import Generator
from gan_geometry.core.pullback import Pullback
from gan_geometry.errors import GeometryError
from gan_geometry.progress import Progress, report


@dataclass
class SliceMaps:
    """Over the grid ``offsets`` (G,) x ``offsets`` (a along u1, b along u2; in latent units):
    ``condition`` (G, G), ``log_det`` (G, G), ``direction`` (G, G, 2) unit vectors in (a, b)
    coordinates, at ``z0`` (n,) with ``axes`` (n, 2); ``labels`` name the axes. Rows index b,
    columns a."""

    z0: np.ndarray
    axes: np.ndarray
    offsets: np.ndarray
    condition: np.ndarray
    log_det: np.ndarray
    direction: np.ndarray
    labels: tuple[str, str]


def plane_metric(G: Generator, D: Distance, z: np.ndarray, axes: np.ndarray) -> np.ndarray:
    """M = B^T H(z) B (2, 2) for the plane's directions ``axes`` B (n, 2)."""
    pb = Pullback(G, D, G.check_latent(z))
    B = torch.as_tensor(axes.T, dtype=pb.z0.dtype, device=pb.z0.device)
    if D.has_features:
        P = pb.feature_products().push(B).double()  # (2, F): the plane's directions pushed forward
        return (2 * P @ P.T).cpu().numpy()
    hessian = pb.hessian_products()
    return (B.double() @ torch.stack([hessian.hvp(b) for b in B]).double().T).cpu().numpy()


def slice_maps(G: Generator, D: Distance, z0: np.ndarray, axes: np.ndarray, extent: float = 2.0, size: int = 11,
               labels: tuple[str, str] = ("u1", "u2"), progress: Progress | None = None) -> SliceMaps:
    """The maps over a ``size`` x ``size`` grid of offsets in [-extent, extent] along ``axes`` (n, 2),
    which are orthonormalised first."""
    axes = np.asarray(axes, dtype=np.float64)
    if axes.ndim != 2 or axes.shape[1] != 2 or axes.shape[0] != G.latent_dim:
        raise GeometryError(f"a slice is spanned by two directions of shape ({G.latent_dim}, 2); got {axes.shape}")
    if not (np.isfinite(extent) and extent > 0) or not 3 <= size <= 41:
        raise GeometryError(f"the slice needs a positive extent and a grid of 3..41 points a side; got {extent}, "
                            f"{size}")
    axes = np.linalg.qr(axes)[0]
    offsets = np.linspace(-extent, extent, size)
    z0 = np.asarray(z0, dtype=np.float64)
    condition, log_det, direction = np.empty((size, size)), np.empty((size, size)), np.empty((size, size, 2))
    for row, b in enumerate(offsets):
        for column, a in enumerate(offsets):
            values, vectors = np.linalg.eigh(plane_metric(G, D, z0 + a * axes[:, 0] + b * axes[:, 1], axes))
            low, high = max(values[0], 0.0), values[1]
            condition[row, column] = high / low if low > 0 else np.inf
            log_det[row, column] = np.log(low * high) if low > 0 else -np.inf
            top = vectors[:, 1]
            direction[row, column] = top if top[0] >= 0 else -top  # a direction: the sign is arbitrary
        report(progress, (row + 1) / size, f"slice row {row + 1}/{size}")
    return SliceMaps(z0, axes, offsets, condition, log_det, direction, labels)

"""Walking along latent axes: montages and distance curves (paper section 4, Fig. 3-4; A.9).

Codes along axis u (unit, n) from z0 at step mu:

- ``linear``:    z = z0 + mu * u
- ``spherical``: the great circle through z0 of radius |z0| in the direction of u's tangent part
  u_t = u - (u . z0_hat) z0_hat: z(t) = cos(t) z0 + sin(t) |z0| u_t / |u_t| (t in radians), so
  |z| = |z0| all along.

``scale_by_eigval``: the step of the axis with eigenvalue lambda is mu / sqrt(lambda). Since
d2(z0, z0 + mu u) ~= mu^2 lambda / 2, every row then reaches about the same distance
d2 ~= s^2 / 2 at step s: the steps are in units of predicted image change, not latent length.

Eigen-ranks count from 1 (rank 1 = the largest eigenvalue), on every surface and in these
functions' ``ranks`` arguments; column labels and distance curves follow the mode and scaling.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from gan_geometry.core import sound
from gan_geometry.core.distances import Distance
from gan_geometry.core.generators import Generator
from gan_geometry.errors import GeometryError, unknown
from gan_geometry.io.storage import atomic_path
from gan_geometry.presentation.formats import axis_label, step_label

MODES = ("linear", "spherical")


def axis_codes(z0: np.ndarray, axes: np.ndarray, steps: np.ndarray, mode: str = "linear",
               scales: np.ndarray | None = None) -> np.ndarray:
    """Codes (R, S, n) along each column of ``axes`` (n, R) at ``steps`` (S,), each row's steps
    multiplied by ``scales`` (R,) when given."""
    if mode not in MODES:
        raise unknown("traversal mode", mode, MODES)
    z0, axes, steps = (np.asarray(a, dtype=np.float64) for a in (z0, axes, steps))
    if steps.ndim != 1 or not np.isfinite(steps).all():
        raise GeometryError(f"steps must be finite numbers; got {steps.tolist()}")
    if axes.ndim != 2 or axes.shape[0] != z0.shape[0]:
        raise GeometryError(f"axes must have shape ({z0.shape[0]}, R); got {axes.shape}")
    norms = np.linalg.norm(axes, axis=0)
    if not np.isfinite(axes).all() or (norms == 0).any():
        raise GeometryError("axes must be finite and non-zero")
    u = axes / norms
    mu = steps[None, :] * (np.ones(u.shape[1]) if scales is None else np.asarray(scales))[:, None]  # (R, S)
    if mode == "linear":
        return z0[None, None, :] + mu[:, :, None] * u.T[:, None, :]
    radius = np.linalg.norm(z0)
    if radius == 0:
        raise GeometryError("spherical traversal needs a non-zero reference code")
    z_hat = z0 / radius
    tangent = u - np.outer(z_hat, z_hat @ u)
    t_norms = np.linalg.norm(tangent, axis=0)
    if (t_norms < 1e-12).any():
        raise GeometryError("an axis is parallel to the reference code; it has no spherical direction")
    tangent = tangent / t_norms
    return (np.cos(mu)[:, :, None] * z0[None, None, :]
            + np.sin(mu)[:, :, None] * radius * tangent.T[:, None, :])


def check_ranks(ranks: list[int], n: int) -> list[int]:
    """``ranks`` (1 = largest eigenvalue) as a list, or an error naming the range 1..n (n: the
    eigenpairs computed: the latent dimension, or k for a top-k metric)."""
    ranks = [int(r) for r in ranks]
    if not ranks or min(ranks) < 1 or max(ranks) > n:
        raise GeometryError(f"ranks must lie in 1..{n} (1 = the largest eigenvalue); got {ranks}")
    return ranks


def eigen_scales(eigvals: np.ndarray, ranks: list[int]) -> np.ndarray:
    """1 / sqrt(lambda_rank) for each rank (1-based); refuses non-positive eigenvalues."""
    lam = np.asarray(eigvals)[[r - 1 for r in ranks]]
    if (lam <= 0).any():
        raise GeometryError("cannot scale steps by 1/sqrt(lambda): some chosen ranks have eigenvalue <= 0")
    return 1 / np.sqrt(lam)


@dataclass
class Montage:
    """Images (R, S, C, H, W) in [0, 1] for R rows (axes or references) and S steps, the codes
    (R, S, n) that made them, and labels for rows and columns."""

    images: np.ndarray
    codes: np.ndarray
    row_labels: list[str]
    column_labels: list[str]

    def grid(self, padding: int = 2, label_width: int = 120, label_height: int = 26, min_tile: int = 96,
             font_size: int = 18) -> np.ndarray:
        """A labelled uint8 RGB grid (height, width, 3): row labels on the left (the label column
        at least ``label_width`` pixels, wider where a label needs it), column labels on top, white
        background; tiles smaller than ``min_tile`` pixels are upscaled by the nearest-neighbour
        integer factor ceil(min_tile / side) so they read at a glance."""
        from PIL import Image, ImageDraw

        from gan_geometry.presentation.fonts import drawable, label_font

        tiles = upscale(self.images, min_tile)
        R, S, C, H, W = tiles.shape
        if C == 1:
            tiles = np.repeat(tiles, 3, axis=2)
        font = label_font(font_size)
        row_labels = [drawable(text, font) for text in self.row_labels]
        label_width = max(label_width, *(int(font.getlength(text)) + 12 for text in row_labels))
        width = label_width + S * (W + padding) + padding
        height = label_height + R * (H + padding) + padding
        canvas = Image.new("RGB", (width, height), "white")
        draw = ImageDraw.Draw(canvas)
        for s, text in enumerate(self.column_labels):
            draw.text((label_width + s * (W + padding) + padding + W // 2, label_height // 2), drawable(text, font),
                      fill="black", font=font, anchor="mm")
        for r, text in enumerate(row_labels):
            top = label_height + r * (H + padding) + padding
            draw.text((4, top + H // 2), text, fill="black", font=font, anchor="lm")
            for s in range(S):
                tile = Image.fromarray(tiles[r, s].transpose(1, 2, 0))
                canvas.paste(tile, (label_width + s * (W + padding) + padding, top))
        return np.asarray(canvas)

    def save_png(self, path: str | Path) -> Path:
        from PIL import Image

        path = Path(path)
        with atomic_path(path) as tmp:
            Image.fromarray(self.grid()).save(tmp, format="PNG")
        return path


def upscale(images: np.ndarray, min_side: int) -> np.ndarray:
    """Images (..., C, H, W) in [0, 1] -> uint8 (..., C, kH, kW), k = ceil(min_side / min(H, W))
    (at least 1), each pixel repeated k x k (nearest neighbour: no blur on small images).
    Waveforms are shown as their spectrograms (``sound.displayable``)."""
    tiles = (np.clip(sound.displayable(images), 0, 1) * 255).round().astype(np.uint8)
    k = max(1, -(-min_side // min(tiles.shape[-2:])))
    return tiles.repeat(k, axis=-2).repeat(k, axis=-1) if k > 1 else tiles


def check_reach(G: Generator, codes: np.ndarray) -> None:
    """Refuse codes (..., n) that the steps took far outside the latent distribution (the rule
    of ``Generator.check_latent``), before any image is made or any number printed."""
    largest = float(np.abs(codes).max()) if np.isfinite(codes).all() else float("inf")
    if G.far_outside(largest):
        raise GeometryError(f"the steps take the latent code to entries up to {largest:.3g}, far outside what "
                            f"{G.name} draws (about {G.typical_magnitude:.3g}); use smaller steps")


def render(G: Generator, codes: np.ndarray, batch: int = 64) -> np.ndarray:
    """Images (..., C, H, W) for codes (..., n), in batches, without gradients. Codes the steps
    took far out (``check_reach``), or where the generator returns NaN or inf, are refused."""
    check_reach(G, codes)
    flat = torch.as_tensor(codes.reshape(-1, codes.shape[-1]), dtype=G.dtype, device=G.device)
    with torch.no_grad():
        images = torch.cat([G(flat[i:i + batch]) for i in range(0, flat.shape[0], batch)])
    if not torch.isfinite(images).all():
        raise GeometryError(f"{G.name} returned NaN or inf at these codes (largest code norm "
                            f"{float(flat.norm(dim=1).max()):.3g}); use smaller steps")
    return images.cpu().numpy().reshape(*codes.shape[:-1], *images.shape[1:])


def step_labels(steps: np.ndarray, mode: str, scaled: bool = False) -> list[str]:
    """Column labels: the step, its unit (radians on the sphere) and "/√λ" when every row's step
    is divided by sqrt(lambda) of its axis (``presentation.formats.step_label``)."""
    return [step_label(s, mode, scaled) for s in steps]


def traverse(G: Generator, z0: np.ndarray, axes: np.ndarray, steps: np.ndarray, mode: str = "linear",
             labels: list[str] | None = None, scales: np.ndarray | None = None) -> Montage:
    """Rows of images along each axis (n, R) from ``z0``."""
    z0 = G.check_latent(z0).cpu().double().numpy()
    codes = axis_codes(z0, axes, steps, mode, scales)
    labels = labels or [f"axis {i + 1}" for i in range(codes.shape[0])]
    return Montage(render(G, codes), codes, list(labels), step_labels(np.asarray(steps), mode, scales is not None))


def eigen_traversal(G: Generator, z0: np.ndarray, eigvals: np.ndarray, eigvecs: np.ndarray, ranks: list[int],
                    steps: np.ndarray, mode: str = "linear", scale_by_eigval: bool = False,
                    axis_labels: dict[int, str] | None = None) -> Montage:
    """Montage along the eigenvectors of the chosen ``ranks`` (1 = largest eigenvalue); rows are
    labelled as the app's sliders are, "rank r · λ value · label" (``formats.axis_label``), with
    any semantic label in ``axis_labels`` (keyed by rank)."""
    ranks = check_ranks(ranks, eigvecs.shape[1])
    scales = eigen_scales(eigvals, ranks) if scale_by_eigval else None
    labels = [axis_label(r, eigvals[r - 1], (axis_labels or {}).get(r, "")) for r in ranks]
    return traverse(G, z0, eigvecs[:, [r - 1 for r in ranks]], steps, mode, labels, scales)


def apply_to_references(G: Generator, references: np.ndarray, axis: np.ndarray, steps: np.ndarray,
                        mode: str = "linear") -> Montage:
    """The same axis (n,) applied to several reference codes (K, n): one row per reference."""
    references = np.asarray(references, dtype=np.float64)
    rows = [axis_codes(z, np.asarray(axis)[:, None], steps, mode)[0] for z in references]
    codes = np.stack(rows)
    return Montage(render(G, codes), codes, [f"ref {k + 1}" for k in range(len(rows))], step_labels(steps, mode))


@dataclass
class DistanceCurves:
    """d2 (R, S) along the eigenvectors of ``ranks`` (1-based) at ``steps`` (S,), beside the
    quadratic prediction delta^T H delta / 2 (H is the Hessian of d2) for the actual displacement
    delta: mu^2 lambda_r / 2 on a line, with mu = s / sqrt(lambda_r) when ``scaled``; on the sphere
    t^2 |z0|^2 t_hat^T H t_hat / 2 for the tangent direction t_hat at angle t."""

    ranks: list[int]
    steps: np.ndarray
    distances: np.ndarray
    predicted: np.ndarray
    mode: str = "linear"
    scaled: bool = False


def curve_steps(max_step: float, n: int = 41, decades: int = 3) -> np.ndarray:
    """Steps (n,) for a distance curve on a log axis: 0, and on each side geometrically spaced
    magnitudes from ``max_step`` * 10**-decades up to ``max_step``, so the dip to d2 = 0 at
    mu = 0 shows instead of being jumped over."""
    half = np.geomspace(max_step * 10.0**-decades, max_step, (n - 1) // 2)
    return np.concatenate([-half[::-1], [0.0], half])


def distance_curves(G: Generator, D: Distance, z0: np.ndarray, eigvals: np.ndarray, eigvecs: np.ndarray,
                    ranks: list[int], steps: np.ndarray, mode: str = "linear", scale_by_eigval: bool = False,
                    batch: int = 64) -> DistanceCurves:
    """d2(z0, z) along each rank's eigenvector (ranks 1-based) at every step in ``steps`` (S,),
    moving as the montage does (``mode``, ``scale_by_eigval``), and the quadratic prediction;
    ``eigvals`` (K,), ``eigvecs`` (n, K) columns (K pairs computed, all n or a top k)."""
    z0_t = G.check_latent(z0)
    steps = np.asarray(steps, dtype=np.float64)
    ranks = check_ranks(ranks, eigvecs.shape[1])
    index = [r - 1 for r in ranks]
    lam = np.asarray(eigvals, dtype=np.float64)
    scales = eigen_scales(lam, ranks) if scale_by_eigval else np.ones(len(ranks))
    z0_np = z0_t.cpu().double().numpy()
    codes = axis_codes(z0_np, eigvecs[:, index], steps, mode, scales if scale_by_eigval else None)
    check_reach(G, codes)
    flat = torch.as_tensor(codes.reshape(-1, codes.shape[-1]), dtype=G.dtype, device=G.device)
    with torch.no_grad():
        x0 = G(z0_t[None])
        d2 = torch.cat([D(x0, G(flat[i:i + batch])) for i in range(0, flat.shape[0], batch)])
    distances = d2.cpu().double().numpy().reshape(len(ranks), len(steps))
    if not np.isfinite(distances).all():
        raise GeometryError("the distance is NaN or inf along these steps; use smaller steps")
    mu = steps[None, :] * scales[:, None]  # (R, S): latent length on a line, radians on the sphere
    if mode == "linear":
        speed = lam[index]  # u_r^T H u_r
    else:
        radius = np.linalg.norm(z0_np)
        u = eigvecs[:, index]
        tangent = u - np.outer(z0_np / radius, (z0_np / radius) @ u)
        tangent /= np.linalg.norm(tangent, axis=0)
        speed = radius**2 * ((eigvecs.T @ tangent) ** 2 * lam[:, None]).sum(0)  # |z0|^2 t_hat^T H t_hat
    predicted = 0.5 * mu**2 * speed[:, None]
    if not np.isfinite(predicted).all():
        raise GeometryError(f"steps up to {float(np.abs(mu).max()):.3g} overflow the quadratic prediction; use "
                            f"smaller steps")
    return DistanceCurves(ranks, steps, distances, predicted, mode, scale_by_eigval)


@dataclass
class Exploration:
    """One point of live exploration: the code ``z`` = z0 + delta (n,), its image (C, H, W) in
    [0, 1], the measured d2 = D(G(z0), G(z)) and the quadratic prediction delta^T H delta / 2."""

    z: np.ndarray
    image: np.ndarray
    distance: float
    predicted: float


def explore(G: Generator, D: Distance, z0: np.ndarray, eigvals: np.ndarray, eigvecs: np.ndarray,
            coefficients: np.ndarray, scale_by_eigval: bool = False, x0: torch.Tensor | None = None) -> Exploration:
    """Move from ``z0`` along the top-k eigenvectors: delta = sum_i c_i s_i u_i with
    ``coefficients`` c (k,), s_i = 1 / sqrt(lambda_i) when ``scale_by_eigval`` else 1. Since
    the u_i are orthonormal, delta^T H delta / 2 = sum_i lambda_i (c_i s_i)^2 / 2. ``x0``: the
    image of z0 (1, C, H, W) when the caller has it (one forward less per move)."""
    c = np.asarray(coefficients, dtype=np.float64)
    if c.ndim != 1 or not np.isfinite(c).all():
        raise GeometryError(f"axis coefficients must be finite numbers; got {c.tolist()}")
    k = c.shape[0]
    if k > eigvecs.shape[1]:
        raise GeometryError(f"{k} coefficients for {eigvecs.shape[1]} eigenvectors")
    steps = c * (eigen_scales(eigvals, list(range(1, k + 1))) if scale_by_eigval else 1.0)
    z0 = G.check_latent(z0).cpu().double().numpy()
    z = z0 + eigvecs[:, :k] @ steps
    image = render(G, z[None])[0]
    with torch.no_grad():
        x = torch.as_tensor(image[None], dtype=G.dtype, device=G.device)
        reference = x0 if x0 is not None else torch.as_tensor(render(G, z0[None]), dtype=G.dtype, device=G.device)
        distance = float(D(reference, x)[0])
    return Exploration(z, image, distance, float(0.5 * (np.asarray(eigvals)[:k] * steps**2).sum()))

"""Michelis et al. (2021), "On Linear Interpolation in the Latent Space of Deep Generative Models",
as published (its text, its footnote and its code, mmichelis/GenerativeLatentSpace):

- **The endpoint rule** (§2.3, Algorithm 1, ``MNIST_MCimprovement.py``): sample a start z_s from
  the latent distribution; take the top eigenvector u of the pull-back metric at z_s, its sign
  aligned towards the origin ("so that the end point does not lie in regions where the generator
  was not trained", footnote 1); the end is z_e = z_s - step * sign(z_s . u) u. The relative
  improvement of the shortest curve found over the straight line, (L_line - L_curve) / L_line, is
  averaged over many starts: the "expected worst-case relative improvement". Its code's step
  sizes: 1.0 (``MNIST_MCimprovement.py``), 0.5 (``MNIST_MCcompare.py``); ``STEPS``.
- **Comparing two models** (§3, Appendix D, ``MNIST_MCcompare.py``): the same pairs of outputs,
  placed in each model's latent space (the paper encodes data points; for GANs without an
  encoder it suggests searching for the closest latent points: here the pairs are outputs of model
  A at sampled codes, found in model B's space by inversion), a relative improvement per pair and
  model, the two histograms side by side, and the pairs whose improvements are similar
  (|r_A - r_B| <= ``threshold``): those interpolations are comparable between the models.

Curves are shortened by ``paths.shorten`` (cubic B-splines with clamped ends, knot insertion on a
plateau), lengths measured under the pull-back metric of the distance D.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from gan_geometry.applications.inversion import Coordinates, invert
from gan_geometry.applications.paths import shorten
from gan_geometry.core.distances import Distance
from gan_geometry.core.generators import Generator
from gan_geometry.core.metric import metric_tensor
from gan_geometry.errors import GeometryError
from gan_geometry.progress import Progress, part, report

STEPS = (1.0, 0.5)  # the step sizes of the paper's code: Monte Carlo improvement, two-model comparison


def endpoint(start: np.ndarray, top: np.ndarray, step: float) -> np.ndarray:
    """The end of Michelis' segment from ``start`` (n,) along its metric's top eigenvector ``top``
    (n,): z_e = z_s - step * sign(z_s . u) u, so the segment runs towards the origin."""
    sign = np.sign(float(np.dot(start, top))) or 1.0
    return np.asarray(start, dtype=np.float64) - step * sign * np.asarray(top, dtype=np.float64)


@dataclass
class Improvements:
    """Per pair: start and end codes (P, n), straight and shortened lengths (P,), and the relative
    improvement (L_line - L_curve) / L_line (P,)."""

    starts: np.ndarray
    ends: np.ndarray
    line_lengths: np.ndarray
    curve_lengths: np.ndarray

    @property
    def improvements(self) -> np.ndarray:
        return (self.line_lengths - self.curve_lengths) / self.line_lengths

    def summary(self) -> dict:
        r = self.improvements
        return {"mean": float(r.mean()), "std": float(r.std(ddof=1)) if r.size > 1 else 0.0, "min": float(r.min()),
                "max": float(r.max())}


def improvements(G: Generator, D: Distance, starts: np.ndarray, ends: np.ndarray, progress: Progress | None = None,
                 **shorten_options) -> Improvements:
    """Shorten the straight line between each start and end (P, n) and measure both."""
    lines, curves = [], []
    for p, (z0, z1) in enumerate(zip(starts, ends, strict=True)):
        result = shorten(G, D, z0, z1, **shorten_options)
        lines.append(result.line_length.length)
        curves.append(result.curve_length.length)
        report(progress, (p + 1) / len(starts), f"pair {p + 1}/{len(starts)}: improvement {result.improvement:.3f}")
    return Improvements(np.asarray(starts, dtype=np.float64), np.asarray(ends, dtype=np.float64), np.array(lines),
                        np.array(curves))


def monte_carlo(G: Generator, D: Distance, pairs: int = 20, step: float = STEPS[0], seed: int = 0,
                progress: Progress | None = None, **shorten_options) -> Improvements:
    """Algorithm 1: ``pairs`` starts sampled with ``seed``, each end by ``endpoint`` at ``step``."""
    if pairs < 1 or not np.isfinite(step) or step <= 0:
        raise GeometryError(f"the experiment needs at least one pair and a positive step; got {pairs} pairs, step "
                            f"{step}")
    starts = G.sample(pairs, seed=seed).double().cpu().numpy()
    ends = np.stack([endpoint(z, metric_tensor(G, D, z, compiled=False).eigvecs[:, 0], step) for z in starts])
    return improvements(G, D, starts, ends, progress, **shorten_options)


def as_output_of(x: torch.Tensor, shape: tuple[int, int, int]) -> torch.Tensor:
    """Images (N, C, H, W) as another generator's outputs of ``shape``: channels averaged to one
    or one repeated to three, then resized (bilinear) to its height and width."""
    C, H, W = shape
    if x.shape[1] != C:
        x = x.mean(1, keepdim=True).expand(-1, C, -1, -1) if C in (1, 3) else x
    if x.shape[1] != C:
        raise GeometryError(f"outputs with {x.shape[1]} channels cannot be placed in a {C}-channel generator")
    return F.interpolate(x, size=(H, W), mode="bilinear", align_corners=False) if x.shape[-2:] != (H, W) else x


@dataclass
class ModelComparison:
    """Appendix D: the same pairs in models A and B (``Improvements`` each), how far model B's
    found codes are from reproducing A's outputs (``fit``: the inversion's final distance per
    pair end, (P, 2)), and which pairs are comparable (|r_A - r_B| <= ``threshold``)."""

    names: tuple[str, str]
    a: Improvements
    b: Improvements
    fit: np.ndarray
    threshold: float

    @property
    def comparable(self) -> np.ndarray:
        """Indices of the pairs whose relative improvements are similar in both models."""
        return np.flatnonzero(np.abs(self.a.improvements - self.b.improvements) <= self.threshold)


def compare_models(G_a: Generator, G_b: Generator, D: Distance, pairs: int = 10, seed: int = 0,
                   threshold: float = 0.05, inversion_steps: int = 200, progress: Progress | None = None,
                   **shorten_options) -> ModelComparison:
    """Pairs of outputs of model A at codes sampled with ``seed``; their codes in model B found by
    Adam inversion (``inversion_steps``, from B's sample 0 of ``seed``); the relative improvement of
    each pair in each model under the distance D."""
    if pairs < 1 or not 0 <= threshold <= 1:
        raise GeometryError(f"the comparison needs at least one pair and a threshold in 0..1; got {pairs}, "
                            f"{threshold}")
    codes_a = G_a.sample(2 * pairs, seed=seed).double().cpu().numpy()
    with torch.no_grad():
        targets = as_output_of(G_a(torch.as_tensor(codes_a, dtype=G_a.dtype, device=G_a.device)), G_b.image_shape)
    start = G_b.sample(1, seed=seed).double().cpu().numpy()
    plain = Coordinates.build("plain", G_b.latent_dim)
    found, fit = [], []
    for i, target in enumerate(targets):
        run = invert(G_b, D, target[None], start, plain, steps=inversion_steps)
        found.append(run.final_z[0])
        fit.append(float(run.distances[0, -1]))
        report(progress, 0.3 * (i + 1) / len(targets), f"placing output {i + 1}/{len(targets)} in {G_b.name}")
    codes_b = np.stack(found)
    a = improvements(G_a, D, codes_a[0::2], codes_a[1::2], part(progress, 0.3, 0.65), **shorten_options)
    b = improvements(G_b, D, codes_b[0::2], codes_b[1::2], part(progress, 0.65, 1.0), **shorten_options)
    return ModelComparison((G_a.name, G_b.name), a, b, np.array(fit).reshape(pairs, 2), threshold)

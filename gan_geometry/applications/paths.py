"""Curve lengths under the pull-back metric and shorter interpolation curves (Michelis et al. 2021).

A curve z(t), t in [0, 1], is cut into M segments at t_i = i / M. Since D is a squared distance
whose Hessian is the metric H, D(G(z_i), G(z_i+1)) ~= dz^T H dz / 2 for short segments, so the
Riemannian length is

    L = sum_i sqrt(2 D(G(z_i), G(z_i+1)))          (exact in the limit M -> infinity)

``curve_length`` also evaluates M / 2 segments and reports whether the two agree to ``rtol``.

Shorter curves: a clamped cubic B-spline z(t) = sum_j N_j(t) P_j with P_0 = z_start and
P_m = z_end fixed; Adam moves the interior control points to reduce L; when the length stops
improving (relative gain < ``plateau`` over ``patience`` steps) a knot is inserted in the middle
of the longest knot span (the current curve is refitted exactly on the refined basis), up to
``max_knots`` insertions. The shortest curve seen is returned, so it is never longer than the
straight line it starts from. Relative improvement: (L_line - L_curve) / L_line. Michelis et al.'s
experiments on top of these are in ``applications.michelis``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from scipy.interpolate import BSpline

from gan_geometry.core.distances import Distance
from gan_geometry.core.generators import Generator
from gan_geometry.errors import GeometryError
from gan_geometry.progress import Progress, report


def segment_lengths(G: Generator, D: Distance, points: torch.Tensor, batch: int = 64) -> torch.Tensor:
    """sqrt(2 D(G(z_i), G(z_i+1))) for consecutive points (M + 1, n) -> (M,), differentiable."""
    images = torch.cat([G(points[i:i + batch]) for i in range(0, points.shape[0], batch)])
    return torch.sqrt(2 * D(images[:-1], images[1:]).clamp_min(0) + 1e-30)


@dataclass
class Length:
    """Length with ``segments`` pieces, with ``segments // 2``, and whether they agree."""

    length: float
    coarse: float
    segments: int
    converged: bool


def curve_length(G: Generator, D: Distance, points: np.ndarray | torch.Tensor, rtol: float = 1e-2) -> Length:
    """Riemannian length of the polyline through ``points`` (M + 1, n), M even, with a check
    against every other point (M / 2 segments)."""
    points = torch.as_tensor(np.asarray(points), dtype=G.dtype, device=G.device)
    M = points.shape[0] - 1
    if M < 2 or M % 2:
        raise GeometryError(f"a length needs an even number of segments >= 2; got {M}")
    with torch.no_grad():
        fine = float(segment_lengths(G, D, points).sum())
        coarse = float(segment_lengths(G, D, points[::2]).sum())
    return Length(fine, coarse, M, abs(fine - coarse) <= rtol * max(fine, 1e-30))


def line(z0: np.ndarray, z1: np.ndarray, segments: int) -> np.ndarray:
    t = np.linspace(0, 1, segments + 1)[:, None]
    return (1 - t) * np.asarray(z0, dtype=np.float64) + t * np.asarray(z1, dtype=np.float64)


DEGREE = 3  # cubic B-splines


def clamped_knots(interior: np.ndarray, degree: int = DEGREE) -> np.ndarray:
    """Knots of a clamped spline on [0, 1]: ``degree`` + 1 zeros, the sorted interior knots,
    ``degree`` + 1 ones."""
    return np.concatenate([np.zeros(degree + 1), np.sort(interior), np.ones(degree + 1)])


def interior_knots_of(knots: np.ndarray, degree: int = DEGREE) -> np.ndarray:
    """The interior knots of a clamped knot vector (inverse of ``clamped_knots``)."""
    return knots[degree + 1: len(knots) - degree - 1]


def design(knots: np.ndarray, t: np.ndarray, degree: int = DEGREE) -> np.ndarray:
    """Basis matrix N (len(t), m + 1) of the clamped spline at ``t``."""
    return BSpline.design_matrix(np.clip(t, 0, 1 - 1e-12), knots, degree).toarray()


@dataclass
class ShorterCurve:
    """The optimised spline: control points (m + 1, n), knots, its points at uniform t (as
    measured), the straight line's and the curve's lengths (``Length``), the relative improvement and the
    length after each optimisation step. The curve kept is the shortest seen on the optimisation
    grid of ``chosen_on`` segments; both reported lengths are measured on the finer grid of
    ``line_length.segments`` (= ``curve_length.segments``) segments, so they compare like with like."""

    control: np.ndarray
    knots: np.ndarray
    points: np.ndarray
    line_length: Length
    curve_length: Length
    history: np.ndarray
    chosen_on: int

    @property
    def improvement(self) -> float:
        return (self.line_length.length - self.curve_length.length) / self.line_length.length


def shorten(G: Generator, D: Distance, z0: np.ndarray, z1: np.ndarray, segments: int = 32, interior_knots: int = 2,
            steps: int = 150, lr: float = 0.02, patience: int = 25, plateau: float = 1e-3, max_knots: int = 4,
            measure_segments: int = 128, progress: Progress | None = None) -> ShorterCurve:
    """Optimise a clamped cubic B-spline from z0 to z1 (fixed ends) to shorten its length
    (optimised on ``segments`` pieces; both lengths reported on ``measure_segments``)."""
    z0, z1 = G.check_latent(z0).double().cpu().numpy(), G.check_latent(z1).double().cpu().numpy()
    if steps < 1 or segments < 2 or segments % 2:
        raise GeometryError("shorten needs steps >= 1 and an even number of segments >= 2")
    t = np.linspace(0, 1, segments + 1)
    knots = clamped_knots(np.linspace(0, 1, interior_knots + 2)[1:-1])
    basis = design(knots, t)
    control = np.linalg.lstsq(basis, line(z0, z1, segments), rcond=None)[0]  # starts as the straight line
    history: list[float] = []
    inserted = 0
    interior = torch.tensor(control[1:-1], dtype=G.dtype, device=G.device, requires_grad=True)
    optimiser = torch.optim.Adam([interior], lr=lr)
    ends = [torch.tensor(c[None], dtype=G.dtype, device=G.device) for c in (control[0], control[-1])]
    N = torch.tensor(basis, dtype=G.dtype, device=G.device)
    best = (np.inf, knots, control)
    for step in range(steps):
        points = N @ torch.cat([ends[0], interior, ends[1]])
        length = segment_lengths(G, D, points).sum()
        if length.item() < best[0]:  # keep the shortest curve seen (Adam's last step may overshoot)
            best = (length.item(), knots, np.concatenate([control[:1], interior.detach().cpu().double().numpy(),
                                                          control[-1:]]))
        optimiser.zero_grad()
        length.backward()
        optimiser.step()
        history.append(length.item())
        report(progress, (step + 1) / steps, f"shortening: length {history[-1]:.4g}")
        stalled = len(history) > patience and history[-patience - 1] - history[-1] < plateau * history[-1]
        if stalled and inserted < max_knots:
            control = np.concatenate([control[:1], interior.detach().cpu().double().numpy(), control[-1:]])
            spans = np.diff(np.unique(knots))
            start = np.unique(knots)[spans.argmax()]
            new_knots = clamped_knots(np.append(interior_knots_of(knots), start + spans.max() / 2))
            dense = np.linspace(0, 1, 8 * len(new_knots))
            control = np.linalg.lstsq(design(new_knots, dense), design(knots, dense) @ control, rcond=None)[0]
            knots, basis, inserted = new_knots, design(new_knots, t), inserted + 1
            N = torch.tensor(basis, dtype=G.dtype, device=G.device)
            interior = torch.tensor(control[1:-1], dtype=G.dtype, device=G.device, requires_grad=True)
            optimiser = torch.optim.Adam([interior], lr=lr)
            history.append(history[-1])
    _, knots, control = best
    points = design(knots, np.linspace(0, 1, measure_segments + 1)) @ control
    return ShorterCurve(control, knots, points, curve_length(G, D, line(z0, z1, measure_segments)),
                        curve_length(G, D, points), np.array(history), segments)

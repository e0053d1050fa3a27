"""Families of latent axes and how they relate to the metric's eigenframe (paper A.9).

- ``sefa_axes``: closed-form factorisation (SeFa): the top right-singular vectors of the first
  layer's weight acting on z (A (out, n): eigenvectors of A^T A).
- ``pca_axes``: GANSpace-style: PCA of an intermediate activation over sampled codes, mapped
  back to z by least squares (z ~ X B, X the PCA coordinates; axis i = row i of B).
- ``file_axes``: axes a user uploads as ``.npy`` (no pickle) or CSV, one axis per row.

``compare_axes`` sets any family against an eigenframe (U, lambda): projection power
(u_k . a)^2 on each eigenvector against random unit vectors (expected 1/n each), the speed
a^T H a of each axis, principal angles and the Grassmann distance between the axes' span and
the top-k eigenspace against random k-subspaces, and "purified" axes keeping only the top-k
eigen-coefficients.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.linalg
import torch

from gan_geometry.core.generators import Generator, captured
from gan_geometry.core.linalg import complete_basis
from gan_geometry.errors import GeometryError, unknown
from gan_geometry.io.storage import claim_folder, load_arrays, load_json, save_arrays, save_json

MAX_UPLOAD_BYTES = 20 * 2**20


@dataclass
class AxisSet:
    """Axes as unit columns ``vectors`` (n, K), with a short semantic label per axis ("" when
    none), the family that made them and its provenance."""

    vectors: np.ndarray
    family: str
    labels: list[str] = field(default_factory=list)
    provenance: dict = field(default_factory=dict)

    def __post_init__(self):
        self.vectors = np.asarray(self.vectors, dtype=np.float64)
        self.labels = list(self.labels) or [""] * self.vectors.shape[1]
        if len(self.labels) != self.vectors.shape[1]:
            raise GeometryError(f"{len(self.labels)} labels for {self.vectors.shape[1]} axes")

    def with_label(self, index: int, label: str) -> AxisSet:
        """A copy with axis ``index`` labelled ``label`` (at most 40 characters)."""
        if not 0 <= index < self.vectors.shape[1]:
            raise GeometryError(f"axis index {index} out of range 0..{self.vectors.shape[1] - 1}")
        if len(label) > 40:
            raise GeometryError("an axis label has at most 40 characters")
        labels = list(self.labels)
        labels[index] = label
        return AxisSet(self.vectors, self.family, labels, self.provenance)

    def save(self, directory: str | Path) -> Path:
        """``axes.npz`` (the vectors) and ``axes.json`` (family, labels, provenance); a folder
        holding results of another kind, or other axes (family, count or provenance), is refused."""
        directory = claim_folder(directory, "axes.json", {"family": self.family, "provenance": self.provenance,
                                                          "count": self.vectors.shape[1]})
        save_arrays(directory / "axes.npz", {"vectors": self.vectors})
        save_json(directory / "axes.json", {"family": self.family, "labels": self.labels,
                                            "provenance": self.provenance, "count": self.vectors.shape[1]})
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> AxisSet:
        directory = Path(directory)
        meta = load_json(directory / "axes.json")
        return cls(load_arrays(directory / "axes.npz")["vectors"], meta["family"], meta["labels"], meta["provenance"])


def _unit_columns(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=0)
    if (norms == 0).any():
        raise GeometryError("an axis has zero length")
    return vectors / norms


def sefa_axes(G: Generator, k: int = 10) -> AxisSet:
    """Top-k right-singular vectors of the first layer's weight A (out, n), as columns."""
    if G.first_layer is None:
        raise GeometryError(f"generator '{G.name}' has no first linear layer on z; SeFa axes do not apply")
    A = G.first_layer.detach().cpu().double().numpy()
    _check_k(k, A.shape[1])
    _, singular, vt = np.linalg.svd(A, full_matrices=False)
    return AxisSet(vt[:k].T, "sefa", provenance={"generator": G.name, "space": G.space,
                                                 "singular_values": singular[:k].tolist()})


def _check_k(k: int, n: int) -> None:
    if not 1 <= k <= n:
        raise GeometryError(f"k must lie in 1..{n}; got {k}")


def pca_axes(G: Generator, k: int = 10, n_samples: int = 2000, layer: str | None = None, seed: int = 0,
             batch: int = 100) -> AxisSet:
    """GANSpace: activations Y (M, F) of ``layer`` (default ``G.pca_layer``) at M sampled codes
    Z (M, n); top-k principal directions V of Y; coordinates X = (Y - mean) V (M, k); least
    squares Z - mean(Z) ~= X B (k, n); axis i = B[i] / |B[i]|."""
    layer = layer or G.pca_layer
    _check_k(k, G.latent_dim)
    if n_samples <= k:
        raise GeometryError(f"PCA needs more samples than axes; got {n_samples} samples for k = {k}")
    Z = G.sample(n_samples, seed=seed)
    with captured(G, [layer]) as (twin, outputs), torch.no_grad():
        for start in range(0, n_samples, batch):
            twin(Z[start:start + batch])
    Y = torch.cat([out.flatten(1).double() for out in outputs[layer]]).cpu().numpy()
    Y -= Y.mean(0)
    _, singular, vt = scipy.linalg.svd(Y, full_matrices=False, lapack_driver="gesdd")
    X = Y @ vt[:k].T
    Zc = Z.cpu().double().numpy()
    B, *_ = np.linalg.lstsq(X, Zc - Zc.mean(0), rcond=None)
    explained = (singular[:k] ** 2 / (singular**2).sum()).tolist()
    return AxisSet(_unit_columns(B.T), "pca", provenance={"generator": G.name, "space": G.space, "layer": layer,
                                                          "n_samples": n_samples, "seed": seed,
                                                          "explained_variance": explained})


def file_axes(path: str | Path, latent_dim: int) -> AxisSet:
    """Axes from a ``.npy`` (numeric, no pickle) or ``.csv`` file holding K rows of length
    ``latent_dim``; validated for size, shape and finiteness, normalised to unit length."""
    path = Path(path)
    if not path.is_file():
        raise GeometryError(f"axis file {path} does not exist")
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise GeometryError(f"axis file {path.name} is {path.stat().st_size / 2**20:.0f} MiB; the limit is "
                            f"{MAX_UPLOAD_BYTES / 2**20:.0f} MiB")
    try:
        if path.suffix == ".npy":
            vectors = np.load(path, allow_pickle=False)
        elif path.suffix == ".csv":
            vectors = np.loadtxt(path, delimiter=",", ndmin=2)
        else:
            raise GeometryError(f"axis file must be .npy or .csv; got '{path.suffix}'")
    except ValueError as err:
        raise GeometryError(f"cannot read axes from {path.name}: {err} (a .npy must hold a numeric array, "
                            f"never pickled objects; a .csv numbers separated by commas)") from err
    if not np.issubdtype(np.asarray(vectors).dtype, np.number):
        raise GeometryError(f"axis file {path.name} holds {np.asarray(vectors).dtype} values; axes must be numbers")
    vectors = np.atleast_2d(np.asarray(vectors, dtype=np.float64))
    if vectors.ndim != 2 or vectors.shape[1] != latent_dim:
        raise GeometryError(f"axis file holds an array of shape {vectors.shape}; expected (K, {latent_dim}): "
                            f"one axis of the latent dimension per row")
    if not np.isfinite(vectors).all():
        raise GeometryError(f"axis file {path.name} contains NaN or inf")
    return AxisSet(_unit_columns(vectors.T), "file", provenance={"file": path.name})


FAMILIES = ("sefa", "pca", "file")


def axes_for_family(G: Generator, family: str, k: int, *, file: str | Path | None = None, n_samples: int = 2000,
                    layer: str | None = None, seed: int = 0) -> AxisSet:
    """The axis set of ``family`` (``FAMILIES``) for ``G``: k SeFa axes, k PCA axes from
    ``n_samples`` codes of ``seed`` at ``layer``, or the axes in ``file``. One entry point for the
    command line, the app and the report."""
    if family == "sefa":
        return sefa_axes(G, k)
    if family == "pca":
        return pca_axes(G, k, n_samples=n_samples, layer=layer, seed=seed)
    if family == "file":
        if not file:
            raise GeometryError("the 'file' axis family needs an axes file (.npy or .csv, one axis per row)")
        return file_axes(file, G.latent_dim)
    raise unknown("axis family", family, FAMILIES)


@dataclass
class AxisComparison:
    """An axis family against an eigenframe (eigenvalues descending).

    ``power`` (K, n): (u_j . a_i)^2, summing to 1 per axis; ``random_power`` (n,): its mean over
    random unit vectors (theory 1/n); ``speed`` (K,): a^T H a per axis and ``random_speed`` the mean
    for random unit vectors (theory mean(lambda)); ``angles`` (k,): principal angles in radians
    between span(axes[:, :k]) and the top-k eigenspace, ``grassmann`` = |angles|_2, beside
    ``grassmann_random`` (mean, std) for random k-subspaces; ``purified``: each axis with only its
    top-``k`` eigen-coefficients kept, renormalised.
    """

    power: np.ndarray
    random_power: np.ndarray
    speed: np.ndarray
    random_speed: float
    angles: np.ndarray
    grassmann: float
    grassmann_random: tuple[float, float]
    purified: AxisSet
    k: int

    def as_dict(self) -> dict:
        """The numbers (not the purified axes) as plain JSON-ready values."""
        return {"k": self.k, "speed": self.speed.tolist(), "random_speed": self.random_speed,
                "grassmann": self.grassmann, "grassmann_random": list(self.grassmann_random),
                "angles": self.angles.tolist(), "power": self.power.tolist(),
                "random_power": self.random_power.tolist()}


def random_unit_vectors(n: int, count: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, count))
    return v / np.linalg.norm(v, axis=0)


def compare_axes(axes: AxisSet, eigvals: np.ndarray, eigvecs: np.ndarray, k: int | None = None,
                 n_random: int = 200, seed: int = 0) -> AxisComparison:
    """An axis family (n, K unit columns) against the eigenframe ``eigvecs`` (n, m) with
    ``eigvals`` (m,) descending (a top-k frame, m < n, is completed with eigenvalue 0 by
    ``linalg.complete_basis``): projection powers, speeds a^T H a, principal angles to the top-k
    eigenspace (k = min(K, n) by default) against ``n_random`` random directions and 50 random
    k-subspaces (seeded), and the purified axes (see ``AxisComparison``)."""
    n, K = axes.vectors.shape
    if np.ndim(eigvecs) != 2 or np.shape(eigvecs)[0] != n:
        raise GeometryError(f"axes of dimension {n} cannot be compared with an eigenframe of shape {np.shape(eigvecs)}")
    lam, U = complete_basis(eigvals, eigvecs)
    if U.shape != (n, n):
        raise GeometryError(f"axes of dimension {n} cannot be compared with an eigenframe of shape {U.shape}")
    k = min(K, n) if k is None else k
    _check_k(k, n)
    coefficients = U.T @ axes.vectors  # (n, K)
    random = random_unit_vectors(n, n_random, seed)
    random_coefficients = U.T @ random
    angles = scipy.linalg.subspace_angles(axes.vectors[:, :min(k, K)], U[:, :k])
    baseline = [np.linalg.norm(scipy.linalg.subspace_angles(random_unit_vectors(n, min(k, K), seed + 1 + r), U[:, :k]))
                for r in range(50)]
    kept = coefficients.copy()
    kept[k:] = 0
    purified = AxisSet(_unit_columns(U @ kept), f"{axes.family}-purified-top{k}", axes.labels,
                       {**axes.provenance, "purified_top_k": k})
    return AxisComparison(
        power=(coefficients**2).T, random_power=(random_coefficients**2).mean(1),
        speed=(coefficients**2 * lam[:, None]).sum(0),
        random_speed=float((random_coefficients**2 * lam[:, None]).sum(0).mean()),
        angles=angles, grassmann=float(np.linalg.norm(angles)),
        grassmann_random=(float(np.mean(baseline)), float(np.std(baseline))), purified=purified, k=k,
    )


def axes_and_purified_montage(G: Generator, z0: np.ndarray, axes: AxisSet, purified: AxisSet, steps: np.ndarray,
                              rows: int = 8, gap: int = 12) -> np.ndarray:
    """Side-by-side uint8 RGB montage (height, width, 3): the first ``rows`` axes (left) and their
    purified versions (right), each row a traversal from ``z0`` at ``steps``."""
    from gan_geometry.analysis.traversal import traverse

    rows = min(rows, axes.vectors.shape[1])
    names = [f"{i}: {label}" if label else str(i) for i, label in enumerate(axes.labels[:rows])]
    grids = [traverse(G, z0, a.vectors[:, :rows], steps, labels=names).grid() for a in (axes, purified)]
    return np.concatenate([grids[0], np.full((grids[0].shape[0], gap, 3), 255, np.uint8), grids[1]], axis=1)

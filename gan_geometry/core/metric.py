"""The metric tensor at one latent code, by any method, as a saveable ``MetricResult``.

    H(z0) = d^2/dz^2 D(G(z0), G(z)) |_{z = z0}        (n, n), symmetric, PSD

``v^T H v / v^T v`` is the squared speed of image change along v; the eigenvectors of H with
the largest eigenvalues change the image most. Methods (``gan_geometry.core.methods``):

- ``exact`` (default): H = 2 J^T J from batched forward/reverse-mode products for squared
  feature distances (LPIPS, MSE); H = J^T K J with K the image-space Hessian of D for the others
  (1 - SSIM), whose gradient vanishes at the reference.
- ``bp``: the paper's double back-propagation, one row of H per backward pass.
- ``lanczos-backward`` / ``lanczos-forward``: top-k eigenpairs by ARPACK on the autograd or the
  finite-difference Hessian-vector product; H is not formed.
- ``topk``: top-k eigenpairs of 2 J^T J by block Lanczos (Krylov) iteration with batched J V and J^T U
  products (feature distances; falls back to ``lanczos-backward`` otherwise).
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from gan_geometry.core import cost
from gan_geometry.core.distances import Distance
from gan_geometry.core.generators import Generator
from gan_geometry.core.linalg import complete_basis
from gan_geometry.core.methods import ITERATIVE, METHODS, default_k
from gan_geometry.core.pullback import Pullback
from gan_geometry.errors import GeometryError
from gan_geometry.io.storage import claim_folder, load_arrays, load_json, save_arrays, save_json
from gan_geometry.progress import Progress, report
from gan_geometry.version import package_versions

METRIC_SETTINGS = ("generator", "space", "distance", "requested_method", "k", "seed", "protocol")
# what makes two saved metrics the same computation: a folder holding another is never overwritten


@dataclass
class MetricResult:
    """The metric at ``z`` (n,): ``eigvals`` (K,) descending, ``eigvecs`` (n, K) with the
    eigenvector of ``eigvals[i]`` in column i, where K = ``n_computed`` is the number of
    eigenpairs the method computed (n for the full methods, k for the top-k ones: nothing more is
    stored; ``full_frame()`` completes the basis with eigenvalue 0), ``H`` (n, n) where the
    method forms it (None for the top-k methods), and ``provenance`` (generator, distance,
    method, seed, versions, seconds...). All arrays are float64."""

    z: np.ndarray
    eigvals: np.ndarray
    eigvecs: np.ndarray
    H: np.ndarray | None
    n_computed: int
    provenance: dict = field(default_factory=dict)

    @property
    def latent_dim(self) -> int:
        return self.z.shape[0]

    def full_frame(self) -> tuple[np.ndarray, np.ndarray]:
        """Eigenvalues (n,) and an orthonormal eigenbasis (n, n): the computed pairs, then the
        complement of their span with eigenvalue 0 (``linalg.complete_basis``)."""
        return complete_basis(self.eigvals, self.eigvecs)

    def save(self, directory: str | Path) -> Path:
        """Write ``metric.npz`` (numeric arrays only) and ``provenance.json`` into ``directory`` (a
        folder holding results of another kind, or a metric of other settings, is refused)."""
        directory = claim_folder(directory, "provenance.json",
                                 {key: self.provenance.get(key) for key in METRIC_SETTINGS})
        arrays = {"z": self.z, "eigvals": self.eigvals, "eigvecs": self.eigvecs,
                  "n_computed": np.array(self.n_computed)}
        if self.H is not None:
            arrays["H"] = self.H
        save_arrays(directory / "metric.npz", arrays)
        save_json(directory / "provenance.json", self.provenance)
        return directory

    @classmethod
    def load(cls, directory: str | Path) -> MetricResult:
        """Read a result written by ``save``; pickled or malformed files are refused."""
        directory = Path(directory)
        arrays = load_arrays(directory / "metric.npz")
        missing = {"z", "eigvals", "eigvecs", "n_computed"} - set(arrays)
        if missing:
            raise GeometryError(f"{directory / 'metric.npz'} is not a metric result: it lacks {sorted(missing)}")
        n, K = arrays["z"].shape[0], int(arrays["n_computed"])
        H = arrays.get("H")
        stored = arrays["eigvals"].shape  # (K,), or (n,) in results written before top-k results were compact
        shapes_ok = len(stored) == 1 and 1 <= K <= stored[0] <= n and arrays["eigvecs"].shape == (n, stored[0])
        if not shapes_ok or (H is not None and H.shape != (n, n)):
            raise GeometryError(f"{directory / 'metric.npz'} has inconsistent shapes for latent dimension {n}")
        bad = [name for name, a in arrays.items() if not np.isfinite(a).all()]
        if bad:
            raise GeometryError(f"{directory / 'metric.npz'} is damaged: {', '.join(bad)} hold NaN or inf")
        return cls(arrays["z"], arrays["eigvals"][:K], arrays["eigvecs"][:, :K], H, K,
                   load_json(directory / "provenance.json"))


def metric_tensor(
    G: Generator,
    D: Distance,
    z: torch.Tensor | np.ndarray,
    method: str = "exact",
    k: int | None = None,
    *,
    chunk: int | None = None,
    eps: float = 1e-6,
    seed: int | None = None,
    memory_cap: int | None = None,
    seconds_cap: float | None = None,
    progress: Progress | None = None,
    compiled: bool = False,
) -> MetricResult:
    """Metric tensor of ``G`` pulled back from ``D`` at the code ``z`` (latent_dim,).

    ``k``: eigenpairs for the top-k methods (``ITERATIVE``: Lanczos and topk; 1 <= k < n; default
    min(20, n - 1)); the full methods take no k. ``chunk``: tangents per batch for ``exact`` (default: sized to memory).
    ``eps``: finite-difference step of ``lanczos-forward``. ``seed``: recorded in provenance.
    ``memory_cap``: bytes allowed (default ``cost.memory_cap()``); a request whose estimate
    exceeds it raises ``ResourceError`` before anything large is allocated, naming the top-k
    method and k that fit. ``seconds_cap``: likewise for the estimated time (the app sets one).
    ``compiled``: ``exact`` with a feature distance uses the compiled forward-mode product
    (``core.compiled``; worth it where calls repeat: its first use per model compiles for seconds),
    all n tangents in one block where that fits the memory cap (compiled, a larger block is faster:
    omniart-eyes128 with LPIPS 0.76 s at 100 tangents against 1.0 s at 33).
    """
    if method not in METHODS:
        raise GeometryError(f"unknown method '{method}'; choose one of: {', '.join(METHODS)}")
    z0 = G.check_latent(z)
    n = z0.shape[0]
    used = "lanczos-backward" if method == "topk" and not D.has_features else method
    if used in ITERATIVE:
        k = default_k(n) if k is None else k
        if not 1 <= k < n:
            raise GeometryError(f"k must satisfy 1 <= k < {n} (the latent dimension) for {method}; got {k}. "
                                f"Use method exact or bp for the full spectrum.")
    elif k is not None:
        raise GeometryError(f"k applies to the top-k methods ({', '.join(ITERATIVE)}) only; {method} computes "
                            f"all {n} eigenpairs")
    if chunk is not None:
        if chunk < 1:
            raise GeometryError(f"chunk must be a positive integer; got {chunk}")
        chunk = min(chunk, n)  # more tangents than the latent dimension buys nothing
    if not np.isfinite(eps) or eps <= 0:
        raise GeometryError(f"eps (the finite-difference step) must be a positive number; got {eps}")
    distance_device = next((t.device for t in (*D.parameters(), *D.buffers())), G.device)
    if distance_device != G.device:
        raise GeometryError(f"the distance is on {distance_device} and the generator on {G.device}; "
                            f"load both on the same device")

    pb = Pullback(G, D, z0)
    found = cost.probe(pb)
    estimate = cost.estimate(pb, used, k, chunk, found)
    cap = memory_cap if memory_cap is not None else cost.memory_cap(z0.device)
    if compiled and used == "exact" and chunk is None and D.has_features:
        whole = cost.estimate(pb, used, k, n, found)  # one block: one compiled graph, the primal run once
        estimate = whole if whole.memory_bytes <= cap else estimate
    if estimate.memory_bytes > cap or (seconds_cap is not None and estimate.seconds > seconds_cap):
        cost.check(estimate, cap, seconds_cap, cost.advice(pb, found, estimate, cap, seconds_cap))

    report(progress, 0.0, f"{used}: {estimate.summary()}")
    start = time.perf_counter()
    out = METHODS[used](pb, k=k, chunk=estimate.chunk, eps=eps, feature_dim=found.feature_dim, progress=progress,
                        compiled=compiled)
    seconds = time.perf_counter() - start
    cost.record_call(pb, estimate, seconds)
    if not (np.isfinite(out.eigvals).all() and np.isfinite(out.eigvecs).all()):
        raise GeometryError(f"{used} produced NaN or inf at this latent code; the generator or distance is "
                            f"not twice differentiable here (try another code or method)")
    provenance = {
        **G.describe(),
        "distance": D.name,
        "method": used,
        "requested_method": method,
        "k": k,
        "eps": eps if used == "lanczos-forward" else None,
        "chunk": estimate.chunk if used == "exact" else None,
        "compiled": bool(compiled and used == "exact" and D.has_features),
        **out.info,
        "seed": seed,
        "seconds": seconds,
        "estimate": {"memory_bytes": estimate.memory_bytes, "seconds": estimate.seconds},
        "device": str(z0.device),
        "dtype": str(z0.dtype),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "versions": package_versions(),
    }
    return MetricResult(z0.detach().cpu().double().numpy(), out.eigvals, out.eigvecs, out.H, out.n_computed,
                        provenance)

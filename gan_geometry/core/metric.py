"""The metric tensor at one latent code, by any method, as a saveable ``MetricResult``.

    H(z0) = d^2/dz^2 D(G(z0), G(z)) |_{z = z0}        (n, n), symmetric, PSD

``v^T H v / v^T v`` is the squared speed of image change along v; the eigenvectors of H with
the largest eigenvalues change the image most. Methods (``gan_geometry.core.methods``, each with
its capabilities on its entry):

- ``exact`` (default): H = 2 J^T J from batched forward/reverse-mode products for squared
  feature distances (LPIPS, MSE); H = J^T K J with K the image-space Hessian of D for the others
  (1 - SSIM), whose gradient vanishes at the reference.
- ``bp``: the paper's double back-propagation, one row of H per backward pass.
- ``lanczos-backward`` / ``lanczos-forward``: top-k eigenpairs by ARPACK on the autograd or the
  finite-difference Hessian-vector product; H is not formed.
- ``topk``: top-k eigenpairs of 2 J^T J by block Krylov iteration with batched J V and J^T U
  products (feature distances; falls back to ``lanczos-backward`` otherwise).

``metric_tensor`` is four steps, each a function: ``validate`` (the request, refused in one line),
``plan`` (which method and product run, with what chunk, and the cost estimate, refused where it
does not fit), ``run`` and ``provenance``.
"""

from __future__ import annotations

import datetime
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from gan_geometry.core import compiled as compiled_products
from gan_geometry.core import cost
from gan_geometry.core.distances import Distance, protocol_note
from gan_geometry.core.generators import Generator
from gan_geometry.core.linalg import complete_basis
from gan_geometry.core.methods import METHODS, MethodEntry, default_k, method_that_runs
from gan_geometry.core.methods.common import MethodOutput
from gan_geometry.core.methods.lanczos import EPS_RANGE
from gan_geometry.core.pullback import Pullback
from gan_geometry.errors import GeometryError, unknown
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
        save_json(directory / "provenance.json", self.provenance)  # the marker first: a rerun resumes here
        save_arrays(directory / "metric.npz", arrays)
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


@dataclass(frozen=True)
class MetricRequest:
    """A request ``validate`` accepted: the pullback at z0, the method asked for and the one that
    runs (its fallback where it needs a feature distance), k (top-k methods), chunk, eps, seed."""

    pullback: Pullback
    requested: str
    method: MethodEntry
    k: int | None
    chunk: int | None
    eps: float
    seed: int | None


@dataclass(frozen=True)
class MetricPlan:
    """How a request runs: the cost estimate (whose chunk is used), and whether the forward-mode
    products run compiled (``compiled_push``: the compiled product, built now or already)."""

    estimate: cost.CostEstimate
    probe: cost.Probe
    compiled: bool


def validate(G: Generator, D: Distance, z: torch.Tensor | np.ndarray, method: str, k: int | None,
             chunk: int | None, eps: float, seed: int | None) -> MetricRequest:
    """The request checked before anything is computed; one ``GeometryError`` naming what is wrong."""
    if method not in METHODS:
        raise unknown("method", method, METHODS)
    z0 = G.check_latent(z)
    n = z0.shape[0]
    entry = method_that_runs(method, D.has_features)
    if entry.top_k:
        k = default_k(n) if k is None else k
        if isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k < n:
            raise GeometryError(f"k must be a whole number with 1 <= k < {n} (the latent dimension) for {method}; "
                                f"got {k!r}. Use method exact or bp for the full spectrum.")
        k = int(k)
    elif k is not None:
        top_k = ", ".join(name for name, e in METHODS.items() if e.top_k)
        raise GeometryError(f"k applies to the top-k methods ({top_k}) only; {method} computes all {n} eigenpairs")
    if chunk is not None:
        if isinstance(chunk, bool) or not isinstance(chunk, int | np.integer) or chunk < 1:
            raise GeometryError(f"chunk must be a positive whole number; got {chunk!r}")
        chunk = min(int(chunk), n)  # more tangents than the latent dimension buys nothing
    if not (isinstance(eps, int | float) and not isinstance(eps, bool) and EPS_RANGE[0] <= eps <= EPS_RANGE[1]):
        raise GeometryError(f"eps (the finite-difference step) must be a number in {EPS_RANGE[0]:g}..{EPS_RANGE[1]:g} "
                            f"(smaller steps vanish in float64 rounding, larger ones leave the neighbourhood); got "
                            f"{eps!r}")
    distance_device = next((t.device for t in (*D.parameters(), *D.buffers())), G.device)
    if distance_device != G.device:
        raise GeometryError(f"the distance is on {distance_device} and the generator on {G.device}; "
                            f"load both on the same device")
    return MetricRequest(Pullback(G, D, z0), method, entry, k, chunk, float(eps), seed)


def auto_compile() -> bool:
    """Whether plain calls switch to compiled products once built (``GGL_COMPILE=0``: never)."""
    return os.environ.get("GGL_COMPILE", "1") != "0"


def plan(request: MetricRequest, compiled: bool | None, memory_cap: int | None, seconds_cap: float | None,
         costs: cost.CostModel) -> MetricPlan:
    """Which product runs and its estimate, refused (``ResourceError``, naming a method that fits)
    where the estimate exceeds the memory cap or ``seconds_cap``.

    ``compiled``: True compiles the forward-mode product now (once per model) and uses it; False
    never does; None (the default) uses it where it is already built and otherwise runs eager (a
    first call pays no compilation), while ``run`` starts building it in the background for the
    calls that follow (see ``auto_compile``). Compiled products take all n tangents in one block
    where that fits the memory cap (one graph, the primal run once)."""
    pb, entry = request.pullback, request.method
    found = cost.probe(pb)
    cap = memory_cap if memory_cap is not None else cost.memory_cap(pb.z0.device)
    estimate = costs.estimate(pb, entry.name, request.k, request.chunk, found)
    use_compiled = False
    if entry.compiles and pb.D.has_features and request.chunk is None and compiled is not False:
        whole = costs.estimate(pb, entry.name, request.k, pb.n, found)
        if whole.memory_bytes <= cap:
            ready = compiled is True or \
                compiled_products.ready_push(pb.G, pb.D, pb.features, pb.z0, pb.n, start=False) is not None
            if ready:
                estimate, use_compiled = whole, True
    if estimate.memory_bytes > cap or (seconds_cap is not None and estimate.seconds > seconds_cap):
        cost.check(estimate, cap, seconds_cap, cost.advice(pb, found, estimate, cap, seconds_cap, costs))
    return MetricPlan(estimate, found, use_compiled)


def run(request: MetricRequest, chosen: MetricPlan, progress: Progress | None = None,
        compiled: bool | None = None) -> tuple[MethodOutput, float]:
    """The method's output and the seconds it took; non-finite results are an error. An eager run
    that could have been compiled starts the compiled product's background build for the calls
    that follow (``compiled`` None and ``auto_compile``)."""
    pb, entry = request.pullback, request.method
    report(progress, 0.0, f"{entry.name}: {chosen.estimate.summary()}")
    start = time.perf_counter()
    out = entry.compute(pb, k=request.k, chunk=chosen.estimate.chunk, eps=request.eps,
                        feature_dim=chosen.probe.feature_dim, progress=progress, compiled=chosen.compiled)
    seconds = time.perf_counter() - start
    if not (np.isfinite(out.eigvals).all() and np.isfinite(out.eigvecs).all()):
        raise GeometryError(f"{entry.name} produced NaN or inf at this latent code; the generator or distance is "
                            f"not twice differentiable here (try another code or method)")
    if compiled is None and not chosen.compiled and auto_compile() and entry.compiles and pb.D.has_features \
            and request.chunk is None and chosen.estimate.chunk >= pb.n:
        compiled_products.ready_push(pb.G, pb.D, pb.features, pb.z0, pb.n, start=True)
    return out, seconds


def provenance(request: MetricRequest, chosen: MetricPlan, out: MethodOutput, seconds: float) -> dict:
    """Everything needed to reproduce a result, saved beside it."""
    pb, entry = request.pullback, request.method
    return {
        **pb.G.describe(),
        "distance": pb.D.name,
        "protocol_note": protocol_note(pb.G.protocol, pb.D.name),
        "method": entry.name,
        "requested_method": request.requested,
        "k": request.k,
        "eps": request.eps if entry.name == "lanczos-forward" else None,
        "chunk": chosen.estimate.chunk if entry.name == "exact" else None,
        "compiled": chosen.compiled,
        **out.info,
        "seed": request.seed,
        "seconds": seconds,
        "estimate": {"memory_bytes": chosen.estimate.memory_bytes, "seconds": chosen.estimate.seconds},
        "device": str(pb.z0.device),
        "dtype": str(pb.z0.dtype),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "versions": package_versions(),
    }


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
    compiled: bool | None = None,
    costs: cost.CostModel | None = None,
) -> MetricResult:
    """Metric tensor of ``G`` pulled back from ``D`` at the code ``z`` (latent_dim,).

    ``k``: eigenpairs for the top-k methods (1 <= k < n; default min(20, n - 1)); the full methods
    take no k. ``chunk``: tangents per batch for ``exact`` (default: sized to memory). ``eps``:
    finite-difference step of ``lanczos-forward``. ``seed``: recorded in provenance.
    ``memory_cap``: bytes allowed (default ``cost.memory_cap()``); a request whose estimate
    exceeds it raises ``ResourceError`` before anything large is allocated, naming the top-k
    method and k that fit. ``seconds_cap``: likewise for the estimated time (the app sets one).
    ``compiled``: None (default) switches to the compiled forward-mode product once it is built
    in the background (within 1e-5 of eager; ``provenance["compiled"]`` says which ran), True
    compiles it now, False never (``plan``). ``costs``: the ``CostModel`` whose corrections the
    estimates use and which learns from this call (default: a fresh one, uncorrected).
    """
    request = validate(G, D, z, method, k, chunk, eps, seed)
    if compiled is None and not auto_compile():
        compiled = False
    costs = costs if costs is not None else cost.CostModel()
    chosen = plan(request, compiled, memory_cap, seconds_cap, costs)
    out, seconds = run(request, chosen, progress, compiled)
    costs.record(request.pullback, chosen.estimate, seconds)
    return MetricResult(request.pullback.z0.detach().cpu().double().numpy(), out.eigvals, out.eigvecs, out.H,
                        out.n_computed, provenance(request, chosen, out, seconds))

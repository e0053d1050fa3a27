"""Memory and time estimates for a metric computation, from a probe of G and D.

The probe runs G and D without gradients: one latent three times (the first call pays one-off
costs; the fastest of the other two is kept, so one slow run on a busy machine does not inflate
it) and a batch of ``PROBE_BATCH`` latents twice (the fastest kept). It records the bytes of every
leaf module's output for one latent (the activations one latent costs), the seconds of one latent
``t1`` and the seconds per latent in a batch ``tb`` (batched work is cheaper per latent). Probes
are re-measured after ``PROBE_AGE`` seconds. Each method's estimate:

- exact:            n tangents in batches (forward mode):              n * tb * C["exact"]
- topk:             b = k + oversampling tangents and cotangents per block, ~``TOPK_BLOCKS`` blocks:
                                                                       b * blocks * tb * C["topk"]
- bp:               one graph, then n backward rows one at a time:      n * t1 * C["bp"]
- lanczos-backward: ~3 ncv Hessian-vector products one at a time:      3 ncv * t1 * C[...]
- lanczos-forward:  the same with two float64 gradients per product

Memory: chunk * act + J (F*n, float32 + float64) (+ K J for non-feature distances) + 2 H for
exact; 2 b act + two (F, b) blocks + the Krylov basis for topk; 16 act (the graph) + 2 H for bp;
16 act + the Lanczos basis for lanczos-backward; float64 copies of models and activations for
lanczos-forward. Calibrated against the peak resident memory measured by
``bench/metric_methods.py`` (within 2x).

The constants ``C`` were measured on dcgan-face64 and checked on the full-size families
(``python -m bench.estimates`` prints estimate / measured for each method). A ``CostModel`` learns
from the calls it is shown: each measured time corrects its later estimates of the same
(generator, distance, method) by the median ratio measured / estimated of the last ``HISTORY``
calls. The app keeps one per server; a plain ``metric_tensor`` call uses a fresh one, so no call
changes what another is told or refused.
"""

from __future__ import annotations

import collections
import dataclasses
import os
import re
import statistics
import threading
import time
import weakref
from dataclasses import dataclass

import torch

from gan_geometry.core.generators import shared_weight_copy
from gan_geometry.core.methods.krylov import OVERSAMPLING
from gan_geometry.core.pullback import Pullback
from gan_geometry.errors import ResourceError

# seconds per unit of work, relative to the probe's t1 or tb (see the module docstring)
C = {"exact": 2.0, "topk": 6.0, "bp": 3.0, "lanczos-backward": 2.0, "lanczos-forward": 3.5}
TANGENT_BUDGET = 256 * 2**20  # bytes of batched tangent activations per chunk of exact
BASELINE_BYTES = 16 * 2**20  # allocator and workspace overhead of any call
TOPK_BLOCKS = 4  # typical block iterations of topk to its default residual on GAN spectra (fc6: 12)
PROBE_BATCH = 16
PROBE_AGE = 600.0
HISTORY = 5


@dataclass(frozen=True)
class Probe:
    """What G and D cost without gradients: the bytes of every leaf module's output for one
    latent, the seconds of one latent ``forward_seconds`` and per latent in a batch
    ``batch_seconds``, the feature dimension F (None for non-feature distances), the bytes of the
    models' parameters and buffers, and when it was measured (``time.monotonic``)."""

    activation_bytes: int
    forward_seconds: float
    feature_dim: int | None
    parameter_bytes: int
    batch_seconds: float = 0.0
    measured_at: float = 0.0


@dataclass(frozen=True)
class CostEstimate:
    """Estimated peak bytes and seconds (corrected by the calls seen; ``base_seconds`` before the
    correction) of ``method`` with ``chunk`` tangents per batch."""

    method: str
    memory_bytes: int
    seconds: float
    chunk: int
    base_seconds: float = 0.0

    def summary(self) -> str:
        return f"~{self.memory_bytes / 2**30:.2f} GiB, ~{self.seconds:.1f} s ({self.method}, chunk {self.chunk})"


_PROBES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # G -> {D -> Probe}: a cache keyed by its inputs
_LOCK = threading.Lock()


def probe(pb: Pullback) -> Probe:
    """The probe of (G, D), measured on first use and again once older than ``PROBE_AGE``: it
    does not depend on z0. The hooks that record the sizes go on shared-weight copies, never on
    the (shared) models."""
    cached = _PROBES.get(pb.G, {}).get(pb.D)
    if cached is not None and time.monotonic() - cached.measured_at < PROBE_AGE:
        return cached
    sizes: list[int] = []

    def record(_module, _inputs, output):
        if isinstance(output, torch.Tensor):
            sizes.append(output.numel() * output.element_size())

    G, D = shared_weight_copy(pb.G), shared_weight_copy(pb.D)
    for m in (m for net in (G, D) for m in net.modules() if not list(m.children())):
        m.register_forward_hook(record)

    def forward(z: torch.Tensor) -> tuple[int | None, float]:
        start = time.perf_counter()
        with torch.no_grad():
            x = G(z)
            feature_dim = D.features(x).shape[1] if D.has_features else None
            if feature_dim is None:
                D(pb.x0.expand(len(z), *pb.x0.shape[1:]), x)
        return feature_dim, time.perf_counter() - start

    one = pb.z0[None]
    forward(one)  # the first call pays one-off costs (allocations, kernel selection)
    sizes.clear()
    feature_dim, first = forward(one)
    activation_bytes = sum(sizes)
    single = min(first, forward(one)[1])
    batch = pb.z0[None].expand(min(PROBE_BATCH, pb.n), -1).contiguous()
    batched = min(forward(batch)[1] for _ in range(2)) / batch.shape[0]
    parameters = sum(t.numel() * t.element_size() for net in (pb.G, pb.D) for t in (*net.parameters(), *net.buffers()))
    found = Probe(activation_bytes, single, feature_dim, parameters, min(batched, single), time.monotonic())
    with _LOCK:
        _PROBES.setdefault(pb.G, weakref.WeakKeyDictionary())[pb.D] = found
    return found


class CostModel:
    """Estimates corrected by the calls this model has been shown (``record``): the median ratio
    measured / estimated of the last ``HISTORY`` calls of a (generator, distance, method),
    clipped to [1/30, 30]; 1 before any. Thread-safe; holds models only weakly."""

    def __init__(self):
        self._ratios: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # G -> {D -> {method: ratios}}
        self._lock = threading.Lock()

    def correction(self, pb: Pullback, method: str) -> float:
        ratios = self._ratios.get(pb.G, {}).get(pb.D, {}).get(method)
        return min(30.0, max(1 / 30, statistics.median(ratios))) if ratios else 1.0

    def estimate(self, pb: Pullback, method: str, k: int | None, chunk: int | None, found: Probe) -> CostEstimate:
        """``estimate`` with its time corrected by the calls seen."""
        base = estimate(pb, method, k, chunk, found)
        return dataclasses.replace(base, seconds=base.base_seconds * self.correction(pb, method))

    def record(self, pb: Pullback, estimate: CostEstimate, seconds: float) -> None:
        """Remember how long a call took against its uncorrected estimate, for later estimates."""
        if estimate.base_seconds <= 0:
            return
        with self._lock:
            by_distance = self._ratios.setdefault(pb.G, weakref.WeakKeyDictionary())
            history = by_distance.setdefault(pb.D, {}).setdefault(estimate.method, collections.deque(maxlen=HISTORY))
            history.append(seconds / estimate.base_seconds)


def memory_cap(device: torch.device | None = None) -> int:
    """Bytes a computation may use: ``$GGL_MEMORY_CAP`` (e.g. ``8G``, ``512M``) if set, else 80 %
    of the free memory of ``device`` (GPU) or of the machine (``available_memory``; no cap where
    that is unknown)."""
    setting = os.environ.get("GGL_MEMORY_CAP")
    if setting:
        match = re.fullmatch(r"\s*([\d.]+)\s*([KMGT]?)i?B?\s*", setting, re.IGNORECASE)
        if not match:
            raise ResourceError(f"GGL_MEMORY_CAP='{setting}' is not a size such as 8G or 512M")
        return int(float(match[1]) * 1024 ** "BKMGT".index(match[2].upper() or "B"))
    if device is not None and device.type == "cuda":
        return int(0.8 * torch.cuda.mem_get_info(device)[0])
    available = available_memory()
    return int(0.8 * available) if available is not None else UNKNOWN_CAP


UNKNOWN_CAP = 2**62  # no cap where the free memory cannot be read: the estimate is still printed


def available_memory() -> int | None:
    """Bytes of memory available to new work: ``MemAvailable`` on Linux, the free physical pages
    on other POSIX systems, None ("unknown") where neither can be read."""
    try:
        with open("/proc/meminfo") as info:
            return 1024 * next(int(line.split()[1]) for line in info if line.startswith("MemAvailable"))
    except (OSError, StopIteration, ValueError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def estimate(pb: Pullback, method: str, k: int | None, chunk: int | None, found: Probe) -> CostEstimate:
    """Estimated peak memory and time of ``method`` at ``pb.z0`` (uncorrected: ``CostModel``
    corrects it by the calls it has seen); picks ``chunk`` when None (the largest that keeps the batched tangents under
    ``TANGENT_BUDGET``: larger batches gain nothing on a CPU once they leave the caches, measured
    on omniart-eyes128)."""
    n, act, itemsize = pb.n, found.activation_bytes, pb.z0.element_size()
    out_dim = found.feature_dim or pb.image_dim  # what the exact methods differentiate: psi, or pixels
    hessian = 2 * n * n * 8
    ncv = min(n, max(2 * (k or 1) + 1, 20))
    block = min(n, (k or 1) + OVERSAMPLING)
    t1, tb = found.forward_seconds, found.batch_seconds or found.forward_seconds
    if chunk is None:
        chunk = int(max(1, min(n, TANGENT_BUDGET // max(act, 1))))
    if method == "exact":
        # batched tangents; J (and K J for non-feature distances) in float32 and its float64 copy
        memory = chunk * act + out_dim * n * (itemsize + 8) * (1 if found.feature_dim else 2) + hessian
        seconds = n * tb * C["exact"]
    elif method == "topk":
        memory = 2 * block * act + 2 * out_dim * block * 8 + 4 * n * block * TOPK_BLOCKS * 8
        seconds = block * min(TOPK_BLOCKS, -(-n // block)) * tb * C["topk"]
    elif method == "bp":
        memory, seconds = 16 * act + hessian, n * t1 * C["bp"]
    elif method == "lanczos-backward":
        memory, seconds = 16 * act + n * ncv * 8, 3 * ncv * t1 * C["lanczos-backward"]
    else:  # lanczos-forward: float64 copies of the models and their activations
        memory = 8 * act * 8 // itemsize + found.parameter_bytes * 8 // itemsize + n * ncv * 8
        seconds = 3 * ncv * t1 * C["lanczos-forward"]
    return CostEstimate(method, int(memory + BASELINE_BYTES), seconds, chunk, seconds)


def advice(pb: Pullback, found: Probe, refused: CostEstimate, cap: int, seconds_cap: float | None,
           costs: CostModel, k: int = 10) -> str:
    """A cheaper method that fits where ``refused`` does not, with its estimate: ``topk`` for
    feature distances, else ``lanczos-backward``, with k = 10 (fewer where n is smaller); "" when
    none is cheaper and fits."""
    method = "topk" if found.feature_dim else "lanczos-backward"
    k = min(k, pb.n - 1)
    if method == refused.method or k < 1:
        return ""
    cost = costs.estimate(pb, method, k, None, found)
    fits = cost.memory_bytes <= cap and (seconds_cap is None or cost.seconds <= seconds_cap)
    cheaper = cost.seconds < refused.seconds or cost.memory_bytes < refused.memory_bytes
    return f"method {method} with k = {k} (~{cost.seconds:.1f} s, ~{cost.memory_bytes / 2**30:.2f} GiB)" \
        if fits and cheaper else ""


def check(cost: CostEstimate, cap: int, seconds_cap: float | None = None, alternative: str = "") -> None:
    """Refuse a request whose estimated memory exceeds ``cap`` bytes, or whose estimated time
    exceeds ``seconds_cap`` (when given), naming the ``alternative`` that fits."""
    if cost.memory_bytes > cap:
        raise ResourceError(
            f"{cost.method} needs an estimated {cost.memory_bytes / 2**30:.1f} GiB, more than the "
            f"{cap / 2**30:.1f} GiB allowed here (set GGL_MEMORY_CAP to change it). Use "
            + (f"{alternative}, " if alternative else "") + "a smaller chunk for exact, or a smaller latent space."
        )
    if seconds_cap is not None and cost.seconds > seconds_cap:
        raise ResourceError(f"{cost.method} would take about {cost.seconds:.0f} s here, more than the "
                            f"{seconds_cap:.0f} s allowed; "
                            + (f"use {alternative} (top axes only)" if alternative else
                               "no method fits in that time here: use the command line, which has no time cap"))

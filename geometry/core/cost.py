"""Memory and time estimates for a metric computation, from a one-latent probe.

The probe runs G and D on z0 (once to warm up, once timed) and records the bytes of every leaf
module's output (the activations one latent costs) and the seconds it took. Each method's
estimate combines them:

- exact:            chunk * act  (batched tangents)  + J (F*n, float32 + float64)
                    (+ K J for non-feature distances, F = pixels)  + 2 H (n*n float64)
- topk:             2 * b * act, b = k + oversampling  + two (F, b) blocks + Krylov basis
- bp:               16 * act  (graph kept for double back-propagation)  + 2 H;  n backward rows
- lanczos-backward: 16 * act + Lanczos basis (n * ncv float64);  ~3 * ncv products
- lanczos-forward:  the same in float64, plus float64 copies of the models' parameters

Calibrated against the peak resident memory measured by ``bench/metric_methods.py`` (within 2x).

Times are rough (a factor of two either way): enough to refuse what cannot finish, and to print.
"""

from __future__ import annotations

import os
import re
import time
import weakref
from dataclasses import dataclass

import torch

from geometry.core.generators import shared_weight_copy
from geometry.core.methods.topk import OVERSAMPLING
from geometry.core.pullback import Pullback
from geometry.errors import ResourceError

# seconds per latent, relative to one single-latent forward; measured on dcgan-face64 (CPU)
# Measured (bench/metric_methods.py --families): a forward-mode product costs about 2.5 warm single-latent
# forwards on the full-size PGGAN, StyleGAN and StyleGAN2 (265-388 s for 512 of them); small models
# batch better and are overestimated 5-10x, which only matters for refusing (they are fast).
_TIME_PER_LATENT = {"exact": 2.5, "topk": 2.5, "bp": 4.0, "lanczos-backward": 4.0, "lanczos-forward": 6.0}
TANGENT_BUDGET = 256 * 2**20  # bytes of batched tangent activations per chunk of exact
BASELINE_BYTES = 16 * 2**20  # allocator and workspace overhead of any call
TOPK_ITERATIONS = 10  # typical block iterations of topk to a 1e-4 residual on GAN spectra


@dataclass(frozen=True)
class Probe:
    """What one forward of G and D at one latent costs: the bytes of every leaf module's output,
    the seconds, the feature dimension F (None for non-feature distances), and the bytes of the
    models' parameters and buffers."""

    activation_bytes: int
    forward_seconds: float
    feature_dim: int | None
    parameter_bytes: int


@dataclass(frozen=True)
class CostEstimate:
    method: str
    memory_bytes: int
    seconds: float
    chunk: int

    def summary(self) -> str:
        return f"~{self.memory_bytes / 2**30:.2f} GiB, ~{self.seconds:.1f} s ({self.method}, chunk {self.chunk})"


_PROBES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # G -> {D -> Probe}


def probe(pb: Pullback) -> Probe:
    """Activation bytes and seconds of one forward of G (and D's features or distance) at z0,
    measured once per (generator, distance) pair and cached: they do not depend on z0. The
    hooks that record the sizes go on shared-weight copies, never on the (shared) models."""
    cached = _PROBES.get(pb.G, {}).get(pb.D)
    if cached is not None:
        return cached
    sizes: list[int] = []

    def record(_module, _inputs, output):
        if isinstance(output, torch.Tensor):
            sizes.append(output.numel() * output.element_size())

    G, D = shared_weight_copy(pb.G), shared_weight_copy(pb.D)
    for m in (m for net in (G, D) for m in net.modules() if not list(m.children())):
        m.register_forward_hook(record)

    def forward() -> int | None:
        with torch.no_grad():
            x = G(pb.z0[None])
            feature_dim = D.features(x).shape[1] if D.has_features else None
            if feature_dim is None:
                D(pb.x0, x)
        return feature_dim

    forward()  # the first call pays one-off costs (allocations, kernel selection): time the second
    sizes.clear()
    start = time.perf_counter()
    feature_dim = forward()
    parameters = sum(t.numel() * t.element_size() for net in (pb.G, pb.D) for t in (*net.parameters(), *net.buffers()))
    found = Probe(sum(sizes), time.perf_counter() - start, feature_dim, parameters)
    _PROBES.setdefault(pb.G, weakref.WeakKeyDictionary())[pb.D] = found
    return found


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
    """Estimated peak memory and time of ``method`` at ``pb.z0``; picks ``chunk`` when None
    (the largest that keeps the batched tangents under ``TANGENT_BUDGET``: larger batches gain
    nothing on a CPU once they leave the caches, measured on omniart-eyes128)."""
    n, act, itemsize = pb.n, found.activation_bytes, pb.z0.element_size()
    out_dim = found.feature_dim or pb.image_dim  # what the exact methods differentiate: psi, or pixels
    hessian = 2 * n * n * 8
    ncv = min(n, max(2 * (k or 1) + 1, 20))
    block = min(n, (k or 1) + OVERSAMPLING)
    if chunk is None:
        chunk = int(max(1, min(n, TANGENT_BUDGET // max(act, 1))))
    if method == "exact":
        # batched tangents; J (and K J for non-feature distances) in float32 and its float64 copy
        memory = chunk * act + out_dim * n * (itemsize + 8) * (1 if found.feature_dim else 2) + hessian
        products = n
    elif method == "topk":
        memory = 2 * block * act + 2 * out_dim * block * 8 + 4 * n * block * TOPK_ITERATIONS * 8
        products = 2 * block * TOPK_ITERATIONS
    elif method == "bp":
        memory, products = 16 * act + hessian, n
    elif method == "lanczos-backward":
        memory, products = 16 * act + n * ncv * 8, 3 * ncv
    else:  # lanczos-forward: float64 copies of the models and their activations
        memory, products = 8 * act * 8 // itemsize + found.parameter_bytes * 8 // itemsize + n * ncv * 8, 3 * ncv
    seconds = found.forward_seconds * products * _TIME_PER_LATENT[method]
    return CostEstimate(method, int(memory + BASELINE_BYTES), seconds, chunk)


def advice(pb: Pullback, found: Probe, k: int = 10) -> str:
    """Which top-k method fits, with its estimate: ``topk`` for feature distances, else
    ``lanczos-backward``."""
    method = "topk" if found.feature_dim else "lanczos-backward"
    k = min(k, pb.n - 1)
    cost = estimate(pb, method, k, None, found)
    return f"method {method} with k = {k} (~{cost.seconds:.0f} s, ~{cost.memory_bytes / 2**30:.2f} GiB)"


def check(cost: CostEstimate, cap: int, seconds_cap: float | None = None, alternative: str = "") -> None:
    """Refuse a request whose estimated memory exceeds ``cap`` bytes, or whose estimated time
    exceeds ``seconds_cap`` (when given), naming the ``alternative`` that fits."""
    if cost.memory_bytes > cap:
        raise ResourceError(
            f"{cost.method} needs an estimated {cost.memory_bytes / 2**30:.1f} GiB, more than the "
            f"{cap / 2**30:.1f} GiB allowed here (set GGL_MEMORY_CAP to change it). Use "
            f"{alternative or 'a top-k method'}, a smaller chunk for exact, or a smaller latent space."
        )
    if seconds_cap is not None and cost.seconds > seconds_cap:
        raise ResourceError(f"{cost.method} would take about {cost.seconds:.0f} s here, more than the "
                            f"{seconds_cap:.0f} s allowed; use {alternative or 'a top-k method'} (top axes only)")

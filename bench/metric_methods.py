"""Time the metric methods against the paper's BP and against the floor, with peak memory.

    python -m bench.metric_methods [--cases dcgan-face64 omniart-eyes128 biggan-deep-128] [--codes 3]
    python -m bench.metric_methods --side-by-side          (only the first table)

First, side by side in one run (``side_by_side``), for dcgan-face64 and omniart-eyes128 with
LPIPS and MSE: the floor (min and median), the paper's BP written as the paper's code writes it
(``paper_bp``), and ``exact`` eager and compiled, each timed interleaved (a floor measurement
between calls, as a user clicking) and back to back (calls in a row, as a sweep runs), with the
speed-up over the paper's BP and the ratio to the floor's minimum. Targets: >= 9x (LPIPS) and
>= 7x (MSE) the paper's BP on dcgan-face64, <= 1.2x the floor on omniart-eyes128.

Every number is a whole ``metric_tensor`` call as a user waits for it (never an inner timer),
median over ``--codes`` seeded latent codes after one warm-up call, each call interleaved with
a floor measurement so that both see the same machine state. The floor is one no-grad batched
forward of generator plus distance features (or distance) on n latents: the least work any
method that sees all n directions can do.

Per case and distance, one table: seconds, speed-up over ``bp``, ratio to the floor, the cost
estimate the guard made and the peak resident memory the call added (Linux: VmHWM after
resetting it through /proc/self/clear_refs), and the top-10 eigenvalue error against ``exact``
for the top-k methods. Cases: ``dcgan-face64`` (every method, and SSIM), ``omniart-eyes128``
(noise space), and a random-weight ``biggan-deep-128`` in its 256-d ``both`` space (its real
weights cannot be downloaded here): the largest latent space available, for ``topk`` against
``lanczos-backward`` at the same k. Targets: exact <= 1.15x the floor; topk >= 5x faster than
lanczos-backward; SSIM exact >= 5x faster than bp.

``--families [NAME ...]``: instead, one row per model family (all, or the ones named) at full
size with random weights (the real ones cannot be downloaded here) and real weights where they
ship: the cost guard's estimate for ``exact``, and the measured ``exact`` and ``topk`` (k = 10,
one call each), seconds and peak memory; ``exact`` is run where its estimate is under
``--exact-budget`` seconds and fits the memory cap.
"""

from __future__ import annotations

import argparse
import ctypes
import re
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from gan_geometry import ITERATIVE, load_distance, load_generator, metric_tensor
from gan_geometry.core import cost
from gan_geometry.core.pullback import Pullback

# case -> (space, generator options, {distance: methods timed})
CASES = {
    "dcgan-face64": (None, {}, {"lpips-alex": ["exact", "bp", "topk", "lanczos-backward", "lanczos-forward"],
                                "mse": ["exact", "bp", "topk", "lanczos-backward"], "ssim": ["exact", "bp"]}),
    "omniart-eyes128": (None, {}, {"lpips-alex": ["exact", "bp", "topk"], "mse": ["exact", "bp", "topk"]}),
    "biggan-deep-128": ("both", {"random_config": True}, {"mse": ["exact", "bp", "topk", "lanczos-backward"],
                                                         "lpips-alex": ["exact", "topk", "lanczos-backward"]}),
}
STATUS = Path("/proc/self/status")


def peak_reset() -> int | None:
    """Return freed memory to the system (glibc keeps it otherwise, hiding later peaks), reset the
    peak resident set size, and return the current one (bytes); None off Linux."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        Path("/proc/self/clear_refs").write_text("5")
        return int(re.search(r"VmRSS:\s+(\d+)", STATUS.read_text())[1]) * 1024
    except (OSError, TypeError, AttributeError):
        return None


def peak_added(before: int | None) -> int | None:
    """Bytes the peak resident set grew by since ``peak_reset``."""
    if before is None:
        return None
    return int(re.search(r"VmHWM:\s+(\d+)", STATUS.read_text())[1]) * 1024 - before


def paper_bp(G, D, z: torch.Tensor) -> np.ndarray:
    """The paper's BP as its code (Animadversio/GAN-Geometry, ``hessian_BP`` through
    ``get_full_hessian``) does it: the distance between the reference image and the image of a
    moving copy of the code, its gradient with ``create_graph``, then one backward pass per entry
    into a float32 matrix, and ``np.linalg.eigh`` of the result."""
    ref_vect = z.detach().clone()[None]
    mov_vect = ref_vect.detach().clone().requires_grad_(True)
    imgs1 = G(ref_vect)
    imgs2 = G(mov_vect)
    dsim = D(imgs1, imgs2)[0]
    hessian_size = mov_vect.numel()
    hessian = torch.zeros(hessian_size, hessian_size)
    loss_grad = torch.autograd.grad(dsim, mov_vect, create_graph=True, retain_graph=True, only_inputs=True)[0].view(-1)
    for idx in range(hessian_size):
        grad2rd = torch.autograd.grad(loss_grad[idx], mov_vect, create_graph=False, retain_graph=True, only_inputs=True)
        hessian[idx] = grad2rd[0].view(-1)
    H = hessian.cpu().data.numpy()
    np.linalg.eigh(H)
    return H


def side_by_side(codes: int) -> None:
    """The paper's BP, the floor and ``exact`` (eager and compiled; interleaved and back to back)."""
    print(f"\nSide by side, one run: whole calls, median over {codes} codes (floor: min / median over every "
          f"measurement); speed-up = paper's BP / method; /floor = method / floor minimum")
    print(f"{'case':34}{'floor min':>10}{'median':>8}{'paper BP':>10}  {'exact':24}{'s':>7}{'speed-up':>10}"
          f"{'/floor':>8}")
    for name in ("dcgan-face64", "omniart-eyes128"):
        G = load_generator(name)
        for dname in ("lpips-alex", "mse"):
            D = load_distance(dname)
            zs = G.sample(codes, seed=0)
            floors = [floor_seconds(G, D) for _ in range(2)]
            paper = []
            for z in zs:
                start = time.perf_counter()
                paper_bp(G, D, z)
                paper.append(time.perf_counter() - start)
                floors.append(floor_seconds(G, D))
            paper_s = statistics.median(paper)
            rows = {}
            for compiled in (False, True):
                metric_tensor(G, D, zs[0], compiled=compiled)  # warm-up (and the compilation)
                interleaved = []
                for z in zs:
                    floors.append(floor_seconds(G, D))
                    start = time.perf_counter()
                    metric_tensor(G, D, z, compiled=compiled)
                    interleaved.append(time.perf_counter() - start)
                start = time.perf_counter()
                for z in zs:
                    metric_tensor(G, D, z, compiled=compiled)
                back_to_back = (time.perf_counter() - start) / len(zs)
                kind = "compiled" if compiled else "eager"
                rows[f"{kind}, interleaved"] = statistics.median(interleaved)
                rows[f"{kind}, back to back"] = back_to_back
            floor_min, floor_median = min(floors), statistics.median(floors)
            label = f"{name} (n = {G.latent_dim}), {dname}"
            for i, (row, seconds) in enumerate(rows.items()):
                head = (f"{label:34}{floor_min:10.3f}{floor_median:8.3f}{paper_s:10.2f}" if i == 0
                        else f"{'':34}{'':10}{'':8}{'':10}")
                print(f"{head}  {row:24}{seconds:7.3f}{paper_s / seconds:9.1f}x{seconds / floor_min:8.2f}", flush=True)


def paper_backward_iter(G, D, z: torch.Tensor, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """The paper's BackwardIter as its code does it (Animadversio/GAN-Geometry, ``hessian_compute``
    with ``GANHVPOperator`` and ``lanczos``): the gradient of D(G(z), G(z + p)) with respect to a
    perturbation p = 1e-4 x randn (create_graph), each Hessian-vector product one more backward
    pass through it in float32, and scipy's ``eigsh`` with which="LM", ncv = 2k, maxiter = 20,
    tol = 1e-6, started from ``np.random.rand``. Returns (eigenvalues, eigenvectors (n, k), the
    number of Hessian-vector products)."""
    from scipy.sparse.linalg import LinearOperator, eigsh

    torch.manual_seed(seed)
    np.random.seed(seed)
    code = z.detach().clone().float()[None]
    perturb = (1e-4 * torch.randn(1, code.numel())).requires_grad_(True)
    with torch.no_grad():
        reference = G(code)
    distance = D(reference, G(code + perturb))[0]
    gradient = torch.autograd.grad(distance, perturb, create_graph=True, retain_graph=True)[0].view(-1)

    calls = [0]

    def hvp(vector: np.ndarray) -> np.ndarray:
        calls[0] += 1
        v = torch.from_numpy(np.asarray(vector).ravel()).float()
        return torch.autograd.grad(gradient, perturb, grad_outputs=v, retain_graph=True)[0].view(-1).numpy()

    n = code.numel()
    values, vectors = eigsh(LinearOperator((n, n), matvec=hvp, dtype=np.float32), k=k, which="LM", maxiter=20,
                            tol=1e-6, ncv=min(2 * k, n - 1), v0=np.random.rand(n))
    order = np.argsort(values)[::-1]
    return values[order], vectors[:, order], calls[0]


LARGE = {  # label -> (generator, space, options): the large latent spaces of issue 33, full size, random weights
    "fc6 (4096-d)": ("fc6", "fc6", {"full_size_random": True}),
    "stylegan2-ffhq-256 w+ (7168-d)": ("stylegan2-ffhq-256", "w+", {"full_size_random": True}),
    "biggan-deep-256 (256-d)": ("biggan-deep-256", "both", {"full_size_random": True}),
}


def top_error(values: np.ndarray, reference: np.ndarray, k: int) -> float:
    """Largest relative error of the top k eigenvalues against the reference's."""
    return float(np.abs(np.asarray(values[:k]) / reference[:k] - 1).max())


def large_spaces(labels: list[str], k: int, distance: str) -> None:
    """The paper's BackwardIter against this project's default top-k method (``topk``, checked)
    and ``lanczos-backward``, on the large latent spaces: seconds, top-k eigenvalue error against a
    reference converged to relative residuals of 1e-6 (eigenvalues to about 1e-12; float32 products
    allow no more), peak memory."""
    from gan_geometry.core.methods import topk

    D = load_distance(distance)
    print(f"\nLarge latent spaces, {distance}, top {k}: seconds / top-{k} eigenvalue error against a reference "
          f"converged to residual 1e-6 / peak MiB / operator products (one vector each)")
    print(f"{'space':34}{'paper BackwardIter':>30}{'topk (default)':>30}{'lanczos-backward':>30}{'topk speed-up':>15}")
    for label in labels:
        name, space, options = LARGE[label]
        G = load_generator(name, space=space, **options)
        z = G.sample(1, seed=0)[0]
        reference = topk.compute(Pullback(G, D, z), k=k, tol=1e-6, max_iter=200, seed=7).eigvals
        cells, seconds = [], {}
        for method in ("paper", "topk", "lanczos-backward"):
            before = peak_reset()
            start = time.perf_counter()
            if method == "paper":
                values, _, products = paper_backward_iter(G, D, z, k)
            else:
                result = metric_tensor(G, D, z, method=method, k=k, compiled=False)
                values = result.eigvals  # topk counts a push and a pull per vector
                products = result.provenance["products"] // (2 if method == "topk" else 1)
            seconds[method] = time.perf_counter() - start
            cells.append(f"{seconds[method]:7.1f} s {top_error(values, reference, k):7.1e} "
                         f"{mib(peak_added(before)):>5} {products:5}")
        print(f"{label:34}{cells[0]:>30}{cells[1]:>30}{cells[2]:>30}{seconds['paper'] / seconds['topk']:14.2f}x",
              flush=True)


def plain_calls(calls: int = 5, switch_within: float = 120.0) -> None:
    """The default path as a user meets it: plain ``metric_tensor(G, D, z)`` calls in one fresh
    process, eager while the compiled product builds (or loads, where it is kept on disk) in the
    background from the second call on, then compiled; beside the paper's BP and an eager call on
    the same codes. Prints the first call against its limit (2 x eager + 1 s), how many calls and
    seconds it took to switch (calls go on until the provenance says compiled, for at most
    ``switch_within`` seconds), and the median of ``calls`` calls after the switch against the
    targets (>= 13x the paper's BP for LPIPS, >= 9x for MSE)."""
    import os

    from gan_geometry.core.compiled import kept

    print(f"\nPlain calls in one process (GGL_COMPILE={os.environ.get('GGL_COMPILE', '1')}): whole-call seconds, "
          f"x the paper's BP")
    G = load_generator("dcgan-face64")
    for distance, target in (("lpips-alex", 13), ("mse", 9)):
        D = load_distance(distance)
        on_disk = kept(G, D, torch.zeros(G.latent_dim, dtype=G.dtype), G.latent_dim)
        codes = G.sample(200, seed=40)
        paper = statistics.median(timed(paper_bp, G, D, z) for z in codes[:3])
        eager = statistics.median(timed(metric_tensor, G, D, z, compiled=False) for z in codes[:3])
        first = timed(metric_tensor, G, D, codes[3])
        start, before, index, compiled = time.perf_counter(), 1, 4, False
        while not compiled and time.perf_counter() - start < switch_within:
            compiled = metric_tensor(G, D, codes[index]).provenance["compiled"]
            index += 1
            before += not compiled
        switched = time.perf_counter() - start
        after = statistics.median(timed(metric_tensor, G, D, z) for z in codes[index:index + calls])
        verdict = "met" if paper / after >= target else "NOT met"
        print(f"{distance:11} paper BP {paper:.2f} s; eager {eager:.3f} s ({paper / eager:.1f}x); first plain call "
              f"{first:.3f} s (limit 2 x eager + 1 s = {2 * eager + 1:.2f} s); compiled product "
              f"{'kept on disk: loaded' if on_disk else 'not kept yet: compiled'}")
        switch = (f"switched to compiled after {before} eager calls, {switched:.1f} s" if compiled else
                  f"still eager after {before} calls, {switched:.1f} s")
        print(f"{'':11} {switch}; then {after:.3f} s (median of {calls}): {paper / after:.1f}x the paper's BP "
              f"(target >= {target}x: {verdict})", flush=True)


def timed(call, *args, **kwargs) -> float:
    """Seconds one ``call(*args, **kwargs)`` takes."""
    start = time.perf_counter()
    call(*args, **kwargs)
    return time.perf_counter() - start


def floor_seconds(G, D) -> float:
    z = G.sample(G.latent_dim, seed=123)
    start = time.perf_counter()
    with torch.no_grad():
        x = G(z)
        D.features(x) if D.has_features else D(x[:1], x)
    return time.perf_counter() - start


def run_method(G, D, method: str, codes: int, k: int):
    """(whole-call seconds per code, floors, peak bytes, estimate bytes, last result)."""
    kwargs = {"k": k} if method in ITERATIVE else {}
    metric_tensor(G, D, G.sample(1, seed=999)[0], method=method, **kwargs)  # warm-up
    seconds, floors, peaks = [], [], []
    for z in G.sample(codes, seed=0):
        floors.append(floor_seconds(G, D))
        before = peak_reset()
        start = time.perf_counter()
        result = metric_tensor(G, D, z, method=method, **kwargs)
        seconds.append(time.perf_counter() - start)
        peaks.append(peak_added(before))
    estimate = result.provenance["estimate"]["memory_bytes"]
    return seconds, floors, max(peaks) if None not in peaks else None, estimate, result


FAMILIES = {  # name -> (space, options)
    "vae-olivetti64": ("z", {}),
    "dcgan-fashion64": ("noise", {"full_size_random": True}),
    "pggan-celebahq256": ("noise", {"full_size_random": True}),
    "stylegan2-ffhq-256": ("z", {"full_size_random": True}),
    "stylegan2-ffhq-256:w+": ("w+", {"full_size_random": True}),
    "stylegan-face256": ("z", {"full_size_random": True}),
    "fc6": ("fc6", {"full_size_random": True}),
    "bigbigan": ("noise", {"full_size_random": True}),
}


def family_rows(names: list[str], k: int, exact_budget: float) -> None:
    print(f"\nFamilies at full size (random weights unless real ones ship), lpips-alex, topk k = {k}")
    print(f"{'generator':26}{'n':>7}{'exact est. s':>14}{'est. MiB':>10}{'exact s':>9}{'exact MiB':>11}{'topk s':>9}"
          f"{'topk MiB':>10}{'max residual':>14}")
    D = load_distance("lpips-alex")
    for label in names:
        space, options = FAMILIES[label]
        G = load_generator(label.split(":")[0], space=space, **options)
        z = G.sample(1, seed=0)[0]
        pb = Pullback(G, D, z)
        found = cost.probe(pb)
        guess = cost.estimate(pb, "exact", None, None, found)
        exact_s = exact_peak = "-"
        if guess.seconds <= exact_budget and guess.memory_bytes <= cost.memory_cap():
            before = peak_reset()
            start = time.perf_counter()
            metric_tensor(G, D, z)
            exact_s, exact_peak = f"{time.perf_counter() - start:.1f}", mib(peak_added(before))
        before = peak_reset()
        start = time.perf_counter()
        result = metric_tensor(G, D, z, method="topk", k=k)
        seconds, peak = time.perf_counter() - start, peak_added(before)
        print(f"{label:26}{G.latent_dim:7}{guess.seconds:14.0f}{mib(guess.memory_bytes):>10}{exact_s:>9}{exact_peak:>11}"
              f"{seconds:9.1f}{mib(peak):>10}{max(result.provenance['residuals']):14.1e}", flush=True)


def mib(value: int | None) -> str:
    return "n/a" if value is None else f"{value / 2**20:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--codes", type=int, default=3)
    parser.add_argument("--k", type=int, default=10, help="eigenpairs for the top-k methods")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--families", nargs="*", choices=list(FAMILIES), metavar="FAMILY",
                        help=f"one row per model family at full size (all, or some of: {', '.join(FAMILIES)})")
    parser.add_argument("--exact-budget", type=float, default=120, help="run exact when estimated under this (s)")
    parser.add_argument("--side-by-side", action="store_true", help="only the side-by-side table with the paper's BP")
    parser.add_argument("--large", nargs="*", choices=list(LARGE), metavar="SPACE",
                        help=f"only the large-space table against the paper's BackwardIter ({', '.join(LARGE)})")
    parser.add_argument("--plain", action="store_true", help="only the plain-call sequence (the default path)")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    if args.plain:
        plain_calls()
        return
    if args.large is not None:
        large_spaces(args.large or list(LARGE), args.k, "mse")
        return
    if args.families is None:
        side_by_side(args.codes)
    if args.side_by_side:
        return
    if args.families is not None:
        family_rows(args.families or list(FAMILIES), args.k, args.exact_budget)
        return
    for name in args.cases:
        space, options, per_distance = CASES[name]
        G = load_generator(name, space=space, device=args.device, **options)
        for dname, methods in per_distance.items():
            D = load_distance(dname, device=args.device)
            rows = {m: run_method(G, D, m, args.codes, args.k) for m in methods}
            exact = rows["exact"][4]
            floor = statistics.median(f for r in rows.values() for f in r[1])
            bp = statistics.median(rows["bp"][0]) if "bp" in rows else None
            found = cost.probe(Pullback(G, D, G.sample(1, seed=0)[0]))
            label = f"{name} ({G.space}, n = {G.latent_dim}{', random weights' if options else ''})"
            print(f"\n{label} with {dname}: floor {floor:.3f} s (median over all calls); probe "
                  f"{found.activation_bytes / 2**20:.0f} MiB of activations per latent")
            print(f"{'method':18}{'median s':>9}{'bp/method':>11}{'method/floor':>14}{'est. MiB':>10}"
                  f"{'peak MiB':>10}{'peak/est':>10}{'top-10 err':>12}")
            for method, (seconds, _, peak, estimate, result) in rows.items():
                median = statistics.median(seconds)
                speedup = f"{bp / median:11.1f}" if bp else f"{'':>11}"
                error = (np.abs(result.eigvals[:args.k] / exact.eigvals[:args.k] - 1).max()
                         if method in ITERATIVE else None)
                ratio = f"{peak / estimate:10.2f}" if peak else f"{'n/a':>10}"
                print(f"{method:18}{median:9.3f}{speedup}{median / floor:14.2f}{mib(estimate):>10}{mib(peak):>10}"
                      f"{ratio}{'' if error is None else f'{error:12.1e}'}")
            if "topk" in rows and "lanczos-backward" in rows:
                print(f"topk vs lanczos-backward (k = {args.k}): "
                      f"{statistics.median(rows['lanczos-backward'][0]) / statistics.median(rows['topk'][0]):.1f}x")


if __name__ == "__main__":
    main()

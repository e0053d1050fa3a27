"""Time the metric methods against the paper's BP and against the floor.

    python -m bench.metric_methods [--cases dcgan-face64 omniart-eyes128 biggan-deep-128] [--seeds 3]

Cases: ``dcgan-face64`` (every method), ``omniart-eyes128`` (noise space) and a random-weight
``biggan-deep-128`` (noise space; its real weights cannot be downloaded here), each with MSE
and LPIPS-alex. Every method runs at the same seeded latent codes (after one warm-up call).
The table gives seconds (min / median over codes), each method's speed-up over
``bp`` (bp median / method median) and its ratio to the floor: one batched forward of generator
plus distance features for n latents, the least work any method that sees all n directions
can do.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from geometry import load_distance, load_generator, metric_tensor
from geometry.core.methods import ITERATIVE, METHODS

# case name -> (generator options, methods timed)
CASES = {
    "dcgan-face64": ({}, list(METHODS)),
    "omniart-eyes128": ({}, ["exact", "bp"]),
    "biggan-deep-128": ({"random_config": True}, ["exact", "bp"]),
}


def floor_seconds(G, D, n: int, repeats: int = 3) -> float:
    """Best time of one batched forward of G and D (features when it has them) on n latents."""
    z = G.sample(n, seed=123)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        with torch.no_grad():
            x = G(z)
            D.features(x) if D.has_features else D(x[:1], x)
        times.append(time.perf_counter() - start)
    return min(times)


def time_method(G, D, method: str, seeds: int, k: int) -> list[float]:
    kwargs = {"k": k} if method in ITERATIVE else {}
    metric_tensor(G, D, G.sample(1, seed=999)[0], method=method, **kwargs)  # warm-up
    times = []
    for seed in range(seeds):
        result = metric_tensor(G, D, G.sample(1, seed=seed)[0], method=method, **kwargs)
        times.append(result.provenance["seconds"])
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    parser.add_argument("--distances", nargs="+", default=["mse", "lpips-alex"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--k", type=int, default=10, help="eigenpairs for the Lanczos methods")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, device {args.device}")
    for name in args.cases:
        options, methods = CASES[name]
        G = load_generator(name, device=args.device, **options)
        for dname in args.distances:
            D = load_distance(dname, device=args.device)
            floor = floor_seconds(G, D, G.latent_dim)
            rows = {m: time_method(G, D, m, args.seeds, args.k) for m in methods}
            bp = statistics.median(rows["bp"])
            label = f"{name} ({G.space}, n = {G.latent_dim}{', random weights' if options else ''})"
            print(f"\n{label} with {dname}: floor {floor:.3f} s")
            print(f"{'method':18}{'min s':>9}{'median s':>10}{'bp / method':>13}{'method / floor':>16}")
            for method, times in rows.items():
                median = statistics.median(times)
                print(f"{method:18}{min(times):9.3f}{median:10.3f}{bp / median:13.1f}{median / floor:16.2f}")


if __name__ == "__main__":
    main()

"""What the geometry buys in optimisation, on dcgan-face64 targets with known codes.

    python -m bench.applications [--targets 4] [--pairs 20] [--parts inversion search curves]

1. Adam inversion (lpips-alex), plain vs eigenbasis vs scaled eigenbasis of the average metric
   of a 30-position sweep: iterations and seconds until the mean distance over targets and
   starts first reaches a fixed level (the level plain Adam reaches after 100 iterations).
2. CMA-ES (mse), plain vs scaled eigenbasis vs scaled top-30 eigenspace: evaluations until the
   best distance reaches a fixed level (plain's after half its budget).
3. Curve shortening (mse): Michelis et al.'s Monte Carlo relative length improvement over
   ``--pairs`` pairs (a sampled start, the end one step of 1.0 along its top eigenvector, towards
   the origin).
Prints the ratios against plain.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import torch

from gan_geometry import load_distance, load_generator
from gan_geometry.analysis import statistics as st
from gan_geometry.analysis.sweeps import run_sweep
from gan_geometry.applications import michelis
from gan_geometry.applications.inversion import Coordinates, invert, search
from gan_geometry.presentation.sentences import interpolation_sentence


def first_below(curve: np.ndarray, level: float) -> float:
    hits = np.nonzero(curve <= level)[0]
    return float(hits[0]) if hits.size else np.inf


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=4)
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--parts", nargs="+", default=["inversion", "search", "curves"],
                        choices=["inversion", "search", "curves"])
    args = parser.parse_args()
    G = load_generator("dcgan-face64")
    lpips, mse = load_distance("lpips-alex"), load_distance("mse")
    if "curves" in args.parts:
        print(f"Curve shortening (Michelis et al.'s endpoint rule, step {michelis.STEPS[0]}), mse, {args.pairs} pairs")
        begin = time.perf_counter()
        result = michelis.monte_carlo(G, mse, pairs=args.pairs, step=michelis.STEPS[0], seed=0, steps=80)
        print("  " + interpolation_sentence(result.summary(), args.pairs)
              + f" ({(time.perf_counter() - begin) / args.pairs:.1f} s per pair)\n")
    if not {"inversion", "search"} & set(args.parts):
        return
    with tempfile.TemporaryDirectory() as tmp:
        sweep = run_sweep(tmp, G, lpips, n=30, seed=0)
        avg = st.average_metric(sweep.eigvals, sweep.eigvecs, sweep.H)
    with torch.no_grad():
        targets = G(G.sample(args.targets, seed=900))
    starts = G.sample(3, seed=901).double().numpy()
    if "inversion" in args.parts:
        invert_part(G, lpips, avg, targets, starts)
    if "search" in args.parts:
        search_part(G, mse, avg, targets, starts)


def invert_part(G, lpips, avg, targets, starts) -> None:
    print("Adam inversion, lpips-alex, 200 iterations, lr 0.05 "
          f"({len(targets)} targets x 3 starts; level = plain's mean distance at iteration 100)")
    curves, seconds = {}, {}
    for basis in ("plain", "eigen", "eigen-scaled"):
        coordinates = Coordinates.build(basis, 100, avg.eigvals, avg.eigvecs)
        begin = time.perf_counter()
        runs = [invert(G, lpips, t[None], starts, coordinates, steps=200) for t in targets]
        seconds[basis] = (time.perf_counter() - begin) / 200
        curves[basis] = np.mean([r.distances.mean(0) for r in runs], axis=0)
    level = curves["plain"][100]
    for basis, curve in curves.items():
        it = first_below(curve, level)
        print(f"  {basis:14} iterations {it:6.0f}  seconds {it * seconds[basis]:6.1f}  "
              f"ratio plain/this {first_below(curves['plain'], level) / it:5.2f}  final {curve[-1]:.4f}")


def search_part(G, mse, avg, targets, starts) -> None:
    print("\nCMA-ES, mse, 2000 evaluations (level = plain's best after 1000 evaluations)")
    runs = {}
    for label, basis, k in (("plain", "plain", None), ("eigen-scaled", "eigen-scaled", None),
                            ("eigen-scaled top-30", "eigen-scaled", 30)):
        coordinates = Coordinates.build(basis, 100, avg.eigvals, avg.eigvecs, k=k)
        per_target = [search(G, mse, t[None], starts[0], coordinates, budget=2000) for t in targets]
        grid = np.arange(0, 2001, 50)
        runs[label] = np.mean([np.interp(grid, r.evaluations, r.best_distance, left=np.inf) for r in per_target], 0)
    level = runs["plain"][20]
    for label, curve in runs.items():
        evals = first_below(curve, level) * 50
        print(f"  {label:20} evaluations {evals:6.0f}  ratio plain/this {1000 / evals:5.2f}  final {curve[-1]:.4f}")


if __name__ == "__main__":
    main()

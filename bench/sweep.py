"""Sweep throughput and the cost of every statistic.

    python -m bench.sweep [--positions 100] [--full] [--backend ray]
    python -m bench.sweep --sizes [1 10 50 150 300 1000] [--distance lpips-alex]

0. ``--sizes``: for each N, whole-process seconds of a loop of eager calls, a loop of default
   calls, a sweep in worker processes, a compiled sweep in one process and the default sweep, with
   the default's ratio to the eager loop (target at N = 150: <= 0.8) and to the fastest other.

1. Positions per minute of a ``dcgan-face64`` sweep with ``mse`` and with ``lpips-alex`` (exact
   method), whole ``run_sweep`` calls (worker start-up, compilation, shards and consolidation
   included), by worker count: one process with every core's threads, and one one-thread worker
   per core, each eager and compiled; measured over ``--positions`` positions and extrapolated to
   1,000. ``--full`` runs the whole 1,000-position ``lpips-alex`` sweep as a plain
   ``gan-geometry sweep`` runs it (the defaults; target: <= 3.5 minutes here).
   ``--backend ray``: instead, one process with all cores' threads against Ray workers with one
   thread each (as many as cores), positions per minute for each, and the fixed cost of starting
   a local Ray.
2. Seconds of each statistic at N = 100 and N = 1,000 on synthetic metrics (n = 100, random
   frames, power-law spectra: the same arithmetic as real ones), against the paper's published
   per-pair loop for the consistency matrix, timed on a subset of pairs and scaled to N^2.
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from gan_geometry import load_distance, load_generator
from gan_geometry.analysis import statistics as st
from gan_geometry.analysis.sweeps import run_sweep


def sweep_rate(distance: str, positions: int, **options) -> float:
    """Seconds per position of a fresh sweep (model loading excluded), ``options`` to run_sweep."""
    G, D = load_generator("dcgan-face64"), load_distance(distance)
    with tempfile.TemporaryDirectory() as tmp:
        run_sweep(f"{tmp}/warm", G, D, n=2, seed=99, workers=1)
        start = time.perf_counter()
        run_sweep(f"{tmp}/sweep", G, D, n=positions, seed=0, generator_options={}, **options)  # as the CLI does
        return (time.perf_counter() - start) / positions


def worker_table(positions: int) -> None:
    """Positions per minute by worker count, eager and compiled, as whole sweeps."""
    import os

    cores = len(os.sched_getaffinity(0))
    layouts = {f"1 process x {cores} threads": {"threads": cores, "workers": 1},
               f"{cores} workers x 1 thread": {"threads": 1, "workers": cores}}
    print(f"Sweep throughput, dcgan-face64, exact, {positions} positions per run, extrapolated to 1,000")
    print(f"  {'distance':11} {'layout':26} {'products':9} {'positions/min':>14} {'1,000 in':>9}")
    for distance in ("mse", "lpips-alex"):
        for layout, options in layouts.items():
            for compiled in (False, True):
                per = sweep_rate(distance, positions, compiled=compiled, **options)
                print(f"  {distance:11} {layout:26} {'compiled' if compiled else 'eager':9} {60 / per:14.1f} "
                      f"{1000 * per / 60:7.2f} min", flush=True)


STRATEGIES = ("eager loop", "default loop", "workers", "compiled", "default sweep")
SIZES = (1, 10, 50, 150, 300, 1000)


def run_cell(strategy: str, N: int, distance: str, folder: str) -> None:
    """One cell of the sizes table, in this (fresh) process: N positions of dcgan-face64 by
    ``strategy``: a loop of eager calls, a loop of default calls (compiled once built in the
    background), a sweep in worker processes, a compiled sweep in one process, or the default sweep."""
    from gan_geometry import metric_tensor
    from gan_geometry.analysis.sweeps import InProcess, LocalWorkers

    G, D = load_generator("dcgan-face64"), load_distance(distance)
    if strategy.endswith("loop"):
        for z in G.sample(N, seed=0):
            metric_tensor(G, D, z, **({"compiled": False} if strategy == "eager loop" else {}))
        return
    options = {"workers": {"compiled": False, "executor": LocalWorkers()},
               "compiled": {"compiled": True, "executor": InProcess()}, "default sweep": {}}[strategy]
    run_sweep(f"{folder}/sweep", G, D, n=N, seed=0, generator_options={}, **options)


def sizes_table(sizes: tuple[int, ...], distance: str) -> None:
    """Whole-process seconds (interpreter and model start-up included, a fresh process per cell) of
    every strategy at every N; the default sweep's ratio to the eager loop and to the fastest."""
    import subprocess
    import sys

    print(f"\nSweep sizes, dcgan-face64, {distance}, exact: seconds of a fresh process per cell (start-up included)")
    print(f"  {'N':>5}" + "".join(f"{name:>15}" for name in STRATEGIES) + f"{'default/eager':>15}{'default/best':>14}")
    for N in sizes:
        cells = {}
        for strategy in STRATEGIES:
            with tempfile.TemporaryDirectory() as folder:
                start = time.perf_counter()
                subprocess.run([sys.executable, "-m", "bench.sweep", "--cell", strategy, str(N), distance, folder],
                               check=True)
                cells[strategy] = time.perf_counter() - start
        best = min(value for name, value in cells.items() if name != "default sweep")
        default = cells["default sweep"]
        print(f"  {N:5}" + "".join(f"{cells[name]:15.1f}" for name in STRATEGIES)
              + f"{default / cells['eager loop']:15.2f}{default / best:14.2f}", flush=True)


def ray_comparison(positions: int) -> None:
    """One process with every core's threads against one-thread Ray workers, and Ray's start."""
    import os

    import ray

    from gan_geometry.analysis.sweeps.ray_cluster import connect

    cores = os.cpu_count()
    print(f"Backends, dcgan-face64, lpips-alex, exact, {positions} positions, {cores} cores")
    local = sweep_rate("lpips-alex", positions, threads=cores)
    start = time.perf_counter()
    connect(None)
    started = time.perf_counter() - start
    remote = sweep_rate("lpips-alex", positions, threads=1, backend="ray")
    ray.shutdown()
    print(f"  local, 1 process x {cores} threads   {60 / local:6.1f} positions/min ({local:.3f} s each)")
    print(f"  ray, {cores} workers x 1 thread      {60 / remote:6.1f} positions/min ({remote:.3f} s each)")
    print(f"  starting a local Ray                {started:6.1f} s once")
    print(f"  ray / local throughput              {local / remote:6.2f}x")


def synthetic(N: int, n: int = 100, seed: int = 0):
    rng = np.random.default_rng(seed)
    lam = np.sort(rng.uniform(0.5, 2, (N, 1)) * np.arange(1, n + 1) ** -2.5, axis=1)[:, ::-1].copy()
    U = np.linalg.qr(rng.standard_normal((N, n, n)))[0]
    return lam, U, (U * lam[:, None, :]) @ np.swapaxes(U, 1, 2)


def paper_loop_seconds_per_pair(lam, U, H, pairs: int = 2000) -> float:
    """The published code's consistency: for each pair, diag(U_i^T H_j U_i) and two corrcoefs."""
    rng = np.random.default_rng(0)
    index = rng.integers(0, len(lam), size=(pairs, 2))
    start = time.perf_counter()
    for i, j in index:
        action = np.diag(U[i].T @ H[j] @ U[i])
        np.corrcoef(action, lam[j])
        np.corrcoef(np.log10(np.abs(action)), np.log10(lam[j]))
    return (time.perf_counter() - start) / pairs


def timed(function, *args, **kwargs) -> tuple[float, object]:
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=100, help="positions timed per run")
    parser.add_argument("--full", action="store_true", help="run the full 1,000-position lpips-alex sweep")
    parser.add_argument("--backend", default=None, choices=["ray"], help="compare the local and Ray backends")
    parser.add_argument("--sizes", type=int, nargs="*", default=None,
                        help=f"only the sizes table (default sizes: {', '.join(map(str, SIZES))}); targets: "
                             f"150 lpips-alex positions <= 0.8x the eager loop, 1,000 <= 2.2 min")
    parser.add_argument("--distance", default="lpips-alex")
    parser.add_argument("--cell", nargs=4, metavar=("STRATEGY", "N", "DISTANCE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.cell:
        strategy, N, distance, folder = args.cell
        run_cell(strategy, int(N), distance, folder)
        return
    if args.sizes is not None:
        sizes_table(tuple(args.sizes) or SIZES, args.distance)
        return
    if args.backend == "ray":
        ray_comparison(args.positions)
        return

    if args.full:
        per = sweep_rate("lpips-alex", 1000)
        print(f"Plain sweep (the defaults), dcgan-face64, lpips-alex, exact: 1,000 positions in {1000 * per / 60:.2f} "
              f"min ({60 / per:.1f} positions/min; target <= 3.5 min)")
    else:
        worker_table(args.positions)

    for N in (100, 1000):
        lam, U, H = synthetic(N)
        print(f"\nStatistics at N = {N}, n = 100 (seconds)")
        t_cons, C = timed(st.consistency, lam, U, H)
        rows = [
            ("spectrum summary", timed(st.spectrum_summary, lam)[0]),
            ("anisotropy table", timed(st.anisotropy_table, lam)[0]),
            ("isotropy illusion", timed(st.isotropy_illusion, lam, U)[0]),
            ("consistency matrices", t_cons),
            ("average metric", timed(st.average_metric, lam, U, H)[0]),
            ("distance comparison", timed(st.compare_distances, (lam, U, H), (2 * lam, U, 2 * H))[0]),
            ("bootstrap summaries", timed(st.bootstrap_summaries, lam, C)[0]),
        ]
        for name, seconds in rows:
            print(f"  {name:22} {seconds:8.2f}")
        loop = paper_loop_seconds_per_pair(lam, U, H) * N * N
        print(f"  paper's per-pair loop  {loop:8.1f}  (timed on 2,000 pairs, scaled to N^2); "
              f"ratio loop / ours {loop / t_cons:.1f}x (target at N = 1000: ours <= 30 s)")


if __name__ == "__main__":
    main()

"""``metric``, ``sweep``, ``stats``, ``compare``: the metric at one code, at many, and their statistics."""

from __future__ import annotations

import argparse

import numpy as np

from gan_geometry.analysis.sweep import BACKENDS
from gan_geometry.cli.options import add_generator, add_method, generator_options, models, number, whole
from gan_geometry.core.metric import metric_tensor
from gan_geometry.errors import GeometryError
from gan_geometry.progress import tqdm_progress


def register(commands) -> None:
    metric = commands.add_parser("metric", help="metric tensor at one sampled latent code")
    add_generator(metric, seed_help="seed of the sampled latent code (sample 0 of this seed)")
    add_method(metric)
    metric.add_argument("--chunk", type=whole(1), default=None,
                        help="tangents per batch for exact (default: by memory; capped at the latent dimension)")
    metric.add_argument("--eps", type=number(positive=True), default=1e-6,
                        help="finite-difference step of lanczos-forward")
    metric.add_argument("--out", default=None, help="directory to save metric.npz and provenance.json")
    metric.set_defaults(run=run_metric)

    sweep = commands.add_parser("sweep", help="metrics at N sampled positions (resumable)")
    add_generator(sweep, seed_help="seed of the sampled positions")
    add_method(sweep)
    sweep.add_argument("--n", type=whole(1, 1_000_000), default=100, help="number of positions")
    sweep.add_argument("--out", required=True, help="sweep directory (rerun the same command to resume)")
    sweep.add_argument("--threads", type=whole(1, 1024), default=None,
                       help="torch threads per position (default: 1 on the CPU for eager sweeps, positions in "
                            "parallel in worker processes; every core's for compiled ones); part of the settings: "
                            "the same threads give the same bits")
    sweep.add_argument("--workers", type=whole(1, 1024), default=None,
                       help="local worker processes (default: cores / threads for eager sweeps, 1 for compiled "
                            "ones); any number gives the same bits")
    sweep.add_argument("--compiled", action=argparse.BooleanOptionalAction, default=None,
                       help="compiled forward-mode products for exact (default: from 300 positions on, in one "
                            "process with every core's threads); part of the settings")
    sweep.add_argument("--backend", default="local", choices=BACKENDS,
                       help="local: this machine's cores; ray: one Ray task per position "
                            "(pip install -r requirements-ray.txt)")
    sweep.add_argument("--address", default=None, help="Ray cluster to join (default: start a local Ray)")
    sweep.add_argument("--cpus-per-task", type=number(positive=True), default=None,
                       help="Ray CPUs per position (default: --threads)")
    sweep.add_argument("--gpus-per-task", type=number(minimum=0), default=0,
                       help="Ray GPUs per position (with --device cuda)")
    sweep.set_defaults(run=run_sweep)

    stats = commands.add_parser("stats", help="anisotropy, homogeneity and the other statistics of a sweep")
    stats.add_argument("dir", help="sweep directory")
    stats.add_argument("--n-boot", type=whole(1, 100_000), default=1000, help="bootstrap resamples for the intervals")
    stats.set_defaults(run=run_stats)

    compare = commands.add_parser("compare", help="compare sweeps: models (paper Tables 2 and 4, a row each) and, "
                                                  "for two distances at the same positions, Table 3")
    compare.add_argument("dirs", nargs="+", metavar="DIR", help="two or more sweep directories")
    compare.set_defaults(run=run_compare)


def run_metric(args: argparse.Namespace) -> None:
    if args.out is not None:  # refused before the metric is computed, not after
        from gan_geometry.io.storage import claim_folder

        claim_folder(args.out, "provenance.json", {"generator": args.generator, "distance": args.distance,
                                                   "requested_method": args.method, "seed": args.seed}
                     | ({"space": args.space} if args.space else {}))
    G, D = models(args)
    z = G.sample(1, seed=args.seed)[0]
    with tqdm_progress(f"metric ({args.method})") as progress:
        result = metric_tensor(G, D, z, method=args.method, k=args.k, chunk=args.chunk, eps=args.eps,
                               seed=args.seed, progress=progress)
    if args.out:
        result.save(args.out)
    from gan_geometry.presentation import spectrum_sentence

    p = result.provenance
    print(f"generator   {p['generator']} ({p['space']} space, n = {result.latent_dim})")
    print(f"distance    {p['distance']}   method {p['method']}   seed {args.seed}")
    print(f"estimate    {p['estimate']['memory_bytes'] / 2**20:.0f} MiB, {p['estimate']['seconds']:.1f} s")
    print(f"time        {p['seconds']:.2f} s")
    print("top eigvals " + " ".join(f"{v:.4g}" for v in result.eigvals[:8]))
    print(f"spectrum    {spectrum_sentence(result.eigvals, result.n_computed, result.latent_dim)}")
    if args.out:
        print(f"saved       {args.out}")


def run_sweep(args: argparse.Namespace) -> None:
    from gan_geometry.analysis.sweep import run_sweep as sweep_positions

    G, D = models(args)
    with tqdm_progress(f"sweep {G.name} / {D.name}") as progress:
        sweep = sweep_positions(args.out, G, D, n=args.n, seed=args.seed, method=args.method, k=args.k,
                                generator_options=generator_options(args), progress=progress, threads=args.threads,
                                workers=args.workers, compiled=args.compiled, backend=args.backend,
                                address=args.address, cpus_per_task=args.cpus_per_task,
                                gpus_per_task=args.gpus_per_task)
    print(f"{sweep.n_positions} positions of {G.name} ({G.space}, n = {G.latent_dim}) with {D.name} in {args.out}")


def run_stats(args: argparse.Namespace) -> None:
    from gan_geometry.analysis.sweep import load_sweep, model_row, sweep_label
    from gan_geometry.presentation import (
        anisotropy_table,
        average_metric_sentence,
        eig,
        estimates_table,
        homogeneity_table,
        isotropy_table,
        text_table,
    )

    sw = load_sweep(args.dir)
    s = sw.settings
    summary = sw.summary(n_boot=args.n_boot)
    spectrum, iso, avg = summary.spectrum, summary.isotropy, summary.average
    print(f"{s['generator']} ({s['space']}, n = {sw.latent_dim}), {s['distance']}, {s['method']}, "
          f"N = {sw.n_positions}, seed {s['seed']}\n")
    ranks = [r for r in (1, 2, 5, 10, 20, 50, 100, 200) if r <= spectrum.mean.size]
    print("Spectrum: eigenvalue by rank, mean [5 %, 95 %]")
    for r in ranks:
        print(f"  {r:4d}  {spectrum.mean[r - 1]:.3e}  [{spectrum.lower[r - 1]:.3e}, {spectrum.upper[r - 1]:.3e}]")
    row = model_row(sweep_label(sw), sw, summary)
    for table in (anisotropy_table([row]), homogeneity_table([row]), isotropy_table(iso)):
        print("\n" + text_table(table))
    print(f"  eigenvectors span alpha from {iso.alpha_eigen[:, -1].mean():.4g} to {iso.alpha_eigen[:, 0].mean():.4g}")
    print(f"\nAverage metric: top eigenvalues {' '.join(eig(v) for v in avg.eigvals[:5])}")
    print(average_metric_sentence(avg))
    print("\n" + text_table(estimates_table(summary.estimates, sw.n_positions, args.n_boot)))


def run_compare(args: argparse.Namespace) -> None:
    from gan_geometry.analysis.statistics import compare_distances
    from gan_geometry.analysis.sweep import load_sweep, model_rows, sweep_label
    from gan_geometry.presentation import distance_comparison_table, model_table, text_table

    if len(args.dirs) < 2:
        raise GeometryError("compare needs at least two sweep directories")
    sweeps = [load_sweep(d) for d in args.dirs]
    rows = model_rows({f"{sweep_label(s)} [{d}]": s for d, s in zip(args.dirs, sweeps, strict=True)})
    print(text_table(model_table(rows)))
    a, b = sweeps[0], sweeps[1]
    if len(sweeps) != 2 or not np.array_equal(a.positions, b.positions):
        return
    result = compare_distances((a.eigvals, a.eigvecs, a.H), (b.eigvals, b.eigvecs, b.H))
    print("\n" + text_table(distance_comparison_table(result, (a.settings["distance"], b.settings["distance"]))))

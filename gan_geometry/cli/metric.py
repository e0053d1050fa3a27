"""``metric``, ``sweep``, ``stats``, ``compare``: the metric at one code, at many, and their statistics."""

from __future__ import annotations

import argparse

import numpy as np

from gan_geometry.cli.options import (
    BACKENDS,
    add_code,
    add_compile,
    add_generator,
    add_method,
    add_trackers,
    code_of,
    executor,
    generator_options,
    models,
    number,
    track,
    whole,
)
from gan_geometry.core.metric import metric_tensor
from gan_geometry.errors import GeometryError
from gan_geometry.progress import tqdm_progress


def register(commands) -> None:
    metric = commands.add_parser("metric", help="metric tensor at one sampled latent code")
    add_generator(metric, seed_help="seed of the sampled latent code (sample 0 of this seed)")
    add_code(metric)
    add_method(metric)
    metric.add_argument("--chunk", type=whole(1), default=None,
                        help="tangents per batch for exact (default: by memory; capped at the latent dimension)")
    metric.add_argument("--eps", type=number(positive=True), default=1e-6,
                        help="finite-difference step of lanczos-forward")
    metric.add_argument("--out", default=None, help="directory to save metric.npz and provenance.json")
    add_compile(metric, "compiled forward-mode products for exact: --compile builds them now (seconds, once per "
                        "model: worth it in a long-lived process, see the README); default: eager")
    add_trackers(metric)
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
                       help="local worker processes, at most one per core (default: cores / threads for eager "
                            "sweeps, none for compiled ones); any number gives the same bits")
    add_compile(sweep, "compiled forward-mode products for exact (default: from 300 positions on, in one process "
                       "with every core's threads); part of the settings")
    sweep.add_argument("--backend", default="local", choices=BACKENDS,
                       help="local: this machine's cores; ray: one Ray task per position (extra [ray])")
    sweep.add_argument("--address", default=None,
                       help="with --backend ray: the Ray cluster to join, host:port (default: start a local Ray)")
    sweep.add_argument("--cpus-per-task", type=number(positive=True), default=None,
                       help="with --backend ray: CPUs per position (default: --threads)")
    sweep.add_argument("--gpus-per-task", type=number(minimum=0), default=0,
                       help="with --backend ray: GPUs per position (with --device cuda)")
    add_trackers(sweep)
    sweep.set_defaults(run=run_sweep)

    stats = commands.add_parser("stats", help="anisotropy, homogeneity and the other statistics of a sweep")
    stats.add_argument("dir", help="sweep directory")
    stats.add_argument("--n-boot", type=whole(1, 100_000), default=1000, help="bootstrap resamples for the intervals")
    stats.add_argument("--json", action="store_true",
                       help="print every statistic as JSON, named by definition (the paper's Table 2 under "
                            "anisotropy.paper)")
    stats.set_defaults(run=run_stats)

    compare = commands.add_parser("compare", help="compare sweeps: models (paper Tables 2 and 4, a row each) and, "
                                                  "for two distances at the same positions, Table 3")
    compare.add_argument("dirs", nargs="+", metavar="DIR", help="two or more sweep directories")
    compare.set_defaults(run=run_compare)


def run_metric(args: argparse.Namespace) -> None:
    from gan_geometry.presentation.sentences import spectrum_sentence
    from gan_geometry.presentation.tables import metric_facts, text_table

    if args.out is not None:  # refused before the metric is computed, not after
        from gan_geometry.io.storage import claim_folder

        claim_folder(args.out, "provenance.json", {"generator": args.generator, "distance": args.distance,
                                                   "requested_method": args.method, "seed": args.seed}
                     | ({"space": args.space} if args.space else {}))
    G, D = models(args)
    z = code_of(args, G)
    with tqdm_progress(f"metric ({args.method})") as progress:
        result = metric_tensor(G, D, z, method=args.method, k=args.k, chunk=args.chunk, eps=args.eps,
                               seed=args.seed, progress=progress,
                               compiled=bool(args.compiled))  # one metric per process: no background build
    if args.out:
        result.save(args.out)
    print(text_table(metric_facts(result, result.latent_dim)))
    print(f"spectrum     {spectrum_sentence(result.eigvals, result.n_computed, result.latent_dim)}")
    if args.out:
        print(f"saved        {args.out}")
    from gan_geometry.trackers import log_metric

    track(args, f"metric-{G.name}-{D.name}-seed{args.seed}", result.provenance, lambda t: log_metric(t, result))


def run_sweep(args: argparse.Namespace) -> None:
    from gan_geometry.analysis.sweeps import run_sweep as sweep_positions

    G, D = models(args)
    with tqdm_progress(f"sweep {G.name} / {D.name}") as progress:
        sweep = sweep_positions(args.out, G, D, n=args.n, seed=args.seed, method=args.method, k=args.k,
                                generator_options=generator_options(args), progress=progress, threads=args.threads,
                                compiled=args.compiled, executor=executor(args))
    print(f"{sweep.n_positions} positions of {G.name} ({G.space}, n = {G.latent_dim}) with {D.name} in {args.out}")
    from gan_geometry.trackers import log_sweep

    track(args, f"sweep-{G.name}-{D.name}-n{args.n}-seed{args.seed}", sweep.settings, lambda t: log_sweep(t, sweep))


def run_stats(args: argparse.Namespace) -> None:
    from gan_geometry.analysis.sweeps import load_sweep
    from gan_geometry.presentation import sentences as say
    from gan_geometry.presentation import tables

    sweep = load_sweep(args.dir)
    summary = sweep.summary(n_boot=args.n_boot)
    row = tables.model_row(tables.sweep_label(sweep.settings), sweep, summary)
    if args.json:
        import json

        from gan_geometry.presentation.records import summary_record

        print(json.dumps(summary_record(sweep, summary), indent=2))
        return
    print(say.sweep_heading(sweep.settings, sweep.n_positions, sweep.latent_dim) + "\n")
    for table in (tables.spectrum_table(summary.spectrum), tables.anisotropy_table([row]),
                  tables.homogeneity_table([row]), tables.isotropy_table(summary.isotropy)):
        print(tables.text_table(table) + "\n")
    print("Average metric: " + say.average_metric_sentence(summary.average) + "\n")
    print(tables.text_table(tables.estimates_table(summary.estimates, sweep.n_positions, args.n_boot)))


def run_compare(args: argparse.Namespace) -> None:
    from gan_geometry.analysis.statistics import compare_distances
    from gan_geometry.analysis.sweeps import load_sweep
    from gan_geometry.presentation import tables

    if len(args.dirs) < 2:
        raise GeometryError("compare needs at least two sweep directories")
    sweeps = [load_sweep(d) for d in args.dirs]
    rows = tables.model_rows({f"{tables.sweep_label(s.settings)} [{d}]": s
                              for d, s in zip(args.dirs, sweeps, strict=True)})
    print(tables.text_table(tables.anisotropy_table(rows)) + "\n")
    print(tables.text_table(tables.homogeneity_table(rows)))
    a, b = sweeps[0], sweeps[1]
    if len(sweeps) != 2 or not np.array_equal(a.positions, b.positions):
        return
    result = compare_distances((a.eigvals, a.eigvecs, a.H), (b.eigvals, b.eigvecs, b.H))
    names = (a.settings["distance"], b.settings["distance"])
    print("\n" + tables.text_table(tables.distance_comparison_table(result, names)))

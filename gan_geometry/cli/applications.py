"""``invert``, ``search``, ``interpolate``: what the geometry buys in optimisation."""

from __future__ import annotations

import argparse

import numpy as np
import torch

from gan_geometry.applications.inversion import BASES
from gan_geometry.cli.options import add_generator, models, number, whole
from gan_geometry.errors import GeometryError
from gan_geometry.io.storage import claim_folder, save_runs
from gan_geometry.progress import tqdm_progress


def register(commands) -> None:
    for name, helptext, run in (("invert", "Adam inversion, plain vs eigenbasis of the average metric", run_invert),
                                ("search", "CMA-ES search, plain vs metric-shaped", run_search)):
        sub = commands.add_parser(name, help=helptext)
        add_generator(sub, seed_help="seed of the starting codes")
        sub.add_argument("--target-seed", type=whole(), default=1000, help="target = G(sample 0 of this seed)")
        sub.add_argument("--target-image", default=None, help="target image file, resized to the generator")
        sub.add_argument("--sweep", default=None, help="sweep of this generator whose average metric gives the bases")
        sub.add_argument("--bases", nargs="+", default=list(BASES), choices=BASES,
                         help="coordinates to optimise in: plain, the average metric's eigenbasis, or it scaled by "
                              "lambda^-1/2 (default: all)")
        sub.add_argument("--k", type=whole(1), default=None, help="restrict eigen bases to the top-k directions")
        sub.add_argument("--out", required=True, help="result directory (the report builder reads it)")
        sub.set_defaults(run=run)
    invert, search = commands.choices["invert"], commands.choices["search"]
    invert.add_argument("--starts", type=whole(1, 1000), default=4, help="random starting codes")
    invert.add_argument("--steps", type=whole(1, 1_000_000), default=200, help="Adam iterations")
    invert.add_argument("--lr", type=number(positive=True), default=0.05, help="Adam learning rate")
    search.add_argument("--budget", type=whole(2, 10_000_000), default=2000, help="function evaluations")
    search.add_argument("--sigma", type=number(positive=True), default=0.5, help="initial CMA-ES step size")

    interpolate = commands.add_parser("interpolate", help="shorter B-spline curves than straight lines")
    add_generator(interpolate, seed_help="seed of the pairs")
    interpolate.add_argument("--pairs", type=whole(1, 100_000), default=20, help="Monte Carlo pairs")
    interpolate.add_argument("--shift", type=number(), default=2.0,
                             help="start moved this far along the top eigenvector")
    interpolate.add_argument("--steps", type=whole(1, 1_000_000), default=100, help="Adam steps per curve")
    interpolate.add_argument("--segments", type=whole(2, 10_000), default=32, help="segments while optimising")
    interpolate.add_argument("--out", required=True, help="result directory (the report builder reads it)")
    interpolate.set_defaults(run=run_interpolate)


def setup(args: argparse.Namespace):
    """Generator, distance, target (a generated image of --target-seed, or --target-image
    resized), and the average metric of --sweep (for the eigen bases), which must be a sweep of
    the same generator and space."""
    from gan_geometry.analysis.sweeps import load_sweep
    from gan_geometry.applications.inversion import load_target

    G, D = models(args)
    if args.target_image:
        target, true_z = load_target(args.target_image, G), None
    else:
        true_z = G.sample(1, seed=args.target_seed)
        with torch.no_grad():
            target = G(true_z)
    avg = None
    if args.sweep:
        sweep = load_sweep(args.sweep)
        made_by = (sweep.settings.get("generator"), sweep.settings.get("space"))
        if made_by != (G.name, G.space) or sweep.latent_dim != G.latent_dim:
            raise GeometryError(f"the sweep in {args.sweep} is of {made_by[0]} ({made_by[1]} space, n = "
                                f"{sweep.latent_dim}), not of {G.name} ({G.space} space, n = {G.latent_dim})")
        avg = sweep.summary(n_boot=1).average
    return G, D, target, true_z, avg


def bases(args, avg, n):
    from gan_geometry.applications.inversion import Coordinates

    if avg is None and any(b != "plain" for b in args.bases):
        raise GeometryError("the eigen bases need --sweep DIR (a sweep of this generator) for the average metric")
    return [Coordinates.build(b, n, avg and avg.eigvals, avg and avg.eigvecs,
                              k=args.k if b != "plain" else None) for b in args.bases]


def run_invert(args: argparse.Namespace) -> None:
    from gan_geometry.applications.inversion import best_distance_table, invert

    G, D, target, true_z, avg = setup(args)
    settings = {"generator": G.name, "space": G.space, "distance": D.name, "starts": args.starts, "seed": args.seed,
                "steps": args.steps, "lr": args.lr, "k": args.k,
                "target_seed": None if true_z is None else args.target_seed}
    claim_folder(args.out, "inversion.json", settings)  # before computing: another run there is never overwritten
    starts = G.sample(args.starts, seed=args.seed).double().cpu().numpy()
    runs = []
    for coordinates in bases(args, avg, G.latent_dim):
        with tqdm_progress(f"invert ({coordinates.basis})") as progress:
            runs.append(invert(G, D, target, starts, coordinates, steps=args.steps, lr=args.lr, progress=progress))
    rows = best_distance_table(runs)
    arrays = {"target": target.cpu().double().numpy()[0]}
    for run in runs:
        arrays |= {f"{run.basis}_distances": run.distances, f"{run.basis}_final_images": run.final_images}
    save_runs(args.out, "inversion", settings, arrays, {"best_distances": rows})
    from gan_geometry.presentation.tables import inversion_table, text_table

    print(f"Inversion of {'a generated' if true_z is not None else 'an uploaded'} target with {D.name}, "
          f"{args.starts} starts, {args.steps} Adam steps")
    print(text_table(inversion_table(rows)))


def run_search(args: argparse.Namespace) -> None:
    from gan_geometry.applications.inversion import search

    G, D, target, true_z, avg = setup(args)
    settings = {"generator": G.name, "space": G.space, "distance": D.name, "budget": args.budget, "sigma0": args.sigma,
                "seed": args.seed, "k": args.k}
    claim_folder(args.out, "search.json", settings)
    start = G.sample(1, seed=args.seed)[0].double().cpu().numpy()
    arrays, summary = {}, {}
    for coordinates in bases(args, avg, G.latent_dim):
        with tqdm_progress(f"CMA-ES ({coordinates.basis})") as progress:
            run = search(G, D, target, start, coordinates, budget=args.budget, sigma0=args.sigma, seed=args.seed,
                         progress=progress)
        label = run.basis + (f"-top{coordinates.B.shape[1]}" if coordinates.B.shape[1] < G.latent_dim else "")
        arrays |= {f"{label}_evaluations": run.evaluations, f"{label}_best": run.best_distance}
        summary[label] = float(run.best_distance[-1])
    save_runs(args.out, "search", settings, arrays, {"final_best": summary})
    from gan_geometry.presentation.tables import search_table, text_table

    print(f"CMA-ES with {D.name}, {args.budget} evaluations")
    print(text_table(search_table(summary)))


def run_interpolate(args: argparse.Namespace) -> None:
    from gan_geometry.analysis.traversal import render
    from gan_geometry.applications.paths import interpolation_experiment, line, shorten

    G, D = models(args)
    options = {"steps": args.steps, "segments": args.segments}
    settings = {"generator": G.name, "space": G.space, "distance": D.name, "pairs": args.pairs, "shift": args.shift,
                "seed": args.seed, **options}
    claim_folder(args.out, "interpolation.json", settings)
    with tqdm_progress("interpolation") as progress:
        experiment = interpolation_experiment(G, D, pairs=args.pairs, shift=args.shift, seed=args.seed,
                                              progress=progress, **options)
    z0, z1 = G.sample(2, seed=args.seed + 2).double().cpu().numpy()
    example = shorten(G, D, z0, z1, **options)
    frames = np.linspace(0, len(example.points) - 1, 8).round().astype(int)
    arrays = {"line_lengths": experiment.line_lengths, "curve_lengths": experiment.curve_lengths,
              "improvements": experiment.improvements,
              "line_images": render(G, line(z0, z1, len(example.points) - 1)[frames]),
              "curve_images": render(G, example.points[frames])}
    summary = {"mean": experiment.mean, "std": experiment.std, "min": float(experiment.improvements.min()),
               "max": float(experiment.improvements.max()), "example_improvement": example.improvement}
    save_runs(args.out, "interpolation", settings, arrays, summary)
    from gan_geometry.presentation.sentences import interpolation_sentence

    print(interpolation_sentence(summary, args.pairs))

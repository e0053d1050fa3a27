"""``invert``, ``search``, ``interpolate``, ``slice``: what the geometry buys, and Michelis et al.'s experiments."""

from __future__ import annotations

import argparse

import numpy as np
import torch

from gan_geometry.applications.inversion import BASES
from gan_geometry.cli.options import add_generator, models, number, option, whole
from gan_geometry.core.metric import metric_tensor
from gan_geometry.errors import GeometryError
from gan_geometry.io.storage import claim_folder, save_runs
from gan_geometry.progress import tqdm_progress
from gan_geometry.registry import REGISTRY, load_generator


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

    interpolate = commands.add_parser("interpolate", help="Michelis et al.: how much shorter than straight lines "
                                                        "curves can be (one model, or two compared)")
    add_generator(interpolate, seed_help="seed of the starts (of the pairs' codes with --versus)")
    interpolate.add_argument("--pairs", type=whole(1, 100_000), default=20, help="Monte Carlo pairs")
    interpolate.add_argument("--step", type=number(positive=True, maximum=100), default=None,
                             help="step along the top eigenvector, towards the origin (default: 1.0 as the paper's "
                                  "MNIST_MCimprovement.py)")
    interpolate.add_argument("--steps", type=whole(1, 1_000_000), default=100, help="Adam steps per curve")
    interpolate.add_argument("--segments", type=whole(2, 10_000), default=32, help="segments while optimising")
    interpolate.add_argument("--versus", default=None, choices=list(REGISTRY), metavar="GENERATOR",
                             help="compare with another generator (Appendix D): the same output pairs, found in its "
                                  "latent space by inversion")
    interpolate.add_argument("--versus-option", type=option, action="append", default=[], metavar="KEY=VALUE",
                             help="an option of the --versus generator, repeatable")
    interpolate.add_argument("--threshold", type=number(minimum=0, maximum=1), default=0.05,
                             help="with --versus: pairs whose improvements differ by at most this are comparable")
    interpolate.add_argument("--out", required=True, help="result directory (the report builder reads it)")
    interpolate.set_defaults(run=run_interpolate)

    plane = commands.add_parser("slice", help="Michelis et al. Fig. 1: maps of the metric over a 2-D slice through a "
                                              "code (condition number, log-determinant, fastest direction)")
    add_generator(plane, seed_help="seed of the code (sample 0 of this seed)")
    plane.add_argument("--ranks", type=whole(1), nargs=2, default=[1, 2], metavar=("R1", "R2"),
                       help="the eigen-ranks whose eigenvectors span the slice")
    plane.add_argument("--extent", type=number(positive=True), default=2.0,
                       help="half-width of the slice, in latent units")
    plane.add_argument("--size", type=whole(3, 41), default=11, help="grid points per side")
    plane.add_argument("--out", required=True, help="result directory (the report builder reads it)")
    plane.set_defaults(run=run_slice)


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
    from gan_geometry.applications import michelis
    from gan_geometry.applications.paths import line, shorten
    from gan_geometry.presentation.sentences import comparison_sentence, interpolation_sentence

    G, D = models(args)
    step = args.step if args.step is not None else michelis.STEPS[1 if args.versus else 0]
    options = {"steps": args.steps, "segments": args.segments}
    if args.versus:
        other = load_generator(args.versus, device=args.device, **dict(args.versus_option))
        settings = {"generator": G.name, "space": G.space, "versus": other.name, "distance": D.name,
                    "pairs": args.pairs, "seed": args.seed, "threshold": args.threshold, **options}
        claim_folder(args.out, "two-models.json", settings)
        with tqdm_progress("two models") as progress:
            result = michelis.compare_models(G, other, D, pairs=args.pairs, seed=args.seed, threshold=args.threshold,
                                             progress=progress, **options)
        save_runs(args.out, "two-models", settings, {"a": result.a.improvements, "b": result.b.improvements,
                                                      "fit": result.fit},
                  {"a": result.a.summary(), "b": result.b.summary(), "comparable": result.comparable.tolist()})
        print(comparison_sentence(result.names, result.a.summary(), result.b.summary(), result.comparable.tolist(),
                                  args.pairs, args.threshold))
        return
    settings = {"generator": G.name, "space": G.space, "distance": D.name, "pairs": args.pairs, "step": step,
                "seed": args.seed, **options}
    claim_folder(args.out, "interpolation.json", settings)
    with tqdm_progress("interpolation") as progress:
        experiment = michelis.monte_carlo(G, D, pairs=args.pairs, step=step, seed=args.seed, progress=progress,
                                          **options)
    z0, z1 = experiment.starts[0], experiment.ends[0]
    example = shorten(G, D, z0, z1, **options)
    frames = np.linspace(0, len(example.points) - 1, 8).round().astype(int)
    summary = {**experiment.summary(), "example_improvement": example.improvement}
    arrays = {"line_lengths": experiment.line_lengths, "curve_lengths": experiment.curve_lengths,
              "improvements": experiment.improvements,
              "line_images": render(G, line(z0, z1, len(example.points) - 1)[frames]),
              "curve_images": render(G, example.points[frames])}
    save_runs(args.out, "interpolation", settings, arrays, summary)
    print(interpolation_sentence(summary, args.pairs))


def run_slice(args: argparse.Namespace) -> None:
    from gan_geometry.analysis.slices import slice_maps
    from gan_geometry.presentation.sentences import slice_sentence

    G, D = models(args)
    settings = {"generator": G.name, "space": G.space, "distance": D.name, "seed": args.seed, "ranks": args.ranks,
                "extent": args.extent, "size": args.size}
    claim_folder(args.out, "slice.json", settings)
    z = G.sample(1, seed=args.seed)[0]
    m = metric_tensor(G, D, z, method="exact" if G.latent_dim <= 512 else "topk",
                      k=None if G.latent_dim <= 512 else max(args.ranks), compiled=False)
    if max(args.ranks) > m.n_computed:
        raise GeometryError(f"ranks must lie in 1..{m.n_computed}; got {args.ranks}")
    with tqdm_progress("slice") as progress:
        maps = slice_maps(G, D, m.z, m.eigvecs[:, [r - 1 for r in args.ranks]], args.extent, args.size,
                          tuple(f"rank {r}" for r in args.ranks), progress)
    save_runs(args.out, "slice", settings, {"z0": maps.z0, "axes": maps.axes, "offsets": maps.offsets,
                                            "condition": maps.condition, "log_det": maps.log_det,
                                            "direction": maps.direction}, {"labels": list(maps.labels)})
    print(slice_sentence(maps))

"""Command line: ``python -m geometry <command> --help``.

    python -m geometry metric --generator dcgan-face64 --distance mse --method exact --seed 0 --out DIR
    python -m geometry sweep --generator dcgan-face64 --distance lpips-alex --n 100 --seed 0 --out DIR
    python -m geometry stats DIR
    python -m geometry compare DIR_LPIPS DIR_MSE
    python -m geometry traverse --ranks 0 1 2 5 10 --steps -3 -1.5 0 1.5 3 --out montage.png
    python -m geometry axes --family sefa|pca|file --out DIR
    python -m geometry invert|search --sweep DIR --out OUT;  python -m geometry interpolate --out OUT
    python -m geometry samples --generator dcgan-face64 --n 16 --out grid.png
    python -m geometry generators
    python -m geometry fetch-weights
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from geometry.distances import DISTANCE_NAMES, load_distance
from geometry.errors import GeometryError
from geometry.methods import METHODS
from geometry.metric import metric_tensor
from geometry.progress import tqdm_progress
from geometry.registry import REGISTRY, load_generator
from geometry.statistics import ANISOTROPY_FRACTIONS, anisotropy_dims
from geometry.weights import KNOWN_FILES, weight_path


def _option(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` with VALUE read as JSON when it parses (numbers, true/false), else a string."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got '{text}'")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def whole(minimum: int = 0, maximum: int = 2**63 - 1):
    """argparse type: a whole number in minimum..maximum; integral floats (1e3) are accepted."""

    def parse(text: str) -> int:
        try:
            value = float(text)
            integral = value.is_integer()
        except ValueError:
            integral = False
        if not integral or not minimum <= value <= maximum:
            raise argparse.ArgumentTypeError(f"must be a whole number in {minimum}..{maximum}; got '{text}'")
        return int(value)

    return parse


def number(positive: bool = False):
    """argparse type: a finite number (and > 0 when ``positive``)."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not np.isfinite(value) or (positive and value <= 0):
            raise argparse.ArgumentTypeError(f"must be a finite{' positive' if positive else ''} number; got '{text}'")
        return value

    return parse


def device(text: str) -> str:
    """argparse type: a torch device this machine has."""
    from geometry.devices import resolve_device

    try:
        return str(resolve_device(text))
    except GeometryError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def image_file(text: str) -> Path:
    """argparse type: an output image path whose extension names a format (.png, .jpg, .webp)."""
    from geometry.storage import check_writable

    path = Path(text)
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        raise argparse.ArgumentTypeError(f"'{text}' needs an image extension: .png, .jpg or .webp")
    try:
        return check_writable(path, "image file")
    except GeometryError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _add_generator_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--generator", default="dcgan-face64", choices=list(REGISTRY), help="registered generator")
    parser.add_argument("--space", default=None, help="latent space of the generator (default: its first)")
    parser.add_argument("--option", type=_option, action="append", default=[], metavar="KEY=VALUE",
                        help="generator option, repeatable (e.g. eye_class=blue, truncation=0.5)")


def _add_metric_arguments(parser: argparse.ArgumentParser, seed_help: str) -> None:
    """Generator, distance, method, k, seed and device: what every metric computation needs."""
    _add_generator_arguments(parser)
    parser.add_argument("--distance", default="lpips-alex", choices=DISTANCE_NAMES, help="image distance")
    parser.add_argument("--method", default="exact", choices=list(METHODS), help="how to compute the metric")
    parser.add_argument("--k", type=whole(1), default=None, help="eigenpairs for lanczos-* (default min(20, n-1))")
    parser.add_argument("--seed", type=whole(), default=0, help=seed_help)
    parser.add_argument("--device", type=device, default="cpu", help="torch device, e.g. cpu or cuda")


def _metric(args: argparse.Namespace) -> None:
    G = load_generator(args.generator, space=args.space, device=args.device, **dict(args.option))
    D = load_distance(args.distance, device=args.device)
    z = G.sample(1, seed=args.seed)[0]
    with tqdm_progress(f"metric ({args.method})") as progress:
        result = metric_tensor(G, D, z, method=args.method, k=args.k, chunk=args.chunk, eps=args.eps,
                               seed=args.seed, progress=progress)
    if args.out:
        result.save(args.out)
    p = result.provenance
    dims = anisotropy_dims(result.eigvals[: result.n_computed])
    print(f"generator   {p['generator']} ({p['space']} space, n = {result.latent_dim})")
    print(f"distance    {p['distance']}   method {p['method']}   seed {args.seed}")
    print(f"estimate    {p['estimate']['memory_bytes'] / 2**20:.0f} MiB, {p['estimate']['seconds']:.1f} s")
    print(f"time        {p['seconds']:.2f} s")
    print("top eigvals " + " ".join(f"{v:.4g}" for v in result.eigvals[:8]))
    scope = "of the computed spectrum" if result.n_computed < result.latent_dim else "of the spectrum"
    print(f"anisotropy  dims holding {', '.join(f'{f:g}' for f in ANISOTROPY_FRACTIONS)} {scope}: "
          + " / ".join(str(d) for d in dims) + f" of {result.n_computed}")
    if args.out:
        print(f"saved       {args.out}")


def _samples(args: argparse.Namespace) -> None:
    from torchvision.utils import save_image

    G = load_generator(args.generator, space=args.space, **dict(args.option))
    with torch.no_grad():
        images = G(G.sample(args.n, seed=args.seed))
    save_image(images, args.out, nrow=args.nrow, padding=2)
    print(f"saved {args.n} samples of {G.name} ({G.space} space, seed {args.seed}) to {args.out}")


def _sweep(args: argparse.Namespace) -> None:
    from geometry.sweep import run_sweep

    options = dict(args.option)
    G = load_generator(args.generator, space=args.space, device=args.device, **options)
    D = load_distance(args.distance, device=args.device)
    with tqdm_progress(f"sweep {G.name} / {D.name}") as progress:
        sweep = run_sweep(args.out, G, D, n=args.n, seed=args.seed, method=args.method, k=args.k,
                          generator_options=options, progress=progress)
    print(f"{sweep.n_positions} positions of {G.name} ({G.space}, n = {G.latent_dim}) with {D.name} in {args.out}")


def _stats(args: argparse.Namespace) -> None:
    from geometry import statistics as st
    from geometry.sweep import load_sweep

    sw = load_sweep(args.dir)
    s = sw.settings
    lam = np.asarray(sw.eigvals[:, : sw.n_computed])
    print(f"{s['generator']} ({s['space']}, n = {sw.latent_dim}), {s['distance']}, {s['method']}, "
          f"N = {sw.n_positions}, seed {s['seed']}\n")
    spectrum = st.spectrum_summary(lam)
    ranks = [r for r in (1, 2, 5, 10, 20, 50, 100, 200) if r <= lam.shape[1]]
    print("Spectrum: eigenvalue by rank, mean [5 %, 95 %]")
    for r in ranks:
        print(f"  {r:4d}  {spectrum.mean[r - 1]:.3e}  [{spectrum.lower[r - 1]:.3e}, {spectrum.upper[r - 1]:.3e}]")
    table = st.anisotropy_table(lam)
    print(f"\nAnisotropy (paper Table 2): dimensions holding a fraction of the spectrum, of {table.n}")
    for f, mean, std in zip(table.fractions, table.mean, table.std, strict=True):
        print(f"  {f:<8g} {mean:6.1f} +- {std:.1f}")
    C = st.consistency(sw.eigvals, sw.eigvecs, sw.H)
    print("\nHomogeneity (paper Table 4): off-diagonal C^H, mean std")
    print(f"  log scale  {C.log_mean:.3f}  {C.log_std:.3f}\n  linear     {C.lin_mean:.3f}  {C.lin_std:.3f}")
    iso = st.isotropy_illusion(sw.eigvals, sw.eigvecs)
    print("\nIsotropy illusion: alpha(v) = v^T H v for random unit v, averaged over positions")
    print(f"  mean      empirical {iso.empirical_mean.mean():.4e}   theory {iso.theory_mean.mean():.4e}")
    print(f"  variance  empirical {iso.empirical_var.mean():.4e}   theory {iso.theory_var.mean():.4e}")
    print(f"  eigenvectors span alpha from {iso.alpha_eigen[:, -1].mean():.2e} to {iso.alpha_eigen[:, 0].mean():.2e}")
    avg = st.average_metric(sw.eigvals, sw.eigvecs, sw.H)
    print(f"\nAverage metric: top eigenvalues {' '.join(f'{v:.3e}' for v in avg.eigvals[:5])}")
    print(f"  its top {avg.k} axes hold {avg.explained.mean():.3f} of each local trace on average; "
          f"C^H of its frame: lin {np.nanmean(avg.consistency_lin):.3f}, log {np.nanmean(avg.consistency_log):.3f}")
    print(f"\nSummary with 95 % bootstrap intervals over positions ({args.n_boot} resamples)")
    for e in st.bootstrap_summaries(lam, C, n_boot=args.n_boot):
        print(f"  {e.name:16} {e.value:10.4g}  [{e.low:.4g}, {e.high:.4g}]")


def _compare(args: argparse.Namespace) -> None:
    from geometry.statistics import compare_distances
    from geometry.sweep import load_sweep

    a, b = load_sweep(args.dir_a), load_sweep(args.dir_b)
    if not np.array_equal(a.positions, b.positions):
        raise GeometryError(f"{args.dir_a} and {args.dir_b} are not at the same positions; sweep both with the "
                            f"same generator, --n and --seed")
    result = compare_distances((a.eigvals, a.eigvecs, a.H), (b.eigvals, b.eigvecs, b.H))
    A, B = a.settings["distance"], b.settings["distance"]
    print(f"Distance comparison (paper Table 3) at {a.n_positions} positions: A = {A}, B = {B}; mean std")
    labels = {"entry_corr": "H entries corr", "eig_corr_lin": "spectra corr lin", "eig_corr_log": "spectra corr log",
              "ch_ab_lin": "C^H A frame on B lin", "ch_ab_log": "C^H A frame on B log",
              "ch_ba_lin": "C^H B frame on A lin", "ch_ba_log": "C^H B frame on A log",
              "slope": "log spectra slope", "intercept": "log spectra intercept"}
    for key, (mean, std) in result.table().items():
        print(f"  {labels[key]:24} {mean:8.3f} {std:7.3f}")


def _labels(pairs: list[str]) -> dict[int, str]:
    labels = {}
    for text in pairs:
        index, sep, label = text.partition("=")
        if not sep or not index.isdigit():
            raise GeometryError(f"a label is INDEX=TEXT, e.g. 0=smile; got '{text}'")
        labels[int(index)] = label
    return labels


def _reference_metric(args: argparse.Namespace, G, D):
    """The saved metric from --metric DIR, or the exact metric at the code of --seed."""
    from geometry.metric import MetricResult

    if args.metric:
        return MetricResult.load(args.metric)
    return metric_tensor(G, D, G.sample(1, seed=args.seed)[0], seed=args.seed)


def _traverse(args: argparse.Namespace) -> None:
    from geometry.traversal import distance_curves, eigen_traversal

    G = load_generator(args.generator, space=args.space, **dict(args.option))
    D = load_distance(args.distance)
    m = _reference_metric(args, G, D)
    steps = np.asarray(args.steps, dtype=np.float64)
    montage = eigen_traversal(G, m.z, m.eigvals, m.eigvecs, args.ranks, steps, args.mode, args.scale_by_eigval,
                              _labels(args.label))
    montage.save_png(args.out)
    curves = distance_curves(G, D, m.z, m.eigvals, m.eigvecs, args.ranks, steps)
    print(f"montage of ranks {args.ranks} x {len(steps)} steps ({args.mode}) saved to {args.out}")
    print(f"distance {D.name} along each eigenvector (measured / quadratic prediction mu^2 lambda / 2)")
    print("rank  " + "".join(f"{s:>18.3g}" for s in steps))
    for r, measured, predicted in zip(curves.ranks, curves.distances, curves.predicted, strict=True):
        print(f"{r:4d}  " + "".join(f"{a:9.3g}/{b:<8.3g}" for a, b in zip(measured, predicted, strict=True)))


def _axes(args: argparse.Namespace) -> None:
    from geometry.axes import compare_axes, file_axes, pca_axes, sefa_axes
    from geometry.storage import save_json
    from geometry.traversal import traverse

    G = load_generator(args.generator, space=args.space, **dict(args.option))
    if args.family == "sefa":
        axes = sefa_axes(G, args.k)
    elif args.family == "pca":
        axes = pca_axes(G, args.k, n_samples=args.n_samples, layer=args.layer, seed=args.seed)
    else:
        if not args.file:
            raise GeometryError("--family file needs --file AXES.npy or AXES.csv")
        axes = file_axes(args.file, G.latent_dim)
    for index, label in _labels(args.label).items():
        axes = axes.with_label(index, label)
    out = Path(args.out)
    axes.save(out)
    m = _reference_metric(args, G, load_distance(args.distance))
    k = min(args.k, axes.vectors.shape[1])
    result = compare_axes(axes, m.eigvals, m.eigvecs, k=k)
    result.purified.save(out / "purified")
    save_json(out / "comparison.json", {
        "k": result.k, "speed": result.speed.tolist(), "random_speed": result.random_speed,
        "grassmann": result.grassmann, "grassmann_random": list(result.grassmann_random),
        "angles": result.angles.tolist(), "power": result.power.tolist(), "random_power": result.random_power.tolist(),
    })
    rows = min(8, axes.vectors.shape[1])
    steps = np.asarray(args.steps, dtype=np.float64)
    names = [f"{i}: {label}" if label else str(i) for i, label in enumerate(axes.labels[:rows])]
    grids = [traverse(G, m.z, a.vectors[:, :rows], steps, labels=names).grid() for a in (axes, result.purified)]
    from PIL import Image

    Image.fromarray(np.concatenate([grids[0], np.full((grids[0].shape[0], 12, 3), 255, np.uint8), grids[1]],
                                   axis=1)).save(out / "montage.png")
    print(f"{args.family} axes ({axes.vectors.shape[1]}) saved to {out}; montage.png: axes | purified top-{k}")
    print(f"speed a^T H a of the first axes: {' '.join(f'{v:.3g}' for v in result.speed[:8])} "
          f"(random unit vectors: {result.random_speed:.3g})")
    print(f"Grassmann distance to the top-{k} eigenspace: {result.grassmann:.3f} "
          f"(random {k}-subspaces: {result.grassmann_random[0]:.3f} +- {result.grassmann_random[1]:.3f})")


def _application_setup(args: argparse.Namespace):
    """Generator, distance, target (a generated image of --target-seed, or --target-image
    resized), and the average metric of --sweep (for the eigen bases)."""
    from geometry import statistics as st
    from geometry.inversion import load_target
    from geometry.sweep import load_sweep

    G = load_generator(args.generator, space=args.space, **dict(args.option))
    D = load_distance(args.distance)
    if args.target_image:
        target, true_z = load_target(args.target_image, G), None
    else:
        true_z = G.sample(1, seed=args.target_seed)
        with torch.no_grad():
            target = G(true_z)
    avg = None
    if args.sweep:
        sweep = load_sweep(args.sweep)
        if sweep.latent_dim != G.latent_dim:
            raise GeometryError(f"the sweep in {args.sweep} has latent dimension {sweep.latent_dim}, "
                                f"not {G.latent_dim}")
        avg = st.average_metric(sweep.eigvals, sweep.eigvecs, sweep.H)
    return G, D, target, true_z, avg


def _bases(args, avg, n):
    from geometry.inversion import Coordinates

    if avg is None and any(b != "plain" for b in args.bases):
        raise GeometryError("the eigen bases need --sweep DIR (a sweep of this generator) for the average metric")
    return [Coordinates.build(b, n, avg and avg.eigvals, avg and avg.eigvecs,
                              k=args.k if b != "plain" else None) for b in args.bases]


def _invert(args: argparse.Namespace) -> None:
    from geometry.inversion import invert, save_runs, table5

    G, D, target, true_z, avg = _application_setup(args)
    starts = G.sample(args.starts, seed=args.seed).double().cpu().numpy()
    runs = []
    for coordinates in _bases(args, avg, G.latent_dim):
        with tqdm_progress(f"invert ({coordinates.basis})") as progress:
            runs.append(invert(G, D, target, starts, coordinates, steps=args.steps, lr=args.lr, progress=progress))
    rows = table5(runs)
    arrays = {"target": target.cpu().double().numpy()[0]}
    for run in runs:
        arrays |= {f"{run.basis}_distances": run.distances, f"{run.basis}_final_images": run.final_images}
    settings = {"generator": G.name, "space": G.space, "distance": D.name, "starts": args.starts, "seed": args.seed,
                "steps": args.steps, "lr": args.lr, "k": args.k,
                "target_seed": None if true_z is None else args.target_seed}
    save_runs(args.out, "inversion", settings, arrays, {"table5": rows})
    print(f"Inversion of {'a generated' if true_z is not None else 'an uploaded'} target with {D.name}, "
          f"{args.starts} starts, {args.steps} Adam steps (paper Table 5 format: best distance, mean +- SEM)")
    for basis, mean, sem in rows:
        print(f"  {basis:14} {mean:.5f} +- {sem:.5f}")


def _search(args: argparse.Namespace) -> None:
    from geometry.inversion import save_runs, search

    G, D, target, true_z, avg = _application_setup(args)
    start = G.sample(1, seed=args.seed)[0].double().cpu().numpy()
    arrays, summary = {}, {}
    for coordinates in _bases(args, avg, G.latent_dim):
        with tqdm_progress(f"CMA-ES ({coordinates.basis})") as progress:
            run = search(G, D, target, start, coordinates, budget=args.budget, sigma0=args.sigma, seed=args.seed,
                         progress=progress)
        label = run.basis + (f"-top{coordinates.B.shape[1]}" if coordinates.B.shape[1] < G.latent_dim else "")
        arrays |= {f"{label}_evaluations": run.evaluations, f"{label}_best": run.best_distance}
        summary[label] = float(run.best_distance[-1])
    settings = {"generator": G.name, "space": G.space, "distance": D.name, "budget": args.budget, "sigma0": args.sigma,
                "seed": args.seed, "k": args.k}
    save_runs(args.out, "search", settings, arrays, {"final_best": summary})
    print(f"CMA-ES with {D.name}, {args.budget} evaluations: best distance found")
    for label, value in summary.items():
        print(f"  {label:20} {value:.5f}")


def _interpolate(args: argparse.Namespace) -> None:
    from geometry.inversion import save_runs
    from geometry.paths import interpolation_experiment, line, shorten
    from geometry.traversal import render

    G = load_generator(args.generator, space=args.space, **dict(args.option))
    D = load_distance(args.distance)
    options = {"steps": args.steps, "segments": args.segments}
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
    settings = {"generator": G.name, "space": G.space, "distance": D.name, "pairs": args.pairs, "shift": args.shift,
                "seed": args.seed, **options}
    save_runs(args.out, "interpolation", settings, arrays, {"mean": experiment.mean, "std": experiment.std,
                                                             "example_improvement": example.improvement})
    print(f"Relative length improvement (L_line - L_curve) / L_line over {args.pairs} pairs: "
          f"{experiment.mean:.3f} +- {experiment.std:.3f} (min {experiment.improvements.min():.3f}, "
          f"max {experiment.improvements.max():.3f})")


def _generators(_: argparse.Namespace) -> None:
    header = f"{'generator':18}{'space':7}{'dim':>5}{'res':>5}  {'latent distribution':38}{'weights':14}{'licence':11}"
    print(header + "source")
    for entry in REGISTRY.values():
        for space, dim in entry.spaces.items():
            print(f"{entry.name:18}{space:7}{dim:5}{entry.resolution:5}  {entry.distributions[space]:38}"
                  f"{entry.weights_status():14}{entry.licence:11}{entry.source()}")


def _fetch_weights(_: argparse.Namespace) -> None:
    from geometry.distances import backbone_state

    for f in KNOWN_FILES:
        print(f"ok  {weight_path(f)}")
    for net in ("alex", "vgg"):
        backbone_state(net)
        print(f"ok  LPIPS {net} backbone converted")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geometry", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)

    metric = commands.add_parser("metric", help="metric tensor at one sampled latent code")
    _add_metric_arguments(metric, "seed of the sampled latent code")
    metric.add_argument("--chunk", type=whole(1), default=None,
                        help="tangents per batch for exact (default: by memory; capped at the latent dimension)")
    metric.add_argument("--eps", type=number(positive=True), default=1e-6,
                        help="finite-difference step of lanczos-forward")
    metric.add_argument("--out", default=None, help="directory to save metric.npz and provenance.json")
    metric.set_defaults(run=_metric)

    sweep = commands.add_parser("sweep", help="metrics at N sampled positions (resumable)")
    _add_metric_arguments(sweep, "seed of the sampled positions")
    sweep.add_argument("--n", type=whole(1, 1_000_000), default=100, help="number of positions")
    sweep.add_argument("--out", required=True, help="sweep directory (rerun the same command to resume)")
    sweep.set_defaults(run=_sweep)

    stats = commands.add_parser("stats", help="anisotropy, homogeneity and the other statistics of a sweep")
    stats.add_argument("dir", help="sweep directory")
    stats.add_argument("--n-boot", type=whole(1, 100_000), default=1000, help="bootstrap resamples for the intervals")
    stats.set_defaults(run=_stats)

    compare = commands.add_parser("compare", help="compare two distances' sweeps at the same positions")
    compare.add_argument("dir_a")
    compare.add_argument("dir_b")
    compare.set_defaults(run=_compare)

    traverse = commands.add_parser("traverse", help="montage along eigenvectors, with distance curves")
    _add_generator_arguments(traverse)
    traverse.add_argument("--distance", default="lpips-alex", choices=DISTANCE_NAMES, help="image distance")
    traverse.add_argument("--seed", type=whole(), default=0, help="seed of the reference code")
    traverse.add_argument("--metric", default=None, help="saved metric directory to use instead of computing one")
    traverse.add_argument("--ranks", type=int, nargs="+", default=[0, 1, 2, 5, 10], help="eigen-ranks (0 = top)")
    traverse.add_argument("--steps", type=number(), nargs="+", default=[-3, -1.5, 0, 1.5, 3], help="step sizes")
    traverse.add_argument("--mode", default="linear", choices=["linear", "spherical"])
    traverse.add_argument("--scale-by-eigval", action="store_true", help="steps of rank r scaled by 1/sqrt(lambda_r)")
    traverse.add_argument("--label", action="append", default=[], metavar="RANK=TEXT", help="label a rank's axis")
    traverse.add_argument("--out", type=image_file, required=True, help="PNG file for the montage")
    traverse.set_defaults(run=_traverse)

    axes = commands.add_parser("axes", help="SeFa, PCA or uploaded axes compared with the eigenframe")
    _add_generator_arguments(axes)
    axes.add_argument("--family", required=True, choices=["sefa", "pca", "file"])
    axes.add_argument("--file", default=None, help="axes .npy or .csv, one axis per row (family file)")
    axes.add_argument("--k", type=whole(1), default=10, help="number of axes / compared eigenspace dimension")
    axes.add_argument("--layer", default=None, help="layer for PCA (default: the generator's)")
    axes.add_argument("--n-samples", type=whole(2, 1_000_000), default=2000, help="sampled codes for PCA")
    axes.add_argument("--distance", default="lpips-alex", choices=DISTANCE_NAMES, help="distance of the metric")
    axes.add_argument("--seed", type=whole(), default=0, help="seed of the reference code (and PCA samples)")
    axes.add_argument("--metric", default=None, help="saved metric directory to compare with")
    axes.add_argument("--steps", type=number(), nargs="+", default=[-3, -1.5, 0, 1.5, 3], help="montage steps")
    axes.add_argument("--label", action="append", default=[], metavar="INDEX=TEXT", help="label an axis")
    axes.add_argument("--out", required=True, help="directory for axes, comparison and montage")
    axes.set_defaults(run=_axes)

    for name, helptext, run in (("invert", "Adam inversion, plain vs eigenbasis of the average metric", _invert),
                                ("search", "CMA-ES search, plain vs metric-shaped", _search)):
        sub = commands.add_parser(name, help=helptext)
        _add_generator_arguments(sub)
        sub.add_argument("--distance", default="lpips-alex", choices=DISTANCE_NAMES)
        sub.add_argument("--target-seed", type=whole(), default=1000, help="target = G(code of this seed)")
        sub.add_argument("--target-image", default=None, help="target image file, resized to the generator")
        sub.add_argument("--sweep", default=None, help="sweep directory whose average metric gives the eigenbasis")
        sub.add_argument("--bases", nargs="+", default=["plain", "eigen", "eigen-scaled"],
                         choices=["plain", "eigen", "eigen-scaled"])
        sub.add_argument("--k", type=whole(1), default=None, help="restrict eigen bases to the top-k directions")
        sub.add_argument("--seed", type=whole(), default=0, help="seed of the starting codes")
        sub.add_argument("--out", required=True, help="result directory (the report builder reads it)")
        sub.set_defaults(run=run)
        if name == "invert":
            sub.add_argument("--starts", type=whole(1, 1000), default=4, help="random starting codes")
            sub.add_argument("--steps", type=whole(1, 1_000_000), default=200, help="Adam iterations")
            sub.add_argument("--lr", type=number(positive=True), default=0.05, help="Adam learning rate")
        else:
            sub.add_argument("--budget", type=whole(2, 10_000_000), default=2000, help="function evaluations")
            sub.add_argument("--sigma", type=number(positive=True), default=0.5, help="initial CMA-ES step size")
    interpolate = commands.add_parser("interpolate", help="shorter B-spline curves than straight lines")
    _add_generator_arguments(interpolate)
    interpolate.add_argument("--distance", default="lpips-alex", choices=DISTANCE_NAMES)
    interpolate.add_argument("--pairs", type=whole(1, 100_000), default=20, help="Monte Carlo pairs")
    interpolate.add_argument("--shift", type=number(), default=2.0,
                             help="start moved this far along the top eigenvector")
    interpolate.add_argument("--steps", type=whole(1, 1_000_000), default=100, help="Adam steps per curve")
    interpolate.add_argument("--segments", type=whole(2, 10_000), default=32, help="segments while optimising")
    interpolate.add_argument("--seed", type=whole(), default=0)
    interpolate.add_argument("--out", required=True, help="result directory (the report builder reads it)")
    interpolate.set_defaults(run=_interpolate)

    samples = commands.add_parser("samples", help="a grid of sampled images as PNG")
    _add_generator_arguments(samples)
    samples.add_argument("--n", type=whole(1, 10_000), default=16, help="number of samples")
    samples.add_argument("--nrow", type=whole(1, 10_000), default=8, help="images per row")
    samples.add_argument("--seed", type=whole(), default=0, help="seed of the sampled codes")
    samples.add_argument("--out", type=image_file, required=True, help="image file to write (.png, .jpg, .webp)")
    samples.set_defaults(run=_samples)

    listing = commands.add_parser("generators", help="list registered generators and their weights")
    listing.set_defaults(run=_generators)
    fetch = commands.add_parser("fetch-weights", help="download, verify and convert every known weights file")
    fetch.set_defaults(run=_fetch_weights)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.run(args)
    except GeometryError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # unwritable --out, a directory where a file is expected, a full disk
        print(f"error: cannot use {err.filename or 'a file'}: {err.strerror or err}", file=sys.stderr)
        return 2
    return 0



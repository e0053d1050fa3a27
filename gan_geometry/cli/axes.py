"""``traverse`` and ``axes``: montages along eigenvectors and other axis families."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from gan_geometry.analysis.axes import FAMILIES
from gan_geometry.analysis.traversal import MODES
from gan_geometry.cli.options import (
    add_code,
    add_generator,
    add_trackers,
    code_of,
    image_file,
    labels,
    models,
    number,
    track,
    whole,
)
from gan_geometry.core.metric import MetricResult, metric_tensor
from gan_geometry.errors import GeometryError


def register(commands) -> None:
    traverse = commands.add_parser("traverse", help="montage along eigenvectors, with distance curves")
    add_generator(traverse, seed_help="seed of the reference code (sample 0 of this seed)")
    add_code(traverse)
    traverse.add_argument("--metric", default=None, help="saved metric directory to use instead of computing one")
    traverse.add_argument("--ranks", type=whole(1), nargs="+", default=[1, 2, 3, 6, 11],
                          help="eigen-ranks (1 = the largest eigenvalue)")
    traverse.add_argument("--steps", type=number(), nargs="+", default=[-3, -1.5, 0, 1.5, 3], help="step sizes")
    traverse.add_argument("--mode", default="linear", choices=MODES,
                          help="linear: z0 + step u; spherical: along the great circle through z0 (steps in radians)")
    traverse.add_argument("--scale-by-eigval", action="store_true", help="steps of rank r scaled by 1/sqrt(lambda_r)")
    traverse.add_argument("--label", action="append", default=[], metavar="RANK=TEXT", help="label a rank's axis")
    traverse.add_argument("--keep-labels", default=None, metavar="RESULTS_DIR",
                          help="also keep the labels in RESULTS_DIR/axis-labels.json for this generator, space and "
                               "distance, where the app (GGL_RESULTS, default results/app) shows them")
    traverse.add_argument("--out", type=image_file, required=True, help="PNG file for the montage")
    traverse.add_argument("--force", action="store_true", help="replace --out if it exists")
    add_trackers(traverse)
    traverse.set_defaults(run=run_traverse)

    axes = commands.add_parser("axes", help="SeFa, PCA or uploaded axes compared with the eigenframe")
    add_generator(axes, seed_help="seed of the reference code (and PCA samples)")
    add_code(axes)
    axes.add_argument("--family", required=True, choices=FAMILIES,
                      help="sefa: first-layer factorisation; pca: GANSpace PCA of a layer; file: --file's axes")
    axes.add_argument("--file", default=None, help="axes .npy or .csv, one axis per row (family file)")
    axes.add_argument("--k", type=whole(1), default=10, help="number of axes / compared eigenspace dimension")
    axes.add_argument("--layer", default=None, help="layer for PCA (default: the generator's)")
    axes.add_argument("--n-samples", type=whole(2, 1_000_000), default=2000, help="sampled codes for PCA")
    axes.add_argument("--metric", default=None, help="saved metric directory to compare with")
    axes.add_argument("--steps", type=number(), nargs="+", default=[-3, -1.5, 0, 1.5, 3], help="montage steps")
    axes.add_argument("--label", action="append", default=[], metavar="INDEX=TEXT", help="label an axis")
    axes.add_argument("--out", required=True, help="directory for axes, comparison and montage")
    axes.set_defaults(run=run_axes)


def reference_metric(args: argparse.Namespace, G, D) -> MetricResult:
    """The saved metric of ``--metric DIR`` (it must be of this generator and space), or the exact
    metric at ``--code`` or sample 0 of ``--seed``."""
    if args.metric and args.code:
        raise GeometryError("give --metric DIR or --code FILE.npy, not both: a saved metric has its own code")
    if not args.metric:
        return metric_tensor(G, D, code_of(args, G), seed=args.seed, compiled=False)  # one metric: no build
    m = MetricResult.load(args.metric)
    made_by = (m.provenance.get("generator"), m.provenance.get("space"))
    if made_by != (G.name, G.space):
        raise GeometryError(f"the metric in {args.metric} is of {made_by[0]} ({made_by[1]} space), not of "
                            f"{G.name} ({G.space} space)")
    return m


def run_traverse(args: argparse.Namespace) -> None:
    from gan_geometry.analysis.traversal import distance_curves, eigen_traversal
    from gan_geometry.io.storage import new_file

    new_file(args.out, "montage", args.force)
    G, D = models(args)
    m = reference_metric(args, G, D)
    steps = np.asarray(args.steps, dtype=np.float64)
    montage = eigen_traversal(G, m.z, m.eigvals, m.eigvecs, args.ranks, steps, args.mode, args.scale_by_eigval,
                              labels(args.label))
    montage.save_png(args.out)
    if args.keep_labels:
        from gan_geometry.io.storage import axis_labels_key, keep_axis_labels

        kept = keep_axis_labels(args.keep_labels, axis_labels_key(G.name, G.space, D.name), labels(args.label))
        print(f"labels kept in {kept} (the app shows them on its sliders and montages)")
    curves = distance_curves(G, D, m.z, m.eigvals, m.eigvecs, args.ranks, steps, args.mode, args.scale_by_eigval)
    from gan_geometry.presentation.tables import distance_curve_table, text_table

    print(f"montage of ranks {args.ranks} x {len(steps)} steps ({args.mode}) saved to {args.out}")
    print(text_table(distance_curve_table(curves, D.name)))
    from gan_geometry.trackers import log_montage

    settings = {**m.provenance, "ranks": args.ranks, "steps": args.steps, "mode": args.mode}
    track(args, f"traverse-{G.name}-{D.name}", settings, lambda t: log_montage(t, montage, curves, settings))


def run_axes(args: argparse.Namespace) -> None:
    from PIL import Image

    from gan_geometry.analysis.axes import axes_and_purified_montage, axes_for_family, compare_axes
    from gan_geometry.io.storage import atomic_path, claim_folder, save_json

    claim_folder(args.out, "axes.json")  # a folder of another kind is refused before any work
    G, D = models(args)
    m = reference_metric(args, G, D)  # first: a bad --code or --metric is refused before the axes are made
    axes = axes_for_family(G, args.family, args.k, file=args.file, n_samples=args.n_samples, layer=args.layer,
                           seed=args.seed)
    for index, label in labels(args.label).items():
        axes = axes.with_label(index, label)
    out = Path(args.out)
    axes.save(out)
    k = min(args.k, axes.vectors.shape[1])
    result = compare_axes(axes, m.eigvals, m.eigvecs, k=k)
    result.purified.save(out / "purified")
    save_json(out / "comparison.json", result.as_dict())
    grid = axes_and_purified_montage(G, m.z, axes, result.purified, np.asarray(args.steps, dtype=np.float64))
    with atomic_path(out / "montage.png") as tmp:
        Image.fromarray(grid).save(tmp, format="PNG")
    print(f"{args.family} axes ({axes.vectors.shape[1]}) saved to {out}; montage.png: axes | purified top-{k}")
    from gan_geometry.presentation.sentences import axis_summary

    print(axis_summary(result, args.family, k))

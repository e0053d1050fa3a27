"""``layers``: where the geometry comes from — layer metrics, amplification, shuffled controls."""

from __future__ import annotations

import argparse

from gan_geometry.cli.options import add_generator, add_trackers, generator_of, generator_options, models, track, whole


def register(commands) -> None:
    layers = commands.add_parser("layers", help="layer-wise metrics, amplification and the weight-shuffled control")
    add_generator(layers, seed_help="seed of the sampled positions")
    layers.add_argument("--list", action="store_true", help="list the generator's layers (name, type, output shape)")
    layers.add_argument("--layers", nargs="+", default=None, metavar="NAME",
                        help="layers to analyse (default: every activation's output)")
    layers.add_argument("--n", type=whole(1, 100_000), default=10, help="number of positions")
    layers.add_argument("--shuffle-seed", type=whole(), default=0, help="seed of the weight shuffle")
    layers.add_argument("--out", default=None, help="directory of the layer sweep (rerun to resume)")
    add_trackers(layers)
    layers.set_defaults(run=run_layers)


def run_layers(args: argparse.Namespace) -> None:
    from gan_geometry.analysis.layers import list_layers, major_layers, run_layer_sweep, summarise_layers
    from gan_geometry.errors import GeometryError
    from gan_geometry.presentation import sentences as say
    from gan_geometry.presentation import tables
    from gan_geometry.progress import tqdm_progress

    if args.list:
        G = generator_of(args)
        print(tables.text_table(tables.layer_list_table(list_layers(G), set(major_layers(G)))))
        return
    if not args.out:
        raise GeometryError("give --out DIR for the layer sweep (or --list to see the layers)")
    G, D = models(args)
    with tqdm_progress(f"layers {G.name}") as progress:
        sweep = run_layer_sweep(args.out, G, D, args.n, seed=args.seed, layers=args.layers,
                                shuffle_seed=args.shuffle_seed, generator_options=generator_options(args),
                                progress=progress)
    s = summarise_layers(sweep)
    N = sweep.positions.shape[0]
    print(f"{say.layers_heading(sweep.settings, N, G.latent_dim, args.shuffle_seed)}; saved in {args.out}\n")
    for table in (tables.layer_table(s), tables.amplification_table(s), tables.image_homogeneity_table(s, N)):
        print(tables.text_table(table) + "\n")
    from gan_geometry.trackers import log_layers

    track(args, f"layers-{G.name}-{D.name}-n{args.n}", sweep.settings, lambda t: log_layers(t, sweep, s))

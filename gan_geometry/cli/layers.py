"""``layers``: where the geometry comes from — layer metrics, amplification, shuffled controls."""

from __future__ import annotations

import argparse

from gan_geometry.cli.options import add_generator, generator_of, generator_options, models, whole


def register(commands) -> None:
    layers = commands.add_parser("layers", help="layer-wise metrics, amplification and the weight-shuffled control")
    add_generator(layers, seed_help="seed of the sampled positions")
    layers.add_argument("--list", action="store_true", help="list the generator's layers (name, type, output shape)")
    layers.add_argument("--layers", nargs="+", default=None, metavar="NAME",
                        help="layers to analyse (default: every activation's output)")
    layers.add_argument("--n", type=whole(1, 100_000), default=10, help="number of positions")
    layers.add_argument("--shuffle-seed", type=whole(), default=0, help="seed of the weight shuffle")
    layers.add_argument("--out", default=None, help="directory of the layer sweep (rerun to resume)")
    layers.set_defaults(run=run_layers)


def run_layers(args: argparse.Namespace) -> None:
    from gan_geometry.analysis.layers import list_layers, major_layers, run_layer_sweep, summarise_layers
    from gan_geometry.errors import GeometryError
    from gan_geometry.progress import tqdm_progress

    if args.list:
        G = generator_of(args)
        default = set(major_layers(G))  # every registered generator has some (contract test)
        print(f"{'layer':40}{'type':22}{'output shape':20}{'size':>10}  default")
        for info in list_layers(G):
            mark = "*" if info.name in default else ""
            print(f"{info.name:40}{info.kind:22}{str(info.shape):20}{info.size:10}  {mark}")
        return
    if not args.out:
        raise GeometryError("give --out DIR for the layer sweep (or --list to see the layers)")
    G, D = models(args)
    with tqdm_progress(f"layers {G.name}") as progress:
        sweep = run_layer_sweep(args.out, G, D, args.n, seed=args.seed, layers=args.layers,
                                shuffle_seed=args.shuffle_seed, generator_options=generator_options(args),
                                progress=progress)
    s = summarise_layers(sweep)
    print(f"{G.name} ({G.space}, n = {G.latent_dim}), {sweep.positions.shape[0]} positions, weights shuffled with "
          f"seed {args.shuffle_seed}; saved in {args.out}\n")
    from gan_geometry.presentation import layer_table, text_table

    print(text_table(layer_table(s)))
    print(f"\nAmplification of {s.targets[0]}'s eigenvectors: correlation of log speeds with the source's, "
          f"and mean log10 speed of its top 5 eigenvectors")
    print(f"{'target':32}{'corr':>8}{'shuffled':>10}{'top-5 log10':>13}{'shuffled':>10}")
    for i, target in enumerate(s.targets):
        print(f"{target:32}{s.log_corr[0][i]:8.3f}{s.log_corr[1][i]:10.3f}{s.log_speeds[0][i, :5].mean():13.2f}"
              f"{s.log_speeds[1][i, :5].mean():10.2f}")
    print("\nHomogeneity of the image metric")
    if sweep.positions.shape[0] < 2:
        from gan_geometry.presentation import NEEDS_TWO

        print(f"  {NEEDS_TWO} (this layer sweep has one)")
    for label, values in s.image_statistics.items() if sweep.positions.shape[0] >= 2 else ():
        print(f"  {label:9} " + "  ".join(f"{k} {v:.3f}" for k, v in values.items()))

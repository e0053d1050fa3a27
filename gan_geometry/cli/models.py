"""``samples``, ``generators``, ``fetch-weights``: the models themselves."""

from __future__ import annotations

import argparse

import torch

from gan_geometry.cli.options import add_generator, generator_of, image_file, whole
from gan_geometry.registry import REGISTRY


def register(commands) -> None:
    samples = commands.add_parser("samples", help="a grid of sampled images")
    add_generator(samples, distance=False, seed_help="seed of the sampled codes")
    samples.add_argument("--n", type=whole(1, 10_000), default=16, help="number of samples")
    samples.add_argument("--nrow", type=whole(1, 10_000), default=8, help="images per row")
    samples.add_argument("--out", type=image_file, required=True, help="image file to write (.png, .jpg, .webp)")
    samples.add_argument("--force", action="store_true", help="replace --out if it exists")
    samples.set_defaults(run=run_samples)

    listing = commands.add_parser("generators", help="list registered generators and their weights")
    listing.set_defaults(run=run_generators)
    fetch = commands.add_parser("fetch-weights", help="download, verify and convert every known weights file")
    fetch.set_defaults(run=run_fetch_weights)
    for verb, text in (("check-weights", "load a weights file as a registered generator and report what it holds"),
                       ("install-weights", "check a weights file, then install it into the cache (used offline "
                                           "from then on, by the command line and the app)")):
        command = commands.add_parser(verb, help=text)
        command.add_argument("generator", choices=list(REGISTRY), metavar="GENERATOR",
                             help="registered generator the file is for (gan-geometry generators)")
        command.add_argument("file", help="the weights file (.pt / .pth / .pkl-free checkpoint or .safetensors)")
        if verb == "install-weights":
            command.add_argument("--replace", action="store_true", help="replace a different file installed there")
        command.set_defaults(run=run_check_weights if verb == "check-weights" else run_install_weights)


def run_samples(args: argparse.Namespace) -> None:
    from torchvision.utils import save_image

    from gan_geometry.io.storage import atomic_path, new_file

    new_file(args.out, "image file", args.force)
    G = generator_of(args)
    with torch.no_grad():
        images = G(G.sample(args.n, seed=args.seed)).cpu()
    with atomic_path(args.out) as tmp:
        save_image(images, tmp, nrow=args.nrow, padding=2, format=args.out.suffix.lstrip(".").replace("jpg", "jpeg"))
    print(f"saved {args.n} samples of {G.name} ({G.space} space, seed {args.seed}) to {args.out}")


def run_generators(_: argparse.Namespace) -> None:
    from gan_geometry.presentation.tables import generators_table, text_table
    from gan_geometry.registry import REGISTRY

    print(text_table(generators_table(REGISTRY.values())))


def run_check_weights(args: argparse.Namespace) -> None:
    from gan_geometry.io.weights import RemoteFile
    from gan_geometry.presentation.tables import text_table, weights_table
    from gan_geometry.registry import entry_of
    from gan_geometry.user_weights import check_weights

    print(text_table(weights_table(check_weights(args.generator, args.file))))
    use = (f"install it with: gan-geometry install-weights {args.generator} {args.file}"
           if isinstance(entry_of(args.generator).weights, RemoteFile)
           else f"use it with --option weights_path={args.file} (or weights_path= in Python)")
    print(f"ok: loads as {args.generator}; {use}")


def run_install_weights(args: argparse.Namespace) -> None:
    from gan_geometry.presentation.tables import text_table, weights_table
    from gan_geometry.user_weights import install_weights

    report, target = install_weights(args.generator, args.file, replace=args.replace)
    print(text_table(weights_table(report)))
    print(f"installed as {target}; '{args.generator}' now loads offline (gan-geometry generators lists it)")


def run_fetch_weights(_: argparse.Namespace) -> None:
    from gan_geometry.core.distances import backbone_state
    from gan_geometry.io.weights import KNOWN_FILES, weight_path

    for f in KNOWN_FILES:
        print(f"ok  {weight_path(f)}")
    for net in ("alex", "vgg"):
        backbone_state(net)
        print(f"ok  LPIPS {net} backbone converted")

"""Command line: ``python -m geometry <command> --help``.

    python -m geometry metric --generator dcgan-face64 --distance mse --method exact --seed 0 --out DIR
    python -m geometry samples --generator dcgan-face64 --n 16 --out grid.png
    python -m geometry generators
    python -m geometry fetch-weights
"""

from __future__ import annotations

import argparse
import json
import sys

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


def _add_generator_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--generator", default="dcgan-face64", choices=list(REGISTRY), help="registered generator")
    parser.add_argument("--space", default=None, help="latent space of the generator (default: its first)")
    parser.add_argument("--option", type=_option, action="append", default=[], metavar="KEY=VALUE",
                        help="generator option, repeatable (e.g. eye_class=blue, truncation=0.5)")


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
    _add_generator_arguments(metric)
    metric.add_argument("--distance", default="lpips-alex", choices=DISTANCE_NAMES, help="image distance")
    metric.add_argument("--method", default="exact", choices=list(METHODS), help="how to compute the metric")
    metric.add_argument("--k", type=int, default=None, help="eigenpairs for lanczos-* (default min(20, n-1))")
    metric.add_argument("--seed", type=int, default=0, help="seed of the sampled latent code")
    metric.add_argument("--chunk", type=int, default=None, help="tangents per batch for exact (default: by memory)")
    metric.add_argument("--eps", type=float, default=1e-6, help="finite-difference step of lanczos-forward")
    metric.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda")
    metric.add_argument("--out", default=None, help="directory to save metric.npz and provenance.json")
    metric.set_defaults(run=_metric)

    samples = commands.add_parser("samples", help="a grid of sampled images as PNG")
    _add_generator_arguments(samples)
    samples.add_argument("--n", type=int, default=16, help="number of samples")
    samples.add_argument("--nrow", type=int, default=8, help="images per row")
    samples.add_argument("--seed", type=int, default=0, help="seed of the sampled codes")
    samples.add_argument("--out", required=True, help="PNG file to write")
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
    return 0



"""What several commands share: argument types that refuse bad input with one message (argparse
exits with code 2), the generator / distance / device arguments, and building the models."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from gan_geometry import checks
from gan_geometry.core.distances import DISTANCE_NAMES, load_distance
from gan_geometry.core.methods import METHODS
from gan_geometry.errors import GeometryError, unknown
from gan_geometry.registry import PROTOCOLS, REGISTRY, load_generator


def argument(check, **limits):
    """An argparse type from a check of ``gan_geometry.checks``: its one-line refusal becomes
    argparse's ("argument --n: must be a whole number in 1..1000000; got '1e12'", exit code 2)."""

    def parse(text: str):
        try:
            return check(text, **limits)
        except GeometryError as err:
            raise argparse.ArgumentTypeError(str(err)) from None

    parse.__name__ = check.__name__  # argparse names the type in its messages
    return parse


def whole(minimum: int = 0, maximum: int = checks.MAX_SEED):
    """argparse type: a whole number in minimum..maximum (``checks.whole``)."""
    return argument(checks.whole, minimum=minimum, maximum=maximum)


def number(positive: bool = False, minimum: float | None = None, maximum: float | None = None):
    """argparse type: a finite number (``checks.number``)."""
    return argument(checks.number, positive=positive, minimum=minimum, maximum=maximum)


def device(text: str) -> str:
    """argparse type: a torch device this machine has."""
    from gan_geometry.core.devices import resolve_device

    try:
        return str(resolve_device(text))
    except GeometryError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def image_file(text: str) -> Path:
    """argparse type: an output image path whose extension names a format, in a writable folder."""
    from gan_geometry.io.storage import check_writable

    path = Path(text)
    if path.suffix.lower() not in (".png", ".jpg", ".jpeg", ".webp"):
        raise argparse.ArgumentTypeError(f"'{text}' needs an image extension: .png, .jpg or .webp")
    try:
        return check_writable(path, "image file")
    except GeometryError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def distance_name(text: str) -> str:
    """argparse type: a distance's name, with the options it may carry ("stft-db+floor=1e-8")."""
    if text.partition("+")[0] not in DISTANCE_NAMES:
        raise argparse.ArgumentTypeError(str(unknown("distance", text, DISTANCE_NAMES)))
    return text


def option(text: str) -> tuple[str, object]:
    """``KEY=VALUE`` with VALUE read as JSON when it parses (numbers, true/false), else a string;
    ``load_generator`` checks each against the type of the option's default."""
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got '{text}'")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def add_generator(parser: argparse.ArgumentParser, distance: bool = True, seed_help: str | None = None) -> None:
    """--generator, --space, --option, --device; with ``distance`` --distance; with ``seed_help`` --seed."""
    parser.add_argument("--generator", default="dcgan-face64", choices=list(REGISTRY), metavar="GENERATOR",
                        help="a registered generator (gan-geometry generators lists them)")
    parser.add_argument("--space", default=None, help="latent space of the generator (default: its first)")
    parser.add_argument("--option", type=option, action="append", default=[], metavar="KEY=VALUE",
                        help="generator option, repeatable (e.g. eye_class=blue, truncation=0.5)")
    parser.add_argument("--device", type=device, default="cpu", help="torch device, e.g. cpu or cuda")
    parser.add_argument("--protocol", default="plain", choices=PROTOCOLS,
                        help="plain: the generator's images; paper: as the paper's code measured them (clamped, "
                             "resized to 256 px for BigBiGAN / StyleGAN2, its truncations)")
    if distance:
        parser.add_argument("--distance", default="lpips-alex", type=distance_name, metavar="DISTANCE",
                            help=f"{', '.join(DISTANCE_NAMES)}: images (mse, ssim, lpips-*) or sounds (mse, stft, "
                                 f"stft-power, stft-db, logmel); stft-db+floor=1e-8 sets the floor of the decibels")
    if seed_help:
        parser.add_argument("--seed", type=whole(), default=0, help=seed_help)


def add_code(parser: argparse.ArgumentParser) -> None:
    """--code FILE.npy: the user's own latent code instead of sample 0 of --seed."""
    parser.add_argument("--code", default=None, metavar="FILE.npy",
                        help="your own latent code (a .npy of latent-dimension numbers) instead of sample 0 of --seed")


def code_of(args: argparse.Namespace, G):
    """The code the arguments name: ``--code``'s file (shape, finiteness and magnitude checked by
    the generator, as the app checks an upload), else sample 0 of ``--seed``."""
    if args.code is None:
        return G.sample(1, seed=args.seed)[0]
    from gan_geometry.io.codes import read_code

    return G.check_latent(read_code(args.code))


def add_method(parser: argparse.ArgumentParser) -> None:
    """--method and --k: how a metric is computed."""
    parser.add_argument("--method", default="exact", choices=list(METHODS), help="how to compute the metric")
    parser.add_argument("--k", type=whole(1), default=None,
                        help="eigenpairs for the top-k methods: topk, lanczos-backward, lanczos-forward "
                             "(default min(20, n-1))")


def add_compile(parser: argparse.ArgumentParser, help_text: str) -> None:
    """--compile / --no-compile (also spelled --compiled / --no-compiled): compiled products."""
    parser.add_argument("--compile", "--compiled", dest="compiled", action=argparse.BooleanOptionalAction, default=None,
                        help=help_text)


def add_trackers(parser: argparse.ArgumentParser) -> None:
    """--tensorboard DIR and --wandb PROJECT: the result sent to experiment trackers too."""
    parser.add_argument("--tensorboard", default=None, metavar="DIR",
                        help="also write TensorBoard event files to DIR (statistics, spectra, pictures; extra "
                             "[trackers])")
    parser.add_argument("--wandb", default=None, metavar="PROJECT",
                        help="also log to the Weights & Biases project PROJECT (offline without a connection or "
                             "an API key; extra [trackers])")


def track(args: argparse.Namespace, name: str, config: dict, log) -> None:
    """Send a result to the trackers the arguments ask for: ``log(tracker)`` (``gan_geometry.trackers``)."""
    if not (args.tensorboard or args.wandb):
        return
    from gan_geometry.trackers import open_trackers

    with open_trackers(args.tensorboard, args.wandb, name, config) as tracker:
        log(tracker)
    print("logged to " + " and ".join(f"{kind} {where}" for kind, where in (("TensorBoard", args.tensorboard),
                                                                         ("W&B project", args.wandb)) if where))


BACKENDS = ("local", "ray")


def executor(args: argparse.Namespace):
    """The sweep executor the arguments name: Ray (``--backend ray``, with ``--address``,
    ``--cpus-per-task``, ``--gpus-per-task``), local workers (``--workers``), or the default
    (None: the sweep's plan chooses). Ray options without ``--backend ray`` are refused."""
    from gan_geometry.analysis.sweeps import LocalWorkers, RayCluster

    ray_options = [name for name, given in (("--address", args.address is not None),
                                            ("--cpus-per-task", args.cpus_per_task is not None),
                                            ("--gpus-per-task", args.gpus_per_task != 0)) if given]
    if args.backend == "ray":
        if args.workers is not None:
            raise GeometryError("--workers is for the local backend; Ray places one task per position itself")
        return RayCluster(args.address, args.cpus_per_task, args.gpus_per_task)
    if ray_options:
        raise GeometryError(f"{', '.join(ray_options)} apply to --backend ray only; add --backend ray or leave "
                            f"{'it' if len(ray_options) == 1 else 'them'} out")
    return LocalWorkers(args.workers) if args.workers is not None else None


def generator_options(args: argparse.Namespace) -> dict:
    """The options the generator is built with (``--option`` pairs, and ``--protocol`` where it is
    not plain), as sweeps record them and ``load_generator`` takes them."""
    keys = [key for key, _ in args.option]
    twice = sorted({key for key in keys if keys.count(key) > 1})
    if twice:
        raise GeometryError(f"--option {twice[0]} is given {keys.count(twice[0])} times; give each option once")
    if "protocol" in keys:
        raise GeometryError("the protocol is chosen with --protocol plain|paper, not --option protocol=...")
    options = dict(args.option)
    if getattr(args, "protocol", "plain") != "plain":
        options["protocol"] = args.protocol
    return options


def generator_of(args: argparse.Namespace):
    """The generator the arguments name, on ``--device``."""
    return load_generator(args.generator, space=args.space, device=args.device, **generator_options(args))


def models(args: argparse.Namespace):
    """(generator, distance) the arguments name, both on ``--device``."""
    return generator_of(args), load_distance(args.distance, device=args.device)


def labels(pairs: list[str]) -> dict[int, str]:
    """``INDEX=TEXT`` arguments -> {index: text}."""
    found = {}
    for text in pairs:
        index, sep, label = text.partition("=")
        if not sep or not index.isdigit():
            raise GeometryError(f"a label is INDEX=TEXT, e.g. 0=smile; got '{text}'")
        found[int(index)] = label
    return found

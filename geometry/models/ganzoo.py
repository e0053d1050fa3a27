"""PyTorch GAN Zoo generators (Facebook Research): the progressive GAN (``pggan-celebahq256``,
``pggan-celebahq512``) and the DCGAN of FashionGen (``dcgan-fashion64``).

Checkpoints are ``{'config', 'netG', 'netD', 'avgG'?}``, where ``config`` is a pickled
``models.utils.config.BaseConfig``: ``weights_only=True`` refuses it, so it is read with
``weights_only=True`` plus that one class allowed as a stub (``ZooConfig``) that only stores its
attributes; nothing else outside tensors and plain containers can load. The architecture is built
from the stored config (depths per scale, latent dimension), so every trained size loads.

Progressive GAN generator (``GNet``): z (512) -> pixel norm -> equalized linear to (512, 4, 4) ->
leaky ReLU 0.2 -> pixel norm -> conv 3x3 -> ..., then per scale: nearest 2x upsampling, two
equalized 3x3 convolutions, each followed by leaky ReLU and pixel norm; a 1x1 "to RGB" conv of the
last scale, no output activation. Equalized layers multiply by He's constant sqrt(2 / fan_in) at
run time; their state-dict keys are ``<layer>.weight`` / ``.bias`` (the zoo's ``ConstrainedLayer``
drops ``module.``). The averaged generator ``avgG`` is used when present.

DCGAN (``GNet`` of ``DCGAN_nets.py``): z (120) as (120, 1, 1) -> ``formatLayer`` ConvT 4x4 ->
``main`` (batchNorm0, relu0, [convTranspose_i, batchNorm_i, relu_i] x 3, outlayer) -> tanh.

The zoo never checks its files' hash prefixes (``torch.hub`` with ``check_hash=False``); here the
prefix in the name is checked on download (except the 512 px file, reported to mismatch) and the full
SHA-256 of the first download is pinned.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from geometry.core.generators import Generator
from geometry.errors import GeometryError
from geometry.io.weights import RemoteFile, weight_path

_HUB = "https://dl.fbaipublicfiles.com/gan_zoo/"
ZOO_WEIGHTS = {
    "pggan-celebahq256": RemoteFile("celebaHQ_s6_i80000-6196db68.pth", _HUB + "PGAN/celebaHQ_s6_i80000-6196db68.pth",
                                    None, "BSD-3-Clause"),
    "pggan-celebahq512": RemoteFile("celebaHQ16_december_s7_i96000-9c72988c.pth",
                                    _HUB + "PGAN/celebaHQ16_december_s7_i96000-9c72988c.pth", None, "BSD-3-Clause",
                                    check_prefix=False),
    "dcgan-fashion64": RemoteFile("DCGAN_fashionGen-1d67302.pth", _HUB + "DCGAN_fashionGen-1d67302.pth", None,
                                  "BSD-3-Clause"),
}
# the zoo's configs for the published files (used for random weights; loaded files carry their own)
PGGAN_DEPTHS = {"pggan-celebahq256": [512, 512, 512, 512, 256, 128, 64],
                "pggan-celebahq512": [512, 512, 512, 512, 256, 128, 64, 32]}


class ZooConfig:
    """Stand-in for the zoo's ``models.utils.config.BaseConfig``: keeps the pickled attributes."""

    def __setstate__(self, state):
        self.__dict__.update(state)


ZooConfig.__module__, ZooConfig.__qualname__ = "models.utils.config", "BaseConfig"


def read_zoo_checkpoint(path: Path) -> dict:
    """The checkpoint dict with ``config`` as a ``ZooConfig``: tensors, containers and that one
    class only (``weights_only=True``)."""
    import pickle

    with torch.serialization.safe_globals([ZooConfig]):
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except pickle.UnpicklingError as err:
            raise GeometryError(f"{path} is not a GAN Zoo checkpoint of the expected form (only tensors, plain "
                                f"containers and models.utils.config.BaseConfig are accepted): {err}") from None


def config_value(config, *names, default=None):
    for name in names:
        value = getattr(config, name, None) if not isinstance(config, dict) else config.get(name)
        if value is not None:
            return value
    return default


class EqualizedConv2d(nn.Conv2d):
    """A convolution whose output is scaled by He's constant sqrt(2 / fan_in) at run time."""

    def forward(self, x):
        return super().forward(x) * math.sqrt(2.0 / self.weight[0].numel())


class EqualizedLinear(nn.Linear):
    def forward(self, x):
        return super().forward(x) * math.sqrt(2.0 / self.weight.shape[1])


def pixel_norm(x: torch.Tensor) -> torch.Tensor:
    return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


class ProgressiveGenerator(nn.Module):
    """The zoo's progressive ``GNet`` at its last scale (alpha = 0)."""

    def __init__(self, dim_latent: int, depths: list[int], dim_output: int = 3, leak: float = 0.2):
        super().__init__()
        self.dim_latent, self.leak = dim_latent, leak
        self.formatLayer = EqualizedLinear(dim_latent, 16 * depths[0])
        self.groupScale0 = nn.ModuleList([EqualizedConv2d(depths[0], depths[0], 3, padding=1)])
        self.scaleLayers = nn.ModuleList(
            nn.ModuleList([EqualizedConv2d(d_in, d_out, 3, padding=1), EqualizedConv2d(d_out, d_out, 3, padding=1)])
            for d_in, d_out in zip(depths, depths[1:], strict=False))
        self.toRGBLayers = nn.ModuleList(EqualizedConv2d(d, dim_output, 1) for d in depths)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = F.leaky_relu(self.formatLayer(pixel_norm(z)), self.leak)
        x = pixel_norm(x.view(x.shape[0], -1, 4, 4))
        for conv in self.groupScale0:
            x = pixel_norm(F.leaky_relu(conv(x), self.leak))
        for group in self.scaleLayers:
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            for conv in group:
                x = pixel_norm(F.leaky_relu(conv(x), self.leak))
        return self.toRGBLayers[-1](x)


class ZooDCGAN(nn.Module):
    """The zoo's DCGAN ``GNet``: ``formatLayer`` then ``main``, tanh."""

    def __init__(self, dim_latent: int = 120, dim_output: int = 3, dim_model: int = 64, depth: int = 3):
        super().__init__()
        depth_now = dim_model * 2**depth
        self.formatLayer = nn.ConvTranspose2d(dim_latent, depth_now, 4, 1, 0, bias=False)
        layers: list[tuple[str, nn.Module]] = [("batchNorm0", nn.BatchNorm2d(depth_now)), ("relu0", nn.ReLU())]
        for i in range(depth):
            layers += [(f"convTranspose{i + 1}", nn.ConvTranspose2d(depth_now, depth_now // 2, 4, 2, 1, bias=False)),
                       (f"batchNorm{i + 1}", nn.BatchNorm2d(depth_now // 2)), (f"relu{i + 1}", nn.ReLU())]
            depth_now //= 2
        layers.append(("outlayer", nn.ConvTranspose2d(dim_model, dim_output, 4, 2, 1, bias=False)))
        from collections import OrderedDict

        self.main = nn.Sequential(OrderedDict(layers))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.main(self.formatLayer(z.view(z.shape[0], -1, 1, 1))))


def _load(name: str, weights_path: str | Path | None) -> tuple[dict, object, str]:
    f = ZOO_WEIGHTS[name]
    path = Path(weights_path) if weights_path is not None else weight_path(f)
    if not path.is_file():
        raise GeometryError(f"weights_path {path} does not exist")
    checkpoint = read_zoo_checkpoint(path)
    state = checkpoint.get("avgG") or checkpoint.get("netG")
    if state is None:
        raise GeometryError(f"{path} holds neither avgG nor netG")
    return state, checkpoint.get("config"), str(path) if weights_path is not None else f.source


def build_pggan(name: str, space: str = "noise", weights_path: str | Path | None = None,
                random_config: bool = False, full_size_random: bool = False) -> Generator:
    """Progressive GAN ``name``; ``random_config``: 3 scales (16 px) of width 16 with random weights."""
    depths, dim_latent, source, state = PGGAN_DEPTHS[name], 512, "random weights", None
    if random_config:
        depths, dim_latent = [16, 16, 8], 32
    elif not full_size_random:
        state, config, source = _load(name, weights_path)
        scales = sum(1 for key in state if key.startswith("toRGBLayers.") and key.endswith(".weight"))
        depths = list(config_value(config, "depthScales", default=depths))[:scales]  # the scales trained
        dim_latent = int(config_value(config, "dimLatentVector", default=dim_latent))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = ProgressiveGenerator(dim_latent, depths)
    if state is not None:
        net.load_state_dict(state)
    side = 4 * 2 ** (len(depths) - 1)
    return Generator(net, name=name, space=space, latent_dim=dim_latent, image_shape=(3, side, side), source=source,
                     licence="BSD-3-Clause", first_layer=None, pca_layer="module.groupScale0.0",
                     block_layers=["module.groupScale0.0", *(f"module.scaleLayers.{i}.{j}"
                                                              for i in range(len(depths) - 1) for j in (0, 1))])


def build_dcgan_fashion(space: str = "noise", weights_path: str | Path | None = None, random_config: bool = False,
                        full_size_random: bool = False) -> Generator:
    """The FashionGen DCGAN (64 px, 120-d noise); ``random_config``: widths / 8, random weights."""
    dim_model, source, state = 64, "random weights", None
    if random_config:
        dim_model = 8
    elif not full_size_random:
        state, _, source = _load("dcgan-fashion64", weights_path)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        net = ZooDCGAN(120, 3, dim_model)
    if state is not None:
        net.load_state_dict(state)
    first = net.formatLayer.weight.detach()
    return Generator(net, name="dcgan-fashion64", space=space, latent_dim=120, image_shape=(3, 64, 64), source=source,
                     licence="BSD-3-Clause", first_layer=first.reshape(first.shape[0], -1).T,
                     pca_layer="module.main.relu0")

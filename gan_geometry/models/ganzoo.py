"""PyTorch GAN Zoo generators (Facebook Research): the progressive GAN (``pggan-celebahq256``,
``pggan-celebahq512``) and the DCGAN of FashionGen (``dcgan-fashion64``), equal to the zoo's
``GNet`` classes on the zoo's own files.

Checkpoints are ``{'config', 'netG', 'netD', 'avgG'}`` as ``BaseGAN.save`` writes them; ``config``
is the pickled ``models.utils.config.BaseConfig``, read as a ``ZooConfig`` record under
``weights_only=True`` (gan_geometry.io.checkpoints). The averaged generator ``avgG`` is used when
present. The network is built from the config with the zoo's attribute names; a file without
one (a bare state dict) is read from its shapes with the zoo's defaults:

- progressive GAN: ``latentVectorDim`` (else ``noiseVectorDim``), ``depthScale0``,
  ``depthOtherScales``, ``dimOutput``, ``leakyReluLeak``, ``equalizedlR``, ``alpha`` (blend with
  the previous scale's RGB output), ``lossCriterion`` (``MSE`` / ``DCGAN``: tanh output;
  ``WGANGP`` / ``Logistic``: none). Refused in one line: ``perChannelNormalization`` off (the
  zoo's ``GNet.forward`` calls its normalisation layer unconditionally and cannot run it) and
  AC-GAN files (``categoryVectorDim`` > 0).
- DCGAN: ``latentVectorDim``, ``dimG``, ``depth``, ``dimOutput``, ``lossCriterion``.

Both state-dict layouts load: the zoo's own, where ``ConstrainedLayer`` keeps the wrapped layer
as ``module`` (``formatLayer.module.weight``), and the stripped one (``formatLayer.weight``), as
the zoo's ``loadStateDictCompatible`` accepts both.

Progressive GAN (``GNet``) at its last scale: z -> pixel norm -> equalized linear to (d0, 4, 4)
-> leaky ReLU -> pixel norm -> conv 3x3 (+ leaky ReLU, pixel norm); per further scale: nearest 2x
upsampling, two equalized 3x3 convolutions each followed by leaky ReLU and pixel norm; the last
scale's 1x1 "to RGB" conv, blended as ``alpha * up(rgb_previous) + (1 - alpha) * rgb``. Equalized
layers multiply by He's constant sqrt(2 / fan_in) at run time.

DCGAN (``DCGAN_nets.GNet``): z as (d, 1, 1) -> ``formatLayer`` ConvT 4x4 -> ``main`` (batchNorm0,
relu0, [convTranspose_i, batchNorm_i, relu_i] x depth, outlayer) -> tanh. The zoo never puts
``avgG`` in eval mode: its batch norms normalise with the statistics of the batch they are given,
and its moving average covers parameters only, so the stored running statistics are not those
of ``avgG``. ``batch_norm="per-image"`` (default) normalises each image with its own statistics,
the zoo's train mode at batch 1, which keeps G(z) a function of z alone and is what the paper
measured; ``batch_norm="stored"`` uses the stored running statistics (eval mode).

The zoo never checks its files' hash prefixes (``torch.hub`` with ``check_hash=False``); here the
prefix in the name is checked on download (except the 512 px file, reported to mismatch) and the full
SHA-256 of the first download is pinned.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gan_geometry.core.generators import Generator, seeded
from gan_geometry.io.checkpoints import CheckpointError, ZooConfig, expect_family, load_into
from gan_geometry.io.weights import RemoteFile, read_weights

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
# the published files' depths per scale (for random weights; a loaded file brings its own config)
PGGAN_DEPTHS = {"pggan-celebahq256": [512, 512, 512, 512, 256, 128, 64],
                "pggan-celebahq512": [512, 512, 512, 512, 256, 128, 64, 32]}
TANH_LOSSES = ("MSE", "DCGAN")  # the zoo's loss criteria whose generationActivation is tanh
BATCH_NORM_MODES = ("per-image", "stored")


@dataclass(frozen=True)
class PGGANConfig:
    """What the zoo's progressive ``GNet`` is built from (its attribute names in the docstring above)."""

    dim_latent: int = 512
    depths: list[int] = field(default_factory=lambda: list(PGGAN_DEPTHS["pggan-celebahq256"]))
    dim_output: int = 3
    leak: float = 0.2
    equalized: bool = True
    tanh: bool = False
    alpha: float = 0.0


@dataclass(frozen=True)
class DCGANConfig:
    """What the zoo's DCGAN ``GNet`` is built from."""

    dim_latent: int = 120
    dim_model: int = 64
    depth: int = 3
    dim_output: int = 3
    tanh: bool = True


def stripped(state: dict) -> dict:
    """The zoo's ``ConstrainedLayer`` keys (``x.module.weight``) as the port's (``x.weight``)."""
    return {(k[: -len(".module.weight")] + ".weight" if k.endswith(".module.weight") else
             k[: -len(".module.bias")] + ".bias" if k.endswith(".module.bias") else k): v for k, v in state.items()}


def zoo_generator_state(checkpoint: dict, path: Path, family: str) -> tuple[dict, ZooConfig | None]:
    """(generator state dict in the stripped layout, config or None) of a zoo checkpoint or bare state dict."""
    expect_family(checkpoint, path, family)
    if "config" in checkpoint or "netG" in checkpoint or "avgG" in checkpoint:
        state = checkpoint.get("avgG") or checkpoint.get("netG")
        if not isinstance(state, dict):
            raise CheckpointError(f"{path} holds neither avgG nor netG")
        config = checkpoint.get("config")
        if config is not None and not isinstance(config, ZooConfig | dict):
            raise CheckpointError(f"{path}: its config is a {type(config).__name__}, not the zoo's BaseConfig")
        return stripped(state), ZooConfig.from_dict(config) if isinstance(config, dict) else config
    return stripped(checkpoint), None


def _number(config: ZooConfig, name: str, kind, default, path: Path):
    """Config attribute ``name`` as ``kind`` (bool, int or float), or a one-line error naming it."""
    value = config.get(name, default)
    if kind is bool:
        ok = isinstance(value, bool)
    else:
        ok = isinstance(value, int | float) and not isinstance(value, bool) and (kind is float or value == int(value))
    if not ok:
        raise CheckpointError(f"{path}: config {name} = {value!r} is not a {kind.__name__}")
    return kind(value)


def pggan_config(config: ZooConfig | None, state: dict, path: Path) -> PGGANConfig:
    """The network a zoo progressive-GAN file describes; shapes where it has no config."""
    if config is None:
        rgb = sorted((k for k in state if k.startswith("toRGBLayers.") and k.endswith(".weight")),
                     key=lambda k: int(k.split(".")[1]))
        if "formatLayer.weight" not in state or not rgb:
            raise CheckpointError(f"{path} has neither the zoo's config nor formatLayer / toRGBLayers weights")
        return PGGANConfig(dim_latent=state["formatLayer.weight"].shape[1],
                           depths=[state[k].shape[1] for k in rgb], dim_output=state[rgb[-1]].shape[0])
    if _number(config, "categoryVectorDim", int, 0, path) > 0:
        raise CheckpointError(f"{path} is an AC-GAN (categoryVectorDim = {config.get('categoryVectorDim')}): "
                              f"conditional zoo generators are not supported")
    if not _number(config, "perChannelNormalization", bool, True, path):
        raise CheckpointError(f"{path} has perChannelNormalization = False, which the zoo's own GNet cannot run "
                              f"(its forward calls the normalisation layer unconditionally)")
    dim_latent = config.get("latentVectorDim", config.get("noiseVectorDim"))
    depth0, others = config.get("depthScale0"), config.get("depthOtherScales", [])
    if dim_latent is None or depth0 is None or not isinstance(others, list | tuple):
        raise CheckpointError(f"{path}: the zoo config lacks latentVectorDim / depthScale0 / depthOtherScales "
                              f"(found {', '.join(sorted(config.__dict__)) or 'nothing'})")
    alpha = _number(config, "alpha", float, 0.0, path)
    if not 0 <= alpha <= 1:
        raise CheckpointError(f"{path}: config alpha = {alpha} is outside [0, 1]")
    return PGGANConfig(dim_latent=_number(config, "latentVectorDim", int, dim_latent, path),
                       depths=[int(d) for d in [depth0, *others]],
                       dim_output=_number(config, "dimOutput", int, 3, path),
                       leak=_number(config, "leakyReluLeak", float, 0.2, path),
                       equalized=_number(config, "equalizedlR", bool, True, path),
                       tanh=config.get("lossCriterion", "WGANGP") in TANH_LOSSES, alpha=alpha)


def dcgan_config(config: ZooConfig | None, state: dict, path: Path) -> DCGANConfig:
    """The network a zoo DCGAN file describes; shapes where it has no config."""
    if config is None:
        fmt, out = state.get("formatLayer.weight"), state.get("main.outlayer.weight")
        if fmt is None or out is None:
            raise CheckpointError(f"{path} has neither the zoo's config nor formatLayer / main.outlayer weights")
        depth = sum(1 for k in state if k.startswith("main.convTranspose"))
        return DCGANConfig(dim_latent=fmt.shape[0], dim_model=out.shape[0], depth=depth, dim_output=out.shape[1])
    dim_latent = config.get("latentVectorDim", config.get("noiseVectorDim"))
    if dim_latent is None:
        raise CheckpointError(f"{path}: the zoo config has no latentVectorDim")
    if _number(config, "categoryVectorDim", int, 0, path) > 0:
        raise CheckpointError(f"{path} is an AC-GAN (categoryVectorDim = {config.get('categoryVectorDim')}): "
                              f"conditional zoo generators are not supported")
    return DCGANConfig(dim_latent=_number(config, "latentVectorDim", int, dim_latent, path),
                       dim_model=_number(config, "dimG", int, 64, path), depth=_number(config, "depth", int, 3, path),
                       dim_output=_number(config, "dimOutput", int, 3, path),
                       tanh=config.get("lossCriterion", "DCGAN") in TANH_LOSSES)


class EqualizedConv2d(nn.Conv2d):
    """A convolution whose output is scaled by He's constant sqrt(2 / fan_in) at run time
    (``scale`` 1 where the file says ``equalizedlR`` is off)."""

    def __init__(self, *args, equalized: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.scale = math.sqrt(2.0 / self.weight[0].numel()) if equalized else 1.0

    def forward(self, x):
        return super().forward(x) * self.scale


class EqualizedLinear(nn.Linear):
    def __init__(self, *args, equalized: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.scale = math.sqrt(2.0 / self.weight.shape[1]) if equalized else 1.0

    def forward(self, x):
        return super().forward(x) * self.scale


def pixel_norm(x: torch.Tensor) -> torch.Tensor:
    return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


class ProgressiveGenerator(nn.Module):
    """The zoo's progressive ``GNet`` at its last scale."""

    def __init__(self, config: PGGANConfig):
        super().__init__()
        depths, eq = config.depths, config.equalized
        self.config = config
        self.formatLayer = EqualizedLinear(config.dim_latent, 16 * depths[0], equalized=eq)
        self.groupScale0 = nn.ModuleList([EqualizedConv2d(depths[0], depths[0], 3, padding=1, equalized=eq)])
        self.scaleLayers = nn.ModuleList(
            nn.ModuleList([EqualizedConv2d(d_in, d_out, 3, padding=1, equalized=eq),
                           EqualizedConv2d(d_out, d_out, 3, padding=1, equalized=eq)])
            for d_in, d_out in zip(depths, depths[1:], strict=False))
        self.toRGBLayers = nn.ModuleList(EqualizedConv2d(d, config.dim_output, 1, equalized=eq) for d in depths)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        leak, alpha = self.config.leak, self.config.alpha
        x = F.leaky_relu(self.formatLayer(pixel_norm(z)), leak)
        x = pixel_norm(x.view(x.shape[0], -1, 4, 4))
        for conv in self.groupScale0:
            x = pixel_norm(F.leaky_relu(conv(x), leak))
        previous = x
        for group in self.scaleLayers:
            previous = x
            x = F.interpolate(x, scale_factor=2, mode="nearest")
            for conv in group:
                x = pixel_norm(F.leaky_relu(conv(x), leak))
        x = self.toRGBLayers[-1](x)
        if alpha > 0 and len(self.toRGBLayers) > 1:
            x = alpha * F.interpolate(self.toRGBLayers[-2](previous), scale_factor=2, mode="nearest") + (1 - alpha) * x
        return torch.tanh(x) if self.config.tanh else x


class ZooBatchNorm(nn.BatchNorm2d):
    """``nn.BatchNorm2d``'s parameters and buffers; ``per_image``: each image normalised with its
    own mean and (biased) variance per channel, as train mode at batch 1; else the stored running
    statistics (eval mode). y = (x - mean) / sqrt(var + eps) * weight + bias."""

    per_image = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.per_image:
            return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias, False, 0.0, self.eps)
        mean = x.mean(dim=(2, 3), keepdim=True)
        var = (x - mean).pow(2).mean(dim=(2, 3), keepdim=True)
        return (x - mean) * torch.rsqrt(var + self.eps) * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class ZooDCGAN(nn.Module):
    """The zoo's DCGAN ``GNet``: ``formatLayer`` then ``main``, tanh (per the loss criterion)."""

    def __init__(self, config: DCGANConfig, per_image: bool = True):
        super().__init__()
        self.config = config
        depth_now = config.dim_model * 2**config.depth
        self.formatLayer = nn.ConvTranspose2d(config.dim_latent, depth_now, 4, 1, 0, bias=False)
        layers: list[tuple[str, nn.Module]] = [("batchNorm0", ZooBatchNorm(depth_now)), ("relu0", nn.ReLU())]
        for i in range(config.depth):
            layers += [(f"convTranspose{i + 1}", nn.ConvTranspose2d(depth_now, depth_now // 2, 4, 2, 1, bias=False)),
                       (f"batchNorm{i + 1}", ZooBatchNorm(depth_now // 2)), (f"relu{i + 1}", nn.ReLU())]
            depth_now //= 2
        layers.append(("outlayer", nn.ConvTranspose2d(config.dim_model, config.dim_output, 4, 2, 1, bias=False)))
        self.main = nn.Sequential(OrderedDict(layers))
        for module in self.main:
            if isinstance(module, ZooBatchNorm):
                module.per_image = per_image

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.main(self.formatLayer(z.view(z.shape[0], -1, 1, 1)))
        return torch.tanh(x) if self.config.tanh else x


def build_pggan(name: str, space: str = "noise", weights_path: str | Path | None = None,
                random_config: bool = False, full_size_random: bool = False) -> Generator:
    """Progressive GAN ``name``; ``random_config``: 3 scales (16 px) of width 16 with random weights."""
    config, source, info = PGGANConfig(depths=PGGAN_DEPTHS[name]), "random weights", None
    if random_config:
        config = PGGANConfig(dim_latent=32, depths=[16, 16, 8])
    if not (random_config or full_size_random):
        checkpoint, path, source = read_weights(ZOO_WEIGHTS[name], weights_path)
        state, zoo = zoo_generator_state(checkpoint, path, "PGGAN (GAN Zoo)")
        config = pggan_config(zoo, state, path)
        with torch.device("meta"):
            net = ProgressiveGenerator(config)
        net = net.to_empty(device="cpu")
        info = load_into(net, state, path, "PGGAN (GAN Zoo)", asdict(config))
    else:
        net = seeded(lambda: ProgressiveGenerator(config))
    side = 4 * 2 ** (len(config.depths) - 1)
    return Generator(net, name=name, space=space, latent_dim=config.dim_latent,
                     image_shape=(config.dim_output, side, side), source=source, licence="BSD-3-Clause",
                     first_layer=None, pca_layer="module.groupScale0.0", weights_info=info,
                     block_layers=["module.groupScale0.0", *(f"module.scaleLayers.{i}.{j}"
                                                              for i in range(len(config.depths) - 1) for j in (0, 1))])


def build_dcgan_fashion(space: str = "noise", weights_path: str | Path | None = None, batch_norm: str = "per-image",
                        random_config: bool = False, full_size_random: bool = False) -> Generator:
    """The FashionGen DCGAN (64 px, 120-d noise); ``random_config``: widths / 8, random weights.
    ``batch_norm``: ``per-image`` (the zoo's train-mode avgG at batch 1) or ``stored`` (eval mode)."""
    if batch_norm not in BATCH_NORM_MODES:
        raise CheckpointError(f"batch_norm is one of {', '.join(BATCH_NORM_MODES)}; got {batch_norm!r}")
    per_image, config, source, info = batch_norm == "per-image", DCGANConfig(), "random weights", None
    if random_config:
        config = DCGANConfig(dim_model=8)
    if not (random_config or full_size_random):
        checkpoint, path, source = read_weights(ZOO_WEIGHTS["dcgan-fashion64"], weights_path)
        state, zoo = zoo_generator_state(checkpoint, path, "DCGAN (GAN Zoo)")
        config = dcgan_config(zoo, state, path)
        with torch.device("meta"):
            net = ZooDCGAN(config, per_image)
        net = net.to_empty(device="cpu")
        info = load_into(net, state, path, "DCGAN (GAN Zoo)", {**asdict(config), "batch_norm": batch_norm},
                         optional=("num_batches_tracked",))
    else:
        net = seeded(lambda: ZooDCGAN(config, per_image))
    first = net.formatLayer.weight.detach()
    side = 4 * 2 ** (config.depth + 1)
    return Generator(net, name="dcgan-fashion64", space=space, latent_dim=config.dim_latent,
                     image_shape=(config.dim_output, side, side), source=source, licence="BSD-3-Clause",
                     first_layer=first.reshape(first.shape[0], -1).T, pca_layer="module.main.relu0",
                     weights_info=info)

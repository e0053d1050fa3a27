"""``stylegan-face256``: StyleGAN 1 (Karras et al. 2019) in the layout of the PyTorch port of
rosinality (``style-based-gan-pytorch``), checkpoint key ``g_running``, 256 px (progression step 6).

The port's ``StyledGenerator``: ``style`` (pixel norm, 8 x [equalized linear, leaky ReLU 0.2]) maps
z to w; ``generator.progression`` holds one ``StyledConvBlock`` per resolution (a constant input
at 4 px; nearest upsampling + conv + blur up to 64 px; a fused transposed convolution + blur from
128 px), each block: conv, noise, leaky ReLU, AdaIN, conv, noise, leaky ReLU, AdaIN;
``generator.to_rgb`` a 1x1 conv per resolution. Equalized learning rate: parameters are stored as
``weight_orig`` and multiplied by sqrt(2 / fan_in) at run time. Here every piece is plain PyTorch
(the port's blur uses a custom autograd function; here a depthwise convolution), the noise inputs
are fixed seeded buffers, and instance normalisation is written out, so ``torch.func`` transforms
run through it. Spaces: ``z`` (512, N(0, I)) and ``w`` (512; samples are mapping(z)); truncation
psi towards the mean w of 4,096 seeded codes.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gan_geometry.core.generators import Generator, LatentDistribution, seeded
from gan_geometry.errors import GeometryError
from gan_geometry.io.checkpoints import expect_family, load_into
from gan_geometry.io.weights import RemoteFile, read_weights
from gan_geometry.models.stylegan2 import ConstantInput, MappedDistribution, PixelNorm, Space

# No direct download URL is known (the port links Google Drive): place the file with weights_path=.
STYLEGAN_WEIGHTS = RemoteFile("stylegan-256px-new.model", None, None,
                              "FFHQ-trained: non-commercial (CC BY-NC-SA 4.0 data); never redistributed")
FAMILY = "StyleGAN 1 (rosinality port)"
CHANNELS = (512, 512, 512, 512, 256, 128, 64, 32, 16)  # out channels at 4, 8, ..., 1024 px
FUSED_FROM = 5  # blocks 5.. (128 px and up) upsample with a fused transposed convolution


def equalized(weight: torch.Tensor) -> torch.Tensor:
    """The port's equal learning rate: weight * sqrt(2 / fan_in), fan_in = size(1) * kernel area."""
    return weight * math.sqrt(2 / (weight.shape[1] * weight[0][0].numel()))


class EqualLinear(nn.Module):
    def __init__(self, in_dim, out_dim):
        super().__init__()
        self.linear = nn.Module()
        self.linear.weight_orig = nn.Parameter(torch.randn(out_dim, in_dim))
        self.linear.bias = nn.Parameter(torch.zeros(out_dim))

    def forward(self, x):
        return F.linear(x, equalized(self.linear.weight_orig), self.linear.bias)


class EqualConv2d(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size, padding=0):
        super().__init__()
        self.conv = nn.Module()
        self.conv.weight_orig = nn.Parameter(torch.randn(out_ch, in_ch, kernel_size, kernel_size))
        self.conv.bias = nn.Parameter(torch.zeros(out_ch))
        self.padding = padding

    def forward(self, x):
        return F.conv2d(x, equalized(self.conv.weight_orig), self.conv.bias, padding=self.padding)


class Blur(nn.Module):
    def __init__(self, channels):
        super().__init__()
        k = torch.tensor([[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]).view(1, 1, 3, 3) / 16
        self.register_buffer("weight", k.repeat(channels, 1, 1, 1))
        self.register_buffer("weight_flip", torch.flip(k, [2, 3]).repeat(channels, 1, 1, 1))

    def forward(self, x):
        return F.conv2d(x, self.weight, padding=1, groups=x.shape[1])


class FusedUpsample(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size, padding=0):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(in_ch, out_ch, kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_ch))
        self.multiplier, self.pad = math.sqrt(2 / (in_ch * kernel_size * kernel_size)), padding

    def forward(self, x):
        w = F.pad(self.weight * self.multiplier, [1, 1, 1, 1])
        w = (w[:, :, 1:, 1:] + w[:, :, :-1, 1:] + w[:, :, 1:, :-1] + w[:, :, :-1, :-1]) / 4
        return F.conv_transpose2d(x, w, self.bias, stride=2, padding=self.pad)


class NoiseInjection(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.weight_orig = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x, noise):
        return x + equalized(self.weight_orig) * noise


class AdaptiveInstanceNorm(nn.Module):
    def __init__(self, channels, style_dim):
        super().__init__()
        self.style = EqualLinear(style_dim, 2 * channels)
        with torch.no_grad():
            self.style.linear.bias[:channels] = 1

    def forward(self, x, style):
        gamma, beta = self.style(style)[:, :, None, None].chunk(2, 1)
        mean = x.mean(dim=(2, 3), keepdim=True)
        var = x.var(dim=(2, 3), keepdim=True, unbiased=False)
        return gamma * (x - mean) / torch.sqrt(var + 1e-5) + beta


class StyledConvBlock(nn.Module):
    def __init__(self, in_ch, out_ch, style_dim=512, initial=False, upsample=False, fused=False):
        super().__init__()
        if initial:
            self.conv1 = ConstantInput(in_ch)
        elif fused:
            self.conv1 = nn.Sequential(FusedUpsample(in_ch, out_ch, 3, padding=1), Blur(out_ch))
        elif upsample:
            self.conv1 = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), EqualConv2d(in_ch, out_ch, 3, 1),
                                       Blur(out_ch))
        else:
            self.conv1 = EqualConv2d(in_ch, out_ch, 3, 1)
        self.noise1, self.adain1 = NoiseInjection(out_ch), AdaptiveInstanceNorm(out_ch, style_dim)
        self.conv2 = EqualConv2d(out_ch, out_ch, 3, 1)
        self.noise2, self.adain2 = NoiseInjection(out_ch), AdaptiveInstanceNorm(out_ch, style_dim)

    def forward(self, x, style, noise):
        x = self.adain1(F.leaky_relu(self.noise1(self.conv1(x), noise), 0.2), style)
        return self.adain2(F.leaky_relu(self.noise2(self.conv2(x), noise), 0.2), style)


class StyleGAN(nn.Module):
    """The port's ``StyledGenerator`` up to ``size`` px: ``style`` and ``generator`` (progression,
    to_rgb), with fixed noise buffers ``noises.noise_i``; ``channels`` shrinks it for tests."""

    def __init__(self, size: int = 256, style_dim: int = 512, n_mlp: int = 8, channels=CHANNELS):
        super().__init__()
        layers: list[nn.Module] = [PixelNorm()]
        for _ in range(n_mlp):
            layers += [EqualLinear(style_dim, style_dim), nn.LeakyReLU(0.2)]
        self.style = nn.Sequential(*layers)
        self.style_dim, self.size = style_dim, size
        self.steps = int(math.log2(size)) - 2
        self.generator = nn.Module()
        self.generator.progression = nn.ModuleList(
            StyledConvBlock(channels[0] if i == 0 else channels[i - 1], channels[i], style_dim, initial=i == 0,
                            upsample=i > 0, fused=i >= FUSED_FROM) for i in range(len(channels)))
        self.generator.to_rgb = nn.ModuleList(EqualConv2d(c, 3, 1) for c in channels)
        self.noises = nn.Module()
        for i in range(self.steps + 1):
            self.noises.register_buffer(f"noise_{i}", torch.randn(1, 1, 4 * 2**i, 4 * 2**i))

    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        return self.style(z)

    def synthesis(self, w: torch.Tensor) -> torch.Tensor:
        x = w
        for i in range(self.steps + 1):
            x = self.generator.progression[i](x, w, getattr(self.noises, f"noise_{i}"))
        return self.generator.to_rgb[self.steps](x)


def build(space: str = "z", truncation: float = 1.0, weights_path: str | Path | None = None,
          random_config: bool = False, full_size_random: bool = False) -> Generator:
    """StyleGAN 1 at 256 px; ``random_config``: 16 px with 8 channels (tests)."""
    if not 0 < truncation <= 1:
        raise GeometryError(f"StyleGAN truncation must be in (0, 1]; got {truncation}")
    if space not in ("z", "w"):
        raise GeometryError(f"StyleGAN latent spaces are z and w; got '{space}'")
    source, licence, info = "random weights", "", None
    if random_config or full_size_random:
        net = seeded(lambda: StyleGAN(16, 16, 2, (8, 8, 8)) if random_config else StyleGAN(256))
        with torch.no_grad():  # keep random RGB outputs inside [-1, 1]
            for to_rgb in net.generator.to_rgb:
                to_rgb.conv.weight_orig.mul_(0.05)
    else:
        checkpoint, path, source = read_weights(STYLEGAN_WEIGHTS, weights_path)
        expect_family(checkpoint, path, FAMILY)
        state = checkpoint.get("g_running", checkpoint)
        net = seeded(lambda: StyleGAN(256))  # seeded fixed noise; the file replaces every weight
        # the port's checkpoints hold no noise buffers (the port draws noise per call): fixed seeded noise here
        info = load_into(net, state, path, FAMILY, {"size": 256},
                         optional=tuple(f"noise_{i}" for i in range(net.steps + 1)))
        licence = STYLEGAN_WEIGHTS.licence
    net.eval().requires_grad_(False)
    z = torch.randn(4096, net.style_dim, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        w_avg = net.mapping(z).mean(0)
    distribution = LatentDistribution() if space == "z" else MappedDistribution(net)
    return Generator(Space(net, space, w_avg, truncation), name="stylegan-face256", space=space,
                     latent_dim=net.style_dim, image_shape=(3, net.size, net.size), distribution=distribution,
                     source=source, licence=licence, pca_layer="module.net.style", weights_info=info,
                     block_layers=[f"module.net.generator.progression.{i}" for i in range(net.steps + 1)])

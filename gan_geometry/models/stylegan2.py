"""StyleGAN2 (Karras et al. 2020) in the layout of the widely used PyTorch port (rosinality).

Checkpoints are ``{"g_ema": state_dict, "latent_avg": (512,)?, ...}`` (``convert_weight.py``) or
``train.py``'s ``{"g", "d", "g_ema", "g_optim", "d_optim", "args", "ada_aug_p"}`` with ``args`` an
``argparse.Namespace`` (allowed under ``weights_only``); a file of any size, channel multiplier
or mapping depth is built from its own shapes. The parameter names and
shapes below match that port exactly (``manifests/stylegan2-<size>-cm<m>.json`` records them,
derived from the port's definitions, and a test compares). Every fused CUDA operation of the port
is written here in plain, differentiable PyTorch (forward and reverse mode, ``torch.func``):

- ``fused_leaky_relu(x, b)`` = leaky_relu(x + b, 0.2) * sqrt(2)
- ``upfirdn2d``: zero-insertion upsampling, padding, a depthwise FIR filter, downsampling
- modulated convolution: w' = s * w / sqrt(sum (s w)^2 + 1e-8) per sample, one grouped convolution

Noise inputs are the generator's fixed ``noises.noise_i`` buffers (seeded for random weights,
the checkpoint's otherwise): G is deterministic. Latent spaces: ``z`` (512, N(0, I); the image is
synthesis(w) with w = w_avg + psi (mapping(z) - w_avg)), ``w`` (512; samples are mapping(z)),
``w+`` (n_latent x 512, one w per layer; samples repeat mapping(z)). ``truncation`` psi and the mean
w (``latent_avg`` of the checkpoint, else the mean mapping of 4,096 seeded z) apply in every space.
"""

from __future__ import annotations

import math
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gan_geometry.core.generators import Generator, LatentDistribution, seeded
from gan_geometry.errors import GeometryError
from gan_geometry.io.checkpoints import CheckpointError, expect_family, load_into
from gan_geometry.io.weights import RemoteFile, read_weights

CHANNELS = {4: 512, 8: 512, 16: 512, 32: 512, 64: 256, 128: 128, 256: 64, 512: 32, 1024: 16}  # times multiplier


def fused_leaky_relu(x: torch.Tensor, bias: torch.Tensor, slope: float = 0.2, scale: float = 2**0.5) -> torch.Tensor:
    shape = (1, bias.shape[0]) + (1,) * (x.dim() - 2)
    return F.leaky_relu(x + bias.view(shape), slope) * scale


def upfirdn2d(x: torch.Tensor, kernel: torch.Tensor, up: int = 1, down: int = 1, pad: tuple[int, int] = (0, 0)
              ) -> torch.Tensor:
    """Upsample by zero insertion, pad (negative pads crop), filter with ``kernel`` (correlation
    with the flipped kernel, i.e. convolution), downsample: the port's ``upfirdn2d_native``."""
    b, c, h, w = x.shape
    if up > 1:
        x = F.pad(x.reshape(b, c, h, 1, w, 1), [0, up - 1, 0, 0, 0, up - 1]).reshape(b, c, h * up, w * up)
    x = F.pad(x, [pad[0], pad[1], pad[0], pad[1]])
    weight = torch.flip(kernel, [0, 1]).to(x.dtype).expand(c, 1, *kernel.shape)
    x = F.conv2d(x, weight, groups=c)
    return x[:, :, ::down, ::down]


def make_kernel(k) -> torch.Tensor:
    k = torch.tensor(k, dtype=torch.float32)
    k = k[None, :] * k[:, None]
    return k / k.sum()


class PixelNorm(nn.Module):
    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(dim=1, keepdim=True) + 1e-8)


class EqualLinear(nn.Module):
    def __init__(self, in_dim, out_dim, bias_init=0.0, lr_mul=1.0, activation=False):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_dim, in_dim) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_dim,), float(bias_init)))
        self.scale, self.lr_mul, self.activation = lr_mul / math.sqrt(in_dim), lr_mul, activation

    def forward(self, x):
        if self.activation:
            return fused_leaky_relu(F.linear(x, self.weight * self.scale), self.bias * self.lr_mul)
        return F.linear(x, self.weight * self.scale, self.bias * self.lr_mul)


class Blur(nn.Module):
    def __init__(self, kernel, pad, upsample_factor=1):
        super().__init__()
        self.register_buffer("kernel", make_kernel(kernel) * upsample_factor**2)
        self.pad = pad

    def forward(self, x):
        return upfirdn2d(x, self.kernel, pad=self.pad)


class Upsample(nn.Module):
    def __init__(self, kernel, factor=2):
        super().__init__()
        self.register_buffer("kernel", make_kernel(kernel) * factor**2)
        p = len(kernel) - factor
        self.factor, self.pad = factor, ((p + 1) // 2 + factor - 1, p // 2)

    def forward(self, x):
        return upfirdn2d(x, self.kernel, up=self.factor, pad=self.pad)


class ModulatedConv2d(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size, style_dim, demodulate=True, upsample=False,
                 blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        self.in_ch, self.out_ch, self.kernel_size = in_ch, out_ch, kernel_size
        self.upsample, self.demodulate = upsample, demodulate
        if upsample:
            factor = 2
            p = (len(blur_kernel) - factor) - (kernel_size - 1)
            self.blur = Blur(blur_kernel, pad=((p + 1) // 2 + factor - 1, p // 2 + 1), upsample_factor=factor)
        self.scale = 1 / math.sqrt(in_ch * kernel_size**2)
        self.padding = kernel_size // 2
        self.weight = nn.Parameter(torch.randn(1, out_ch, in_ch, kernel_size, kernel_size))
        self.modulation = EqualLinear(style_dim, in_ch, bias_init=1)

    def forward(self, x, style):
        b, _, h, w = x.shape
        style = self.modulation(style).view(b, 1, self.in_ch, 1, 1)
        weight = self.scale * self.weight * style  # (b, out, in, k, k)
        if self.demodulate:
            weight = weight * torch.rsqrt(weight.pow(2).sum([2, 3, 4]) + 1e-8).view(b, self.out_ch, 1, 1, 1)
        x = x.reshape(1, b * self.in_ch, h, w)
        k = self.kernel_size
        if self.upsample:
            weight = weight.transpose(1, 2).reshape(b * self.in_ch, self.out_ch, k, k)
            out = F.conv_transpose2d(x, weight, padding=0, stride=2, groups=b)
            return self.blur(out.reshape(b, self.out_ch, out.shape[-2], out.shape[-1]))
        out = F.conv2d(x, weight.reshape(b * self.out_ch, self.in_ch, k, k), padding=self.padding, groups=b)
        return out.reshape(b, self.out_ch, out.shape[-2], out.shape[-1])


class NoiseInjection(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(1))

    def forward(self, x, noise):
        return x + self.weight * noise


class FusedLeakyReLU(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x):
        return fused_leaky_relu(x, self.bias)


class StyledConv(nn.Module):
    def __init__(self, in_ch, out_ch, kernel_size, style_dim, upsample=False, blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        self.conv = ModulatedConv2d(in_ch, out_ch, kernel_size, style_dim, upsample=upsample, blur_kernel=blur_kernel)
        self.noise = NoiseInjection()
        self.activate = FusedLeakyReLU(out_ch)

    def forward(self, x, style, noise):
        return self.activate(self.noise(self.conv(x, style), noise))


class ToRGB(nn.Module):
    def __init__(self, in_ch, style_dim, upsample=True, blur_kernel=(1, 3, 3, 1)):
        super().__init__()
        if upsample:
            self.upsample = Upsample(blur_kernel)
        self.conv = ModulatedConv2d(in_ch, 3, 1, style_dim, demodulate=False)
        self.bias = nn.Parameter(torch.zeros(1, 3, 1, 1))

    def forward(self, x, style, skip=None):
        out = self.conv(x, style) + self.bias
        return out if skip is None else out + self.upsample(skip)


class StyleGAN2(nn.Module):
    """The port's ``Generator``: ``style`` (mapping), ``input``, ``conv1``, ``to_rgb1``, ``convs``,
    ``to_rgbs``, ``noises``. ``synthesis(w_plus)`` (N, n_latent, 512) -> images in about [-1, 1]."""

    def __init__(self, size: int, style_dim: int = 512, n_mlp: int = 8, channel_multiplier: int = 2,
                 blur_kernel=(1, 3, 3, 1), lr_mlp: float = 0.01, channels: dict[int, int] | None = None):
        super().__init__()
        self.size, self.style_dim = size, style_dim
        self.style = nn.Sequential(PixelNorm(), *[EqualLinear(style_dim, style_dim, lr_mul=lr_mlp, activation=True)
                                                  for _ in range(n_mlp)])
        ch = channels or {res: c * (channel_multiplier if res >= 64 else 1) for res, c in CHANNELS.items()}
        self.input = ConstantInput(ch[4])
        self.conv1 = StyledConv(ch[4], ch[4], 3, style_dim, blur_kernel=blur_kernel)
        self.to_rgb1 = ToRGB(ch[4], style_dim, upsample=False)
        self.log_size = int(math.log2(size))
        self.num_layers = (self.log_size - 2) * 2 + 1
        self.convs, self.to_rgbs, self.noises = nn.ModuleList(), nn.ModuleList(), nn.Module()
        for layer in range(self.num_layers):
            res = (layer + 5) // 2
            self.noises.register_buffer(f"noise_{layer}", torch.randn(1, 1, 2**res, 2**res))
        in_ch = ch[4]
        for i in range(3, self.log_size + 1):
            out_ch = ch[2**i]
            self.convs.append(StyledConv(in_ch, out_ch, 3, style_dim, upsample=True, blur_kernel=blur_kernel))
            self.convs.append(StyledConv(out_ch, out_ch, 3, style_dim, blur_kernel=blur_kernel))
            self.to_rgbs.append(ToRGB(out_ch, style_dim))
            in_ch = out_ch
        self.n_latent = self.log_size * 2 - 2

    def mapping(self, z: torch.Tensor) -> torch.Tensor:
        return self.style(z)

    def synthesis(self, latent: torch.Tensor) -> torch.Tensor:
        noise = [getattr(self.noises, f"noise_{i}") for i in range(self.num_layers)]
        out = self.input(latent)
        out = self.conv1(out, latent[:, 0], noise[0])
        skip = self.to_rgb1(out, latent[:, 1])
        i = 1
        for conv1, conv2, noise1, noise2, to_rgb in zip(self.convs[::2], self.convs[1::2], noise[1::2], noise[2::2],
                                                        self.to_rgbs, strict=True):
            out = conv2(conv1(out, latent[:, i], noise1), latent[:, i + 1], noise2)
            skip = to_rgb(out, latent[:, i + 2], skip)
            i += 2
        return skip


class ConstantInput(nn.Module):
    def __init__(self, channels, size=4):
        super().__init__()
        self.input = nn.Parameter(torch.randn(1, channels, size, size))

    def forward(self, latent):
        return self.input.expand(latent.shape[0], -1, -1, -1)


class Space(nn.Module):
    """One latent space of a style-based generator ``net`` (``mapping``, ``synthesis``): ``z``
    (N, 512), ``w`` (N, 512) or ``w+`` (N, n_latent, 512) -> images, with truncation psi towards
    ``w_avg``. A w is repeated per layer where ``net`` takes one per layer (``n_latent``)."""

    def __init__(self, net: StyleGAN2, space: str, w_avg: torch.Tensor, truncation: float):
        super().__init__()
        self.net, self.space, self.truncation = net, space, truncation
        self.register_buffer("w_avg", w_avg)

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        w = self.net.mapping(code) if self.space == "z" else code
        w = self.w_avg + self.truncation * (w - self.w_avg)
        if w.dim() == 2 and getattr(self.net, "n_latent", None):
            w = w[:, None, :].expand(-1, self.net.n_latent, -1)
        return self.net.synthesis(w)


class MappedDistribution:
    """Samples of the w / w+ spaces: mapping(z) for z ~ N(0, I) (repeated per layer for w+)."""

    def __init__(self, net: StyleGAN2, layers: int = 1):
        self.net, self.layers = net, layers

    def draw(self, n: int, dim: int, rng: torch.Generator) -> torch.Tensor:
        z = torch.randn(n, self.net.style_dim, generator=rng)
        with torch.no_grad():
            w = self.net.mapping(z.to(next(self.net.parameters()).device)).cpu()
        return w.repeat(1, self.layers)

    def describe(self) -> str:
        return "mapping(z), z standard normal" + (f", repeated for {self.layers} layers" if self.layers > 1 else "")


NVIDIA_NC = "NVIDIA Source Code License-NC: non-commercial; downloaded for the user, never redistributed"
# The PyTorch port's conversions of NVIDIA's checkpoints. No direct download URL is known for them
# (the port links Google Drive); the 1024 px FFHQ file's SHA-256 is published. Place a file by hand
# with weights_path=, or in the cache (the error message names the path).
STYLEGAN2_WEIGHTS = {
    "stylegan2-ffhq-1024": RemoteFile("stylegan2-ffhq-config-f.pt", None,
                                      "bae494ef77e32a9cd1792a81a3c167692a0e64f6bcd8b06592ff42917e2ed46e", NVIDIA_NC),
    "stylegan2-ffhq-512": RemoteFile("stylegan2-ffhq-512-config-f.pt", None, None, NVIDIA_NC),
    "stylegan2-ffhq-256": RemoteFile("stylegan2-ffhq-256-config-e.pt", None, None, NVIDIA_NC),
    "stylegan2-cat-256": RemoteFile("stylegan2-cat-config-f.pt", None, None, NVIDIA_NC),
    "stylegan2-car-512": RemoteFile("stylegan2-car-config-f.pt", None, None, NVIDIA_NC),
}
# name -> (size, channel multiplier)
CONFIGS = {
    "stylegan2-ffhq-256": (256, 1), "stylegan2-cat-256": (256, 2), "stylegan2-ffhq-512": (512, 2),
    "stylegan2-car-512": (512, 2), "stylegan2-ffhq-1024": (1024, 2),
}
TINY = {"size": 16, "style_dim": 16, "n_mlp": 2, "channels": {4: 8, 8: 8, 16: 4}}


FAMILY = "StyleGAN2 (rosinality port)"


def checkpoint_state(checkpoint: dict, path: Path) -> tuple[dict, torch.Tensor | None, dict]:
    """(g_ema state dict, latent_avg or None, the file's training args) of a port checkpoint: a
    ``convert_weight.py`` file ``{"g_ema", "latent_avg"}``, a ``train.py`` checkpoint ``{"g", "d",
    "g_ema", "g_optim", "d_optim", "args", "ada_aug_p"}`` or a bare state dict."""
    expect_family(checkpoint, path, FAMILY)
    if "g_ema" not in checkpoint:
        return checkpoint, None, {}
    latent_avg, args = checkpoint.get("latent_avg"), checkpoint.get("args")
    if latent_avg is not None and not isinstance(latent_avg, torch.Tensor):
        raise CheckpointError(f"{path}: latent_avg is a {type(latent_avg).__name__}, not a tensor")
    return checkpoint["g_ema"], latent_avg, dict(vars(args)) if args is not None and hasattr(args, "__dict__") else {}


def config_of(state: dict, path: Path) -> dict:
    """The ``StyleGAN2`` arguments a g_ema state dict was built with, read from its shapes: size
    (from the number of convolutions), style_dim and n_mlp (the mapping's linear layers) and the
    channels at every resolution (which encode the channel multiplier)."""
    try:
        style_dim = state["style.1.weight"].shape[1]
        n_mlp = sum(1 for k in state if k.startswith("style.") and k.endswith(".weight"))
        channels = {4: state["input.input"].shape[1]}
        n_convs = sum(1 for k in state if k.startswith("convs.") and k.endswith(".conv.weight"))
        for i in range(0, n_convs, 2):
            channels[2 ** (i // 2 + 3)] = state[f"convs.{i}.conv.weight"].shape[1]
    except (KeyError, IndexError, AttributeError) as err:
        raise CheckpointError(f"{path} is not a {FAMILY} g_ema state dict (no {err})") from None
    if n_convs < 2 or n_convs % 2:
        raise CheckpointError(f"{path}: {n_convs} styled convolutions; a {FAMILY} generator has two per resolution")
    return {"size": 2 ** (n_convs // 2 + 2), "style_dim": style_dim, "n_mlp": n_mlp, "channels": channels}


def build(name: str, space: str = "z", truncation: float = 1.0, weights_path: str | Path | None = None,
          random_config: bool = False, full_size_random: bool = False) -> Generator:
    """StyleGAN2 ``name`` in ``space``. Weights: ``weights_path`` (a port checkpoint of any size,
    channel multiplier or mapping depth: the network is built from the file's shapes), else the
    registry's file (downloaded on first use where a URL is known); ``random_config`` builds a
    tiny random generator (16 px) and ``full_size_random`` the full architecture with random
    weights (for tests and benchmarks)."""
    if not 0 < truncation <= 1:
        raise GeometryError(f"StyleGAN2 truncation must be in (0, 1]; got {truncation}")
    size, multiplier = CONFIGS[name]
    latent_avg, source, licence, info = None, "random weights", "", None
    if random_config or full_size_random:
        net = seeded(lambda: StyleGAN2(**TINY) if random_config else StyleGAN2(size, channel_multiplier=multiplier))
        with torch.no_grad():  # random RGB layers would leave [-1, 1]: scale them down
            for to_rgb in (net.to_rgb1, *net.to_rgbs):
                to_rgb.conv.weight.mul_(0.02)
    else:
        f = STYLEGAN2_WEIGHTS[name]
        checkpoint, path, source = read_weights(f, weights_path)
        state, latent_avg, args = checkpoint_state(checkpoint, path)
        config = config_of(state, path)
        with torch.device("meta"):
            net = StyleGAN2(**config)
        net = net.to_empty(device="cpu")
        info = load_into(net, state, path, FAMILY, config)
        info["train_args"] = {k: v for k, v in args.items() if isinstance(v, int | float | str | bool)}
        licence = f.licence
    net.eval().requires_grad_(False)
    if latent_avg is None:
        z = torch.randn(4096, net.style_dim, generator=torch.Generator().manual_seed(0))
        with torch.no_grad():
            latent_avg = net.mapping(z).mean(0)
    dims = {"z": net.style_dim, "w": net.style_dim, "w+": net.n_latent * net.style_dim}
    if space not in dims:
        raise GeometryError(f"StyleGAN2 latent spaces are z, w, w+; got '{space}'")
    distribution = (LatentDistribution() if space == "z"
                    else MappedDistribution(net, net.n_latent if space == "w+" else 1))
    input_shape = (net.n_latent, net.style_dim) if space == "w+" else (net.style_dim,)
    side = net.size
    return Generator(Space(net, space, latent_avg.detach().float().reshape(net.style_dim), truncation), name=name,
                     space=space, latent_dim=dims[space], image_shape=(3, side, side), input_shape=input_shape,
                     distribution=distribution, source=source, licence=licence, pca_layer="module.net.style",
                     weights_info=info,
                     block_layers=["module.net.conv1", *(f"module.net.convs.{i}" for i in range(len(net.convs)))])

"""``bigbigan``: the BigBiGAN generator (Donahue & Simonyan 2019), 120-d noise -> 128 px image.

The layout of the widely used PyTorch translation of BigBiGAN-resnet50 (``BigBiGAN_x1.pth``,
Voynov et al.'s "Big GANs Are Watching You"): DeepMind's TF-Hub weights poured into the
128 px ``Generator`` of BigGAN-PyTorch (Brock et al.), whose class embedding holds BigBiGAN's
single learned vector in every row. Width ``ch`` = 96; a plain state dict, read with
``weights_only=True``.

    z (120) = six 20-d chunks z_0 .. z_5;  y = shared(class 0) (128)
    h = linear(z_0)                          SNLinear 20 -> 16 ch * 4 * 4, reshaped (16 ch, 4, 4)
    block i = 1..5 (widths 16ch->16ch->8ch->4ch->2ch->ch), conditioned on c_i = [y, z_i] (148):
        h' = conv1(up(relu(bn1(h, c_i)))),  out = conv2(relu(bn2(h', c_i))) + conv_sc(up(h))
        bn(x, c) = (x - stored_mean) / sqrt(stored_var + 1e-4) * (1 + gain(c)) + bias(c)  (ccbn, BN_eps 1e-4)
        up: nearest 2x; conv 3x3 (conv_sc 1x1); self-attention after the 64 px block
    x = tanh(conv(relu(bn(h))))              (3, 128, 128) in [-1, 1]; this bn is BigGAN-PyTorch's
                                             layers.bn with its own default eps 1e-5

Every conv and linear layer is spectrally normalised as in BigGAN-PyTorch: the stored
``weight`` is divided by sigma = v W^T u'^T from one power-iteration step from the stored
vector ``u0`` (v = unit(u0 W), u' = unit(v W^T)); ``sv0`` only logs sigma. The step runs in
every forward (it does not depend on z), so a permuted or edited weight is normalised again.
"""

from __future__ import annotations

import logging
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gan_geometry.core.generators import Generator, seeded
from gan_geometry.core.spectral_norm import converge_spectral_norms
from gan_geometry.io.checkpoints import expect_family, load_into
from gan_geometry.io.weights import RemoteFile, read_weights

log = logging.getLogger(__name__)

BIGBIGAN_WEIGHTS = RemoteFile(
    "BigBiGAN_x1.pth", "https://www.dropbox.com/s/9w2i45h455k3b4p/BigBiGAN_x1.pth?dl=1", None, "Apache-2.0",
)
WIDTHS = (16, 16, 8, 4, 2, 1)  # channels / ch from the 4 px input to the 128 px output
ATTENTION_BLOCK = 3  # the block that ends at 64 px
CCBN_EPS = SN_EPS = 1e-4  # the translation's BN_eps (conditional batch norms) and SN_eps
OUTPUT_BN_EPS = 1e-5  # layers.bn's default: the output layer's batch norm is built without BN_eps


def power_step(W: torch.Tensor, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One power-iteration step on W (out, in) from u (1, out): v = unit(u W), u' = unit(v W^T)."""
    v = F.normalize(u @ W, eps=SN_EPS)
    return v, F.normalize(v @ W.T, eps=SN_EPS)


def spectrally_normalised(weight: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """``weight / sigma``, sigma = v W^T u'^T from one power-iteration step from ``u`` (not updated)."""
    return weight / sigma_from(weight, u)


def sigma_from(weight: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
    """The reference's estimate of the largest singular value: one power step from ``u``."""
    W = weight.reshape(weight.shape[0], -1)
    with torch.no_grad():
        v, u_next = power_step(W, u)
    return (v @ W.T @ u_next.T).squeeze()


class SpectralNormalised:
    """What BigBiGAN's SN layers share: the stored vector ``u0`` and its convergence."""

    def sigma_estimate(self) -> torch.Tensor:
        return sigma_from(self.weight, self.u0)

    def converge_power_iteration(self, steps: int) -> None:
        """Run ``u0`` to the top left singular vector of the current weight (gan_geometry.core.spectral_norm)."""
        with torch.no_grad():
            W, u = self.weight.reshape(self.weight.shape[0], -1), self.u0
            for _ in range(steps):
                u = power_step(W, u)[1]
            self.u0.copy_(u)


class SNConv2d(SpectralNormalised, nn.Conv2d):
    def __init__(self, c_in: int, c_out: int, kernel: int = 3, bias: bool = True):
        super().__init__(c_in, c_out, kernel, padding=kernel // 2, bias=bias)
        self.register_buffer("u0", torch.randn(1, c_out))
        self.register_buffer("sv0", torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, spectrally_normalised(self.weight, self.u0), self.bias)


class SNLinear(SpectralNormalised, nn.Linear):
    def __init__(self, size_in: int, size_out: int, bias: bool = True):
        super().__init__(size_in, size_out, bias=bias)
        self.register_buffer("u0", torch.randn(1, size_out))
        self.register_buffer("sv0", torch.ones(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, spectrally_normalised(self.weight, self.u0), self.bias)


def normalise(x: torch.Tensor, mean: torch.Tensor, var: torch.Tensor, eps: float) -> torch.Tensor:
    """Eval-mode batch norm with the stored statistics, as plain ops: (x - mean) / sqrt(var + eps)."""
    return (x - mean.view(1, -1, 1, 1)) * torch.rsqrt(var.view(1, -1, 1, 1) + eps)


class ConditionalBatchNorm(nn.Module):
    """``ccbn``: stored statistics, gain and bias linear in the condition c (N, cond)."""

    def __init__(self, channels: int, cond: int):
        super().__init__()
        self.gain = SNLinear(cond, channels, bias=False)
        self.bias = SNLinear(cond, channels, bias=False)
        self.register_buffer("stored_mean", torch.zeros(channels))
        self.register_buffer("stored_var", torch.ones(channels))

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        scale = (1 + self.gain(c))[:, :, None, None]
        return normalise(x, self.stored_mean, self.stored_var, CCBN_EPS) * scale + self.bias(c)[:, :, None, None]


class BatchNorm(nn.Module):
    """The output layer's unconditional ``bn``: stored statistics, learned gain and bias."""

    def __init__(self, channels: int):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("stored_mean", torch.zeros(channels))
        self.register_buffer("stored_var", torch.ones(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale, shift = self.gain.view(1, -1, 1, 1), self.bias.view(1, -1, 1, 1)
        return normalise(x, self.stored_mean, self.stored_var, OUTPUT_BN_EPS) * scale + shift


class Attention(nn.Module):
    """SA-GAN's non-local block: x + gamma * o(g(x) softmax(theta(x)^T phi(x))), phi and g pooled 2x."""

    def __init__(self, ch: int):
        super().__init__()
        self.theta = SNConv2d(ch, ch // 8, 1, bias=False)
        self.phi = SNConv2d(ch, ch // 8, 1, bias=False)
        self.g = SNConv2d(ch, ch // 2, 1, bias=False)
        self.o = SNConv2d(ch // 2, ch, 1, bias=False)
        self.gamma = nn.Parameter(torch.tensor(0.0))

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None) -> torch.Tensor:
        n, ch, height, width = x.shape
        theta = self.theta(x).flatten(2)                                # (N, ch/8, HW)
        phi = F.max_pool2d(self.phi(x), 2).flatten(2)                   # (N, ch/8, HW/4)
        g = F.max_pool2d(self.g(x), 2).flatten(2)                       # (N, ch/2, HW/4)
        beta = torch.softmax(theta.transpose(1, 2) @ phi, dim=-1)       # (N, HW, HW/4)
        o = self.o((g @ beta.transpose(1, 2)).view(n, ch // 2, height, width))
        return x + self.gamma * o


class GBlock(nn.Module):
    """BigGAN's up-sampling residual block, both batch norms conditioned on c."""

    def __init__(self, c_in: int, c_out: int, cond: int):
        super().__init__()
        self.conv1 = SNConv2d(c_in, c_out)
        self.conv2 = SNConv2d(c_out, c_out)
        self.conv_sc = SNConv2d(c_in, c_out, 1)
        self.bn1 = ConditionalBatchNorm(c_in, cond)
        self.bn2 = ConditionalBatchNorm(c_out, cond)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.interpolate(F.relu(self.bn1(x, c)), scale_factor=2, mode="nearest"))
        return self.conv2(F.relu(self.bn2(h, c))) + self.conv_sc(F.interpolate(x, scale_factor=2, mode="nearest"))


class BigBiGAN(nn.Module):
    """The translation's ``Generator`` at 128 px, unconditional (class 0): z (N, 6 chunk) -> (N, 3, 128, 128)
    in [-1, 1]. ``ch`` 96, ``chunk`` 20, ``shared_dim`` 128, ``n_classes`` 1000 are the published sizes."""

    def __init__(self, ch: int = 96, chunk: int = 20, shared_dim: int = 128, n_classes: int = 1000):
        super().__init__()
        self.chunk = chunk
        widths = [ch * w for w in WIDTHS]
        cond = shared_dim + chunk
        self.shared = nn.Embedding(n_classes, shared_dim)
        self.linear = SNLinear(chunk, widths[0] * 16)
        blocks = []
        for i, (c_in, c_out) in enumerate(zip(widths, widths[1:], strict=False)):
            block: list[nn.Module] = [GBlock(c_in, c_out, cond)]
            if i == ATTENTION_BLOCK:
                block.append(Attention(c_out))
            blocks.append(nn.ModuleList(block))
        self.blocks = nn.ModuleList(blocks)
        self.output_layer = nn.Sequential(BatchNorm(widths[-1]), nn.ReLU(), SNConv2d(widths[-1], 3))

    @property
    def latent_dim(self) -> int:
        return self.chunk * (len(self.blocks) + 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        chunks = torch.split(z, self.chunk, dim=1)
        y = self.shared.weight[0].expand(z.shape[0], -1)
        h = self.linear(chunks[0]).view(z.shape[0], -1, 4, 4)
        for blocklist, z_i in zip(self.blocks, chunks[1:], strict=True):
            c = torch.cat([y, z_i], dim=1)
            for layer in blocklist:
                h = layer(h, c)
        return torch.tanh(self.output_layer(h))


def build(space: str = "noise", weights_path: str | Path | None = None, random_config: bool = False,
          full_size_random: bool = False) -> Generator:
    """BigBiGAN's generator; ``random_config``: width 4, 4-d chunks (24-d noise), random weights
    (tests); ``full_size_random``: the published architecture with random weights (benchmarks).

    A file is the translation's plain state dict: every parameter and statistic must be there
    (``sv0``, a log of sigma, may be missing); keys the architecture does not have are skipped, as
    the reference loader (``strict=False``) skips them, and reported by ``check-weights``."""
    ch, chunk, shared_dim = (4, 4, 8) if random_config else (96, 20, 128)
    source, licence, info = "random weights", "", None
    if random_config or full_size_random:
        net = seeded(lambda: BigBiGAN(ch, chunk, shared_dim))
        converge_spectral_norms(net, steps=30)
    else:
        family = "BigBiGAN (BigGAN-PyTorch layout)"
        state, path, source = read_weights(BIGBIGAN_WEIGHTS, weights_path)
        expect_family(state, path, family)
        with torch.device("meta"):
            net = BigBiGAN(ch, chunk, shared_dim)
        net = net.to_empty(device="cpu")
        with torch.no_grad():
            for name, buffer in net.named_buffers():
                if name.endswith(".sv0"):
                    buffer.fill_(1.0)
        info = load_into(net, state, path, family, {"ch": ch, "chunk": chunk}, optional=(".sv0",),
                         skip_unexpected=True)
        if info["skipped_keys"]:
            log.info("%s: skipped %d keys the generator does not use (e.g. %s)", path, len(info["skipped_keys"]),
                     info["skipped_keys"][0])
        licence = BIGBIGAN_WEIGHTS.licence
    return Generator(net, name="bigbigan", space=space, latent_dim=net.latent_dim, image_shape=(3, 128, 128),
                     source=source, licence=licence, first_layer=None, pca_layer="module.blocks.0.0",
                     weights_info=info,
                     block_layers=["module.linear", *(f"module.blocks.{i}.{j}" for i, blocklist in enumerate(net.blocks)
                                                      for j in range(len(blocklist))), "module.output_layer"])

"""``fc6``: the DeePSim fc6 generator of Dosovitskiy & Brox (2016), 4096-d code -> 256 px image.

The layout of the widely used PyTorch translation (``upconvGAN_fc6.pt`` on Hugging Face,
``binxu/DeePSim_DosovitskiyBrox2016``, tagged MIT): a plain state dict of a ``Sequential`` named

    defc7, defc6, defc5      Linear 4096 -> 4096, LeakyReLU 0.3 each
    reshape                  (256, 4, 4)
    deconv5 (4, 2, 1) 256->256, conv5_1 (3, 1, 1) 256->512, deconv4 512->256, conv4_1 256->256,
    deconv3 256->128, conv3_1 128->128, deconv2 128->64, deconv1 64->32, deconv0 32->3
                             (all ConvTranspose2d; LeakyReLU 0.3 after each but deconv0)

Its output is BGR on the Caffe scale: the image is RGB = output[:, ::-1] + mean (123, 117, 104),
clamped to 0..255 and divided by 255 (as the translation's ``visualize``). ``channels`` scales
every width for the small random test configuration. The state dict is read with
``weights_only=True``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from pathlib import Path

import torch
from torch import nn

from gan_geometry.core.generators import Generator, seeded
from gan_geometry.io.checkpoints import expect_family, load_into
from gan_geometry.io.weights import RemoteFile, read_weights

FC6_WEIGHTS = RemoteFile(
    "upconvGAN_fc6.pt", "hf://binxu/DeePSim_DosovitskiyBrox2016/upconvGAN_fc6.pt",
    "d92b0897c56bf8d8d082dc9ea9f0a806490d3da064a7929e4ff813fa95623875", "MIT",
)
RGB_MEAN = (123.0, 117.0, 104.0)
SLOPE = 0.3  # of every LeakyReLU
RANDOM_IMAGE_GAIN = 50.0  # random weights: the last layer's gain, for an image spread of about 40 Caffe units
# (name, in, out, kernel, stride, padding) of the transposed convolutions, at full width
DECONVS = (("deconv5", 256, 256, 4, 2, 1), ("conv5_1", 256, 512, 3, 1, 1), ("deconv4", 512, 256, 4, 2, 1),
           ("conv4_1", 256, 256, 3, 1, 1), ("deconv3", 256, 128, 4, 2, 1), ("conv3_1", 128, 128, 3, 1, 1),
           ("deconv2", 128, 64, 4, 2, 1), ("deconv1", 64, 32, 4, 2, 1), ("deconv0", 32, 3, 4, 2, 1))


def deepsim(code: int = 4096, scale: float = 1.0) -> nn.Sequential:
    """The fc6 generator ``Sequential``, widths times ``scale`` (1.0: the published one)."""
    def width(c: int) -> int:
        return c if c == 3 else max(1, int(c * scale))

    layers: list[tuple[str, nn.Module]] = []
    for name, size_in in (("defc7", code), ("defc6", width(4096)), ("defc5", width(4096))):
        layers += [(name, nn.Linear(size_in, width(4096))), (f"relu_{name}", nn.LeakyReLU(SLOPE))]
    layers.append(("reshape", nn.Unflatten(1, (width(256), 4, 4))))
    for name, c_in, c_out, k, s, p in DECONVS:
        layers.append((name, nn.ConvTranspose2d(width(c_in), width(c_out), k, s, p)))
        if name != "deconv0":
            layers.append((f"relu_{name}", nn.LeakyReLU(SLOPE)))
    return nn.Sequential(OrderedDict(layers))


def at_real_scale(net: nn.Sequential) -> nn.Sequential:
    """Random weights under which the image depends on the code as a real fc6's does: every layer
    He-initialised for LeakyReLU(0.3) (weights ~ N(0, gain^2 / fan_in), fan_in = inputs per output:
    in for a Linear, in x (kernel / stride)^2 for a transposed convolution; gain^2 = 2 / (1 + 0.3^2)),
    biases 0, and the last layer's gain ``RANDOM_IMAGE_GAIN``: an image spread of about 40 of the
    Caffe scale's 255 (0.7 % of pixels clamped). PyTorch's default initialisation shrinks the signal
    about 2.4x per layer, so over twelve layers the image barely depends on the code (top MSE metric
    eigenvalues near 1e-18, where ARPACK's absolute floor stops at once). In place; returns ``net``."""
    gain = math.sqrt(2 / (1 + SLOPE**2))
    with torch.no_grad():
        for name, layer in net.named_children():
            if isinstance(layer, nn.Linear):
                fan_in = layer.in_features
            elif isinstance(layer, nn.ConvTranspose2d):
                fan_in = layer.in_channels * (layer.kernel_size[0] / layer.stride[0]) ** 2
            else:
                continue
            layer.weight.normal_(0, (RANDOM_IMAGE_GAIN if name == "deconv0" else gain) / math.sqrt(fan_in))
            layer.bias.zero_()
    return net


class CaffeToImage(nn.Module):
    """BGR on the Caffe scale -> RGB in [0, 1]: flip channels, add the mean, clamp, / 255."""

    def __init__(self, net: nn.Sequential):
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor(RGB_MEAN).view(1, 3, 1, 1))

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        return torch.clamp(self.net(code).flip(1) + self.mean, 0, 255) / 255


def build_fc6(space: str = "fc6", weights_path: str | Path | None = None, random_config: bool = False,
              full_size_random: bool = False) -> Generator:
    """The fc6 generator; ``random_config``: widths / 64 and a 64-d code with random weights
    (tests); ``full_size_random``: the published architecture with random weights (benchmarks)."""
    code, scale = (64, 1 / 64) if random_config else (4096, 1.0)
    net = seeded(lambda: deepsim(code, scale))
    source, licence, info = "random weights", "", None
    if random_config or full_size_random:
        seeded(lambda: at_real_scale(net))
    else:
        state, path, source = read_weights(FC6_WEIGHTS, weights_path)
        expect_family(state, path, "fc6 (DeePSim)")
        info = load_into(net, state, path, "fc6 (DeePSim)", {"code": code})
        licence = FC6_WEIGHTS.licence
    return Generator(CaffeToImage(net), name="fc6", space=space, latent_dim=code, image_shape=(3, 256, 256),
                     output_range=(0.0, 1.0), source=source, licence=licence,
                     first_layer=net.defc7.weight.detach(), pca_layer="module.net.relu_defc5", weights_info=info)

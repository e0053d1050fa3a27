"""BigGAN-deep (128, 256, 512) on ``pytorch-pretrained-biggan``'s architecture.

The generator's input is the condition vector [noise z (128), class embedding e (128)],
e = W onehot(class). Following the paper, three latent spaces: ``noise`` (z at a chosen ImageNet
class; truncated normal, z = truncation * x with |x| <= 2, the package's convention), ``class``
(the 128-d embedding e at a fixed noise; samples are embeddings of random classes) and
``both`` (256-d).

Weights come from the package's published URL on first use (cached, SHA-256 checked), or from
``weights_path`` (a state dict read with ``weights_only=True``, or safetensors). ``random_config``
builds a small randomly initialised BigGAN-deep (32x32) for tests, ``full_size_random`` the
published architecture at ``resolution`` with random weights for benchmarks (see ``_make_usable``).
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from gan_geometry.core.generators import Generator, LatentDistribution, conditional_space, seeded
from gan_geometry.core.spectral_norm import converge_spectral_norms
from gan_geometry.errors import GeometryError
from gan_geometry.io.checkpoints import expect_family, load_into
from gan_geometry.io.weights import RemoteFile, read_weights

_URL = "https://s3.amazonaws.com/models.huggingface.co/biggan/biggan-deep-{}-pytorch_model.bin"
# SHA-256 digests published for the 128 px file (its Hugging Face mirror) and the 256 px file (a
# third-party catalogue, 234,411,737 bytes); none is published for 512: there the first download's
# digest is pinned in the cache (RemoteFile). A mismatch names both digests and weights_path=.
BIGGAN_DIGESTS = {128: "b86146a8cfcde4cda135adba4b2806f78b3abe2dac9d0fd090cc3ab318604ad9",
                  256: "5900ef4065047e3aa0d1b66197b7f2664dceb59b27080e414ad57e203c485bc5", 512: None}
BIGGAN_WEIGHTS = {res: RemoteFile(f"biggan-deep-{res}-pytorch_model.bin", _URL.format(res), BIGGAN_DIGESTS[res],
                                  "Apache-2.0") for res in (128, 256, 512)}
TINY_CONFIG = {"output_dim": 32, "channel_width": 4, "layers": [(True, 16, 8), (False, 8, 4), (True, 4, 2),
                                                               (True, 2, 1)], "attention_layer_position": 2}


class Synthesis(nn.Module):
    """BigGAN's generator from the condition vector (N, 256) at a fixed truncation."""

    def __init__(self, generator: nn.Module, truncation: float):
        super().__init__()
        self.generator = generator
        self.truncation = truncation

    def forward(self, cond: torch.Tensor) -> torch.Tensor:
        return self.generator(cond, self.truncation)


def _make_usable(model: nn.Module) -> None:
    """Make a freshly built (random) BigGAN compute something: converge every spectral-norm
    vector pair (random u, v give a tiny sigma estimate and NaN outputs), and set the final
    unconditional BatchNorm to identity (the package leaves its weight and bias uninitialised)."""
    from pytorch_pretrained_biggan.model import BigGANBatchNorm

    converge_spectral_norms(model, steps=50)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, BigGANBatchNorm) and not module.conditional:
                module.weight.fill_(1.0)
                module.bias.zero_()


def build_biggan(
    resolution: int, space: str = "noise", imagenet_class: int = 1, truncation: float = 0.7, noise_seed: int = 0,
    weights_path: str | Path | None = None, random_config: bool = False, full_size_random: bool = False,
) -> Generator:
    from pytorch_pretrained_biggan import BigGAN, BigGANConfig
    from pytorch_pretrained_biggan.convert_tf_to_pytorch import BigGAN128, BigGAN256, BigGAN512

    if not 0 < truncation <= 1:
        raise GeometryError(f"BigGAN truncation must be in (0, 1]; got {truncation}")
    if not 0 <= imagenet_class < 1000:
        raise GeometryError(f"imagenet_class must be an ImageNet class index 0..999; got {imagenet_class}")
    if random_config or full_size_random:
        config = BigGANConfig(**TINY_CONFIG) if random_config else {128: BigGAN128, 256: BigGAN256, 512: BigGAN512}[
            resolution]
        model = seeded(lambda: BigGAN(config))
        _make_usable(model)
        source, licence, info = f"random weights ({'small test configuration' if random_config else 'full size'})", \
            "", None
    else:
        f, family = BIGGAN_WEIGHTS[resolution], "BigGAN-deep (pytorch-pretrained-biggan)"
        state, path, source = read_weights(f, weights_path)  # before allocating
        expect_family(state, path, family)
        config = {128: BigGAN128, 256: BigGAN256, 512: BigGAN512}[resolution]
        model = seeded(lambda: BigGAN(config))  # the file replaces every initial weight
        info = load_into(model, state, path, f"{family} {resolution} px", {"resolution": resolution})
        licence = "" if weights_path is not None else f.licence
    model.eval()
    embeddings = model.embeddings.weight.detach().T  # (1000, 128): row c embeds class c
    noise = LatentDistribution(scale=truncation, bound=2.0)
    klass = LatentDistribution("rows", rows=embeddings, label="embedding of a random ImageNet class")
    fixed_noise = noise.draw(1, config.z_dim, torch.Generator().manual_seed(noise_seed))[0]
    module, dim, distribution = conditional_space(space, Synthesis(model.generator, truncation), fixed_noise,
                                                  embeddings[imagenet_class], noise, klass)
    side = config.output_dim
    gen_z = model.generator.gen_z  # the first linear layer, on the 256-d condition vector
    first = getattr(gen_z, "weight_orig", gen_z.weight).detach()[:, module.start:module.stop]
    return Generator(module, name=f"biggan-deep-{resolution}", space=space, latent_dim=dim,
                     image_shape=(3, side, side), distribution=distribution, source=source, licence=licence,
                     first_layer=first, pca_layer="module.module.generator.layers.0", weights_info=info)

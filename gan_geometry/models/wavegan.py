"""WaveGAN (Donahue et al. 2018) in the layout of the PyTorch port the paper used
(``mostafaelaraby/wavegan-pytorch``, ``models.py``, ``WaveGANGenerator``), and ``wavegan-notes``,
one trained here on synthesised piano-like notes (``gan_geometry.training``).

The port's generator, for model size d, slice length T and ``dim_mul`` = 16 (T = 16384) or 32:

    z (100) -> fc1: Linear(100, 16 * d * dim_mul) -> view (d * dim_mul, 16) -> [bn1] -> ReLU
            -> deconv_list.0 .. : Transpose1dLayer, each 4x longer, channels halved, ReLU
            -> the last one to one channel -> tanh            waveform (1, T) in [-1, 1]

A ``Transpose1dLayer`` either upsamples (nearest, x4) then pads by 12 and convolves
(``transpose_ops.1``: Conv1d, kernel 25, stride 1) - the port's default, ``upsample=True`` - or
runs a transposed convolution (``transpose_ops.0``: ConvTranspose1d(kernel 25, stride 4, padding
11, output_padding 1)); with ``use_batch_norm`` a BatchNorm1d follows (``transpose_ops.2`` / ``.1``;
never after the last layer). T = 16384 has five layers; 32768 and 65536 six, the last of stride 2
or 4 (the state dict cannot tell those two apart: ``slice_len`` says which). A checkpoint's
configuration is read from its keys and shapes; the port's ``train.py`` saves
``gan_<prefix>.tar`` = {"generator": state dict, "discriminator", optimisers, "n_iterations",
cost lists}: only "generator" is read. Batch norm runs with its stored statistics (eval mode).

As a ``Generator`` a waveform is an "image" of shape (1, 1, T) in [0, 1] (x = (w + 1) / 2) with a
``sample_rate``: the engine's methods, sweeps and statistics apply unchanged; the sound
distances (``core.sound``) read w back, and the app and the report play it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from gan_geometry.core.generators import Generator, seeded
from gan_geometry.errors import GeometryError
from gan_geometry.io.checkpoints import CheckpointError, expect_family, load_into, read_checkpoint

FAMILY = "WaveGAN (wavegan-pytorch)"
SLICE_LENGTHS = (16384, 32768, 65536)
LATENT_DIM = 100
KERNEL = 25
SAMPLE_RATE = 16000
SHIPPED = Path(__file__).resolve().parent / "weights" / "wavegan-notes.safetensors"
SHIPPED_SHA256 = "860112fea8bc4e27e95f5c2fbf6637a0c97ff7c874849d7841613c2c622c355d"  # make wavegan


class Transpose1dLayer(nn.Module):
    """One 4x-longer layer of the port (its parameter names: ``transpose_ops.<i>``)."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, upsample: int | None,
                 use_batch_norm: bool = False):
        super().__init__()
        self.upsample = upsample
        if upsample:
            ops = [nn.ConstantPad1d(KERNEL // 2, value=0), nn.Conv1d(in_channels, out_channels, KERNEL, stride)]
        else:
            ops = [nn.ConvTranspose1d(in_channels, out_channels, KERNEL, stride, 11, 1)]
        if use_batch_norm:
            ops.append(nn.BatchNorm1d(out_channels))
        self.transpose_ops = nn.Sequential(*ops)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.upsample:
            x = F.interpolate(x, scale_factor=self.upsample, mode="nearest")
        return self.transpose_ops(x)


class WaveGANGenerator(nn.Module):
    """The port's ``WaveGANGenerator`` (same options and parameter names): z (N, 100) -> (N, 1, T)."""

    def __init__(self, model_size: int = 64, num_channels: int = 1, upsample: bool = True, slice_len: int = 16384,
                 use_batch_norm: bool = False):
        super().__init__()
        if slice_len not in SLICE_LENGTHS:
            raise GeometryError(f"WaveGAN slice_len is one of {', '.join(map(str, SLICE_LENGTHS))}; got {slice_len}")
        if not 1 <= model_size <= 256:
            raise GeometryError(f"WaveGAN model_size (d) is a whole number in 1..256; got {model_size}")
        self.model_size, self.num_channels, self.use_batch_norm = model_size, num_channels, use_batch_norm
        self.dim_mul = 16 if slice_len == 16384 else 32
        self.fc1 = nn.Linear(LATENT_DIM, 4 * 4 * model_size * self.dim_mul)
        self.bn1 = nn.BatchNorm1d(num_features=model_size * self.dim_mul)
        stride, factor = (1, 4) if upsample else (4, None)
        width = self.dim_mul * model_size
        layers = [Transpose1dLayer(width // 2**i, width // 2 ** (i + 1), stride, factor, use_batch_norm)
                  for i in range(4)]
        if slice_len == 16384:
            layers.append(Transpose1dLayer(width // 16, num_channels, stride, factor))
        else:
            layers += [Transpose1dLayer(width // 16, model_size, stride, factor, use_batch_norm),
                       Transpose1dLayer(model_size, num_channels, 2 if slice_len == 32768 else stride, factor)]
        self.deconv_list = nn.ModuleList(layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.fc1(z).view(-1, self.dim_mul * self.model_size, 16)
        if self.use_batch_norm:
            x = self.bn1(x)
        x = F.relu(x)
        for layer in self.deconv_list[:-1]:
            x = F.relu(layer(x))
        return torch.tanh(self.deconv_list[-1](x))


def config_from_state(state: dict, slice_len: int | None) -> dict:
    """The ``WaveGANGenerator`` options a state dict was saved with, read from its keys and shapes
    (``slice_len`` decides between 32768 and 65536, which have the same tensors)."""
    if "fc1.weight" not in state or not any(key.startswith("deconv_list.0.transpose_ops.") for key in state):
        raise CheckpointError("not a WaveGAN generator state dict (no fc1.weight and deconv_list.0.transpose_ops.*)")
    upsample = "deconv_list.0.transpose_ops.0.weight" not in state  # there the padding, then the Conv1d (.1)
    layers = len({key.split(".")[1] for key in state if key.startswith("deconv_list.")})
    conv = 1 if upsample else 0
    use_batch_norm = f"deconv_list.0.transpose_ops.{conv + 1}.weight" in state
    last = state[f"deconv_list.{layers - 1}.transpose_ops.{conv}.weight"]
    num_channels = last.shape[0] if upsample else last.shape[1]
    if layers == 5:
        length, dim_mul = 16384, 16
    elif layers == 6:
        if slice_len not in (32768, 65536):
            raise CheckpointError("this WaveGAN checkpoint has six layers: slice_len=32768 or slice_len=65536 says "
                                  "which (their tensors are the same)")
        length, dim_mul = slice_len, 32
        if length == 32768 and not upsample:
            raise CheckpointError("the port's transposed-convolution layout for slice_len 32768 makes 32770 samples "
                                  "(its last layer has stride 2 without upsampling); it is not supported")
    else:
        raise CheckpointError(f"a WaveGAN generator has 5 or 6 layers; this state dict has {layers}")
    if slice_len is not None and slice_len != length:
        raise CheckpointError(f"this WaveGAN checkpoint makes {length}-sample slices, not slice_len={slice_len}")
    model_size = state["fc1.weight"].shape[0] // (16 * dim_mul)
    return {"model_size": model_size, "num_channels": num_channels, "upsample": upsample, "slice_len": length,
            "use_batch_norm": use_batch_norm}


def generator_state(checkpoint: dict) -> dict:
    """The generator's state dict of a checkpoint: the port's ``gan_*.tar`` ("generator"), or a
    state dict as it is."""
    state = checkpoint.get("generator", checkpoint)
    if not isinstance(state, dict):
        raise CheckpointError("the checkpoint's 'generator' entry is not a state dict")
    return state


def read_shipped() -> dict:
    """The trained ``wavegan-notes`` generator shipped in the package (``models/weights``), its SHA-256 checked."""
    if not SHIPPED.is_file():
        raise GeometryError(f"the trained WaveGAN ({SHIPPED}) is not in this checkout; train it with 'make wavegan' "
                            f"or pass random_weights=true")
    digest = hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
    if digest != SHIPPED_SHA256:
        raise GeometryError(f"{SHIPPED} has SHA-256 {digest}, not the recorded {SHIPPED_SHA256}: the file is damaged "
                            f"or was retrained without recording its digest in geometry/models/wavegan.py")
    return read_checkpoint(SHIPPED)


def build(space: str = "noise", weights_path: str | None = None, random_weights: bool = False,
          slice_len: int = 0, model_size: int = 8) -> Generator:
    """``wavegan-notes``: the generator trained here (``models/weights``), or a user's checkpoint of
    the port (``weights_path``: its ``gan_*.tar`` or a generator state dict; configuration read
    from the file, ``slice_len`` for six-layer ones), or seeded random weights of the trained
    model's configuration (``random_weights``; ``model_size``, ``slice_len``), labelled as such."""
    if random_weights:
        config = {"model_size": model_size, "num_channels": 1, "upsample": True, "slice_len": slice_len or 16384,
                  "use_batch_norm": False}
        net = seeded(lambda: WaveGANGenerator(**config))
        source, info = "random weights (untrained)", None
    else:
        if weights_path is not None:
            from gan_geometry.io.hub import local_weights

            local, source = local_weights(weights_path)  # hf://OWNER/REPO/PATH[@REV] through the Hub's cache
            path = Path(local)
            checkpoint = read_checkpoint(path)
        else:
            path, checkpoint = SHIPPED, read_shipped()
            source = "trained here on synthesised notes (gan_geometry.training)"
        expect_family(checkpoint, path, FAMILY)
        state = generator_state(checkpoint)
        config = config_from_state(state, slice_len or None)
        with torch.device("meta"):
            net = WaveGANGenerator(**config)
        net = net.to_empty(device="cpu")
        info = load_into(net, state, path, FAMILY, config=config)
    layers = ["module.fc1", *(f"module.deconv_list.{i}" for i in range(len(net.deconv_list)))]
    return Generator(net, name="wavegan-notes", space=space, latent_dim=LATENT_DIM,
                     image_shape=(config["num_channels"], 1, config["slice_len"]), source=source, licence="MIT",
                     first_layer=net.fc1.weight.detach(), pca_layer="module.deconv_list.0", block_layers=layers,
                     weights_info=info, sample_rate=SAMPLE_RATE)

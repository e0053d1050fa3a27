"""Reading a weights file: one line naming the file and what is wrong with it, never a traceback.

``read_checkpoint(path)`` returns the file's top-level dict. It reads safetensors files, and
PyTorch files with ``torch.load(weights_only=True)``: tensors, plain containers and numbers, and
two named classes only, both plain records that user checkpoints carry:

- ``argparse.Namespace``: the ``args`` entry of a rosinality ``train.py`` checkpoint;
- ``ZooConfig``: a stand-in for the PyTorch GAN Zoo's pickled ``models.utils.config.BaseConfig``
  that only stores the pickled attributes.

Nothing else is unpickled. ``load_into(net, state, path, family)`` loads a state dict and
refuses, in one line, keys missing, keys of another shape and (unless told to skip them) keys
the model does not have. ``identify(checkpoint)`` names the family a checkpoint belongs to, so
a file of another family is refused as "a PGGAN (GAN Zoo) checkpoint, not StyleGAN2".
"""

from __future__ import annotations

import argparse
import os
import pickle
import stat
import zipfile
from collections.abc import Iterable
from pathlib import Path

import torch
from torch import nn

from gan_geometry.errors import GeometryError


class CheckpointError(GeometryError):
    """A weights file that cannot be used: missing, unreadable, of another family or configuration."""


class ZooConfig:
    """Stand-in for the GAN Zoo's ``models.utils.config.BaseConfig``: keeps the pickled attributes."""

    def __setstate__(self, state):
        self.__dict__.update(state)

    def get(self, name: str, default=None):
        return self.__dict__.get(name, default)

    @classmethod
    def from_dict(cls, values: dict) -> ZooConfig:
        config = cls()
        config.__dict__.update(values)
        return config


ZooConfig.__module__, ZooConfig.__qualname__ = "models.utils.config", "BaseConfig"
SAFE_CLASSES = [argparse.Namespace, ZooConfig]


def checkpoint_file(path) -> Path:
    """``path`` as an existing, non-empty regular file; else a ``CheckpointError`` naming it."""
    if not isinstance(path, str | os.PathLike) or str(path) == "":
        raise CheckpointError(f"weights_path must be the path of a file; got {path!r} ({type(path).__name__})")
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except OSError:
        raise CheckpointError(f"weights file {path} does not exist") from None
    if stat.S_ISDIR(mode):
        raise CheckpointError(f"weights file {path} is a directory, not a file")
    if not stat.S_ISREG(mode):
        raise CheckpointError(f"weights file {path} is not a regular file")
    if path.stat().st_size == 0:
        raise CheckpointError(f"weights file {path} is empty")
    return path


def read_checkpoint(path) -> dict:
    """The top-level dict of a PyTorch (``weights_only``) or safetensors file."""
    path = checkpoint_file(path)
    if path.suffix == ".safetensors":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(path)
        except (SafetensorError, OSError, ValueError) as err:
            raise CheckpointError(f"{path} is not a readable safetensors file ({err})") from None
    try:
        with torch.serialization.safe_globals(SAFE_CLASSES):
            checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as err:
        text = str(err)
        if not _looks_like_torch(path):  # text, an image, ...: read as a pickle it fails anywhere
            raise CheckpointError(_not_torch(path)) from None
        if "Unsupported global" in text or "Unsupported operand" in text:
            found = (text.split("GLOBAL ", 1)[-1].split(" ", 1)[0].strip() if "GLOBAL " in text
                     else "pickled objects (a numpy .npy / pickle file?)")
            raise CheckpointError(f"{path} holds {found}, not only tensors and plain containers; refusing to "
                                  f"unpickle it (only trusted code may, and this loader never does)") from None
        if not _looks_like_torch(path):
            raise CheckpointError(_not_torch(path)) from None
        raise CheckpointError(f"{path} is a damaged PyTorch checkpoint ({_first_line(text)})") from None
    except (RuntimeError, EOFError, zipfile.BadZipFile, KeyError, ValueError, IndexError, TypeError,
            AttributeError, OSError, UnicodeDecodeError) as err:
        if not _looks_like_torch(path):
            raise CheckpointError(_not_torch(path)) from None
        raise CheckpointError(f"{path} is a damaged or truncated PyTorch checkpoint ({type(err).__name__}: "
                              f"{_first_line(str(err))})") from None
    if not isinstance(checkpoint, dict):
        raise CheckpointError(f"{path} holds a {type(checkpoint).__name__}, not a state dict or checkpoint dict")
    return checkpoint


def _looks_like_torch(path: Path) -> bool:
    """A zip archive (torch.save's format) or a pickle of protocol 2+ (the legacy format)."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    return head == b"PK\x03\x04" or (len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5)


def _not_torch(path: Path) -> str:
    """Why ``path`` is no PyTorch checkpoint: a numpy array file, or neither of torch's formats."""
    with open(path, "rb") as handle:
        numpy = handle.read(6) == b"\x93NUMPY"
    kind = "a numpy .npy array file" if numpy else "neither a zip archive nor a pickle"
    return f"{path} is not a PyTorch checkpoint ({kind})"


def _first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "unreadable"
    return line.split(". This is an internal")[0].removeprefix("PytorchStreamReader ")[:160]


def _is_state(value) -> bool:
    return isinstance(value, dict) and bool(value) and all(isinstance(v, torch.Tensor) for v in value.values())


def identify(checkpoint: dict) -> str | None:
    """The family a checkpoint looks like, by its entries and key names; None when unknown."""
    if "g_ema" in checkpoint:
        return "StyleGAN2 (rosinality port)"
    if "g_running" in checkpoint:
        return "StyleGAN 1 (rosinality port)"
    if "netG_state_dict" in checkpoint:
        return "DCGAN (gan-face-generate)"
    if isinstance(checkpoint.get("generator"), dict) and "discriminator" in checkpoint:
        checkpoint = checkpoint["generator"]  # the wavegan-pytorch train.py checkpoint
    state = checkpoint.get("avgG") or checkpoint.get("netG") if "config" in checkpoint else checkpoint
    if not _is_state(state):
        return None
    keys = set(state)
    fmt = state.get("formatLayer.weight", state.get("formatLayer.module.weight"))
    if fmt is not None:
        return "PGGAN (GAN Zoo)" if fmt.dim() == 2 else "DCGAN (GAN Zoo)"
    if "generator.gen_z.weight_orig" in keys or "embeddings.weight" in keys:
        return "BigGAN-deep (pytorch-pretrained-biggan)"
    if "shared.weight" in keys and any(k.endswith(".u0") for k in keys):
        return "BigBiGAN (BigGAN-PyTorch layout)"
    if "defc7.weight" in keys:
        return "fc6 (DeePSim)"
    if any(k.startswith("decoder.") for k in keys):
        return "VAE decoder (CriminAI)"
    if "style.1.weight" in keys and "conv1.conv.weight" in keys:
        return "StyleGAN2 (rosinality port)"
    if any(k.startswith("generator.progression.") for k in keys):
        return "StyleGAN 1 (rosinality port)"
    if "fc1.weight" in keys and any(k.startswith("deconv_list.") for k in keys):
        return "WaveGAN (wavegan-pytorch)"
    return None


def expect_family(checkpoint: dict, path: Path, family: str) -> None:
    """Refuse a checkpoint that is recognisably of another family than ``family``."""
    found = identify(checkpoint)
    if found is not None and found != family:
        raise CheckpointError(f"{path} is a {found} checkpoint, not {family}")


def shapes_text(shape: Iterable[int]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ")"


def load_into(net: nn.Module, state: dict, path: Path, family: str, config: dict | None = None,
              optional: tuple[str, ...] = (), skip_unexpected: bool = False) -> dict:
    """Load ``state`` into ``net``; return what was read (``Generator.weights_info``): the family,
    the ``config`` the network was built with, how many tensors were loaded and which keys were
    skipped (unexpected ones, when ``skip_unexpected``).

    Keys of ``net`` ending in one of ``optional`` may be missing from the file (buffers the file
    does not carry). Missing keys, keys of another shape and unexpected keys (unless skipped)
    raise one ``CheckpointError`` naming the file and the first few keys.
    """
    if not _is_state(state):
        raise CheckpointError(f"{path} holds no {family} state dict (no tensors where the weights belong)")
    own = net.state_dict()
    missing = [k for k in own if k not in state and not k.endswith(optional)]
    unexpected = [k for k in state if k not in own]
    wrong = [k for k in own if k in state and tuple(state[k].shape) != tuple(own[k].shape)]
    problems = []
    if missing:
        problems.append(f"keys missing: {_some(missing)}")
    if wrong:
        k = wrong[0]
        problems.append(f"shape of {k} is {shapes_text(own[k].shape)} here, {shapes_text(state[k].shape)} in the "
                        f"file" + (f" (+{len(wrong) - 1} more of another shape)" if len(wrong) > 1 else ""))
    if unexpected and not skip_unexpected:
        problems.append(f"unexpected keys: {_some(unexpected)}")
    if problems:
        raise CheckpointError(f"{path} does not fit the {family} generator: {'; '.join(problems)}")
    loaded = {k: v for k, v in state.items() if k in own}
    net.load_state_dict(loaded, strict=False)
    return {"family": family, "config": dict(config or {}), "tensors": len(loaded), "skipped_keys": unexpected}


def _some(keys: list[str], shown: int = 3) -> str:
    return ", ".join(keys[:shown]) + (f" (+{len(keys) - shown} more)" if len(keys) > shown else "")

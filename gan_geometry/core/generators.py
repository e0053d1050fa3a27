"""The generator interface: latent codes in, images in [0, 1] out.

A ``Generator`` is a ``torch.nn.Module`` mapping latent codes ``z`` of shape
``(N, latent_dim)`` to images of shape ``(N, C, H, W)`` with values in ``[0, 1]``. It knows its
name, which latent space of the model ``z`` lives in (a class-conditional model exposes
``noise``, ``class`` and ``both`` as separate spaces: see ``PartialInput``), how to sample ``z``,
and where its weights come from. It is always in eval mode with frozen parameters.

    G = load_generator("dcgan-face64")   # gan_geometry.registry
    z = G.sample(4, seed=0)              # (4, 100)
    x = G(z)                             # (4, 3, 64, 64) in [0, 1]
"""

from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from gan_geometry import checks
from gan_geometry.errors import GeometryError

T = TypeVar("T")
FAR = 1000.0  # codes with an entry beyond FAR x the distribution's typical largest entry are refused


@dataclass(frozen=True, eq=False)
class LatentDistribution:
    """How one block of latent coordinates is drawn.

    ``normal``: ``scale * x`` with x ~ N(0, I), each entry resampled until |x| <= ``bound`` when a
    bound is set (BigGAN's truncated noise: scale = truncation, bound = 2). ``rows``: a random
    row of ``rows`` (k, dim): one-hot classes are the rows of the identity, BigGAN class
    embeddings the rows of its embedding matrix.
    """

    kind: Literal["normal", "rows"] = "normal"
    scale: float = 1.0
    bound: float | None = None
    rows: torch.Tensor | None = None
    label: str = ""

    def __post_init__(self):
        if self.kind not in ("normal", "rows"):
            raise GeometryError(f"a latent distribution is 'normal' or 'rows'; got '{self.kind}'")
        if self.kind == "rows" and self.rows is None:
            raise GeometryError("a 'rows' latent distribution needs the rows (k, dim) to draw from")

    def draw(self, n: int, dim: int, rng: torch.Generator) -> torch.Tensor:
        if self.kind == "rows":
            return self.rows[torch.randint(self.rows.shape[0], (n,), generator=rng)].float()
        x = torch.randn(n, dim, generator=rng)
        if self.bound is not None:
            outside = x.abs() > self.bound
            while outside.any():
                x[outside] = torch.randn(int(outside.sum()), generator=rng)
                outside = x.abs() > self.bound
        return self.scale * x

    def describe(self) -> str:
        if self.label:
            return self.label
        if self.bound is None:
            return "standard normal" if self.scale == 1 else f"normal (scale {self.scale:g})"
        return f"truncated normal (|x| <= {self.bound:g}, times {self.scale:g})"


@dataclass(frozen=True, eq=False)
class ConcatDistribution:
    """Independent blocks of ``dims`` coordinates, each from its own ``LatentDistribution``."""

    parts: tuple[LatentDistribution, ...]
    dims: tuple[int, ...]

    def draw(self, n: int, dim: int, rng: torch.Generator) -> torch.Tensor:
        return torch.cat([part.draw(n, d, rng) for part, d in zip(self.parts, self.dims, strict=True)], dim=1)

    def describe(self) -> str:
        return " + ".join(f"{p.describe()} [{d}]" for p, d in zip(self.parts, self.dims, strict=True))


class Generator(nn.Module):
    """A model ``module`` seen as ``z (N, latent_dim) -> images (N, C, H, W) in [0, 1]``.

    ``module`` receives ``z`` reshaped to ``(N, *input_shape)`` and returns N images with
    C*H*W values each (any shape; reshaped to ``image_shape``) spanning ``output_range``
    (``(-1, 1)`` for a tanh output), mapped affinely to [0, 1].

    ``first_layer`` (out, latent_dim): the weight of the first layer acting on z, restricted to
    this space (for SeFa axes); None where a generator has none. ``pca_layer``: the name of the
    submodule whose output GANSpace-style PCA uses by default. ``block_layers``: the submodules
    whose outputs the layer-wise analysis takes by default (one per block, forward order) where the
    model has no activation modules to take (StyleGAN2's fused activation, functional ReLUs).
    ``weights_info``: what was read from a weights file (family, configuration found, keys
    skipped), for ``gan-geometry check-weights``; None for built-in or random weights.
    ``sample_rate``: set for sound generators, whose "images" are waveforms (C, 1, T) sampled at
    this rate (Hz): the one thing the app and the report read to play them instead of showing them.
    """

    def __init__(
        self,
        module: nn.Module,
        *,
        name: str,
        latent_dim: int,
        image_shape: tuple[int, int, int],
        input_shape: Sequence[int] | None = None,
        output_range: tuple[float, float] = (-1.0, 1.0),
        space: str = "default",
        distribution: LatentDistribution | ConcatDistribution = LatentDistribution(),
        source: str = "user module",
        licence: str = "",
        first_layer: torch.Tensor | None = None,
        pca_layer: str | None = None,
        block_layers: Sequence[str] | None = None,
        weights_info: dict | None = None,
        sample_rate: int | None = None,
    ):
        super().__init__()
        self.module = module
        self.name = name
        self.space = space
        self.latent_dim = int(latent_dim)
        self.image_shape = tuple(image_shape)
        self.input_shape = tuple(input_shape) if input_shape is not None else (self.latent_dim,)
        self.output_range = output_range
        self.distribution = distribution
        self.source = source
        self.licence = licence
        self.first_layer = first_layer
        self.pca_layer = pca_layer
        self.block_layers = tuple(block_layers) if block_layers is not None else None
        self.weights_info = weights_info
        self.sample_rate = sample_rate
        self.protocol, self.clamp, self.resize, self.native_shape = "plain", False, None, self.image_shape
        self.eval()
        self.requires_grad_(False)

    @property
    def device(self) -> torch.device:
        tensors = list(self.parameters()) + list(self.buffers())
        return tensors[0].device if tensors else torch.device("cpu")

    @property
    def dtype(self) -> torch.dtype:
        floats = [t for t in list(self.parameters()) + list(self.buffers()) if t.is_floating_point()]
        return floats[0].dtype if floats else torch.float32

    def sample(self, n: int, seed: int = 0) -> torch.Tensor:
        """(n, latent_dim) codes from the latent distribution.

        Row i is drawn from its own random stream, seeded by (``seed``, i) through numpy's
        ``SeedSequence``, so ``sample(n, seed)[i]`` is the same code for every n > i: the i-th
        sample of a seed is one code everywhere (gallery, CLI, sweeps, inversion targets).
        """
        n, seed = checks.whole(n, "the number of samples", 1), checks.seed(seed)
        z = torch.cat([self.distribution.draw(1, self.latent_dim, row_stream(seed, i)) for i in range(n)])
        return z.to(self.device, self.dtype)

    def use_protocol(self, name: str, clamp: bool, resize: int | None) -> None:
        """Measure as protocol ``name`` does: images clamped to [0, 1] (``clamp``) and resized to
        ``resize`` x ``resize`` (bilinear, ``align_corners=True``) where set."""
        self.protocol, self.clamp, self.resize = name, clamp, resize
        self.native_shape = self.image_shape
        if resize is not None:
            self.image_shape = (self.image_shape[0], resize, resize)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """(N, latent_dim) -> (N, C, H, W): x = (module(z) - lo) / (hi - lo), then resized and
        clamped where the protocol says so."""
        lo, hi = self.output_range
        x = self.module(z.reshape(z.shape[0], *self.input_shape))
        x = ((x - lo) / (hi - lo)).reshape(z.shape[0], *self.native_shape)
        if self.resize is not None:
            x = F.interpolate(x, size=(self.resize, self.resize), mode="bilinear", align_corners=True)
        return x.clamp(0.0, 1.0) if self.clamp else x

    def check_latent(self, z: torch.Tensor | Sequence[float]) -> torch.Tensor:
        """``z`` as a (latent_dim,) tensor on this generator's device; clear errors otherwise (values
        that overflow the generator's dtype included)."""
        z = z if isinstance(z, torch.Tensor) else torch.as_tensor(np.asarray(z, dtype=np.float64))
        if z.dim() == 2 and z.shape[0] == 1:
            z = z[0]
        if z.dim() != 1 or z.shape[0] != self.latent_dim:
            raise GeometryError(
                f"latent code has shape {tuple(z.shape)}, but generator '{self.name}' ({self.space} space) "
                f"expects ({self.latent_dim},)"
            )
        if not torch.isfinite(z).all():
            raise GeometryError("latent code contains NaN or inf entries")
        converted = z.to(self.device, self.dtype)
        if not torch.isfinite(converted).all():  # finite in float64, beyond the generator's float32
            raise GeometryError(f"latent code has entries too large for {self.dtype} (largest magnitude "
                                f"{float(z.abs().max()):.3g}); use values of ordinary size")
        if self.far_outside(float(z.abs().max())):
            raise GeometryError(f"latent code has entries up to {float(z.abs().max()):.3g}, far outside what "
                                f"{self.name} draws (up to about {self.typical_magnitude:.3g} in its samples): codes "
                                f"beyond {FAR:g}x that are refused, where its images and metric mean nothing")
        return converted

    def far_outside(self, largest: float) -> bool:
        """Whether a code whose largest |entry| is ``largest`` lies beyond ``FAR`` x the typical
        largest entry of this generator's samples (NaN and inf included)."""
        return not largest <= FAR * self.typical_magnitude

    @functools.cached_property
    def typical_magnitude(self) -> float:
        """The largest |entry| of 64 codes of the latent distribution (seed 0): the scale that
        ``check_latent`` measures codes against."""
        return float(self.sample(64, seed=0).abs().max())

    def describe(self) -> dict:
        return {
            "generator": self.name,
            "space": self.space,
            "latent_dim": self.latent_dim,
            "image_shape": list(self.image_shape),
            "distribution": self.distribution.describe(),
            "source": self.source,
            "licence": self.licence,
            "protocol": self.protocol,
            "sample_rate": self.sample_rate,
        }


def seeded(build: Callable[[], T], seed: int = 0) -> T:
    """``build()`` with torch's global random generator seeded by ``seed`` inside and the
    caller's left untouched: a model's initial weights (random weights for tests, fixed noise, or
    the placeholders a weights file replaces) are the same on every call and machine."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def row_stream(seed: int, index: int) -> torch.Generator:
    """The random stream of sample ``index`` of ``seed``: independent of how many are drawn."""
    state = np.random.SeedSequence([seed, index]).generate_state(2, np.uint32)
    return torch.Generator().manual_seed(int(state[0]) << 31 ^ int(state[1]))


def shared_weight_copy(module: nn.Module) -> nn.Module:
    """A structural copy of ``module`` whose parameters and buffers are the originals' tensors
    (no weight memory is duplicated). Hooks put on the copy never touch the original, which may
    be a cached model shared between requests."""
    memo = {id(t): t for t in (*module.parameters(), *module.buffers())}
    return copy.deepcopy(module, memo)


@contextlib.contextmanager
def captured(G: nn.Module, layers: Sequence[str]) -> Iterator[tuple[nn.Module, dict[str, list[torch.Tensor]]]]:
    """``(copy, outputs)``: a shared-weight copy of ``G`` whose forward appends the output of each
    named submodule in ``layers`` to ``outputs[name]``. ``G`` itself is never hooked."""
    twin = shared_weight_copy(G)
    modules = dict(twin.named_modules())
    unknown = [name for name in layers if name not in modules]
    if unknown:
        names = [name for name in modules if name][:12]
        raise GeometryError(f"no layer '{unknown[0]}' in {getattr(G, 'name', 'the model')}; "
                            f"give one of: {', '.join(names)}, ...")
    outputs: dict[str, list[torch.Tensor]] = {name: [] for name in layers}
    for name in layers:
        modules[name].register_forward_hook(lambda _m, _i, out, name=name: outputs[name].append(out))
    yield twin, outputs


class PartialInput(nn.Module):
    """One latent space of a model with a longer input: ``module`` receives the vector
    ``fixed`` (D,) with coordinates ``start:stop`` replaced by ``z`` (N, stop - start),
    reshaped to ``(N, *full_shape)``. A conditional model's noise space fixes the class part;
    its class space fixes the noise part; ``both`` replaces all D coordinates.
    """

    def __init__(self, module: nn.Module, fixed: torch.Tensor, start: int, stop: int,
                 full_shape: Sequence[int] | None = None):
        super().__init__()
        self.module = module
        self.register_buffer("fixed", fixed)
        self.start, self.stop = start, stop
        self.full_shape = tuple(full_shape) if full_shape is not None else (fixed.shape[0],)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        fixed = self.fixed.to(z.dtype).expand(z.shape[0], -1)
        full = torch.cat([fixed[:, : self.start], z, fixed[:, self.stop:]], dim=1)
        return self.module(full.reshape(z.shape[0], *self.full_shape))


def from_module(
    module: nn.Module,
    latent_dim: int,
    image_shape: tuple[int, int, int],
    *,
    name: str = "user-module",
    input_shape: Sequence[int] | None = None,
    output_range: tuple[float, float] = (-1.0, 1.0),
    distribution: LatentDistribution | ConcatDistribution = LatentDistribution(),
) -> Generator:
    """Wrap a user's ``torch.nn.Module`` as a ``Generator``.

    ``module`` takes ``z`` reshaped to ``(N, *input_shape)`` (default ``(N, latent_dim)``; a
    DCGAN wants ``(latent_dim, 1, 1)``) and returns images of ``image_shape`` with values in
    ``output_range``.
    """
    return Generator(module, name=name, latent_dim=latent_dim, image_shape=image_shape,
                     input_shape=input_shape, output_range=output_range, distribution=distribution)


def conditional_space(
    space: str,
    module: nn.Module,
    fixed_noise: torch.Tensor,
    fixed_class: torch.Tensor,
    noise: LatentDistribution,
    klass: LatentDistribution,
    full_shape: Sequence[int] | None = None,
) -> tuple[PartialInput, int, LatentDistribution | ConcatDistribution]:
    """The ``noise``, ``class`` or ``both`` space of a model whose input is [noise, class].

    Returns the module that completes z with the fixed part, the space's dimension, and its
    distribution. ``fixed_noise`` (Dn,) is used in the class space, ``fixed_class`` (Dc,) in the
    noise space.
    """
    dn, dc = fixed_noise.shape[0], fixed_class.shape[0]
    start, stop, distribution = {
        "noise": (0, dn, noise),
        "class": (dn, dn + dc, klass),
        "both": (0, dn + dc, ConcatDistribution((noise, klass), (dn, dc))),
    }[space]
    fixed = torch.cat([fixed_noise, fixed_class]).float()
    return PartialInput(module, fixed, start, stop, full_shape), stop - start, distribution

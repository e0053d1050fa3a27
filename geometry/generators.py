"""Generators behind one interface, and the registry that builds them by name.

A ``Generator`` is a ``torch.nn.Module`` mapping latent codes ``z`` of shape
``(N, latent_dim)`` to images of shape ``(N, C, H, W)`` with values in ``[0, 1]``. It knows its
name, which latent space of the model ``z`` lives in (a class-conditional model exposes
``noise``, ``class`` and ``both`` as separate spaces of one entry), how to sample ``z``, and
where its weights come from. It is always in eval mode with frozen parameters.

    G = load_generator("dcgan-face64")
    z = G.sample(4, seed=0)          # (4, 100)
    x = G(z)                         # (4, 3, 64, 64) in [0, 1]
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import nn

from geometry.errors import GeometryError
from geometry.weights import DCGAN_FACE64, PackagedFile, is_available_locally, weight_path


@dataclass(frozen=True)
class LatentDistribution:
    """How latent codes are drawn.

    ``normal``: z ~ N(0, I). ``truncated-normal``: N(0, I) restricted to |z_i| <= ``truncation``
    (resampled entry-wise), as BigGAN uses. ``onehot``: a random standard basis vector (a class).
    """

    kind: str = "normal"
    truncation: float | None = None

    def sample(self, n: int, dim: int, seed: int) -> torch.Tensor:
        """(n, dim) float32 codes, a deterministic function of ``seed``."""
        rng = torch.Generator().manual_seed(int(seed))
        if self.kind == "onehot":
            return torch.eye(dim)[torch.randint(dim, (n,), generator=rng)]
        z = torch.randn(n, dim, generator=rng)
        if self.kind == "truncated-normal":
            outside = z.abs() > self.truncation
            while outside.any():
                z[outside] = torch.randn(int(outside.sum()), generator=rng)
                outside = z.abs() > self.truncation
        return z

    def describe(self) -> str:
        return f"truncated normal (|z| <= {self.truncation})" if self.kind == "truncated-normal" else self.kind


class Generator(nn.Module):
    """A model ``module`` seen as ``z (N, latent_dim) -> images (N, C, H, W) in [0, 1]``.

    ``module`` receives ``z`` reshaped to ``(N, *input_shape)`` and returns N images with
    C*H*W values each (any shape; reshaped to ``image_shape``) spanning ``output_range``
    (``(-1, 1)`` for a tanh output), mapped affinely to [0, 1].
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
        distribution: LatentDistribution = LatentDistribution(),
        source: str = "user module",
        licence: str = "",
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
        self.eval()
        self.requires_grad_(False)

    @property
    def device(self) -> torch.device:
        tensors = list(self.parameters()) + list(self.buffers())
        return tensors[0].device if tensors else torch.device("cpu")

    @property
    def dtype(self) -> torch.dtype:
        tensors = list(self.parameters()) + list(self.buffers())
        floats = [t for t in tensors if t.is_floating_point()]
        return floats[0].dtype if floats else torch.float32

    def sample(self, n: int, seed: int = 0) -> torch.Tensor:
        """(n, latent_dim) codes from the latent distribution, on the generator's device."""
        if n < 1:
            raise GeometryError(f"number of samples must be at least 1, got {n}")
        return self.distribution.sample(n, self.latent_dim, seed).to(self.device, self.dtype)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        lo, hi = self.output_range
        x = self.module(z.reshape(z.shape[0], *self.input_shape))
        return ((x - lo) / (hi - lo)).reshape(z.shape[0], *self.image_shape)

    def check_latent(self, z: torch.Tensor | Sequence[float]) -> torch.Tensor:
        """``z`` as a (latent_dim,) tensor on this generator's device; clear errors otherwise."""
        z = torch.as_tensor(z)
        if z.dim() == 2 and z.shape[0] == 1:
            z = z[0]
        if z.dim() != 1 or z.shape[0] != self.latent_dim:
            raise GeometryError(
                f"latent code has shape {tuple(z.shape)}, but generator '{self.name}' ({self.space} space) "
                f"expects ({self.latent_dim},)"
            )
        if not torch.isfinite(z).all():
            raise GeometryError("latent code contains NaN or inf entries")
        return z.to(self.device, self.dtype)

    def describe(self) -> dict:
        return {
            "generator": self.name,
            "space": self.space,
            "latent_dim": self.latent_dim,
            "image_shape": list(self.image_shape),
            "distribution": self.distribution.describe(),
            "source": self.source,
            "licence": self.licence,
        }


def dcgan_sequential(
    in_channels: int, widths: Sequence[int], out_channels: int = 3, dropout_after_first: float | None = None
) -> nn.Sequential:
    """The DCGAN tutorial generator: a 4x4 transposed convolution from the (in_channels, 1, 1)
    input, then one stride-2 transposed convolution per width (each doubling the side), each
    followed by BatchNorm and ReLU, ending in ``out_channels`` and tanh. Output side =
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


class _Main(nn.Module):
    """Holds a DCGAN ``Sequential`` under the attribute name the checkpoints use (``main``)."""

    def __init__(self, main: nn.Sequential):
        super().__init__()
        self.main = main

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x)


def _build_dcgan_face64(space: str = "noise") -> Generator:
    net = _Main(dcgan_sequential(100, (512, 256, 128, 64)))
    state = torch.load(weight_path(DCGAN_FACE64), map_location="cpu", weights_only=True)["netG_state_dict"]
    net.load_state_dict(state)
    return Generator(net, name="dcgan-face64", space=space, latent_dim=100, image_shape=(3, 64, 64),
                     input_shape=(100, 1, 1), source=DCGAN_FACE64.source, licence=DCGAN_FACE64.licence)


class LinearMap(nn.Module):
    """``x = A z + b`` (N, P): a linear generator whose pull-back metric is known exactly.

    With MSE over P = C*H*W pixels, d2(z0, z) = ||A (z - z0)||^2 / P, so H = 2 A^T A / P and the
    eigenvalues are 2 s_i^2 / P for the singular values s_i of A.
    """

    def __init__(self, A: torch.Tensor, b: torch.Tensor):
        super().__init__()
        self.register_buffer("A", A)
        self.register_buffer("b", b)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return z @ self.A.T + self.b


def _build_linear_toy(
    space: str = "default", latent_dim: int = 8, image_size: int = 8, channels: int = 3,
    condition: float = 100.0, seed: int = 0,
) -> Generator:
    """A = U diag(s) V^T with random orthonormal U (P, n), V (n, n) from ``seed`` and singular
    values log-spaced over ``condition`` (s_max / s_min), scaled so each pixel has standard
    deviation 0.1 around b = 0.5 for z ~ N(0, I): outputs stay in [0, 1] for typical codes
    (they are not clamped, which would break linearity).
    """
    pixels = channels * image_size * image_size
    if latent_dim > pixels:
        raise GeometryError(f"linear-toy needs latent_dim <= channels*image_size^2 = {pixels}, got {latent_dim}")
    rng = torch.Generator().manual_seed(seed)
    U, _ = torch.linalg.qr(torch.randn(pixels, latent_dim, generator=rng, dtype=torch.float64))
    V, _ = torch.linalg.qr(torch.randn(latent_dim, latent_dim, generator=rng, dtype=torch.float64))
    s = torch.logspace(0, -torch.log10(torch.tensor(condition)).item(), latent_dim, dtype=torch.float64)
    s = s * 0.1 * (pixels / (s**2).sum()).sqrt()
    A = (U * s) @ V.T
    net = LinearMap(A.float(), torch.full((pixels,), 0.5))
    return Generator(net, name="linear-toy", space=space, latent_dim=latent_dim,
                     image_shape=(channels, image_size, image_size), output_range=(0.0, 1.0),
                     source=f"built in (seeded random A, seed={seed})", licence="MIT")


def from_module(
    module: nn.Module,
    latent_dim: int,
    image_shape: tuple[int, int, int],
    *,
    name: str = "user-module",
    input_shape: Sequence[int] | None = None,
    output_range: tuple[float, float] = (-1.0, 1.0),
    distribution: LatentDistribution = LatentDistribution(),
) -> Generator:
    """Wrap a user's ``torch.nn.Module`` as a ``Generator``.

    ``module`` takes ``z`` reshaped to ``(N, *input_shape)`` (default ``(N, latent_dim)``; a
    DCGAN wants ``(latent_dim, 1, 1)``) and returns images of ``image_shape`` with values in
    ``output_range``.
    """
    return Generator(module, name=name, latent_dim=latent_dim, image_shape=image_shape,
                     input_shape=input_shape, output_range=output_range, distribution=distribution)


@dataclass(frozen=True)
class GeneratorEntry:
    """A registered generator: its latent spaces (first is the default) and how to build one."""

    name: str
    description: str
    spaces: tuple[str, ...]
    build: Callable[..., Generator]
    weights: PackagedFile | None = None
    options: dict = field(default_factory=dict)

    def weights_status(self) -> str:
        if self.weights is None:
            return "built in"
        return "offline" if is_available_locally(self.weights) else "on first use"


REGISTRY: dict[str, GeneratorEntry] = {}


def register(entry: GeneratorEntry) -> None:
    REGISTRY[entry.name] = entry


register(GeneratorEntry("dcgan-face64", "DCGAN trained on DigiFace1M faces, 64x64 (gan-face-generate)",
                        ("noise",), _build_dcgan_face64, DCGAN_FACE64))
register(GeneratorEntry("linear-toy", "x = A z + b with seeded A: closed-form metric, for tests",
                        ("default",), _build_linear_toy,
                        options={"latent_dim": 8, "image_size": 8, "channels": 3, "condition": 100.0, "seed": 0}))


def load_generator(name: str, space: str | None = None, device: str | torch.device = "cpu", **options) -> Generator:
    """Build the registered generator ``name`` in latent ``space`` (default: its first)."""
    entry = REGISTRY.get(name)
    if entry is None:
        raise GeometryError(f"unknown generator '{name}'; choose one of: {', '.join(REGISTRY)}")
    space = space or entry.spaces[0]
    if space not in entry.spaces:
        raise GeometryError(f"generator '{name}' has latent spaces {', '.join(entry.spaces)}; got '{space}'")
    unknown = set(options) - set(entry.options)
    if unknown:
        valid = ", ".join(entry.options) or "none"
        raise GeometryError(f"generator '{name}' does not take option(s) {', '.join(sorted(unknown))}; valid: {valid}")
    return entry.build(space=space, **options).to(device)

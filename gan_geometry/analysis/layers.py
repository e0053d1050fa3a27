"""Where the geometry comes from: metrics of intermediate layers, amplification, shuffled controls.

For a layer l with feature map phi_l (flattened, F_l values) the layer metric at z0 is the
Hessian of 1/2 ||phi_l(z) - phi_l(z0)||^2 (paper section 3, Eq. 3):

    H_l = J_l^T J_l,     J_l = d phi_l(G(z)) / dz |_{z0}     (F_l, n)

(the image metric with ``mse`` is 2 J^T J / P for the P pixels in [0, 1], so the last layer's
H_l with phi_l = the image equals P/2 times it). All layers come from one Jacobian
(``products.JacobianProducts`` of a function returning every chosen layer's output, batched
forward-mode columns), taken through a shared-weight copy of G whose hooks never touch the
(shared) generator.

Amplification (paper Fig. 4B): for the eigenvectors u_i of a source layer's metric, their
speeds u_i^T H_b u_i under every layer b and the image metric: a layers x ranks matrix, and the
correlation of log speeds between the source layer and each other layer.

``shuffle_weights``: the weight-shuffled control of paper A.8 ("we shuffled the elements of each
layer weight tensor to keep the overall weight distribution unchanged"): every parameter whose
name ends in ``weight`` (or ``weight_orig``) with two or more dimensions (convolution and linear
kernels) has its elements permuted, seeded; biases, normalisation affine parameters and running
statistics are kept, so activations keep their scale.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from gan_geometry.core.distances import Distance
from gan_geometry.core.generators import Generator, captured, shared_weight_copy
from gan_geometry.core.linalg import descending_eigh
from gan_geometry.core.metric import metric_tensor
from gan_geometry.core.products import JacobianProducts
from gan_geometry.errors import GeometryError
from gan_geometry.io.storage import check_space
from gan_geometry.progress import Progress, report

ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.Tanh, nn.Sigmoid, nn.GELU, nn.SiLU, nn.ELU)


@dataclass
class LayerInfo:
    """A named submodule of a generator: its type and the shape of its output for one code."""

    name: str
    kind: str
    shape: tuple[int, ...]

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))


def list_layers(G: Generator) -> list[LayerInfo]:
    """Every named submodule of ``G`` whose output is one tensor, in forward order, with shapes."""
    modules = {name: module for name, module in G.named_modules() if name}
    order: list[LayerInfo] = []
    twin = shared_weight_copy(G)
    named = dict(twin.named_modules())
    for name in modules:
        named[name].register_forward_hook(
            lambda module, _inputs, out, name=name: order.append(LayerInfo(name, type(module).__name__,
                                                                            tuple(out.shape[1:])))
            if isinstance(out, torch.Tensor) else None)
    with torch.no_grad():
        twin(G.sample(1, seed=0))
    seen, listing = set(), []
    for info in order:
        if info.name not in seen:  # a module called twice is listed once
            seen.add(info.name)
            listing.append(info)
    return listing


def major_layers(G: Generator) -> list[str]:
    """The default layers: the generator's declared ``block_layers`` where it has them, else the
    output of every activation module (the blocks' outputs in a DCGAN), in forward order."""
    if G.block_layers is not None:
        return list(G.block_layers)
    types = {name: type(module) for name, module in G.named_modules()}
    names = [info.name for info in list_layers(G) if issubclass(types[info.name], ACTIVATIONS)]
    if not names:
        raise GeometryError(f"{G.name} has no activation modules to take as layers; name them with layers=[...] "
                            f"(gan-geometry layers --list shows them)")
    return names


@dataclass
class LayerMetrics:
    """Layer metrics at one code ``z`` (n,): ``H`` (L, n, n) float64 for ``layers`` (L names), their
    eigenvalues (L, n) descending and eigenvectors (L, n, n) in columns; ``sizes`` F_l."""

    z: np.ndarray
    layers: list[str]
    sizes: list[int]
    H: np.ndarray
    eigvals: np.ndarray
    eigvecs: np.ndarray


def layer_metrics(G: Generator, z: torch.Tensor | np.ndarray, layers: Sequence[str] | None = None,
                  chunk: int = 32, progress: Progress | None = None) -> LayerMetrics:
    """H_l = J_l^T J_l for every layer in ``layers`` (default ``major_layers(G)``) at ``z``: the
    rows of one Jacobian of all layers' outputs, ``chunk`` forward-mode columns at a time."""
    z0 = G.check_latent(z)
    layers = list(layers) if layers is not None else major_layers(G)
    if not layers:
        raise GeometryError("give at least one layer")
    sizes: list[int] = []
    with captured(G, layers) as (twin, outputs):

        def features(z: torch.Tensor) -> torch.Tensor:
            """Every chosen layer's output for one code, flattened and concatenated (F = sum F_l,)."""
            for stored in outputs.values():
                stored.clear()
            twin(z[None])
            missing = [name for name in layers if not outputs[name]]
            if missing:
                raise GeometryError(f"layer {missing[0]} produced no output in {G.name}'s forward pass")
            return torch.cat([outputs[name][-1].flatten() for name in layers])

        with torch.no_grad():
            features(z0)
            sizes = [outputs[name][-1].numel() for name in layers]
        J = JacobianProducts(features, z0, sum(sizes)).matrix(chunk, progress, "layers: ")  # (F, n)
    blocks = torch.split(J.detach().double().cpu(), sizes)
    H = np.stack([(block.T @ block).numpy() for block in blocks])
    H = (H + np.swapaxes(H, 1, 2)) / 2
    values, vectors = descending_eigh(H)
    return LayerMetrics(z0.detach().cpu().double().numpy(), layers, sizes, H, values, vectors)


@dataclass
class Amplification:
    """Speeds of the source layer's eigenvectors u_i under each target metric:
    ``speeds[b, i] = u_i^T H_b u_i`` (targets x ranks), ``targets`` names (the layers, then the
    image distance); ``log_corr[b]`` = corr over ranks of log10 speeds under the source and under b."""

    source: str
    targets: list[str]
    speeds: np.ndarray
    log_corr: np.ndarray


def amplification(metrics: LayerMetrics, image_H: np.ndarray | None = None, image_name: str = "image",
                  source: int = 0) -> Amplification:
    """Amplification of layer ``source``'s eigenvectors by every layer (and by ``image_H`` (n, n),
    the image metric of a distance, when given)."""
    U = metrics.eigvecs[source]
    targets = list(metrics.H) + ([image_H] if image_H is not None else [])
    names = list(metrics.layers) + ([image_name] if image_H is not None else [])
    speeds = np.stack([np.einsum("ki,kl,li->i", U, Hb, U) for Hb in targets])
    own = metrics.eigvals[source]
    keep = (own > 0)[None, :] & (speeds > 0)
    log_corr = np.array([np.corrcoef(np.log10(own[k]), np.log10(s[k]))[0, 1] if k.sum() > 2 else np.nan
                         for s, k in zip(speeds, keep, strict=True)])
    return Amplification(metrics.layers[source], names, speeds, log_corr)


def shuffle_weights(G: Generator, seed: int = 0) -> Generator:
    """A copy of ``G`` whose convolution and linear kernels (parameters named ``*weight`` or
    ``*weight_orig`` with >= 2 dimensions) have their elements permuted, each with its own seeded
    permutation; everything else is copied unchanged, except that spectrally normalised layers
    re-converge their singular-vector estimates on the permuted weight (so each divides by the
    shuffled weight's own sigma, as a trained layer divides by its own). ``G`` is not modified."""
    import copy

    from gan_geometry.core.spectral_norm import converge_spectral_norms

    shuffled = copy.deepcopy(G)
    rng = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        for name, parameter in shuffled.named_parameters():
            if name.endswith(("weight", "weight_orig")) and parameter.dim() >= 2:
                flat = parameter.reshape(-1)
                parameter.copy_(flat[torch.randperm(flat.numel(), generator=rng)].reshape(parameter.shape))
    converge_spectral_norms(shuffled)
    shuffled.source = f"{G.source}, weights shuffled (seed {seed})"
    return shuffled


# ---- a resumable layer sweep: the same analyses at N positions --------------------------------
LAYER_ARRAYS = ("H_layers", "H_layers_shuffled", "H_image", "H_image_shuffled")


@dataclass
class LayerSweep:
    """Layer metrics at N positions for the original and shuffled generator, with the image
    metrics: ``H_layers`` / ``H_layers_shuffled`` (N, L, n, n), ``H_image`` / ``H_image_shuffled``
    (N, n, n), ``positions`` (N, n), ``settings``; ``directory`` None when held in memory only."""

    directory: Path | None
    settings: dict
    positions: np.ndarray
    arrays: dict[str, np.ndarray]

    @property
    def layers(self) -> list[str]:
        return self.settings["layers"]

    def spectra(self, key: str) -> np.ndarray:
        """Eigenvalues (N, ..., n) descending of the metrics ``arrays[key]``."""
        values = np.linalg.eigvalsh(self.arrays[key])
        return values[..., ::-1]

    def amplifications(self, shuffled: bool = False, source: int = 0) -> list[Amplification]:
        """Amplification of layer ``source``'s eigenvectors at each position."""
        suffix = "_shuffled" if shuffled else ""
        found = []
        for i in range(self.positions.shape[0]):
            H = self.arrays["H_layers" + suffix][i]
            metrics = LayerMetrics(self.positions[i], self.layers, [], H, *descending_eigh(H))
            found.append(amplification(metrics, self.arrays["H_image" + suffix][i], self.settings["distance"], source))
        return found


def position_arrays(G: Generator, control: Generator, D: Distance, z: np.ndarray, layers: Sequence[str]
                    ) -> dict[str, np.ndarray]:
    """The layer and image metrics of ``G`` and its shuffled ``control`` at one code z (n,)."""
    z_t = torch.from_numpy(np.asarray(z, dtype=np.float64)).to(G.dtype)
    return {"H_layers": layer_metrics(G, z_t, layers).H, "H_layers_shuffled": layer_metrics(control, z_t, layers).H,
            "H_image": metric_tensor(G, D, z_t).H, "H_image_shuffled": metric_tensor(control, D, z_t).H}


def layers_at(G: Generator, D: Distance, z: torch.Tensor | np.ndarray, layers: Sequence[str] | None = None,
              shuffle_seed: int = 0) -> LayerSweep:
    """The layer analysis at one code, in memory (no files): a ``LayerSweep`` of one position."""
    z = G.check_latent(z).detach().cpu().double().numpy()
    layers = list(layers) if layers is not None else major_layers(G)
    arrays = position_arrays(G, shuffle_weights(G, shuffle_seed), D, z, layers)
    settings = {"generator": G.name, "space": G.space, "distance": D.name, "layers": layers,
                "shuffle_seed": shuffle_seed, "n_positions": 1, "latent_dim": G.latent_dim}
    return LayerSweep(None, settings, z[None], {key: value[None] for key, value in arrays.items()})


def run_layer_sweep(directory: str | Path, G: Generator, D: Distance, n: int, seed: int = 0,
                    layers: Sequence[str] | None = None, shuffle_seed: int = 0, generator_options: dict | None = None,
                    progress: Progress | None = None) -> LayerSweep:
    """``position_arrays`` at ``n`` positions sampled with ``seed``, one atomic shard per position
    in ``directory``; rerunning the same command resumes (other settings are refused)."""
    from gan_geometry import checks
    from gan_geometry.analysis.sweeps.shards import pending, record, write_shard

    directory = Path(directory)
    n = checks.whole(n, "the number of positions n", 1, 100_000)
    layers = list(layers) if layers is not None else major_layers(G)
    check_space(directory, n * (2 * len(layers) + 3) * G.latent_dim**2 * 8,
                f"a layer sweep of {n} positions, {len(layers)} layers, in {G.latent_dim} dimensions")
    positions = G.sample(n, seed=seed).detach().cpu().double().numpy()
    settings = {"generator": G.name, "space": G.space, "generator_options": generator_options or {},
                "distance": D.name, "n_positions": n, "seed": seed, "layers": layers, "shuffle_seed": shuffle_seed,
                "latent_dim": G.latent_dim}
    record(directory / "layers.json", settings, positions)
    control = shuffle_weights(G, shuffle_seed)
    todo = pending(directory, positions, layer_shard_shapes(len(layers), G.latent_dim))
    for done, i in enumerate(todo, start=n - len(todo) + 1):
        write_shard(directory, i, positions[i], position_arrays(G, control, D, positions[i], layers))
        report(progress, done / n, f"position {done}/{n}")
    return load_layer_sweep(directory)


def layer_shard_shapes(L: int, n: int) -> dict[str, tuple[int, ...]]:
    """The arrays every layer-sweep shard holds, with their shapes (L layers, dimension n)."""
    return {"H_layers": (L, n, n), "H_layers_shuffled": (L, n, n), "H_image": (n, n), "H_image_shuffled": (n, n)}


def load_layer_sweep(directory: str | Path) -> LayerSweep:
    """A completed layer sweep: settings, positions and stacked arrays (every shard must exist)."""
    from gan_geometry.analysis.sweeps.shards import read_shard
    from gan_geometry.io.storage import load_json

    directory = Path(directory)
    settings = load_json(directory / "layers.json")
    if not isinstance(settings, dict) or "layers" not in settings:
        raise GeometryError(f"{directory / 'layers.json'} is not a layer sweep's settings")
    positions = np.load(directory / "positions.npy", allow_pickle=False)
    shapes = layer_shard_shapes(len(settings["layers"]), positions.shape[1])
    shards = [read_shard(directory, i, z, shapes) for i, z in enumerate(positions)]
    missing = [i for i, shard in enumerate(shards) if shard is None]
    if missing:
        raise GeometryError(f"the layer sweep in {directory} lacks complete shards at positions {missing[:5]}; run "
                            f"the same layers command again to compute them")
    return LayerSweep(directory, settings, positions, {key: np.stack([s[key] for s in shards]) for key in LAYER_ARRAYS})


@dataclass
class LayerSummary:
    """What a layer sweep says, for the command line, the report and the app. Per metric (each
    layer, then the image distance) and for the original and the shuffled generator: the mean top
    eigenvalue and the mean dimensions holding 99 % of the spectrum (``rows``); the mean
    normalised spectra (``spectra[name]``: (orig (n,), shuffled (n,)), lambda / lambda_max);
    amplification from the first layer, mean log10 speeds (targets x ranks) and mean log-speed
    correlation per target, original and shuffled; C^H and the homogeneity statistics of the image
    metric, original and shuffled."""

    rows: list[dict]
    spectra: dict[str, tuple[np.ndarray, np.ndarray]]
    targets: list[str]
    log_speeds: tuple[np.ndarray, np.ndarray]
    log_corr: tuple[np.ndarray, np.ndarray]
    image_statistics: dict[str, dict[str, float]]


def summarise_layers(sweep: LayerSweep) -> LayerSummary:
    from gan_geometry.analysis.statistics import anisotropy_dims, consistency, homogeneity

    names = sweep.layers + [f"image ({sweep.settings['distance']})"]
    spectra_orig = np.concatenate([sweep.spectra("H_layers"), sweep.spectra("H_image")[:, None]], axis=1)
    spectra_shuf = np.concatenate([sweep.spectra("H_layers_shuffled"), sweep.spectra("H_image_shuffled")[:, None]],
                                  axis=1)  # (N, L + 1, n)
    rows, spectra = [], {}
    for index, name in enumerate(names):
        lam_o, lam_s = np.clip(spectra_orig[:, index], 0, None), np.clip(spectra_shuf[:, index], 0, None)
        rows.append({"metric": name, "top": float(lam_o[:, 0].mean()), "top_shuffled": float(lam_s[:, 0].mean()),
                     "dims99": float(anisotropy_dims(lam_o, (0.99,)).mean()),
                     "dims99_shuffled": float(anisotropy_dims(lam_s, (0.99,)).mean())})
        spectra[name] = ((lam_o / lam_o[:, :1]).mean(0), (lam_s / lam_s[:, :1]).mean(0))
    amps = [sweep.amplifications(shuffled) for shuffled in (False, True)]
    log_speeds = tuple(np.mean([np.log10(np.clip(a.speeds, 1e-300, None)) for a in found], axis=0) for found in amps)
    log_corr = tuple(np.nanmean([a.log_corr for a in found], axis=0) for found in amps)
    image_statistics = {}
    for label, key in (("original", "H_image"), ("shuffled", "H_image_shuffled")):
        H = sweep.arrays[key]
        lam, U = descending_eigh(H)
        C, h = consistency(lam, U, H), homogeneity(lam, U)
        image_statistics[label] = {"C^H log": C.log_mean, "C^H lin": C.lin_mean,
                                   "log-Euclidean distance": h.log_euclidean[0], "metric cosine": h.cosine[0],
                                   f"top-{h.k} overlap": h.overlap[0], "overlap of random": h.overlap_random}
    return LayerSummary(rows, spectra, amps[0][0].targets, log_speeds, log_corr, image_statistics)

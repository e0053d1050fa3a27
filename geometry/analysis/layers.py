"""Where the geometry comes from: metrics of intermediate layers, amplification, shuffled controls.

For a layer l with feature map phi_l (flattened, F_l values) the layer metric at z0 is the
Hessian of 1/2 ||phi_l(z) - phi_l(z0)||^2 (paper section 3, Eq. 3):

    H_l = J_l^T J_l,     J_l = d phi_l(G(z)) / dz |_{z0}     (F_l, n)

(the image metric with ``mse`` is 2 J^T J / P for the P pixels in [0, 1], so the last layer's
H_l with phi_l = the image equals P/2 times it). All layers come from one batched forward-mode
pass (``vmap`` over ``jvp`` of a function returning every chosen layer's output), taken through a
shared-weight copy of G whose hooks never touch the (shared) generator.

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

import numpy as np
import torch
from torch import nn
from torch.func import jvp, vmap

from geometry.core.distances import Distance
from geometry.core.generators import Generator, captured, shared_weight_copy
from geometry.core.metric import metric_tensor
from geometry.core.methods.exact import _TRANSFORMS, quiet_transforms
from geometry.errors import GeometryError
from geometry.progress import Progress, report

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
    """The default layers: the output of every activation (the blocks' outputs in a DCGAN), in
    forward order."""
    types = {name: type(module) for name, module in G.named_modules()}
    names = [info.name for info in list_layers(G) if issubclass(types[info.name], ACTIVATIONS)]
    if not names:
        raise GeometryError(f"{G.name} has no activation modules to take as layers; name them with layers=[...] "
                            f"(python -m geometry layers --list shows them)")
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
    """H_l = J_l^T J_l for every layer in ``layers`` (default ``major_layers(G)``) at ``z``,
    from one batched forward-mode pass per ``chunk`` of basis directions."""
    z0 = G.check_latent(z)
    layers = list(layers) if layers is not None else major_layers(G)
    if not layers:
        raise GeometryError("give at least one layer")
    n = z0.shape[0]
    with captured(G, layers) as (twin, outputs):

        def features(z: torch.Tensor) -> tuple[torch.Tensor, ...]:
            for stored in outputs.values():
                stored.clear()
            twin(z[None])
            missing = [name for name in layers if not outputs[name]]
            if missing:
                raise GeometryError(f"layer {missing[0]} produced no output in {G.name}'s forward pass")
            return tuple(outputs[name][-1].flatten() for name in layers)

        basis = torch.eye(n, dtype=z0.dtype, device=z0.device)
        push = vmap(lambda v: jvp(features, (z0,), (v,))[1])
        H = np.zeros((len(layers), n, n))
        sizes: list[int] = []
        with _TRANSFORMS, quiet_transforms():
            blocks = []
            for start in range(0, n, chunk):
                blocks.append([t.detach().double().cpu() for t in push(basis[start:start + chunk])])  # (c, F_l)
                report(progress, min(start + chunk, n) / n, f"layer tangents {min(start + chunk, n)}/{n}")
        for index in range(len(layers)):
            J = torch.cat([block[index] for block in blocks]).T  # (F_l, n)
            sizes.append(J.shape[0])
            H[index] = (J.T @ J).numpy()
    H = (H + np.swapaxes(H, 1, 2)) / 2
    values, vectors = np.linalg.eigh(H)
    order = np.argsort(values, axis=1)[:, ::-1]
    values = np.take_along_axis(values, order, 1)
    vectors = np.take_along_axis(vectors, order[:, None, :], 2)
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
    permutation; everything else is copied unchanged. ``G`` itself is not modified."""
    import copy

    shuffled = copy.deepcopy(G)
    rng = torch.Generator().manual_seed(int(seed))
    with torch.no_grad():
        for name, parameter in shuffled.named_parameters():
            if name.endswith(("weight", "weight_orig")) and parameter.dim() >= 2:
                flat = parameter.reshape(-1)
                parameter.copy_(flat[torch.randperm(flat.numel(), generator=rng)].reshape(parameter.shape))
    shuffled.source = f"{G.source}, weights shuffled (seed {seed})"
    return shuffled


@dataclass
class LayerAnalysis:
    """Everything the layers command, report and app show for one code: layer metrics, the image
    metric (distance ``distance``), amplification from the first layer, for the original and the
    weight-shuffled generator."""

    original: LayerMetrics
    shuffled: LayerMetrics
    image: np.ndarray
    image_shuffled: np.ndarray
    amplification: Amplification
    amplification_shuffled: Amplification
    distance: str


def analyse_layers(G: Generator, D: Distance, z: torch.Tensor | np.ndarray, layers: Sequence[str] | None = None,
                   shuffle_seed: int = 0, progress: Progress | None = None) -> LayerAnalysis:
    """Layer metrics, image metrics and amplification at ``z`` for ``G`` and its shuffled control."""
    layers = list(layers) if layers is not None else major_layers(G)
    control = shuffle_weights(G, shuffle_seed)
    parts = {}
    for index, (label, model) in enumerate((("original", G), ("shuffled", control))):
        metrics = layer_metrics(model, z, layers, progress=lambda f, m, i=index: report(progress, (i + f) / 2, m))
        image = metric_tensor(model, D, z).H
        parts[label] = (metrics, image, amplification(metrics, image, D.name))
    return LayerAnalysis(parts["original"][0], parts["shuffled"][0], parts["original"][1], parts["shuffled"][1],
                         parts["original"][2], parts["shuffled"][2], D.name)

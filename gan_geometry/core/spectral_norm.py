"""Spectral normalisation's stored singular-vector estimates, run to convergence.

A spectrally normalised layer divides its weight W (out, in) by an estimate of its largest
singular value, sigma = u^T W v, from stored vectors (u, v) that training updates by one
power-iteration step per forward. A trained file stores converged vectors; after its weights are
built at random or permuted (the paper's shuffled controls) the stored vectors belong to another
matrix, sigma is estimated wrongly (even negative) and activations explode or vanish.
``converge_spectral_norms(module)`` power-iterates every such pair on the current weight:

    v <- unit(W^T u),  u <- unit(W v)      (``steps`` times)

for torch's ``spectral_norm`` hooks (pytorch-pretrained-biggan) and for any submodule with a
``converge_power_iteration(steps)`` method (BigBiGAN's layers, which keep u only).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.spectral_norm import SpectralNorm


def converge_spectral_norms(module: nn.Module, steps: int = 100) -> int:
    """Converge the stored vectors of every spectrally normalised layer of ``module`` in place;
    returns how many layers were updated."""
    count = 0
    with torch.no_grad():
        for layer in module.modules():
            if hasattr(layer, "converge_power_iteration"):
                layer.converge_power_iteration(steps)
                count += 1
            for hook in layer._forward_pre_hooks.values():
                if isinstance(hook, SpectralNorm):
                    for _ in range(steps):
                        hook.compute_weight(layer, do_power_iteration=True)
                    setattr(layer, hook.name, hook.compute_weight(layer, do_power_iteration=False))
                    count += 1
    return count


def sigma_estimates(module: nn.Module) -> list[tuple[str, float, float]]:
    """(layer name, estimated sigma, true sigma) of every spectrally normalised layer: the
    estimate the layer divides by, the true largest singular value of its current weight."""
    rows = []
    with torch.no_grad():
        for name, layer in module.named_modules():
            if hasattr(layer, "sigma_estimate"):
                W = layer.weight
                rows.append((name, float(layer.sigma_estimate()), _largest_singular_value(W)))
            for hook in layer._forward_pre_hooks.values():
                if isinstance(hook, SpectralNorm):
                    W = getattr(layer, hook.name + "_orig")
                    u, v = getattr(layer, hook.name + "_u"), getattr(layer, hook.name + "_v")
                    W_mat = hook.reshape_weight_to_matrix(W)
                    rows.append((name, float(u @ W_mat @ v), _largest_singular_value(W)))
    return rows


def _largest_singular_value(W: torch.Tensor) -> float:
    return float(torch.linalg.matrix_norm(W.reshape(W.shape[0], -1).double(), ord=2))

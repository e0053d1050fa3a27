"""The public API a user extends: their own generator, distance and registry entry, through the
front door only (``from gan_geometry import ...``)."""

import numpy as np
import torch

import gan_geometry
from gan_geometry import (
    FeatureDistance,
    GeneratorEntry,
    LatentDistribution,
    from_module,
    load_generator,
    metric_tensor,
    register,
    run_sweep,
)


class Quadrants(FeatureDistance):
    """Mean brightness of each image quadrant, scaled by 10: D = sum over quadrants of the squared
    differences (a squared feature distance of the user's own)."""

    name = "quadrants"

    def features(self, x):
        h, w = x.shape[-2] // 2, x.shape[-1] // 2
        quads = [x[..., :h, :w], x[..., :h, w:], x[..., h:, :w], x[..., h:, w:]]
        return 10 * torch.stack([q.mean((1, 2, 3)) for q in quads], dim=1)


def tiny_net():
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return torch.nn.Sequential(torch.nn.Linear(5, 48), torch.nn.Tanh())


def test_a_users_generator_and_distance_give_the_closed_form_metric():
    """For the linear-then-tanh model the feature map is psi(z) = A tanh(W z + b) (A averages
    quadrants), so H = 2 J^T J with J = A diag(1 - tanh^2) W: exact and bp agree with it."""
    net = tiny_net()
    G = from_module(net, latent_dim=5, image_shape=(3, 4, 4), distribution=LatentDistribution(scale=0.5))
    D = Quadrants().frozen()
    z = G.sample(1, seed=0)[0]
    W, b = net[0].weight.double(), net[0].bias.double()
    pre = W @ z.double() + b
    jac_x = (1 - torch.tanh(pre) ** 2)[:, None] * W / 2  # d image / dz, images mapped from [-1, 1] to [0, 1]
    A = torch.zeros(4, 48, dtype=torch.float64)
    for p in range(48):
        r, col = (p % 16) // 4, p % 4  # pixel p of channel p // 16
        A[2 * (r >= 2) + (col >= 2), p] = 10 / 12
    H = 2 * (A @ jac_x).T @ (A @ jac_x)
    for method in ("exact", "bp"):
        m = metric_tensor(G, D, z, method=method)
        assert np.allclose(m.H, H.numpy(), rtol=1e-4, atol=1e-8), method
    assert metric_tensor(G, D, z).eigvals[4] < 1e-8 * metric_tensor(G, D, z).eigvals[0]  # rank 4 < n = 5


def test_a_registered_generator_runs_through_load_generator_and_sweeps(tmp_path):
    def build(space="default"):
        return from_module(tiny_net(), latent_dim=5, image_shape=(3, 4, 4), name="user-tiny")

    register(GeneratorEntry("user-tiny", "a user's tiny generator", {"default": 5}, {"default": "standard normal"},
                            4, "MIT", build))
    try:
        G = load_generator("user-tiny")
        sweep = run_sweep(tmp_path, G, Quadrants().frozen(), n=3, seed=1)
        summary = sweep.summary(n_boot=20)
        assert sweep.eigvals.shape == (3, 5) and summary.anisotropy.mean[0] <= 4
        assert gan_geometry.load_sweep(tmp_path).n_positions == 3
    finally:
        gan_geometry.REGISTRY.pop("user-tiny")

"""The contract every generator keeps, run on every registered generator and latent space
(with the entry's ``test_options``: random small weights where none ship) and on a user module.
A new generator is covered by registering it."""

import numpy as np
import pytest
import torch

from gan_geometry import from_module, load_distance, metric_tensor
from gan_geometry.registry import REGISTRY, load_generator


def contract_cases() -> list[tuple[str, str]]:
    """Every registered generator and space; entries built from the same small random
    configuration (the StyleGAN2 sizes share one) are covered once per family and space."""
    cases, seen = [], set()
    for name, entry in REGISTRY.items():
        family = getattr(entry.build, "func", entry.build)
        for space in entry.spaces:
            key = (family, space) if entry.test_options.get("random_config") else (name, space)
            if key not in seen:
                seen.add(key)
                cases.append((name, space))
    return cases


CASES = contract_cases()


def build(name, space):
    if name == "user-module":
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(6, 48), torch.nn.Tanh())
        return from_module(net, latent_dim=6, image_shape=(3, 4, 4))
    return load_generator(name, space=space, **REGISTRY[name].test_options)


@pytest.fixture(scope="module", params=CASES + [("user-module", "default")], ids=lambda c: f"{c[0]}:{c[1]}")
def generator(request):
    return request.param, build(*request.param)


def test_shapes_range_and_registry_metadata(generator):
    (name, space), G = generator
    z = G.sample(3, seed=0)
    x = G(z)
    assert z.shape == (3, G.latent_dim) and x.shape == (3, *G.image_shape)
    assert x.min() >= 0 and x.max() <= 1 and torch.isfinite(x).all()
    if name in REGISTRY:
        entry = REGISTRY[name]
        assert G.space == space
        if not entry.test_options.get("random_config"):  # small random configs have smaller spaces and images
            assert G.latent_dim == entry.spaces[space] and G.image_shape[-1] == entry.resolution


def test_deterministic_for_a_seed(generator):
    _, G = generator
    assert torch.equal(G.sample(2, seed=5), G.sample(2, seed=5))
    assert torch.equal(G(G.sample(2, seed=5)), G(G.sample(2, seed=5)))
    assert not torch.equal(G.sample(2, seed=5), G.sample(2, seed=6))


def test_a_batch_equals_its_items_one_by_one(generator):
    _, G = generator
    assert not G.training
    z = G.sample(4, seed=1)
    one_by_one = torch.cat([G(z[i : i + 1]) for i in range(4)])
    assert torch.allclose(G(z), one_by_one, atol=1e-5)


def test_gradients_flow_to_z(generator):
    _, G = generator
    z = G.sample(2, seed=2).requires_grad_(True)
    G(z).square().sum().backward()
    assert torch.isfinite(z.grad).all() and (z.grad.abs().sum(dim=1) > 0).all()


def test_exact_equals_bp_with_mse(generator):
    _, G = generator
    D = load_distance("mse")
    z = G.sample(1, seed=3)[0]
    exact, bp = metric_tensor(G, D, z, method="exact"), metric_tensor(G, D, z, method="bp")
    assert np.linalg.norm(exact.H - bp.H) <= 1e-5 * np.linalg.norm(bp.H)
    assert exact.eigvals[0] > 0


def test_layer_analysis_has_default_layers_whose_metrics_build_up_to_the_images(generator):
    """Every generator offers default layers for the layer-wise analysis (its activations or its
    declared blocks); their metrics J_l^T J_l are symmetric, positive semi-definite and non-zero."""
    from gan_geometry.analysis.layers import layer_metrics, list_layers, major_layers

    _, G = generator
    names = major_layers(G)
    listed = [info.name for info in list_layers(G)]
    assert names and all(name in listed for name in names)
    assert [listed.index(name) for name in names] == sorted(listed.index(name) for name in names)  # forward order
    m = layer_metrics(G, G.sample(1, seed=0)[0], names[-1:])
    assert m.H.shape == (len(m.layers), G.latent_dim, G.latent_dim) and np.allclose(m.H, m.H.transpose(0, 2, 1))
    assert (m.eigvals[:, -1] > -1e-8 * m.eigvals[:, 0]).all() and (m.eigvals[:, 0] > 0).all()


def test_shuffled_controls_keep_the_scale_of_every_block(generator):
    """The paper's shuffled control permutes each kernel; its activations must stay on the
    original's scale (spectral-norm estimates re-converged on the permuted weights) and its images
    must not saturate, or the control measures an exploded or dead network."""
    from gan_geometry.analysis.layers import major_layers, shuffle_weights
    from gan_geometry.core.generators import captured

    _, G = generator
    S = shuffle_weights(G, seed=0)
    layers = major_layers(G)
    z = G.sample(4, seed=0)
    with torch.no_grad(), captured(G, layers) as (original, before), captured(S, layers) as (shuffled, after):
        x, y = original(z), shuffled(z)

    def rms(outputs):
        t = outputs[0][0] if isinstance(outputs[0], tuple | list) else outputs[0]
        return t.float().pow(2).mean().sqrt().item()

    for name in layers:
        assert 0.1 < rms(after[name]) / rms(before[name]) < 10, name
    saturated = ((y <= 0.005) | (y >= 0.995)).float().mean().item()
    kernels = [p for n, p in G.named_parameters() if n.endswith(("weight", "weight_orig")) and p.dim() >= 2]
    assert torch.isfinite(y).all() and saturated < 0.25 and torch.equal(x, y) == (not kernels)

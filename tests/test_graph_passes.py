"""Rewrites of the traced forward-mode product (``core.graph_passes``): the same values on every
model family, and the waste they remove is gone."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.fx.passes.shape_prop import ShapeProp

from gan_geometry import from_module, load_distance, load_generator, metric_tensor
from gan_geometry.core import compiled as compiled_module
from gan_geometry.core.compiled import eager_push, traced_push
from gan_geometry.core.graph_passes import (
    drop_zero_products,
    fold_singleton_batch,
    point_transposed_convolution,
)
from gan_geometry.core.pullback import Pullback

BLOCK = 3
RANDOM = {"random_config": True}


def product(G, D):
    """(features, z0, V): the pullback's feature map at a code and BLOCK tangents."""
    z = G.check_latent(G.sample(1, seed=0)[0])
    return Pullback(G, D, z).features, z, torch.eye(z.shape[0], dtype=z.dtype)[:BLOCK]


def folded_graph(features, z, V):
    return fold_singleton_batch(drop_zero_products(traced_push(features, z, V, rewritten=False)), V.shape[0])


def relative(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max())


@pytest.mark.parametrize("name, options, distance", [
    ("dcgan-face64", {}, "lpips-alex"),
    ("stylegan2-ffhq-256", RANDOM, "mse"),  # modulated convolutions: restored dimensions around them
    ("biggan-deep-128", RANDOM, "mse"),
    ("bigbigan", RANDOM, "mse"),  # batched matrix products and splits: restored
    ("fc6", RANDOM, "mse"),
    ("wavegan-notes", {}, "stft"),  # 1-d waveforms, reflection padding and frames
])
def test_the_rewritten_product_equals_the_traced_one_on_every_family(name, options, distance):
    G, D = load_generator(name, **options), load_distance(distance)
    features, z, V = product(G, D)
    reference = eager_push(features)(z, V)
    assert torch.equal(traced_push(features, z, V, rewritten=False)(z, V), reference)
    assert torch.equal(folded_graph(features, z, V)(z, V), reference)  # folding and dropping zeros: bit for bit
    assert relative(traced_push(features, z, V)(z, V), reference) < 1e-5  # with matrix products for 1 x 1 maps


def test_the_face_gan_product_has_no_batch_of_one_no_zero_convolution_and_a_matrix_product(face, lpips_alex):
    features, z, V = product(face, lpips_alex)
    plain = traced_push(features, z, V, rewritten=False)
    rewritten = traced_push(features, z, V)
    ShapeProp(plain).propagate(z, V)
    ShapeProp(rewritten).propagate(z, V)

    def convolutions(graph):
        return [n for n in graph.nodes if n.target is torch.ops.aten.convolution.default]

    def five_d_tangents(graph):
        shapes = [tuple(getattr(n.meta.get("tensor_meta"), "shape", ())) for n in graph.nodes]
        assert len([s for s in shapes if s]) > 100  # shapes were propagated
        return [s for s in shapes if len(s) == 5]  # (block, 1, C, H, W): vmap's tangents of the batch of one

    assert len(convolutions(plain.graph)) == 3 * 5 + 3 * 5  # primal, tangent and zero-weight, 5 layers of G and AlexNet
    assert len(convolutions(rewritten.graph)) == 2 * 4 + 2 * 5  # the zero-weight ones gone, the 1 x 1 ones products
    assert sum(n.target is point_transposed_convolution for n in rewritten.graph.nodes) == 2
    assert len(five_d_tangents(plain.graph)) > 20 and not five_d_tangents(rewritten.graph)
    assert not [n for n in rewritten.graph.nodes if n.target is torch.ops.aten.unsqueeze.default and n.args[1] == 1]


def test_an_operation_without_a_rule_gets_its_dimension_back(mse):
    torch.manual_seed(0)

    class CumulativeChannels(torch.nn.Module):  # cumsum over channels: no folding rule
        def __init__(self):
            super().__init__()
            self.linear = torch.nn.Linear(4, 3 * 4 * 4)

        def forward(self, z):
            return torch.tanh(torch.cumsum(self.linear(z).view(-1, 3, 4, 4), dim=1))

    G = from_module(CumulativeChannels(), 4, (3, 4, 4), output_range=(-1, 1), name="cumulative")
    features, z, V = product(G, mse)
    graph = folded_graph(features, z, V)
    restored = [n for n in graph.graph.nodes if n.target is torch.ops.aten.unsqueeze.default and n.args[1] == 1]
    assert [str(user.target) for n in restored for user in n.users] == ["aten.cumsum.default"]
    assert torch.equal(graph(z, V), eager_push(features)(z, V))


def test_a_point_transposed_convolution_is_the_convolution():
    torch.manual_seed(1)
    x, weight, bias = torch.randn(5, 7, 1, 1), torch.randn(7, 4, 3, 2), torch.randn(4)
    for b in (None, bias):
        assert relative(point_transposed_convolution(x, weight, b), F.conv_transpose2d(x, weight, b)) < 1e-6


@pytest.mark.slow  # compiles a small product twice
def test_a_rewrite_that_fails_leaves_the_plain_compiled_product(mse, monkeypatch, caplog):
    def broken(gm, block):
        raise RuntimeError("a rewrite that does not apply")

    monkeypatch.setattr(compiled_module, "fold_singleton_batch", broken)
    torch.manual_seed(2)
    net = torch.nn.Sequential(torch.nn.Linear(5, 40), torch.nn.Tanh(), torch.nn.Linear(40, 3 * 4 * 4))
    G = from_module(net, 5, (3, 4, 4), output_range=(-1, 1), name="plain")
    z = G.sample(1, seed=0)[0]
    result = metric_tensor(G, mse, z, compiled=True)
    assert next(iter(compiled_module._cache[G][mse].values())) is not None  # compiled, from the plain graph
    assert not [r for r in caplog.records if r.name == "gan_geometry.core.compiled"]  # nothing to say
    bp = metric_tensor(G, mse, z, method="bp").H
    assert np.abs(result.H - bp).max() / np.abs(bp).max() < 1e-5


def unsqueezed(x):
    """(B, C, H, W) -> (B, 1, C, H, W): how a tangent of the generator's batch of one enters the graph."""
    return x.unsqueeze(1)


RULE_CASES = {  # rule -> an operation on a (B, 1, 4, 3, 3) tensor that the rule folds
    "view_rule": lambda x: unsqueezed(x).reshape(x.shape[0], 1, 36) * 2,
    "expand_rule": lambda x: unsqueezed(x)[:, :, :1].expand(x.shape[0], 1, 4, 3, 3) + unsqueezed(x),
    "permute_rule": lambda x: unsqueezed(x).permute(0, 1, 3, 4, 2) * 1.5,
    "dimension_rule": lambda x: torch.cat([unsqueezed(x), unsqueezed(x).flip(3)], dim=2).sum(dim=4),
    "pad_rule": lambda x: F.pad(unsqueezed(x), (1, 2)) - 1,
    "pointwise_rule": lambda x: torch.tanh(unsqueezed(x)) * unsqueezed(x) + 3,
}


@pytest.mark.parametrize("rule", sorted(RULE_CASES))
def test_each_folding_rule_computes_its_operation_without_the_batch_of_one(rule):
    """Each rule on its own: the operation runs on the folded (B, 4, 3, 3) tensors, the size-1
    dimension comes back only for the graph's output, and the values are the same bit for bit."""
    from torch.fx.experimental.proxy_tensor import make_fx

    from gan_geometry.core import graph_passes

    x = torch.randn(BLOCK, 4, 3, 3, generator=torch.Generator().manual_seed(0))
    function = RULE_CASES[rule]
    graph = make_fx(function)(x)
    used = {graph_passes.rule_for(n.target).__name__ for n in graph.graph.nodes
            if n.op == "call_function" and graph_passes.rule_for(n.target) is not None}
    assert rule in used
    folded = fold_singleton_batch(graph, BLOCK)
    restored = [n for n in folded.graph.nodes if n.target is torch.ops.aten.unsqueeze.default and n.args[1] == 1]
    assert all(user.op == "output" for n in restored for user in n.users)
    assert torch.equal(folded(x), function(x))

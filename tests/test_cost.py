"""The cost guard's time estimates: robust to one slow probe, corrected by the calls seen, and a
refusal that names a cheaper method that fits."""

import time

import pytest
import torch

from gan_geometry import ResourceError, from_module, load_distance, metric_tensor
from gan_geometry.core import cost
from gan_geometry.core.pullback import Pullback


class Stalling(torch.nn.Module):
    """A linear map whose forward stalls for ``stall`` seconds on call number ``when`` only (a
    busy machine during the probe)."""

    def __init__(self, when: int, stall: float):
        super().__init__()
        self.linear = torch.nn.Linear(6, 3 * 32 * 32)
        self.calls, self.when, self.stall = 0, when, stall

    def forward(self, z):
        self.calls += 1
        if self.calls == self.when:
            time.sleep(self.stall)
        return torch.tanh(self.linear(z))


def test_one_slow_probe_run_does_not_inflate_the_estimate():
    G = from_module(Stalling(when=2, stall=1.0), 6, (3, 32, 32))  # call 2 is the first timed single forward
    pb = Pullback(G, load_distance("mse"), G.sample(1, seed=0)[0])
    found = cost.probe(pb)
    assert found.forward_seconds < 0.2 and cost.estimate(pb, "exact", None, None, found).seconds < 1


def test_estimates_learn_from_the_calls_their_cost_model_has_seen(toy, mse):
    pb = Pullback(toy, mse, toy.sample(1, seed=0)[0])
    model, found = cost.CostModel(), cost.probe(pb)
    first = model.estimate(pb, "bp", None, None, found)
    for _ in range(3):  # the calls took 10x the estimate
        model.record(pb, first, 10 * first.seconds)
    corrected = model.estimate(pb, "bp", None, None, found)
    assert corrected.seconds == pytest.approx(10 * first.seconds, rel=1e-6)
    model.record(pb, corrected, 10 * first.seconds)  # measured against the uncorrected estimate: still 10x
    assert model.correction(pb, "bp") == pytest.approx(10)
    assert cost.CostModel().estimate(pb, "bp", None, None, found).seconds == pytest.approx(first.seconds)


def test_a_plain_call_is_not_changed_by_an_earlier_call(toy, mse):
    """Corrections live in the CostModel a caller passes: a call given another model, or none, is
    estimated and refused as if no call had run before."""
    z = toy.sample(1, seed=0)[0]
    model = cost.CostModel()
    pb = Pullback(toy, mse, toy.check_latent(z))
    base = model.estimate(pb, "exact", None, None, cost.probe(pb))
    model.record(pb, base, 1000 * base.seconds)  # a call that took 1000x its estimate (corrections stop at 30x)
    assert metric_tensor(toy, mse, z, seconds_cap=10 * base.seconds).provenance["method"] == "exact"
    with pytest.raises(ResourceError, match="exact would take about"):
        metric_tensor(toy, mse, z, seconds_cap=10 * base.seconds, costs=model)


def test_a_time_refusal_names_a_cheaper_method_that_fits():
    """A 2,000-d latent: exact needs 2,000 forward-mode products, topk with k = 10 about 14 x 4 blocks.
    With a cap between their estimates, exact is refused naming topk, whose own estimate fits;
    with a cap under both, no method is offered."""
    torch.manual_seed(0)
    G = from_module(torch.nn.Sequential(torch.nn.Linear(2000, 3 * 32 * 32), torch.nn.Tanh()), 2000, (3, 32, 32))
    D = load_distance("mse")
    z = G.sample(1, seed=0)[0]
    pb = Pullback(G, D, z)
    found = cost.probe(pb)
    exact, topk = (cost.estimate(pb, m, k, None, found) for m, k in (("exact", None), ("topk", 10)))
    assert topk.seconds < exact.seconds
    with pytest.raises(ResourceError, match=r"exact would take about .* use method topk with k = 10 \(~"):
        metric_tensor(G, D, z, seconds_cap=(exact.seconds + topk.seconds) / 2)
    with pytest.raises(ResourceError, match="no method fits in that time here"):
        metric_tensor(G, D, z, seconds_cap=topk.seconds / 100)

"""Every port equal to its reference on the reference's own files: checkpoints written as the
reference code writes them (key names, config object, extra entries), images compared."""

import argparse
import copy

import pytest
import torch
import torch.nn.functional as F

from gan_geometry import GeometryError, load_generator
from gan_geometry.io.checkpoints import CheckpointError
from gan_geometry.models import bigbigan, stylegan2
from tests.reference_files import (
    ZooDCGANReference,
    biggan_pytorch_bigbigan,
    rosinality_stylegan,
    rosinality_stylegan2,
    save_zoo_checkpoint,
    upconvgan_fc6,
    zoo_pggan_config,
    zoo_pggan_forward,
    zoo_pggan_state,
)

PGGAN_CASES = {
    # the published celebaHQ files' settings (WGAN-GP: no output activation), zoo key layout
    "published-settings": (zoo_pggan_config(16, [16, 8], latent=32), True),
    # other depths, latent size, leak, output activation (DCGAN loss: tanh), blend, greyscale; stripped keys
    "other-config": (zoo_pggan_config(8, [8, 4, 4], latent=24, leakyReluLeak=0.1, lossCriterion="DCGAN",
                                      alpha=0.3, dimOutput=1), False),
    "no-equalized-lr": (zoo_pggan_config(8, [4], latent=16, equalizedlR=False, lossCriterion="MSE"), True),
}


@pytest.mark.parametrize("case", list(PGGAN_CASES))
def test_pggan_equals_the_zoo_gnet_on_the_zoos_own_checkpoint(tmp_path, case):
    config, module_keys = PGGAN_CASES[case]
    netG = zoo_pggan_state(config, seed=1, module_keys=module_keys)
    avgG = zoo_pggan_state(config, seed=2, module_keys=module_keys)
    save_zoo_checkpoint(tmp_path / "zoo.pth", netG, avgG, config)
    G = load_generator("pggan-celebahq256", weights_path=str(tmp_path / "zoo.pth"))
    side = 4 * 2 ** len(config["depthOtherScales"])
    assert G.image_shape == (config["dimOutput"], side, side) and G.latent_dim == config["latentVectorDim"]
    z = G.sample(3, seed=0)
    with torch.no_grad():
        expected = (zoo_pggan_forward(avgG, config, z) + 1) / 2  # avgG, the averaged generator, is the one used
        assert (G(z) - expected).abs().max() < 1e-4
        assert (G(z) - (zoo_pggan_forward(netG, config, z) + 1) / 2).abs().max() > 1e-2
    assert G.weights_info["config"]["depths"] == [config["depthScale0"], *config["depthOtherScales"]]


def test_pggan_bare_state_dict_is_read_from_its_shapes(tmp_path):
    config = zoo_pggan_config(8, [8, 4], latent=20)
    state = zoo_pggan_state(config, seed=3)
    torch.save(state, tmp_path / "netG.pth")
    G = load_generator("pggan-celebahq512", weights_path=str(tmp_path / "netG.pth"))
    z = G.sample(2, seed=1)
    with torch.no_grad():
        assert (G(z) - (zoo_pggan_forward(state, config, z) + 1) / 2).abs().max() < 1e-4


@pytest.mark.parametrize("change, message", [
    ({"perChannelNormalization": False}, "perChannelNormalization = False, which the zoo's own GNet cannot run"),
    ({"categoryVectorDim": 3}, r"is an AC-GAN \(categoryVectorDim = 3\)"),
    ({"alpha": 1.5}, r"config alpha = 1.5 is outside \[0, 1\]"),
    ({"leakyReluLeak": "steep"}, "config leakyReluLeak = 'steep' is not a float"),
])
def test_pggan_configs_the_port_cannot_follow_are_refused_in_one_line(tmp_path, change, message):
    config = zoo_pggan_config(8, [4], latent=16, **change)
    save_zoo_checkpoint(tmp_path / "zoo.pth", zoo_pggan_state(config, 0), zoo_pggan_state(config, 0), config)
    with pytest.raises(CheckpointError, match=message) as err:
        load_generator("pggan-celebahq256", weights_path=str(tmp_path / "zoo.pth"))
    assert "\n" not in str(err.value) and str(tmp_path / "zoo.pth") in str(err.value)


def dcgan_reference(seed: int, latent=120, dim_g=64, depth=3, tanh=True, dim_output=3) -> ZooDCGANReference:
    """The zoo's GNet with random weights and non-trivial batch-norm parameters and statistics."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = ZooDCGANReference(latent, dim_output, dim_g, depth, tanh)
        with torch.no_grad():
            for module in net.modules():
                if isinstance(module, torch.nn.BatchNorm2d):
                    module.weight.uniform_(0.5, 1.5)
                    module.bias.normal_(0, 0.2)
                    module.running_mean.normal_(0, 0.5)
                    module.running_var.uniform_(0.5, 3.0)
    return net


DCGAN_CASES = {
    "published": ({}, {"latentVectorDim": 120, "dimG": 64, "depth": 3, "dimOutput": 3, "lossCriterion": "DCGAN"}),
    "other": ({"latent": 40, "dim_g": 16, "depth": 2, "tanh": False, "dim_output": 1},
              {"latentVectorDim": 40, "dimG": 16, "depth": 2, "dimOutput": 1, "lossCriterion": "WGANGP"}),
}


@pytest.mark.parametrize("case", list(DCGAN_CASES))
def test_dcgan_fashion_runs_batch_norm_as_the_zoo_runs_avgG(tmp_path, case):
    """The zoo never calls eval() on avgG: each image, drawn alone, is normalised with its own batch
    statistics. The port's default does exactly that for a whole batch at once; ``stored`` equals
    the reference in eval mode."""
    sizes, zoo_config = DCGAN_CASES[case]
    reference = dcgan_reference(4, **sizes)
    config = {"noiseVectorDim": zoo_config["latentVectorDim"], "categoryVectorDim": 0, "learningRate": 2e-4,
              "attribKeysOrder": None, "GDPP": False, **zoo_config}
    save_zoo_checkpoint(tmp_path / "dcgan.pth", dcgan_reference(5, **sizes).state_dict(), reference.state_dict(),
                        config)
    G = load_generator("dcgan-fashion64", weights_path=str(tmp_path / "dcgan.pth"))
    z = G.sample(3, seed=0)
    train_mode = copy.deepcopy(reference).train()
    with torch.no_grad():
        expected = torch.cat([train_mode(z[i:i + 1]) for i in range(3)])  # batch 1, train mode, as the zoo runs it
        assert (G(z) - (expected + 1) / 2).abs().max() < 1e-4
        assert torch.allclose(G(z[1:2]), G(z)[1:2], atol=1e-6)  # an image does not depend on its batch
        stored = load_generator("dcgan-fashion64", weights_path=str(tmp_path / "dcgan.pth"), batch_norm="stored")
        assert (stored(z) - (reference.eval()(z) + 1) / 2).abs().max() < 1e-4
        assert (stored(z) - G(z)).abs().max() > 1e-2  # the two modes are really different
    side = 4 * 2 ** (sizes.get("depth", 3) + 1)
    assert G.image_shape == (sizes.get("dim_output", 3), side, side)


def test_bigbigan_output_batch_norm_uses_layers_bn_default_eps():
    """BigGAN-PyTorch builds the output layer's ``layers.bn`` without BN_eps: eps 1e-5 (the
    conditional ones use BigBiGAN's 1e-4). Small stored variances, as trained output layers have,
    make the difference visible."""
    bn = bigbigan.BatchNorm(6)
    with torch.no_grad():
        bn.stored_mean.normal_(0, 0.01)
        bn.stored_var.uniform_(1e-5, 1e-4)
        bn.gain.uniform_(0.5, 1.5)
        bn.bias.normal_(0, 0.1)
    x = 0.01 * torch.randn(2, 6, 4, 4)
    expected = F.batch_norm(x, bn.stored_mean, bn.stored_var, bn.gain, bn.bias, False, 0.0, 1e-5)
    assert torch.allclose(bn(x), expected, atol=1e-5)
    other_eps = F.batch_norm(x, bn.stored_mean, bn.stored_var, bn.gain, bn.bias, False, 0.0, 1e-4)
    assert (bn(x) - other_eps).abs().max() > 0.1


def rosinality_train_checkpoint(path, net: stylegan2.StyleGAN2, args: argparse.Namespace) -> None:
    """What rosinality's train.py saves: g, d, g_ema, both optimisers' states, args, ada_aug_p."""
    g_optim = torch.optim.Adam(net.parameters(), lr=0.002, betas=(0.0, 0.99))
    for p in net.parameters():
        p.grad = torch.zeros_like(p)
    g_optim.step()
    torch.save({"g": net.state_dict(), "d": {"convs.0.0.weight": torch.zeros(4, 3, 1, 1)}, "g_ema": net.state_dict(),
                "g_optim": g_optim.state_dict(), "d_optim": {"state": {}, "param_groups": []}, "args": args,
                "ada_aug_p": 0.12}, path)


def test_stylegan2_train_checkpoint_of_another_configuration_loads_with_its_own(tmp_path):
    """A train.py checkpoint (argparse.Namespace args, optimiser states) of a 32 px StyleGAN2 with
    channel multiplier 1, a 3-layer mapping and 64-d styles loads under weights_only, built from
    the file's own shapes, and draws the reference's image."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(7)
        net = stylegan2.StyleGAN2(32, style_dim=64, n_mlp=3, channel_multiplier=1,
                                  channels={4: 32, 8: 32, 16: 16, 32: 8}).eval()
        with torch.no_grad():
            for to_rgb in (net.to_rgb1, *net.to_rgbs):
                to_rgb.conv.weight.mul_(0.05)
    args = argparse.Namespace(size=32, channel_multiplier=1, n_mlp=3, latent=64, iter=800000, batch=16, r1=10.0,
                              path="lmdb/ffhq", augment=False, wandb=False, local_rank=0, distributed=False)
    rosinality_train_checkpoint(tmp_path / "010000.pt", net, args)
    G = load_generator("stylegan2-ffhq-256", space="w+", weights_path=str(tmp_path / "010000.pt"))
    assert G.image_shape == (3, 32, 32) and G.latent_dim == net.n_latent * 64
    w = G.sample(2, seed=0)
    with torch.no_grad():
        expected = (net.synthesis(w.view(2, net.n_latent, 64)) + 1) / 2
        assert (G(w) - expected).abs().max() < 1e-5
    assert G.weights_info["config"]["n_mlp"] == 3 and G.weights_info["train_args"]["iter"] == 800000


def test_a_checkpoint_of_another_family_is_named(tmp_path):
    config = zoo_pggan_config(8, [4], latent=16)
    save_zoo_checkpoint(tmp_path / "zoo.pth", zoo_pggan_state(config, 0), None, config)
    with pytest.raises(GeometryError, match=r"zoo.pth is a PGGAN \(GAN Zoo\) checkpoint, not StyleGAN2"):
        load_generator("stylegan2-ffhq-256", weights_path=str(tmp_path / "zoo.pth"))
    with pytest.raises(GeometryError, match=r"is a PGGAN \(GAN Zoo\) checkpoint, not DCGAN \(GAN Zoo\)"):
        load_generator("dcgan-fashion64", weights_path=str(tmp_path / "zoo.pth"))


@pytest.mark.parametrize("name", ["biggan-deep-128", "bigbigan"])
def test_shuffled_spectral_norm_layers_divide_by_their_own_sigma(name):
    """After the permutation every layer's sigma estimate (what it divides by) is within 10 % of
    the permuted weight's true largest singular value; with the stale trained vectors it is not."""
    from gan_geometry.analysis.layers import shuffle_weights
    from gan_geometry.core.spectral_norm import sigma_estimates

    G = load_generator(name, random_config=True)
    rows = sigma_estimates(shuffle_weights(G, seed=1))
    assert len(rows) > 30
    assert all(abs(estimate / true - 1) < 0.1 for _, estimate, true in rows), rows
    stale = copy.deepcopy(G)  # the same permutation without re-converging: the old vectors' estimate
    with torch.no_grad():
        rng = torch.Generator().manual_seed(1)
        for pname, p in stale.named_parameters():
            if pname.endswith(("weight", "weight_orig")) and p.dim() >= 2:
                p.copy_(p.reshape(-1)[torch.randperm(p.numel(), generator=rng)].reshape(p.shape))
    assert sum(abs(e / t - 1) >= 0.1 for _, e, t in sigma_estimates(stale)) > len(rows) // 2


def test_paper_protocol_clamps_resizes_and_is_recorded():
    """protocol="paper": as the paper's wrappers measured (clamp((x + 1) / 2), bilinear resize to
    256 with align_corners for BigBiGAN / StyleGAN2 but not for BigGAN-deep, whose BigGAN_wrapper
    never resizes, StyleGAN 1 z at truncation 0.7); an LPIPS other than the paper's SqueezeNet is
    recorded as a substitute."""
    from gan_geometry import load_distance, metric_tensor

    plain = load_generator("bigbigan", random_config=True)
    paper = load_generator("bigbigan", random_config=True, protocol="paper")
    z = plain.sample(2, seed=0)
    with torch.no_grad():
        expected = torch.clamp(F.interpolate(plain(z), size=256, mode="bilinear", align_corners=True), 0, 1)
        assert paper.image_shape == (3, 256, 256) and torch.allclose(paper(z), expected, atol=1e-6)
        sg1 = load_generator("stylegan-face256", space="z", random_config=True, protocol="paper")
        sg1_07 = load_generator("stylegan-face256", space="z", random_config=True, truncation=0.7)
        assert torch.allclose(sg1(z[:, :16]), sg1_07(z[:, :16]).clamp(0, 1))
        sg1_w = load_generator("stylegan-face256", space="w", random_config=True, protocol="paper")
        assert sg1_w.module.truncation == 1
        biggan = load_generator("biggan-deep-128", random_config=True, protocol="paper")
        assert biggan.image_shape == load_generator("biggan-deep-128", random_config=True).image_shape
    # a saturated pixel has no gradient under the paper's clamp
    toy = load_generator("linear-toy", protocol="paper")
    m = metric_tensor(toy, load_distance("mse"), toy.sample(1, seed=0)[0] * 50)
    face = load_generator("dcgan-face64", protocol="paper")
    note = metric_tensor(face, load_distance("lpips-alex"), face.sample(1, seed=0)[0], method="topk", k=2).provenance
    assert "SqueezeNet (lpips-squeeze); lpips-alex substitutes it" in note["protocol_note"]
    assert m.provenance["protocol_note"] is None  # mse is the paper's mse
    assert m.provenance["protocol"] == "paper" and m.eigvals[0] < metric_tensor(
        load_generator("linear-toy"), load_distance("mse"), toy.sample(1, seed=0)[0] * 50).eigvals[0]
    with pytest.raises(GeometryError, match="protocol is one of plain, paper; got 'tf'"):
        load_generator("bigbigan", random_config=True, protocol="tf")


def random_stylegan2(seed: int, **config) -> stylegan2.StyleGAN2:
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = stylegan2.StyleGAN2(**config).eval()
        with torch.no_grad():
            for to_rgb in (net.to_rgb1, *net.to_rgbs):
                to_rgb.conv.weight.mul_(0.05)
            for name, p in net.named_parameters():  # non-zero noise strengths and biases, as trained files have
                if name.endswith(("noise.weight", "activate.bias")):
                    p.normal_(0, 0.1)
    return net


@pytest.mark.parametrize("space", ["z", "w", "w+"])
def test_stylegan2_equals_rosinalitys_generator_on_a_convert_weight_file(tmp_path, space):
    """{"g_ema", "latent_avg"} as convert_weight.py writes it, at the published ffhq-256 configuration
    (channel multiplier 1): the port's image equals rosinality's Generator (non-fused modulated
    convolution, native upfirdn2d) with fixed noise, truncation 0.7 towards latent_avg."""
    net = random_stylegan2(11, size=256, channel_multiplier=1)
    latent_avg = 0.1 * torch.randn(512, generator=torch.Generator().manual_seed(0))
    state = net.state_dict()
    torch.save({"g_ema": state, "latent_avg": latent_avg}, tmp_path / "stylegan2-ffhq-256-config-e.pt")
    G = load_generator("stylegan2-ffhq-256", space=space, truncation=0.7,
                       weights_path=str(tmp_path / "stylegan2-ffhq-256-config-e.pt"))
    code = G.sample(2, seed=0).view(2, *G.input_shape)
    with torch.no_grad():
        expected = (rosinality_stylegan2(state, code, space, truncation=0.7, mean=latent_avg) + 1) / 2
        assert (G(code.reshape(2, -1)) - expected).abs().max() < 1e-4


def test_stylegan2_train_checkpoint_equals_rosinalitys_generator(tmp_path):
    """The train.py checkpoint of another configuration (32 px, multiplier 1, 3-layer mapping,
    64-d styles): z space through the reference's own mapping."""
    net = random_stylegan2(12, size=32, style_dim=64, n_mlp=3, channel_multiplier=1,
                           channels={4: 32, 8: 32, 16: 16, 32: 8})
    args = argparse.Namespace(size=32, channel_multiplier=1, n_mlp=3, latent=64, iter=100)
    rosinality_train_checkpoint(tmp_path / "000100.pt", net, args)
    G = load_generator("stylegan2-cat-256", space="z", weights_path=str(tmp_path / "000100.pt"))
    z = G.sample(2, seed=3)
    with torch.no_grad():
        assert (G(z) - (rosinality_stylegan2(net.state_dict(), z, "z") + 1) / 2).abs().max() < 1e-4


@pytest.mark.parametrize("space", ["z", "w"])
def test_stylegan1_equals_rosinalitys_styled_generator_on_a_train_checkpoint(tmp_path, space):
    """style-based-gan-pytorch's train.py checkpoint {"generator", "discriminator", "g_optimizer",
    "d_optimizer", "g_running"}: step 6 (256 px), alpha -1, the port's fixed noise given to the
    reference; the paper's protocol in z (mean style, style_weight 0.7, clamped)."""
    from gan_geometry.models import stylegan

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(13)
        net = stylegan.StyleGAN(256)
        with torch.no_grad():
            for to_rgb in net.generator.to_rgb:
                to_rgb.conv.weight_orig.mul_(0.05)
            for name, p in net.named_parameters():
                if "noise" in name:
                    p.normal_(0, 0.1)
    g_running = {k: v for k, v in net.state_dict().items() if not k.startswith("noises.")}  # the port draws noise
    torch.save({"generator": g_running, "discriminator": {}, "g_optimizer": {"state": {}, "param_groups": []},
                "d_optimizer": {"state": {}, "param_groups": []}, "g_running": g_running}, tmp_path / "train.model")
    G = load_generator("stylegan-face256", space=space, weights_path=str(tmp_path / "train.model"), protocol="paper")
    noise = [getattr(G.module.net.noises, f"noise_{i}") for i in range(7)]
    code = G.sample(2, seed=0)
    with torch.no_grad():
        reference = rosinality_stylegan(g_running, code, [n.repeat(2, 1, 1, 1) for n in noise], step=6, space=space,
                                        mean_style=G.module.w_avg, style_weight=0.7)
        assert (G(code) - torch.clamp((reference + 1) / 2, 0, 1)).abs().max() < 1e-4


def test_bigbigan_equals_biggan_pytorchs_generator_on_the_translations_file(tmp_path):
    """The translation's state dict (BigGAN-PyTorch Generator, BN_eps = SN_eps = 1e-4, no sv0, an extra
    key): the port's image equals BigGAN-PyTorch's eval-mode forward for class 0, with trained-like
    batch-norm statistics (small output variances, where the output layer's eps matters)."""
    net = load_generator("bigbigan", full_size_random=True).module
    with torch.no_grad(), torch.random.fork_rng(devices=[]):
        torch.manual_seed(14)
        for name, buffer in net.named_buffers():
            if name.endswith("stored_mean"):
                buffer.normal_(0, 0.1)
            elif name.endswith("stored_var"):
                buffer.uniform_(0.5, 2.0)
        net.output_layer[0].stored_var.uniform_(1e-5, 1e-3)
        net.blocks[3][1].gamma.fill_(0.5)  # attention switched on
    state = {k: v.clone() for k, v in net.state_dict().items() if not k.endswith(".sv0")}
    torch.save({**state, "blocks.0.0.bn1.num_batches_tracked": torch.tensor(0)}, tmp_path / "BigBiGAN_x1.pth")
    G = load_generator("bigbigan", weights_path=str(tmp_path / "BigBiGAN_x1.pth"))
    z = G.sample(2, seed=0)
    with torch.no_grad():
        assert (G(z) - (biggan_pytorch_bigbigan(state, z) + 1) / 2).abs().max() < 1e-4
    assert G.weights_info["skipped_keys"] == ["blocks.0.0.bn1.num_batches_tracked"]


def test_fc6_equals_the_papers_upconvgan_on_its_state_dict(tmp_path):
    from gan_geometry.models import fc6

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(15)
        state = {k: v * (4.0 if k == "deconv0.weight" else 1.0) for k, v in fc6.deepsim().state_dict().items()}
    torch.save(state, tmp_path / "upconvGAN_fc6.pt")
    G = load_generator("fc6", weights_path=str(tmp_path / "upconvGAN_fc6.pt"))
    z = G.sample(2, seed=0)
    with torch.no_grad():
        expected = upconvgan_fc6(state, z)
        assert (G(z) - expected).abs().max() < 1e-4 and 0.01 < expected.std()


def test_biggan_deep_loads_the_packages_own_state_dict(tmp_path):
    """BigGAN-deep is pytorch-pretrained-biggan itself: its own state_dict() loads and draws the
    package's image (truncation 0.7, class 1)."""
    from pytorch_pretrained_biggan import BigGAN, one_hot_from_int
    from pytorch_pretrained_biggan.convert_tf_to_pytorch import BigGAN128

    from gan_geometry.models.biggan import _make_usable

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(16)
        model = BigGAN(BigGAN128)
    _make_usable(model)
    model.eval()
    torch.save(model.state_dict(), tmp_path / "pytorch_model.bin")
    G = load_generator("biggan-deep-128", weights_path=str(tmp_path / "pytorch_model.bin"))
    z = G.sample(2, seed=0)
    with torch.no_grad():
        expected = model(z, torch.from_numpy(one_hot_from_int(1, batch_size=2)), 0.7)
        assert (G(z) - (expected + 1) / 2).abs().max() < 1e-4

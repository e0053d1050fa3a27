"""The paper's generator families: layouts that match the published checkpoints, loading from a
file, and the properties each architecture promises."""

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from gan_geometry import GeometryError, WeightsUnavailableError, load_distance, load_generator, metric_tensor
from gan_geometry.models import fc6, stylegan2

MANIFESTS = Path(__file__).resolve().parents[1] / "gan_geometry" / "models" / "manifests"


def manifest(name: str) -> dict:
    return json.loads((MANIFESTS / f"{name}.json").read_text())


@pytest.mark.parametrize("name", list(stylegan2.CONFIGS))
def test_stylegan2_state_dict_matches_the_ports_checkpoint_layout(name):
    size, multiplier = stylegan2.CONFIGS[name]
    with torch.device("meta"):  # shapes only, no memory
        net = stylegan2.StyleGAN2(size, channel_multiplier=multiplier)
    expected = manifest(name)
    assert {k: list(v.shape) for k, v in net.state_dict().items()} == expected["keys"]
    assert sum(p.numel() for p in net.parameters()) == expected["parameters"]


def test_stylegan2_1024_has_the_published_parameter_count():
    with torch.device("meta"):
        net = stylegan2.StyleGAN2(1024, channel_multiplier=2)
    assert sum(p.numel() for p in net.parameters()) == 30_370_060  # the port's g_ema, config-f FFHQ 1024
    keys = net.state_dict()
    assert net.n_latent == 18 and "noises.noise_16" in keys and "to_rgbs.7.upsample.kernel" in keys


def test_fc6_state_dict_matches_the_translations_layout():
    with torch.device("meta"):
        net = fc6.deepsim()
    assert {k: list(v.shape) for k, v in net.state_dict().items()} == manifest("fc6")["keys"]


def test_random_fc6_weights_keep_the_real_models_scale():
    """He-initialised random layers: the raw output spreads on the Caffe scale as a real image does
    (tens of units of 255), and images of different codes differ (under PyTorch's default
    initialisation the full-size image hardly depended on its code: MSE metric eigenvalues ~1e-18)."""
    G = load_generator("fc6", space="fc6", random_config=True)
    codes = G.sample(4, seed=0)
    with torch.no_grad():
        raw, images = G.module.net(codes), G(codes)
    assert 20 < raw.std().item() < 120
    assert (images[0] - images[1]).abs().mean().item() > 0.05


def test_a_full_size_random_biggan_has_the_published_architecture():
    """``full_size_random`` (benchmarks): the package's 128 px configuration, random weights made
    usable (converged spectral norms), finite images that depend on the code."""
    G = load_generator("biggan-deep-128", space="both", full_size_random=True)
    with torch.no_grad():
        images = G(G.sample(2, seed=0))
    assert G.image_shape == (3, 128, 128) and G.source == "random weights (full size)"
    assert images.shape == (2, 3, 128, 128) and torch.isfinite(images).all()
    assert (images[0] - images[1]).abs().mean().item() > 1e-3


def test_stylegan2_loads_a_port_checkpoint_and_its_spaces_agree(tmp_path):
    """A checkpoint in the port's format ({"g_ema", "latent_avg"}) written here with random weights
    loads with weights_only=True; w = mapping(z); a tiny truncation gives the mean image."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        net = stylegan2.StyleGAN2(256, channel_multiplier=1)
        latent_avg = torch.randn(512) * 0.1
    torch.save({"g_ema": net.state_dict(), "latent_avg": latent_avg}, tmp_path / "ckpt.pt")
    G_z = load_generator("stylegan2-ffhq-256", space="z", weights_path=str(tmp_path / "ckpt.pt"))
    G_w = load_generator("stylegan2-ffhq-256", space="w", weights_path=str(tmp_path / "ckpt.pt"))
    z = G_z.sample(1, seed=0)
    with torch.no_grad():
        w = net.mapping(z)
        assert torch.allclose(G_w.sample(1, seed=0), w, atol=1e-6)  # samples of w are mapping(z)
        assert torch.allclose(G_z(z), G_w(w), atol=1e-5)
        expected = (net.synthesis(w[:, None].expand(-1, net.n_latent, -1)) + 1) / 2
        assert torch.allclose(G_z(z), expected, atol=1e-5)
        mean = load_generator("stylegan2-ffhq-256", space="z", truncation=1e-6, weights_path=str(tmp_path / "ckpt.pt"))
        mean_image = (net.synthesis(latent_avg[None, None].expand(1, net.n_latent, -1)) + 1) / 2
        for seed in (0, 1):
            assert torch.allclose(mean(mean.sample(1, seed=seed)), mean_image, atol=1e-4)


def test_missing_stylegan2_weights_name_the_file_and_the_way_out(monkeypatch, tmp_path):
    monkeypatch.setenv("GGL_CACHE", str(tmp_path))
    with pytest.raises(WeightsUnavailableError, match="stylegan2-ffhq-config-f.pt.*weights_path="):
        load_generator("stylegan2-ffhq-1024")
    with pytest.raises(GeometryError, match="StyleGAN2 latent spaces|has latent spaces"):
        load_generator("stylegan2-ffhq-256", space="s", random_config=True)


def test_remote_files_check_the_hash_prefix_in_their_name():
    from gan_geometry.io.weights import RemoteFile

    assert RemoteFile("celebaHQ_s6_i80000-6196db68.pth", "u", None, "").hash_prefix == "6196db68"
    assert RemoteFile("celebaHQ_s6_i80000-6196db68.pth", "u", None, "", check_prefix=False).hash_prefix is None
    assert RemoteFile("upconvGAN_fc6.pt", "u", None, "").hash_prefix is None


def test_the_olivetti_vae_decodes_grey_faces_from_the_verified_wheel_file():
    from gan_geometry.io.weights import VAE_OLIVETTI64, sha256_of, weight_path

    assert sha256_of(weight_path(VAE_OLIVETTI64)) == VAE_OLIVETTI64.sha256
    G = load_generator("vae-olivetti64")
    with torch.no_grad():
        x = G(G.sample(8, seed=0))
    assert x.shape == (8, 1, 64, 64) and 0 <= x.min() and x.max() <= 1
    # a frontal face is nearly symmetric about the vertical axis: on average a decoded image is
    # clearly closer to its own mirror image than to another sample's
    mirror = x.flip(-1)
    own = (x - mirror).pow(2).mean((1, 2, 3))
    other = (x - mirror.roll(1, 0)).pow(2).mean((1, 2, 3))
    assert own.mean() < 0.8 * other.mean()
    m = metric_tensor(G, load_distance("lpips-alex"), G.sample(1, seed=1)[0])  # grey fed to LPIPS as RGB
    assert m.eigvals[0] > 0 and m.latent_dim == 64


@pytest.mark.parametrize("name", ["pggan-celebahq256", "pggan-celebahq512"])
def test_pggan_state_dict_matches_the_zoo_layout(name):
    from gan_geometry.models import ganzoo

    with torch.device("meta"):
        net = ganzoo.ProgressiveGenerator(ganzoo.PGGANConfig(depths=ganzoo.PGGAN_DEPTHS[name]))
    assert {k: list(v.shape) for k, v in net.state_dict().items()} == manifest(name)["keys"]


def test_gan_zoo_checkpoints_are_read_without_unpickling_anything_else(tmp_path):
    """Only tensors, plain containers and the zoo's config record load: any other class is refused."""
    from gan_geometry.io.checkpoints import read_checkpoint

    class Payload:
        def __reduce__(self):
            return (print, ("unpickled!",))

    torch.save({"config": Payload(), "netG": {}}, tmp_path / "evil.pth")
    with pytest.raises(GeometryError, match=r"evil.pth holds \S*print, not only tensors and plain containers"):
        read_checkpoint(tmp_path / "evil.pth")


def test_the_fashion_dcgan_has_the_zoo_layout():
    from gan_geometry.models import ganzoo

    with torch.device("meta"):
        layout = ganzoo.ZooDCGAN(ganzoo.DCGANConfig())
    assert {k: list(v.shape) for k, v in layout.state_dict().items()} == manifest("dcgan-fashion64")["keys"]


def test_stylegan1_matches_the_ports_layout():
    from gan_geometry.models import stylegan

    with torch.device("meta"):
        layout = stylegan.StyleGAN(256)
    expected = manifest("stylegan-face256")
    keys = {k: list(v.shape) for k, v in layout.state_dict().items() if not k.startswith("noises.")}
    assert keys == expected["keys"] and sum(p.numel() for p in layout.parameters()) == expected["parameters"]
    assert "generator.progression.6.conv1.0.weight" in keys  # fused upsampling from 128 px
    assert "generator.progression.4.conv1.1.conv.weight_orig" in keys  # nearest upsampling + conv below


def test_bigbigan_matches_the_translations_layout_and_biggans_published_size():
    from gan_geometry.models import bigbigan

    with torch.device("meta"):
        net = bigbigan.BigBiGAN()
    expected = manifest("bigbigan")
    assert {k: list(v.shape) for k, v in net.state_dict().items()} == expected["keys"]
    # compare_gan's test of the 128 px BigGAN generator (the architecture BigBiGAN's G shares) counts 70,433,988
    assert sum(p.numel() for p in net.parameters()) == expected["parameters"] == 70_433_988
    assert net.latent_dim == 120 and "blocks.3.1.gamma" in expected["keys"]  # attention after the 64 px block


def trained_like_bigbigan(seed: int):
    """The small BigBiGAN with random weights, converged power-iteration vectors and non-trivial
    batch-norm statistics, as a trained checkpoint would have."""
    from gan_geometry.models import bigbigan

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        net = bigbigan.BigBiGAN(ch=4, chunk=4, shared_dim=8).eval()
        with torch.no_grad():
            for name, buffer in net.named_buffers():
                if name.endswith("stored_mean"):
                    buffer.normal_(0, 0.1)
                elif name.endswith("stored_var"):
                    buffer.uniform_(0.5, 2.0)
    from gan_geometry.core.spectral_norm import converge_spectral_norms

    converge_spectral_norms(net, steps=500)
    return net


def test_bigbigan_layers_are_spectrally_normalised_and_batch_norm_uses_the_stored_statistics():
    from gan_geometry.models import bigbigan

    net = trained_like_bigbigan(5)
    for module in (net.linear, net.blocks[1][0].conv1, net.blocks[3][1].o, net.output_layer[2]):
        with torch.no_grad():
            W = bigbigan.spectrally_normalised(module.weight, module.u0)
            raw = torch.linalg.matrix_norm(module.weight.reshape(W.shape[0], -1), ord=2)
        assert raw != pytest.approx(1.0, abs=0.05)  # the stored weight is not normalised; W / sigma is
        assert torch.linalg.matrix_norm(W.reshape(W.shape[0], -1), ord=2) == pytest.approx(1.0, abs=1e-3)
    bn = net.blocks[2][0].bn1
    x, c = torch.randn(3, bn.stored_mean.numel(), 8, 8), torch.randn(3, 12)
    reference = F.batch_norm(x, bn.stored_mean, bn.stored_var, None, None, False, 0.1, 1e-4)
    expected = reference * (1 + bn.gain(c))[:, :, None, None] + bn.bias(c)[:, :, None, None]
    assert torch.allclose(bn(x, c), expected, atol=1e-5)


def test_bigbigan_noise_chunks_enter_block_by_block_and_only_class_zero_is_used():
    """z = six chunks: chunk 0 feeds the linear layer, chunk k the k-th block's batch norms, so a
    change of chunk k leaves every earlier activation as it was; the embedding's other rows are unused."""
    net = trained_like_bigbigan(6)
    outputs: list[torch.Tensor] = []
    hooks = [blocklist.register_forward_hook(lambda m, i, o: outputs.append(o)) for blocklist in
             [net.linear, *(b[0] for b in net.blocks)]]
    z = torch.randn(1, 24)
    with torch.no_grad():
        for k in range(1, 6):
            outputs.clear()
            base = net(z)
            moved = z.clone()
            moved[:, 4 * k:4 * (k + 1)] += 1.0
            net(moved)
            before, after = outputs[:6], outputs[6:]
            assert all(torch.equal(a, b) for a, b in zip(before[:k], after[:k], strict=True))
            assert not torch.allclose(before[k], after[k])
        net.shared.weight[1:].normal_()
        assert torch.equal(net(z), base)
    for hook in hooks:
        hook.remove()


def test_bigbigan_refuses_a_partial_file_and_names_the_download(tmp_path, monkeypatch):
    """A missing weight is an error naming it (sv0, a log of sigma, may be missing); offline, the
    download's failure names the URL and weights_path=."""
    net = load_generator("bigbigan", full_size_random=True).module
    state = {k: v for k, v in net.state_dict().items() if not k.endswith(".sv0")}
    del state["blocks.2.0.conv1.weight"]
    torch.save(state, tmp_path / "partial.pth")
    with pytest.raises(GeometryError, match="partial.pth does not fit the BigBiGAN .* generator: keys missing: "
                                            "blocks.2.0.conv1.weight$"):
        load_generator("bigbigan", weights_path=str(tmp_path / "partial.pth"))
    monkeypatch.setenv("GGL_CACHE", str(tmp_path / "empty"))
    import urllib.error
    import urllib.request

    def offline(*args, **kwargs):
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(WeightsUnavailableError, match=r"BigBiGAN_x1.pth are unavailable: downloading https://www"
                                                      r"\.dropbox\.com/.*failed \(offline\).*weights_path="):
        load_generator("bigbigan")

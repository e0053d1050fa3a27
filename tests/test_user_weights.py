"""The user's weights file: placed by hand where the error says, checked and installed by command,
and every bad file one line with exit code 2."""

import urllib.error
import urllib.request

import pytest
import torch

from gan_geometry import GeometryError, WeightsUnavailableError, load_generator
from gan_geometry.io.weights import sha256_of
from gan_geometry.registry import REGISTRY
from tests.commands import run
from tests.reference_files import save_zoo_checkpoint, zoo_pggan_config, zoo_pggan_state
from tests.test_reference_checkpoints import dcgan_reference


@pytest.fixture
def offline_cache(tmp_path, monkeypatch):
    """An empty weights cache and no network: any download attempt fails (and is counted)."""
    monkeypatch.setenv("GGL_CACHE", str(tmp_path / "cache"))
    attempts = []

    def offline(url, *args, **kwargs):
        attempts.append(url)
        raise urllib.error.URLError("offline")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    return attempts


def tiny_stylegan2_file(path):
    from gan_geometry.models import stylegan2

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        net = stylegan2.StyleGAN2(**stylegan2.TINY)
    torch.save({"g_ema": net.state_dict(), "latent_avg": torch.zeros(16)}, path)
    return net


def fashion_file(path, seed=4, dim_g=8):
    """A zoo DCGAN checkpoint of FashionGen's resolution (64 px) and a small width."""
    reference = dcgan_reference(seed, dim_g=dim_g)
    config = {"latentVectorDim": 120, "noiseVectorDim": 120, "dimG": dim_g, "depth": 3, "dimOutput": 3,
              "lossCriterion": "DCGAN", "categoryVectorDim": 0}
    save_zoo_checkpoint(path, reference.state_dict(), reference.state_dict(), config)
    return reference


def test_a_file_placed_where_the_error_says_loads_and_is_pinned(offline_cache, tmp_path):
    """Follow the message: it names the cache path; a file put there loads (its digest pinned on
    first use), `generators` calls it offline, and a different file there later is refused."""
    with pytest.raises(WeightsUnavailableError) as err:
        load_generator("stylegan2-ffhq-256")
    target = REGISTRY["stylegan2-ffhq-256"].weights.cache_path
    assert f"copy it to {target}" in str(err.value) and "install-weights" in str(err.value)
    assert REGISTRY["stylegan2-ffhq-256"].weights_status() == "on first use"
    target.parent.mkdir(parents=True)
    net = tiny_stylegan2_file(target)
    G = load_generator("stylegan2-ffhq-256", space="w")
    w = G.sample(1, seed=0)
    with torch.no_grad():
        assert torch.allclose(G(w), (net.synthesis(w[:, None].expand(-1, net.n_latent, -1)) + 1) / 2, atol=1e-6)
    assert target.with_name(target.name + ".sha256").read_text() == sha256_of(target)
    assert REGISTRY["stylegan2-ffhq-256"].weights_status() == "offline"
    rows = [line.split() for line in run("generators").stdout.splitlines() if line.startswith("stylegan2-ffhq-256 ")]
    assert rows and all("offline" in " ".join(row) for row in rows)
    torch.save({"g_ema": {}}, target)  # a different file: the digest no longer matches the pinned one
    with pytest.raises(WeightsUnavailableError, match="has SHA-256 .*, not the pinned"):
        load_generator("stylegan2-ffhq-256")
    assert REGISTRY["stylegan2-ffhq-256"].weights_status() == "on first use"


def test_a_placed_file_is_used_without_downloading_over_it(offline_cache):
    """PGGAN has a download URL: a file placed by hand is used as it is; nothing is fetched."""
    config = zoo_pggan_config(8, [4], latent=16)
    target = REGISTRY["pggan-celebahq256"].weights.cache_path
    target.parent.mkdir(parents=True)
    save_zoo_checkpoint(target, zoo_pggan_state(config, 1), zoo_pggan_state(config, 2), config)
    before = sha256_of(target)
    G = load_generator("pggan-celebahq256")
    assert G.image_shape == (3, 8, 8) and offline_cache == [] and sha256_of(target) == before


def test_an_unreadable_cached_file_is_removed_and_fetched_again(offline_cache):
    target = REGISTRY["pggan-celebahq256"].weights.cache_path
    target.parent.mkdir(parents=True)
    target.write_bytes(b"PK\x03\x04 half a download")
    with pytest.raises(WeightsUnavailableError, match="could not be read and was removed .*downloading https://dl"):
        load_generator("pggan-celebahq256")
    assert not target.exists() and not target.with_name(target.name + ".sha256").exists()
    assert len(offline_cache) == 1  # it tried to fetch the file again


def test_a_damaged_lpips_backbone_in_the_cache_is_converted_again(monkeypatch, tmp_path):
    from gan_geometry.core import distances
    from gan_geometry.io.weights import cache_dir

    monkeypatch.setenv("GGL_CACHE", str(tmp_path))
    monkeypatch.setattr(distances, "_BACKBONE_FILES", {"alex": distances._BACKBONE_FILES["alex"]})
    good = distances.backbone_state("alex")  # converted from the packaged file (installed by make weights)
    cached = cache_dir() / "lpips-backbones" / "alex.safetensors"
    cached.write_bytes(cached.read_bytes()[:1000])
    again = distances.backbone_state("alex")
    assert distances.tensor_checksum(again) == distances.tensor_checksum(good)
    assert distances.tensor_checksum(distances.backbone_state("alex")) == distances.tensor_checksum(good)


def test_check_and_install_weights_then_load_offline(offline_cache, tmp_path):
    reference = fashion_file(tmp_path / "my-fashion.pth")
    done = run("check-weights", "dcgan-fashion64", str(tmp_path / "my-fashion.pth"))
    assert done.returncode == 0, done.stderr
    facts = dict(line.split(None, 1) for line in done.stdout.splitlines() if " " in line)
    assert facts["sha256"].strip() == sha256_of(tmp_path / "my-fashion.pth")
    assert facts["family"].strip() == "DCGAN (GAN Zoo)" and "dim_model 8" in facts["config"]
    assert "none missing, none unexpected" in done.stdout and "3 x 64 x 64 image from a 120-d code" in done.stdout
    assert not REGISTRY["dcgan-fashion64"].weights.cache_path.exists()  # checking installs nothing
    done = run("install-weights", "dcgan-fashion64", str(tmp_path / "my-fashion.pth"))
    assert done.returncode == 0, done.stderr and "now loads offline" in done.stdout
    assert REGISTRY["dcgan-fashion64"].weights_status() == "offline"
    G = load_generator("dcgan-fashion64")
    z = G.sample(2, seed=0)
    with torch.no_grad():
        expected = torch.cat([reference.train()(z[i:i + 1]) for i in range(2)])
        assert (G(z) - (expected + 1) / 2).abs().max() < 1e-4
    assert offline_cache == []
    # another file is not silently put over the installed one
    fashion_file(tmp_path / "other.pth", seed=9)
    done = run("install-weights", "dcgan-fashion64", str(tmp_path / "other.pth"))
    assert done.returncode == 2 and "another file is installed for 'dcgan-fashion64'" in done.stderr
    assert run("install-weights", "dcgan-fashion64", str(tmp_path / "other.pth"), "--replace").returncode == 0
    assert sha256_of(REGISTRY["dcgan-fashion64"].weights.cache_path) == sha256_of(tmp_path / "other.pth")


def test_install_refuses_files_that_do_not_belong_in_that_place(offline_cache, tmp_path):
    fashion_file(tmp_path / "f.pth")
    config = zoo_pggan_config(8, [4], latent=16)
    save_zoo_checkpoint(tmp_path / "pgan.pth", zoo_pggan_state(config, 1), None, config)
    cases = [
        (("pggan-celebahq256", tmp_path / "pgan.pth"), "makes 8 px images; 'pggan-celebahq256' is 256 px"),
        (("stylegan2-ffhq-1024", tmp_path / "f.pth"), "is a DCGAN (GAN Zoo) checkpoint, not StyleGAN2"),
        (("dcgan-face64", tmp_path / "f.pth"), "takes no weights file of yours"),
    ]
    for (name, path), message in cases:
        done = run("install-weights", name, str(path))
        assert done.returncode == 2 and message in done.stderr, done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not REGISTRY["pggan-celebahq256"].weights.cache_path.exists()


def bad_files(tmp_path):
    """(generator, --option value, one-line message) for every bad weights file seen."""
    (tmp_path / "empty.pt").write_bytes(b"")
    (tmp_path / "text.pt").write_text("these are not weights\n")
    (tmp_path / "folder").mkdir()
    import numpy as np

    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    torch.save({"x": torch.ones(3)}, tmp_path / "whole.pt")
    whole = (tmp_path / "whole.pt").read_bytes()
    (tmp_path / "truncated.pt").write_bytes(whole[: len(whole) // 2])
    torch.save(torch.ones(3), tmp_path / "tensor.pt")
    tiny_stylegan2_file(tmp_path / "sg2.pt")
    torch.save({"defc7.weight": torch.zeros(8, 8)}, tmp_path / "fc6-other.pt")
    fashion_file(tmp_path / "fashion.pth")
    config = zoo_pggan_config(8, [4], latent=16)
    save_zoo_checkpoint(tmp_path / "pgan.pth", zoo_pggan_state(config, 1), None, config)
    return [
        ("stylegan2-ffhq-256", "weights_path=/etc/passwd", "/etc/passwd is not a PyTorch checkpoint"),
        ("stylegan2-ffhq-256", f"weights_path={tmp_path}/empty.pt", "empty.pt is empty"),
        ("stylegan2-ffhq-256", f"weights_path={tmp_path}/text.pt", "text.pt is not a PyTorch checkpoint"),
        ("stylegan2-ffhq-256", "weights_path=123", "option weights_path of generator 'stylegan2-ffhq-256' must be a "
                                                   "file path; got 123"),
        ("stylegan2-ffhq-256", f"weights_path={tmp_path}/objects.npy",
         "objects.npy is not a PyTorch checkpoint (a numpy .npy array file)"),
        ("stylegan2-ffhq-256", f"weights_path={tmp_path}/folder", "folder is a directory, not a file"),
        ("stylegan2-ffhq-256", "weights_path=/dev/zero", "/dev/zero is not a regular file"),
        ("stylegan2-ffhq-256", f"weights_path={tmp_path}/missing.pt", "missing.pt does not exist"),
        ("stylegan2-ffhq-256", f"weights_path={tmp_path}/truncated.pt", "truncated.pt is a damaged or truncated"),
        ("stylegan2-ffhq-256", f"weights_path={tmp_path}/tensor.pt", "tensor.pt holds a Tensor, not a state dict"),
        ("stylegan2-ffhq-256", f"weights_path={tmp_path}/whole.pt", "whole.pt is not a StyleGAN2 (rosinality port) "
                                                                     "g_ema state dict"),
        ("stylegan2-ffhq-256", f"weights_path={tmp_path}/pgan.pth", "pgan.pth is a PGGAN (GAN Zoo) checkpoint, not "
                                                                    "StyleGAN2"),
        ("pggan-celebahq256", f"weights_path={tmp_path}/fashion.pth", "is a DCGAN (GAN Zoo) checkpoint, not PGGAN"),
        ("stylegan-face256", f"weights_path={tmp_path}/sg2.pt", "is a StyleGAN2 (rosinality port) checkpoint, not "
                                                                "StyleGAN 1"),
        ("fc6", f"weights_path={tmp_path}/fc6-other.pt", "fc6-other.pt does not fit the fc6 (DeePSim) generator: keys "
                                                         "missing: defc7.bias, defc6.weight, defc6.bias (+"),
        ("fc6", f"weights_path={tmp_path}/fc6-other.pt", "; shape of defc7.weight is (4096, 4096) here, (8, 8) in "
                                                         "the file"),
        ("stylegan2-ffhq-256", "truncation=abc", "option truncation of generator 'stylegan2-ffhq-256' must be a "
                                                 "finite number; got 'abc'"),
        ("bigbigan", "random_config=yes", "option random_config of generator 'bigbigan' must be true or false"),
        ("dcgan-fashion64", "batch_norm=train", "batch_norm is one of per-image, stored; got 'train'"),
    ]


def test_every_bad_weights_file_is_one_line_and_exit_2(tmp_path):
    for name, option, message in bad_files(tmp_path):
        done = run("samples", "--generator", name, "--option", option, "--n", "1", "--out", str(tmp_path / "s.png"))
        assert done.returncode == 2, (option, done.stderr)
        assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1, done.stderr
        assert message in done.stderr, (message, done.stderr)
        assert not (tmp_path / "s.png").exists()


def test_no_command_writes_into_a_folder_of_another_kind(tmp_path):
    """A layer sweep into a sweep's folder, a sweep into a layer sweep's, a metric into either, and
    an empty --out are refused in one line before anything is written; the files stay byte-identical."""
    sweep, layers = tmp_path / "sweep", tmp_path / "layers"
    common = ["--generator", "linear-toy", "--distance", "mse", "--seed", "0"]
    assert run("sweep", *common, "--n", "2", "--out", str(sweep)).returncode == 0
    assert run("layers", *common, "--n", "1", "--out", str(layers)).returncode == 0
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    cases = [
        (["layers", *common, "--n", "3", "--out", str(sweep)], f"{sweep} holds a sweep; writing a layer sweep"),
        (["sweep", *common, "--n", "1", "--out", str(layers)], f"{layers} holds a layer sweep; writing a sweep"),
        (["metric", *common, "--out", str(sweep)], f"{sweep} holds a sweep; writing a metric"),
        (["sweep", *common, "--n", "1", "--out", ""], "the output folder is empty"),
        (["metric", *common, "--out", str(sweep / "sweep.json")], "sweep.json is a file; results go in a folder"),
    ]
    for args, message in cases:
        done = run(*args)
        errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
        assert done.returncode == 2 and len(errors) == 1 and message in errors[0], done.stderr
        assert "Traceback" not in done.stderr
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before


def test_an_uploaded_code_too_large_for_float32_is_refused(face):
    with pytest.raises(GeometryError, match="too large for torch.float32"):
        face.check_latent([1e300] + [0.0] * 99)


def test_the_app_installs_weights_from_a_hub_address_and_only_from_one(offline_cache, tmp_path, monkeypatch):
    """The Pick tab's installer: a Hub address (here a cache laid out as the Hub's, offline) is
    checked and installed as install-weights does, after which the generator loads; a path on the
    server is refused."""
    import huggingface_hub.constants

    from gan_geometry.app import handlers as h

    commit = "c" * 40
    repo = tmp_path / "hub" / "models--me--fashion"
    (repo / "snapshots" / commit).mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    reference = fashion_file(repo / "snapshots" / commit / "g.pth")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(GeometryError, match="give a Hub address"):
        h.install_from_hub("dcgan-fashion64", str(repo / "snapshots" / commit / "g.pth"))
    said = h.install_from_hub("dcgan-fashion64", "hf://me/fashion/g.pth")
    assert "Installed hf://me/fashion/g.pth for **dcgan-fashion64**" in said
    G = load_generator("dcgan-fashion64")
    z = G.sample(1, seed=0)
    with torch.no_grad():
        assert torch.allclose(G(z), (reference(z.view(1, -1, 1, 1)) + 1) / 2, atol=1e-5)

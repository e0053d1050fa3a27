"""Model-specific behaviour: the eye classes, BigGAN's spaces and offline weights, imports."""

import subprocess
import sys

import pytest
import torch

from gan_geometry import WeightsUnavailableError, load_generator
from gan_geometry.io.weights import RemoteFile, weight_path
from gan_geometry.models import biggan


def centre_blue_minus_red(G, n=8):
    x = G(G.sample(n, seed=0))[:, :, 40:88, 40:88]  # the iris sits in the middle of the frame
    return (x[:, 2] - x[:, 0]).mean().item()


def test_iris_colour_follows_the_eye_class():
    blue = centre_blue_minus_red(load_generator("omniart-eyes128", eye_class="blue"))
    brown = centre_blue_minus_red(load_generator("omniart-eyes128", eye_class="brown"))
    assert blue > brown + 0.03, (blue, brown)


def test_eye_spaces_share_one_model():
    noise = load_generator("omniart-eyes128", space="noise", eye_class="green", noise_seed=4)
    klass = load_generator("omniart-eyes128", space="class", eye_class="green", noise_seed=4)
    both = load_generator("omniart-eyes128", space="both")
    z_noise = klass.module.fixed[:100]  # the class space's fixed noise ...
    onehot = torch.eye(8)[5]  # ... and the noise space's fixed class (green)
    full = torch.cat([z_noise, onehot])[None]
    assert torch.allclose(noise(z_noise[None]), both(full), atol=1e-6)
    assert torch.allclose(klass(onehot[None]), both(full), atol=1e-6)


def test_unknown_eye_class_is_named():
    with pytest.raises(ValueError, match="unknown eye class 'purple'.*amber, blue"):
        load_generator("omniart-eyes128", eye_class="purple")


def test_biggan_noise_samples_follow_the_truncation():
    G = load_generator("biggan-deep-128", random_config=True, truncation=0.4)
    z = G.sample(500, seed=0)
    assert z.abs().max() <= 0.8 + 1e-6 and z.std() > 0.3


def test_biggan_class_space_samples_are_class_embeddings():
    G = load_generator("biggan-deep-128", space="class", random_config=True)
    rows = G.distribution.rows
    z = G.sample(5, seed=0)
    assert all(any(torch.equal(zi, r) for r in rows) for zi in z)


def test_offline_biggan_without_weights_gives_the_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("GGL_CACHE", str(tmp_path))
    unreachable = RemoteFile("biggan-deep-128-pytorch_model.bin", "http://127.0.0.1:9/biggan.bin", None, "x")
    monkeypatch.setitem(biggan.BIGGAN_WEIGHTS, 128, unreachable)
    with pytest.raises(WeightsUnavailableError, match="may be offline.*weights_path=") as err:
        load_generator("biggan-deep-128")
    assert "Traceback" not in str(err.value) and err.value.__suppress_context__


def test_biggan_weights_path_must_exist(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_generator("biggan-deep-128", weights_path=tmp_path / "missing.bin")


def test_remote_weights_are_verified_and_pinned_on_first_use(tmp_path, monkeypatch):
    monkeypatch.setenv("GGL_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "weights.bin"
    source.write_bytes(b"real weights")
    unrecorded = RemoteFile("w.bin", source.as_uri(), None, "x")
    path = weight_path(unrecorded)
    assert path.read_bytes() == b"real weights" and unrecorded.expected_sha256() is not None
    source.write_bytes(b"tampered weights")  # the upstream file changes after the first download
    path.write_bytes(b"corrupt")  # and the cached copy is damaged
    with pytest.raises(WeightsUnavailableError, match="SHA-256 is [0-9a-f]{64}, not the recorded"):
        weight_path(unrecorded)
    wrong = RemoteFile("v.bin", source.as_uri(), "0" * 64, "x")
    with pytest.raises(WeightsUnavailableError, match="not the recorded 0000.*weights_path="):
        weight_path(wrong)
    assert not wrong.cache_path.exists()
    prefixed = RemoteFile("zoo-00000000.pth", source.as_uri(), None, "x")  # the torch-hub name convention
    with pytest.raises(WeightsUnavailableError, match="does not start with the prefix 00000000"):
        weight_path(prefixed)
    assert not prefixed.cache_path.exists()


@pytest.mark.slow  # a subprocess
def test_importing_the_project_never_imports_the_eye_package():
    code = ("import sys, gan_geometry, app; from gan_geometry import load_generator; "
            "load_generator('omniart-eyes128'); print('omniart_eye_generator' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"

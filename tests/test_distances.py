import io
import pickle

import lpips
import numpy as np
import pytest
import torch
import torchvision.transforms.functional as TF

from gan_geometry import GeometryError, WeightsUnavailableError, load_distance
from gan_geometry.core.distances import BACKBONE_CHECKSUMS, tensor_checksum
from gan_geometry.io.weights import _NumpyOnlyUnpickler


@pytest.mark.parametrize("name", ["mse", "ssim", "lpips-alex", "lpips-vgg"])
def test_identical_images_are_at_distance_zero_and_distance_is_symmetric(name, face_images):
    D = load_distance(name)
    x0, x = face_images[:1].expand_as(face_images[1:]), face_images[1:]
    assert D(face_images, face_images).abs().max() < 1e-6
    assert torch.allclose(D(x0, x), D(x, x0), rtol=1e-4, atol=1e-7)
    assert (D(x0, x) > 1e-3).all()


@pytest.mark.parametrize("name", ["mse", "ssim", "lpips-alex", "lpips-vgg"])
def test_distance_grows_with_blur_and_with_noise(name, face_images):
    D = load_distance(name)
    x = face_images[:3]
    noise = torch.randn(x.shape, generator=torch.Generator().manual_seed(0))
    blurred = [D(x, TF.gaussian_blur(x, 9, sigma)) for sigma in (0.5, 1.0, 2.0, 4.0)]
    noisy = [D(x, (x + level * noise).clamp(0, 1)) for level in (0.02, 0.05, 0.1, 0.2)]
    for series in (blurred, noisy):
        values = torch.stack(series)  # (levels, images)
        assert (values[1:] > values[:-1]).all(), values


@pytest.mark.parametrize("net", ["alex", "vgg"])
def test_lpips_equals_the_lpips_library_and_uses_the_real_backbone(net, face_images):
    D = load_distance(f"lpips-{net}")
    assert D.backbone_sha256 == BACKBONE_CHECKSUMS[net]
    reference = lpips.LPIPS(net=net, pretrained=True, pnet_rand=True, verbose=False).eval()
    reference.net.load_state_dict(D.model.net.state_dict())
    x0, x = face_images[:1], face_images[1:]
    expected = reference(x0.expand_as(x), x, normalize=True).flatten()
    assert torch.allclose(D(x0, x), expected, rtol=1e-5)
    # a random backbone gives very different distances: the checksum is not decorative
    random_backbone = lpips.LPIPS(net=net, pretrained=True, pnet_rand=True, verbose=False).eval()
    renamed = {"features." + k.split(".", 1)[1]: v for k, v in random_backbone.net.state_dict().items()}
    assert tensor_checksum(renamed) != BACKBONE_CHECKSUMS[net]
    assert not torch.allclose(random_backbone(x0.expand_as(x), x, normalize=True).flatten(), expected, rtol=0.1)


def test_feature_distances_are_squared_feature_differences(face_images, mse):
    x0, x = face_images[:1], face_images[1:]
    assert torch.allclose(mse(x0, x), ((x - x0) ** 2).mean(dim=(1, 2, 3)), rtol=1e-5)
    assert mse.has_features and not load_distance("ssim").has_features


def test_squeeze_loads_torchvisions_squeezenet_placed_in_the_cache_and_equals_the_lpips_library(
        tmp_path, monkeypatch, face_images):
    """The paper's backbone, lpips.LPIPS(net="squeeze"): offline, its download fails in one line
    naming where to place the file; a torchvision SqueezeNet 1.1 state dict placed there (written
    by the test, random weights) loads, its digest is pinned, and the distance is the lpips
    library's on the same backbone."""
    import torchvision

    from gan_geometry.io.weights import LPIPS_SQUEEZE_BACKBONE

    monkeypatch.setenv("GGL_CACHE", str(tmp_path))
    monkeypatch.setattr("urllib.request.urlopen", lambda *a, **k: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(WeightsUnavailableError, match=r"squeezenet1_1-b8a52dc0.pth are unavailable.*copy it to "):
        load_distance("lpips-squeeze")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        state = torchvision.models.squeezenet1_1(weights=None).state_dict()
    LPIPS_SQUEEZE_BACKBONE.cache_path.parent.mkdir(parents=True)
    torch.save(state, LPIPS_SQUEEZE_BACKBONE.cache_path)
    D = load_distance("lpips-squeeze")
    assert LPIPS_SQUEEZE_BACKBONE.expected_sha256() is not None  # pinned on first use
    reference = lpips.LPIPS(net="squeeze", pretrained=True, pnet_rand=True, verbose=False).eval()
    reference.net.load_state_dict({k: state["features." + k.split(".", 1)[1]] for k in reference.net.state_dict()})
    x0, x = face_images[:1], face_images[1:]
    assert torch.allclose(D(x0, x), reference(x0.expand_as(x), x, normalize=True).flatten(), rtol=1e-5)


def test_unknown_distance_lists_valid_names():
    with pytest.raises(GeometryError, match="unknown distance 'l1'.*mse.*lpips-alex"):
        load_distance("l1")


def test_lpips_rejects_images_too_small_for_its_backbone():
    with pytest.raises(GeometryError, match="at least 32x32"):
        load_distance("lpips-alex")(torch.zeros(1, 3, 8, 8), torch.zeros(1, 3, 8, 8))


def test_weights_unpickler_refuses_anything_but_numpy_arrays():
    good = pickle.dumps({"a": {"kernel": np.ones((2, 2), dtype=np.float32)}})
    assert _NumpyOnlyUnpickler(io.BytesIO(good)).load()["a"]["kernel"].sum() == 4
    evil = pickle.dumps({"a": print})
    with pytest.raises(pickle.UnpicklingError, match="refusing to load builtins.print"):
        _NumpyOnlyUnpickler(io.BytesIO(evil)).load()

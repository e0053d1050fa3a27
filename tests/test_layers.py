"""Layer metrics, amplification and weight-shuffled controls against closed forms."""

import numpy as np
import pytest
import torch

from gan_geometry import GeometryError, from_module, load_distance, metric_tensor
from gan_geometry.analysis.layers import amplification, layer_metrics, list_layers, major_layers, shuffle_weights


@pytest.fixture(scope="module")
def two_layer():
    """z (4) -> A1 z (6) -> A2 A1 z (3 x 2 x 2 = 12 pixels), both linear: J_1 = A1, J_2 = A2 A1."""
    rng = torch.Generator().manual_seed(3)
    net = torch.nn.Sequential(torch.nn.Linear(4, 6, bias=False), torch.nn.Linear(6, 12, bias=False))
    with torch.no_grad():
        net[0].weight.copy_(torch.randn(6, 4, generator=rng))
        net[1].weight.copy_(0.1 * torch.randn(12, 6, generator=rng))
    return from_module(net, 4, (3, 2, 2), output_range=(-10.0, 10.0)), net


def test_layer_metrics_of_a_linear_chain_are_the_products_of_its_matrices(two_layer):
    G, net = two_layer
    A1, A2 = (layer.weight.detach().double().numpy() for layer in net)
    m = layer_metrics(G, G.sample(1, seed=0)[0], ["module.0", "module.1"])
    assert np.allclose(m.H[0], A1.T @ A1, rtol=1e-5) and np.allclose(m.H[1], (A2 @ A1).T @ (A2 @ A1), rtol=1e-5)
    assert m.sizes == [6, 12]
    amp = amplification(m)
    U = np.linalg.eigh(A1.T @ A1)[1][:, ::-1]
    expected = np.einsum("ki,kl,li->i", U, (A2 @ A1).T @ (A2 @ A1), U)
    assert np.allclose(amp.speeds[1], expected, rtol=1e-5)
    own = np.linalg.eigvalsh(A1.T @ A1)[::-1]
    assert amp.log_corr[1] == pytest.approx(np.corrcoef(np.log(expected), np.log(own))[0, 1], abs=1e-6)


def test_the_last_layer_with_mse_on_pixels_is_the_image_metric_times_P_over_2(toy, mse):
    """The toy's output layer is the image itself (range (0, 1)): H_image(mse) = 2 J^T J / P, and
    the layer metric is J^T J, so H_layer = P / 2 * H_image."""
    z = toy.sample(1, seed=1)[0]
    P = int(np.prod(toy.image_shape))
    layer = layer_metrics(toy, z, ["module"]).H[0]
    assert np.allclose(layer, P / 2 * metric_tensor(toy, mse, z).H, rtol=1e-5)


def test_face_layers_are_the_activations_and_the_tanh_layer_is_2P_times_the_mse_metric(face, mse):
    """dcgan-face64 maps its tanh output y in (-1, 1) to x = (y + 1) / 2, so J_y = 2 J_x and
    H_tanh = J_y^T J_y = 4 (P / 2) H_image = 2 P H_image."""
    names = major_layers(face)
    assert names == ["module.main.2", "module.main.5", "module.main.8", "module.main.11", "module.main.13"]
    listing = {info.name: info for info in list_layers(face)}
    assert listing["module.main.2"].shape == (512, 4, 4) and listing["module.main.13"].kind == "Tanh"
    z = face.sample(1, seed=2)[0]
    m = layer_metrics(face, z, names[-1:])
    P = 3 * 64 * 64
    assert np.allclose(m.H[0], 2 * P * metric_tensor(face, mse, z).H, rtol=1e-4, atol=1e-6 * np.abs(m.H[0]).max())
    with pytest.raises(GeometryError, match="no layer 'module.main.99'"):
        layer_metrics(face, z, ["module.main.99"])


def test_shuffling_permutes_each_kernel_keeps_its_values_and_is_seeded(face):
    a, b, c = shuffle_weights(face, 0), shuffle_weights(face, 0), shuffle_weights(face, 1)
    original = dict(face.named_parameters())
    for name, p in a.named_parameters():
        q = original[name]
        if name.endswith("weight") and p.dim() >= 2:
            assert torch.equal(p.flatten().sort().values, q.flatten().sort().values)  # same values
            assert not torch.equal(p, q)  # another order
            assert torch.equal(p, dict(b.named_parameters())[name])  # same seed, same shuffle
            assert not torch.equal(p, dict(c.named_parameters())[name])
        else:
            assert torch.equal(p, q)  # biases and batch-norm affine parameters kept
    for (name, buffer), (_, kept) in zip(a.named_buffers(), face.named_buffers(), strict=True):
        assert torch.equal(buffer, kept), name  # running statistics kept
    assert torch.equal(next(face.parameters()), original[next(iter(original))])  # G itself untouched


def test_the_shuffled_face_gan_has_a_flatter_spectrum_and_a_smaller_top_eigenvalue(face):
    """Paper Fig. 7, on the real dcgan-face64 weights at one code, with LPIPS."""
    D = load_distance("lpips-alex")
    z = face.sample(1, seed=4)[0]
    original, shuffled = metric_tensor(face, D, z), metric_tensor(shuffle_weights(face, 0), D, z)
    assert shuffled.eigvals[0] < original.eigvals[0]
    from gan_geometry.analysis.statistics import anisotropy_dims

    assert anisotropy_dims(shuffled.eigvals)[0] > anisotropy_dims(original.eigvals)[0]


def test_a_layer_sweep_resumes_and_summarises(tmp_path, face, mse):
    from gan_geometry.analysis.layers import load_layer_sweep, run_layer_sweep, summarise_layers
    from tests.commands import run

    layers = ["module.main.2", "module.main.8"]
    first = run_layer_sweep(tmp_path / "layers", face, mse, 2, seed=3, layers=layers)
    shard = tmp_path / "layers" / "shards" / "pos-00001.npz"
    shard.unlink()
    resumed = run_layer_sweep(tmp_path / "layers", face, mse, 2, seed=3, layers=layers)
    assert all(np.array_equal(first.arrays[k], resumed.arrays[k]) for k in first.arrays)
    with pytest.raises(GeometryError, match="layers differ"):
        run_layer_sweep(tmp_path / "layers", face, mse, 2, seed=3, layers=layers[:1])
    s = summarise_layers(load_layer_sweep(tmp_path / "layers"))
    assert [row["metric"] for row in s.rows] == [*layers, "image (mse)"]
    assert s.log_speeds[0].shape == (3, 100) and s.targets == [*layers, "mse"]
    # amplification from the arrays themselves: the first layer's eigenvectors under the second layer
    H1, H2 = resumed.arrays["H_layers"][:, 0], resumed.arrays["H_layers"][:, 1]
    corr = []
    for a, b in zip(H1, H2, strict=True):
        lam, U = np.linalg.eigh(a)
        keep = lam > 1e-12 * lam.max()
        corr.append(np.corrcoef(np.log(np.einsum("ki,kl,li->i", U, b, U)[keep]), np.log(lam[keep]))[0, 1])
    assert s.log_corr[0][1] == pytest.approx(np.mean(corr), abs=1e-6)
    done = run("layers", "--distance", "mse", "--n", "2", "--seed", "3", "--layers", *layers,
               "--out", str(tmp_path / "layers"))
    assert done.returncode == 0, done.stderr
    from gan_geometry.presentation.tables import layer_table, text_table

    assert text_table(layer_table(s)) in done.stdout and "Amplification of module.main.2" in done.stdout
    listing = run("layers", "--list")
    assert "module.main.11" in listing.stdout and "64×32×32" in listing.stdout

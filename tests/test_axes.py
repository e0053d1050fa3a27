import pickle

import numpy as np
import pytest
import torch

from gan_geometry import GeometryError, metric_tensor
from gan_geometry.analysis.axes import AxisSet, compare_axes, file_axes, pca_axes, random_unit_vectors, sefa_axes


def test_sefa_axes_are_orthonormal_and_match_an_independent_svd(face):
    axes = sefa_axes(face, k=8)
    V = axes.vectors
    assert V.shape == (100, 8)
    weight = dict(face.named_parameters())["module.main.0.weight"].double()  # (100, 512, 4, 4)
    A = weight.reshape(100, -1).T  # z -> first feature map
    _, _, vh = torch.linalg.svd(A, full_matrices=False)
    for i in range(8):
        assert abs(float(vh[i].numpy() @ V[:, i])) == pytest.approx(1, abs=1e-8)


def test_sefa_on_the_toy_recovers_the_metric_eigenvectors(toy, mse):
    m = metric_tensor(toy, mse, toy.sample(1, seed=0)[0])  # H = 2 A^T A / P: same right-singular vectors
    result = compare_axes(sefa_axes(toy, k=4), m.eigvals, m.eigvecs, k=4)
    assert np.allclose(result.power[:, :4], np.eye(4), atol=1e-6)
    assert result.grassmann == pytest.approx(0, abs=1e-5) and result.grassmann_random[0] > 0.5


def test_pca_axes_of_the_linear_toy_are_its_right_singular_vectors(toy, mse, face):
    """x = A z + b with z ~ N(0, I): the activations' principal directions are A's left singular
    vectors, so regressing z on the PCA coordinates gives A's right singular vectors, which are
    the eigenvectors of the toy's metric H = 2 A^T A / P (singular values 1.9x apart: 2,000
    samples resolve them)."""
    axes = pca_axes(toy, k=4, n_samples=2000, seed=1)
    m = metric_tensor(toy, mse, toy.sample(1, seed=0)[0])
    overlap = np.abs(np.sum(axes.vectors * m.eigvecs[:, :4], axis=0))
    assert (overlap > 0.99).all(), overlap
    with pytest.raises(GeometryError, match="no layer 'nope'"):
        pca_axes(face, layer="nope")


def test_random_axes_have_projection_power_one_over_n(face, lpips_alex):
    n = 100
    m = metric_tensor(face, lpips_alex, face.sample(1, seed=0)[0])
    random = AxisSet(random_unit_vectors(n, 4000, seed=3), "random")
    result = compare_axes(random, m.eigvals, m.eigvecs, k=10, n_random=4000)
    mean_power = result.power.mean(0)  # per eigenvector, over random axes
    assert np.allclose(mean_power, 1 / n, atol=5 * np.sqrt(2 / (n**2 * 4000)))  # 5 standard errors
    assert result.speed.mean() == pytest.approx(m.eigvals.mean(), rel=0.05)
    # the purified axes live in the top-10 eigenspace
    assert np.allclose((m.eigvecs[:, 10:].T @ result.purified.vectors), 0, atol=1e-10)


def test_labels_are_saved_with_the_axes(tmp_path, face):
    axes = sefa_axes(face, k=3).with_label(0, "smile").with_label(2, "pose")
    back = AxisSet.load(axes.save(tmp_path / "axes"))
    assert back.labels == ["smile", "", "pose"] and np.array_equal(back.vectors, axes.vectors)
    with pytest.raises(GeometryError, match="at most 40"):
        axes.with_label(1, "x" * 41)


def test_file_axes_accepts_npy_and_csv(tmp_path):
    vectors = np.random.default_rng(0).standard_normal((3, 6))
    np.save(tmp_path / "a.npy", vectors)
    np.savetxt(tmp_path / "a.csv", vectors, delimiter=",")
    for name in ("a.npy", "a.csv"):
        axes = file_axes(tmp_path / name, 6)
        assert np.allclose(axes.vectors, (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).T)


@pytest.mark.parametrize(
    "make, message",
    [(lambda p: np.save(p / "x.npy", np.zeros((2, 5))), r"shape \(2, 5\); expected \(K, 6\)"),
     (lambda p: np.save(p / "x.npy", np.full((2, 6), np.nan)), "NaN or inf"),
     (lambda p: np.save(p / "x.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True), "never pickled"),
     (lambda p: (p / "x.npy").write_bytes(pickle.dumps([1.0] * 6)), "cannot read axes"),
     (lambda p: (p / "x.npy").write_bytes(b"\x93NUMPY" + b"0" * (21 * 2**20)), "limit is 20 MiB"),
     (lambda p: (p / "x.npy").write_text("1,2,3"), "cannot read axes"),
     (lambda p: np.save(p / "x.npy", np.zeros((2, 6))), "zero length")],
)
def test_bad_uploads_get_clear_errors(tmp_path, make, message):
    make(tmp_path)
    with pytest.raises(GeometryError, match=message):
        file_axes(tmp_path / "x.npy", 6)


def test_generators_without_a_first_layer_say_so(face):
    from gan_geometry import from_module

    G = from_module(torch.nn.Sequential(torch.nn.Linear(4, 12), torch.nn.Tanh()), 4, (3, 2, 2))
    with pytest.raises(GeometryError, match="has no first linear layer"):
        sefa_axes(G)

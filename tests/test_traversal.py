import numpy as np
import pytest

from gan_geometry import GeometryError, metric_tensor
from gan_geometry.analysis.traversal import apply_to_references, axis_codes, distance_curves, eigen_traversal


@pytest.fixture(scope="module")
def toy_metric(toy, mse):
    return metric_tensor(toy, mse, toy.sample(1, seed=0)[0])


def test_linear_traversal_on_the_toy_moves_the_image_by_mu_A_u(toy, toy_metric):
    A = toy.module.A.double().numpy()
    steps = np.array([-2.0, -0.5, 0.0, 1.0, 3.0])
    ranks = [1, 4, 8]  # 1 = the largest eigenvalue
    montage = eigen_traversal(toy, toy_metric.z, toy_metric.eigvals, toy_metric.eigvecs, ranks, steps)
    start = montage.images[:, 2:3].reshape(3, 1, -1)
    change = montage.images.reshape(3, 5, -1) - start
    expected = steps[None, :, None] * (A @ toy_metric.eigvecs[:, [0, 3, 7]]).T[:, None, :]
    assert np.allclose(change, expected, atol=1e-5)


def test_toy_distance_curve_is_exactly_the_quadratic_prediction(toy, mse, toy_metric):
    steps = np.linspace(-4, 4, 9)
    curves = distance_curves(toy, mse, toy_metric.z, toy_metric.eigvals, toy_metric.eigvecs, [1, 5, 8], steps)
    assert np.allclose(curves.distances, curves.predicted, rtol=1e-4, atol=1e-9)
    assert np.allclose(curves.predicted[0], 0.5 * steps**2 * toy_metric.eigvals[0])


def test_distance_curves_follow_the_montages_mode_and_scaling(toy, mse, toy_metric):
    """Scaled by 1/sqrt(lambda), every rank reaches the same predicted distance s^2 / 2 (exact on the
    linear toy); on the sphere the prediction uses the tangent direction at the angle's arc length,
    and the columns say so."""
    steps = np.array([-1.0, 0.0, 0.5, 1.0])
    scaled = distance_curves(toy, mse, toy_metric.z, toy_metric.eigvals, toy_metric.eigvecs, [1, 8], steps,
                             scale_by_eigval=True)
    assert np.allclose(scaled.predicted, 0.5 * steps[None] ** 2) and np.allclose(scaled.distances, scaled.predicted,
                                                                                  rtol=1e-4, atol=1e-9)
    small = np.array([-1e-3, 0.0, 1e-3])
    sphere = distance_curves(toy, mse, toy_metric.z, toy_metric.eigvals, toy_metric.eigvecs, [1, 8], small,
                             mode="spherical")
    assert np.allclose(sphere.distances, sphere.predicted, rtol=1e-2, atol=1e-12)
    from gan_geometry.analysis.traversal import step_labels

    assert step_labels(steps, "spherical", True) == ["-1 rad/√λ", "+0 rad/√λ", "+0.5 rad/√λ", "+1 rad/√λ"]
    montage = eigen_traversal(toy, toy_metric.z, toy_metric.eigvals, toy_metric.eigvecs, [1], steps, "spherical",
                              scale_by_eigval=True)
    assert montage.column_labels == step_labels(steps, "spherical", True)


def test_spherical_paths_keep_the_norm_and_start_at_z0():
    rng = np.random.default_rng(0)
    z0, axes = rng.standard_normal(10), rng.standard_normal((10, 3))
    codes = axis_codes(z0, axes, np.linspace(-1, 1, 5), mode="spherical")
    assert np.allclose(np.linalg.norm(codes, axis=-1), np.linalg.norm(z0))
    assert np.allclose(codes[:, 2], z0)
    linear = axis_codes(z0, axes, np.array([0.0, 1e-4]))
    spherical = axis_codes(z0, axes, np.array([0.0, 1e-4 / np.linalg.norm(z0)]), mode="spherical")
    tangent = axes - np.outer(z0, z0 @ axes) / (z0 @ z0)  # first-order: along the tangent part of u
    assert np.allclose((spherical[:, 1] - z0) / 1e-4, (tangent / np.linalg.norm(tangent, axis=0)).T, atol=1e-3)
    assert not np.allclose(linear, spherical)


def test_scaling_by_eigenvalue_equalises_the_measured_distance(toy, toy_metric, mse):
    """On the linear toy the distance is exactly quadratic, so a step of s/√λ reaches the same
    measured distance s²/2 on the fastest and on the slowest axis (100x apart unscaled)."""
    import torch

    montage = eigen_traversal(toy, toy_metric.z, toy_metric.eigvals, toy_metric.eigvecs, [1, 8], np.array([1.0]),
                              scale_by_eigval=True)
    x0 = toy(torch.as_tensor(toy_metric.z, dtype=torch.float32)[None])
    measured = mse(x0, torch.as_tensor(montage.images[:, 0])).double().numpy()
    assert np.allclose(measured, 0.5, rtol=1e-3)


@pytest.fixture(scope="module")
def face_metric(face, lpips_alex):
    return metric_tensor(face, lpips_alex, face.sample(1, seed=0)[0])


def test_face_montage_has_the_labelled_layout(face, face_metric):
    ranks, steps = [1, 2, 3, 6, 100], np.linspace(-3, 3, 7)
    montage = eigen_traversal(face, face_metric.z, face_metric.eigvals, face_metric.eigvecs, ranks, steps,
                              axis_labels={1: "pose"})
    assert montage.images.shape == (5, 7, 3, 64, 64) and montage.codes.shape == (5, 7, 100)
    rank, eigenvalue, label = montage.row_labels[0].split(" · ")  # what the app's slider for rank 1 says too
    assert (rank, label) == ("rank 1", "pose") and eigenvalue.startswith("λ ")
    assert float(eigenvalue[2:]) == pytest.approx(face_metric.eigvals[0], rel=1e-3)  # 4 significant digits
    assert [float(c) for c in montage.column_labels] == list(steps)
    pixels = (np.clip(montage.images[0, 0], 0, 1) * 255).round().astype(np.uint8).transpose(1, 2, 0)
    grid = montage.grid(padding=2, label_width=96, label_height=16, min_tile=64)  # tiles at their own size
    labels = grid.shape[1] - 7 * 66 - 2  # the label column: at least 96 px, as wide as the longest label needs
    assert grid.shape[0] == 16 + 5 * 66 + 2 and labels >= 96 and grid.dtype == np.uint8
    assert (grid[16:, :labels - 6] < 128).any() and (grid[:14, labels:] < 128).any()  # label text was drawn
    assert not (grid[16:, labels - 4:labels] < 128).any()  # and it fits its column
    assert np.array_equal(grid[16 + 2 : 16 + 2 + 64, labels + 2 : labels + 2 + 64], pixels)
    big = montage.grid(padding=2, label_width=96, label_height=16, min_tile=100)  # 64 px -> 2x nearest neighbour
    assert big.shape == (16 + 5 * 130 + 2, labels + 7 * 130 + 2, 3)
    assert np.array_equal(big[18:18 + 128, labels + 2:labels + 2 + 128], pixels.repeat(2, axis=0).repeat(2, axis=1))


def test_rank0_moves_the_image_far_more_than_the_last_rank(face, lpips_alex, face_metric):
    curves = distance_curves(face, lpips_alex, face_metric.z, face_metric.eigvals, face_metric.eigvecs,
                             [1, 100], np.array([-2.0, 2.0]))
    assert (curves.distances[0] > 100 * curves.distances[1]).all()


def test_references_and_bad_requests(face, face_metric, tmp_path):
    refs = face.sample(3, seed=4).numpy()
    montage = apply_to_references(face, refs, face_metric.eigvecs[:, 0], np.array([-2.0, 0.0, 2.0]))
    assert montage.images.shape == (3, 3, 3, 64, 64)
    assert np.allclose(montage.codes[:, 1], refs)
    montage.save_png(tmp_path / "refs.png")
    from PIL import Image

    saved = np.asarray(Image.open(tmp_path / "refs.png").convert("RGB"))
    assert np.array_equal(saved, montage.grid())
    assert 3 * 128 < saved.shape[0] and 3 * 128 < saved.shape[1]  # 3 x 3 tiles, 64 px shown at 2x (128 px) at least
    with pytest.raises(GeometryError, match=r"ranks must lie in 1..100 \(1 = the largest eigenvalue\); got \[0\]"):
        eigen_traversal(face, face_metric.z, face_metric.eigvals, face_metric.eigvecs, [0], np.array([1.0]))
    with pytest.raises(GeometryError, match="unknown traversal mode"):
        axis_codes(face_metric.z, face_metric.eigvecs[:, :1], np.array([1.0]), mode="helical")
    with pytest.raises(GeometryError, match="parallel to the reference"):
        axis_codes(face_metric.z, face_metric.z[:, None], np.array([1.0]), mode="spherical")

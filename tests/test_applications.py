"""Inversion, CMA-ES search, curve lengths and shorter curves."""

import numpy as np
import pytest
import torch

from gan_geometry import GeometryError, metric_tensor
from gan_geometry.applications import michelis
from gan_geometry.applications.inversion import (
    Coordinates,
    best_distance_table,
    check_target,
    invert,
    load_target,
    search,
)
from gan_geometry.applications.paths import curve_length, line, shorten


@pytest.fixture(scope="module")
def ill_conditioned(mse):
    from gan_geometry import load_generator

    G = load_generator("linear-toy", condition=1000.0)
    m = metric_tensor(G, mse, G.sample(1, seed=0)[0])
    return G, m


def steps_to_reach(distances, level):
    below = np.nonzero(distances <= level)[0]
    return int(below[0]) if below.size else np.inf


def test_preconditioned_adam_reaches_the_optimum_sooner_on_an_ill_conditioned_quadratic(ill_conditioned, mse):
    G, m = ill_conditioned
    true_z = G.sample(1, seed=1)
    target = G(true_z)
    start = G.sample(1, seed=2).double().numpy()
    runs = {basis: invert(G, mse, target, start, Coordinates.build(basis, 8, m.eigvals, m.eigvecs), steps=600, lr=0.05)
            for basis in ("plain", "eigen")}
    level = 1e-6 * runs["plain"].distances[0, 0]
    plain, eigen = (steps_to_reach(runs[b].distances[0], level) for b in ("plain", "eigen"))
    assert eigen < plain, (eigen, plain)  # measured: eigen reaches it in ~50 steps, plain not in 600
    assert runs["eigen"].best[0] < level


def test_straight_line_length_is_the_closed_form(toy, mse):
    A = toy.module.A.double().numpy()
    P = A.shape[0]
    z0, z1 = toy.sample(2, seed=3).double().numpy()
    length = curve_length(toy, mse, line(z0, z1, 16))
    assert length.length == pytest.approx(np.sqrt(2 / P) * np.linalg.norm(A @ (z1 - z0)), rel=1e-4)
    assert length.converged


def test_a_spline_cannot_beat_the_straight_line_in_a_flat_metric(toy, mse):
    z0, z1 = toy.sample(2, seed=4).double().numpy()
    result = shorten(toy, mse, z0, z1, steps=60, segments=16)
    assert abs(result.improvement) < 1e-3
    assert result.curve_length.length >= result.line_length.length * (1 - 1e-3)


def test_face_inversion_lowers_the_distance_and_recovers_the_target(face, lpips_alex):
    target = face(face.sample(1, seed=50)).detach()
    starts = face.sample(3, seed=51).double().numpy()
    run = invert(face, lpips_alex, target, starts, Coordinates.build("plain", 100), steps=80, lr=0.05)
    mean = run.distances.mean(0)
    assert (np.diff(mean[::10]) < 0).all()  # decreasing on average, checked every 10 iterations
    assert run.best.min() < 0.3 * run.distances[:, 0].mean()
    assert run.final_images.shape == (3, 3, 64, 64)
    rows = best_distance_table([run])
    assert rows[0][0] == "plain" and rows[0][1] == pytest.approx(run.best.mean()) and rows[0][2] > 0


def test_a_face_curve_is_shorter_than_the_straight_line(face, mse):
    """On dcgan-face64 (MSE) the optimised spline between two samples is at least 10 % shorter
    than the straight line (23 % measured here), both lengths summed independently here as
    sqrt(2 D(G(p_i), G(p_i+1))) over 64 segments (ds^2 = dz^T H dz = 2 D to second order); the
    ends stay where they were."""
    z0, z1 = face.sample(2, seed=60).double().numpy()
    result = shorten(face, mse, z0, z1, steps=40, segments=16, measure_segments=64)

    def length(points):
        with torch.no_grad():
            x = face(torch.as_tensor(points, dtype=torch.float32))
            return float((2 * mse(x[:-1], x[1:])).sqrt().sum())

    line = length(np.linspace(0, 1, 65)[:, None] * (z1 - z0) + z0)
    curve = length(result.points)
    assert curve < 0.9 * line
    assert curve == pytest.approx(result.curve_length.length, rel=1e-4)
    assert line == pytest.approx(result.line_length.length, rel=1e-4)
    assert np.allclose(result.points[0], z0, atol=1e-6) and np.allclose(result.points[-1], z1, atol=1e-6)
    assert np.allclose(result.control[0], z0) and np.allclose(result.control[-1], z1)


def test_cma_search_improves_on_its_start_and_respects_the_top_k_space(face, mse):
    m = metric_tensor(face, mse, face.sample(1, seed=70)[0])
    target = face(face.sample(1, seed=71)).detach()
    start = face.sample(1, seed=72)[0].double().numpy()
    coordinates = Coordinates.build("eigen-scaled", 100, m.eigvals, m.eigvecs, k=10)
    run = search(face, mse, target, start, coordinates, budget=200)
    assert run.best_distance[-1] < 0.9 * run.best_distance[0]
    moved = run.best_z - start
    assert np.allclose(m.eigvecs[:, 10:].T @ moved, 0, atol=1e-8)  # only top-10 eigen-directions


def test_michelis_endpoint_rule_is_the_papers():
    """Recomputed as MNIST_MCimprovement.py writes it: sign = sign(start . u); end = start - step sign u,
    whichever sign the eigenvector comes with, so the segment runs towards the origin (footnote 1)."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        start, direction = rng.standard_normal(8), rng.standard_normal(8)
        direction /= np.linalg.norm(direction)
        reference = start - 0.5 * np.sign(np.dot(start, direction)) * direction  # the paper's code
        for u in (direction, -direction):
            end = michelis.endpoint(start, u, 0.5)
            assert np.allclose(end, reference) and np.dot(end - start, start) <= 0
    assert michelis.STEPS == (1.0, 0.5)  # MNIST_MCimprovement.py and MNIST_MCcompare.py defaults


def test_michelis_monte_carlo_moves_along_the_top_eigenvector_and_finds_no_shortcut_in_a_flat_metric(toy, mse):
    result = michelis.monte_carlo(toy, mse, pairs=2, step=1.0, steps=20, segments=8)
    for start, end in zip(result.starts, result.ends, strict=True):
        top = metric_tensor(toy, mse, start).eigvecs[:, 0]
        assert np.isclose(abs(np.dot(end - start, top)), 1.0) and np.dot(end - start, start) <= 0
    assert np.allclose(result.improvements, 0, atol=1e-3)  # a linear generator: the line is the geodesic


def test_two_models_are_compared_on_the_same_outputs_and_similar_pairs_are_picked(toy, mse):
    """Appendix D: the same output pairs in both models (B's codes found by inversion reproduce A's
    outputs), an improvement per pair and model, and the comparable pairs within the threshold."""
    from gan_geometry import load_generator

    other = load_generator("linear-toy", seed=1)
    result = michelis.compare_models(toy, other, mse, pairs=2, threshold=0.05, inversion_steps=300, steps=15,
                                     segments=8)
    assert result.a.improvements.shape == result.b.improvements.shape == (2,)
    with torch.no_grad():  # B is affine, G(z) = M z + c: the closest point of B to each of A's outputs, exactly
        c = other(torch.zeros(1, 8)).flatten().double()
        M = (other(torch.eye(8)).flatten(1).double() - c).T
        targets = toy(torch.as_tensor(result.a.starts, dtype=torch.float32)).flatten(1).double()
    z = torch.linalg.lstsq(M, (targets - c).T).solution
    closest = ((M @ z).T + c - targets).pow(2).mean(1).numpy()
    assert result.fit.shape == (2, 2) and np.allclose(result.fit[:, 0], closest, rtol=1e-2, atol=1e-6)
    assert list(result.comparable) == [0, 1]  # two flat metrics: the same (zero) improvement
    fake = michelis.ModelComparison(("a", "b"), result.a, result.b, result.fit, 0.05)
    fake.b.curve_lengths = fake.b.line_lengths * np.array([1.0, 0.8])  # pair 1 improves by 20 % in B only
    assert list(fake.comparable) == [0]


def test_slice_maps_of_a_flat_metric_are_flat_and_give_its_plane_spectrum(toy, mse):
    from gan_geometry.analysis.slices import slice_maps

    m = metric_tensor(toy, mse, toy.sample(1, seed=0)[0])
    maps = slice_maps(toy, mse, m.z, m.eigvecs[:, :2], extent=1.0, size=5)
    assert np.allclose(maps.condition, m.eigvals[0] / m.eigvals[1], rtol=1e-4)
    assert np.allclose(maps.log_det, np.log(m.eigvals[0] * m.eigvals[1]), atol=1e-4)
    assert np.allclose(np.abs(maps.direction[..., 0]), 1, atol=1e-4)  # the fastest direction: u1 everywhere
    with pytest.raises(GeometryError, match="spanned by two directions"):
        slice_maps(toy, mse, m.z, m.eigvecs[:, :3])


def test_bad_inputs_are_named(face, mse, tmp_path):
    with pytest.raises(GeometryError, match=r"target has shape \(1, 3, 32, 32\).*\(1, 3, 64, 64\)"):
        check_target(face, torch.zeros(1, 3, 32, 32))
    with pytest.raises(GeometryError, match="must be an image array"):
        check_target(face, "face.png")
    with pytest.raises(GeometryError, match=r"lie in \[0, 1\]"):
        check_target(face, torch.full((1, 3, 64, 64), 2.0))
    with pytest.raises(GeometryError, match="at least 1"):
        invert(face, mse, torch.zeros(1, 3, 64, 64), np.zeros((1, 100)), Coordinates.build("plain", 100), steps=0)
    with pytest.raises(GeometryError, match=r"k must lie in 1..100"):
        Coordinates.build("eigen", 100, np.ones(100), np.eye(100), k=101)
    with pytest.raises(GeometryError, match="needs the metric"):
        Coordinates.build("eigen", 100)
    (tmp_path / "x.png").write_bytes(b"not an image")
    with pytest.raises(GeometryError, match="cannot read the target image"):
        load_target(str(tmp_path / "x.png"), face)
    from PIL import Image

    Image.new("RGB", (100, 80), "red").save(tmp_path / "red.png")
    target = load_target(str(tmp_path / "red.png"), face)
    assert target.shape == (1, 3, 64, 64) and target[0, 0].min() > 0.99 and target[0, 1].max() < 0.01

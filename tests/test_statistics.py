"""Statistics on synthetic metrics whose answers are known."""

import numpy as np
import pytest

from gan_geometry.analysis import statistics as st


def random_frames(N, n, seed):
    return np.linalg.qr(np.random.default_rng(seed).standard_normal((N, n, n)))[0]


def metrics(lam, U):
    return (U * lam[:, None, :]) @ np.swapaxes(U, 1, 2)


@pytest.fixture(scope="module")
def random_sweep():
    N, n = 40, 30
    lam = np.tile(np.logspace(0, -5, n), (N, 1)) * np.random.default_rng(1).uniform(0.5, 2, (N, 1))
    U = random_frames(N, n, seed=2)
    return lam, U, metrics(lam, U)


def test_identical_metrics_are_perfectly_consistent():
    n = 20
    lam = np.tile(np.logspace(0, -4, n), (6, 1))
    U = np.repeat(random_frames(1, n, seed=0), 6, axis=0)
    C = st.consistency(lam, U, metrics(lam, U))
    assert np.allclose(C.lin, 1) and np.allclose(C.log, 1)
    assert C.lin_mean == pytest.approx(1) and C.log_std == pytest.approx(0, abs=1e-12)


def test_consistency_matches_the_paper_definition_pair_by_pair(random_sweep):
    lam, U, H = random_sweep
    C = st.consistency(lam, U, H)
    for i, j in ((0, 1), (5, 3), (7, 7), (39, 0)):
        action = np.diag(U[i].T @ H[j] @ U[i])  # Lambda_ij = diag(U_i^T H_j U_i)
        assert C.lin[i, j] == pytest.approx(np.corrcoef(action, lam[j])[0, 1], abs=1e-10)
        assert C.log[i, j] == pytest.approx(np.corrcoef(np.log10(action), np.log10(lam[j]))[0, 1], abs=1e-10)
    # from eigenpairs alone (no stored H) the result is the same
    assert np.allclose(st.consistency(lam, U, None).lin, C.lin)


def test_independent_random_rotations_give_the_null_consistency(random_sweep):
    lam, U, H = random_sweep
    C = st.consistency(lam, U, H)
    n = lam.shape[1]
    # correlations of unrelated vectors: centred on 0 with spread about 1/sqrt(n)
    assert abs(C.lin_mean) < 0.05 and abs(C.log_mean) < 0.05
    assert 0.3 / np.sqrt(n) < C.log_std < 3 / np.sqrt(n)
    assert np.allclose(np.diag(C.lin), 1)


def test_power_law_spectrum_gives_the_hand_computed_anisotropy_dims():
    lam = 2.0 ** -np.arange(1, 31)  # cumulative share after k terms is 1 - 2^-k (to 1e-9)
    # 0.99: 2^-7 = 0.0078 <= 0.01 < 2^-6;  0.999: 2^-10 <= 0.001 < 2^-9;
    # 0.9999: 2^-14 <= 1e-4 < 2^-13;      0.99999: 2^-17 <= 1e-5 < 2^-16
    assert st.anisotropy_dims(lam).tolist() == [7, 10, 14, 17]
    table = st.anisotropy_table(np.stack([lam, lam]))
    assert table.mean.tolist() == [7, 10, 14, 17] and table.std.tolist() == [0, 0, 0, 0] and table.n == 30


def test_isotropy_theory_matches_monte_carlo_within_its_standard_error():
    n, R = 40, 20000
    lam = np.logspace(0, -3, n)[None]
    U = random_frames(1, n, seed=3)
    result = st.isotropy_illusion(lam, U, n_random=R, seed=4)
    alpha = result.alpha_random[0]
    se_mean = alpha.std() / np.sqrt(R)
    se_var = np.sqrt(np.mean((alpha - alpha.mean()) ** 4) - alpha.var() ** 2) / np.sqrt(R)
    assert abs(result.empirical_mean[0] - result.theory_mean[0]) < 4 * se_mean
    assert abs(result.empirical_var[0] - result.theory_var[0]) < 4 * se_var
    # the illusion itself: random directions see a far narrower range than the eigenvectors
    assert alpha.max() - alpha.min() < 0.5 * (lam.max() - lam.min())


def test_average_of_identical_metrics_is_that_metric_and_explains_it():
    n = 15
    lam = np.tile(np.logspace(0, -4, n), (5, 1))
    U = np.repeat(random_frames(1, n, seed=5), 5, axis=0)
    avg = st.average_metric(lam, U, metrics(lam, U))
    assert np.allclose(avg.H, metrics(lam, U)[0]) and np.allclose(avg.eigvals, lam[0])
    assert np.allclose(avg.consistency_lin, 1) and (avg.explained >= 0.99).all()


def test_average_of_random_frames_is_nearly_isotropic(random_sweep):
    lam, U, H = random_sweep
    avg = st.average_metric(lam, U, H)
    assert avg.eigvals[0] / avg.eigvals[-1] < 10  # local spectra span 1e5; the mean washes it out
    assert avg.k > lam.shape[1] // 2  # so 99 % of its spectrum needs most axes


def test_distance_comparison_of_scaled_and_squared_spectra(random_sweep):
    lam, U, H = random_sweep
    doubled = st.compare_distances((lam, U, H), (2 * lam, U, 2 * H))
    t = doubled.table()
    for key in ("entry_corr", "eig_corr_lin", "eig_corr_log", "ch_ab_lin", "ch_ab_log", "ch_ba_log"):
        assert t[key][0] == pytest.approx(1, abs=1e-9)
    assert t["slope"][0] == pytest.approx(1) and t["intercept"][0] == pytest.approx(np.log10(2))
    squared = st.compare_distances((lam, U, None), (lam**2, U, None))
    assert squared.table()["slope"][0] == pytest.approx(2) and squared.table()["intercept"][0] == pytest.approx(0)


def test_effective_rank_of_flat_and_single_spectra():
    assert st.effective_rank(np.ones(12)) == pytest.approx(12)
    assert st.effective_rank(np.array([3.0, 0, 0, -1e-12])) == pytest.approx(1)


def test_spectrum_summary_percentiles():
    lam = np.stack([np.array([4.0, 2.0, 1.0]) * s for s in np.linspace(1, 2, 101)])
    summary = st.spectrum_summary(lam)
    assert summary.mean == pytest.approx([6, 3, 1.5])
    assert summary.lower == pytest.approx([4 * 1.05, 2 * 1.05, 1.05])
    assert summary.norm_mean == pytest.approx([1, 0.5, 0.25])


def test_bootstrap_intervals_contain_the_value_and_match_direct_resampling(random_sweep):
    lam, U, H = random_sweep
    C = st.consistency(lam, U, H)
    estimates = {e.name: e for e in st.bootstrap_summaries(lam, C, n_boot=300, seed=7)}
    for e in estimates.values():
        assert e.low <= e.value <= e.high
    # the one-GEMM resampled C^H means equal the direct ones
    rng = np.random.default_rng(7)
    samples = rng.integers(0, len(lam), size=(300, len(lam)))
    direct = [np.mean(C.log[np.ix_(idx, idx)][idx[:, None] != idx[None, :]]) for idx in samples]
    low, high = np.percentile(direct, (2.5, 97.5))
    assert estimates["C^H log"].low == pytest.approx(low) and estimates["C^H log"].high == pytest.approx(high)


# ---- homogeneity beyond C^H: maps whose answer is known ---------------------------------------
def metric_stack(G, seed: int = 0, N: int = 8):
    """Exact MSE metrics of generator G at N sampled codes: (eigvals, eigvecs, H) stacks."""
    from gan_geometry import load_distance, metric_tensor

    results = [metric_tensor(G, load_distance("mse"), z) for z in G.sample(N, seed=seed)]
    return (np.stack([r.eigvals for r in results]), np.stack([r.eigvecs for r in results]),
            np.stack([r.H for r in results]))


def known_maps():
    """A near-isometry (flat metric, the same everywhere up to 1e-3), a fixed anisotropic linear
    map (the same metric everywhere), and a map whose Jacobian rotates with z (anisotropic,
    different everywhere)."""
    import torch

    from gan_geometry import from_module

    n, side = 6, 4
    P = 3 * side * side
    rng = torch.Generator().manual_seed(0)
    Q, _ = torch.linalg.qr(torch.randn(P, n, generator=rng))
    scales = torch.logspace(0, -2, n)

    class Rotating(torch.nn.Module):
        """x = 0.5 + B R(theta(z)) S z: the anisotropy S rotated by an angle that depends on z."""

        def forward(self, z):
            theta = 3 * z[:, :1]
            c, s = torch.cos(theta), torch.sin(theta)
            x1, x2 = c * z[:, 1:2] - s * z[:, 2:3], s * z[:, 1:2] + c * z[:, 2:3]
            w = torch.cat([z[:, :1], x1, x2, z[:, 3:]], dim=1) * scales
            return 0.5 + 0.05 * w @ Q.T

    class NearIsometry(torch.nn.Module):
        """x = 0.5 + 0.05 Q (z + 1e-3 tanh z): Jacobian 0.05 Q (I + 1e-3 diag(sech^2 z))."""

        def forward(self, z):
            return 0.5 + 0.05 * (z + 1e-3 * torch.tanh(z)) @ Q.T

    maps = {"isometry": NearIsometry(), "linear": torch.nn.Linear(n, P), "rotating": Rotating()}
    with torch.no_grad():
        maps["linear"].weight.copy_(0.05 * Q * scales)
        maps["linear"].bias.fill_(0.5)
    return {name: from_module(m, n, (3, side, side), name=name, output_range=(0.0, 1.0)) for name, m in maps.items()}


def test_new_homogeneity_statistics_rank_known_maps_where_C_H_cannot():
    stats = {}
    for name, G in known_maps().items():
        lam, U, H = metric_stack(G)
        C = st.consistency(lam, U, H)
        stats[name] = (st.homogeneity(lam, U, k=2), C)  # k = 2 splits the plane the rotating map turns
    iso, lin, rot = stats["isometry"][0], stats["linear"][0], stats["rotating"][0]
    # homogeneous maps: distance ~0 and cosine ~1, whatever their anisotropy; the rotating map is not
    assert iso.log_euclidean[0] < 0.01 and lin.log_euclidean[0] < 1e-6 and rot.log_euclidean[0] > 0.1
    assert iso.cosine[0] > 0.9999 and lin.cosine[0] > 1 - 1e-9 and rot.cosine[0] < 0.99
    # the top-k eigenspace is the same everywhere for the linear map and wanders for the rotating one
    assert lin.overlap[0] > 1 - 1e-9 and rot.overlap[0] < 0.99
    # C^H ranks the two the wrong way round: the homogeneous near-isometry looks inhomogeneous (its
    # correlation sees only the 1e-3 wobble of a flat spectrum) and the rotating map homogeneous
    # (its steep spectrum dominates the correlation whatever the frame)
    C_iso, C_rot, C_lin = stats["isometry"][1], stats["rotating"][1], stats["linear"][1]
    assert C_iso.lin_mean < 0.5 < C_rot.lin_mean and C_lin.lin_mean > 0.99


def test_homogeneity_of_a_random_rotation_stack_matches_its_construction():
    n, N = 20, 12
    lam = np.tile(np.logspace(0, -3, n), (N, 1))
    U = random_frames(N, n, seed=1)
    h = st.homogeneity(lam, U, k=5)
    # random frames overlap by chance: against a Monte Carlo of random 5-frames, not the formula
    Q = random_frames(400, n, seed=9)[:, :, :5]
    chance = np.mean([np.sum((Q[i].T @ Q[i + 200]) ** 2) / 5 for i in range(200)])
    assert abs(h.overlap[0] - chance) < 0.1 and abs(h.overlap_random - chance) < 0.02
    same = st.homogeneity(lam, np.repeat(U[:1], N, axis=0), k=5)
    assert same.log_euclidean[0] < 1e-9 and same.overlap[0] > 1 - 1e-9

"""topk's block Krylov iteration on operators with known spectra: the answer, a Krylov space
that closes early, and the iteration limit; a top-k sweep's statistics; the memory cap and the
disk check."""

import numpy as np
import pytest
import torch

from gan_geometry import GeometryError, Pullback, ResourceError, from_module, load_distance, run_sweep
from gan_geometry.core.methods import topk
from gan_geometry.core.metric import MetricResult, metric_tensor


def linear_pullback(singular_values, n: int, seed: int = 0) -> tuple[Pullback, np.ndarray, np.ndarray]:
    """x = A z with A = U diag(s) V^T (P = 3 x 8 x 8 pixels) and the MSE distance: H = 2 A^T A / P,
    eigenvalues 2 s^2 / P with eigenvectors the columns of V."""
    rng = np.random.default_rng(seed)
    P, s = 192, np.asarray(singular_values, dtype=np.float64)
    U = np.linalg.qr(rng.standard_normal((P, len(s))))[0]
    V = np.linalg.qr(rng.standard_normal((n, n)))[0][:, : len(s)]
    A = torch.as_tensor((U * s) @ V.T)
    net = torch.nn.Linear(n, P, bias=False).double()
    with torch.no_grad():
        net.weight.copy_(A)
    G = from_module(net, n, (3, 8, 8), output_range=(-1e6, 1e6))  # (x + 1e6) / 2e6: x enters scaled by 1 / 2e6
    scale = 1 / 2e6
    z0 = torch.zeros(n, dtype=torch.float64)
    return Pullback(G, load_distance("mse"), z0), 2 * (scale * s) ** 2 / P, V


def test_topk_finds_the_known_top_eigenpairs():
    pb, lam, V = linear_pullback(np.logspace(0, -2, 30), n=30)
    out = topk.compute(pb, k=5, tol=1e-8)
    assert np.allclose(out.eigvals[:5], lam[:5], rtol=1e-6)
    assert np.allclose(np.abs(np.sum(out.eigvecs[:, :5] * V[:, :5], axis=0)), 1, atol=1e-6)
    assert out.n_computed == 5 and max(out.info["residuals"]) <= 1e-8


def test_topk_stops_when_the_krylov_space_closes():
    """H of rank 2 in 40 dimensions: the first block's products span the range, the space closes
    after two blocks, and the pairs are exact (the third eigenvalue is 0)."""
    pb, lam, V = linear_pullback([1.0, 0.3], n=40)
    out = topk.compute(pb, k=3, tol=1e-12, max_iter=50)
    assert np.allclose(out.eigvals[:2], lam, rtol=1e-9) and abs(out.eigvals[2]) < 1e-12 * lam[0]
    assert out.info["iterations"] <= 2


def test_topk_refuses_to_return_unconverged_pairs():
    pb, _, _ = linear_pullback(np.linspace(1, 0.9, 60), n=60)  # a tiny gap: one block cannot resolve it
    with pytest.raises(GeometryError, match=r"topk did not converge: after 1 blocks of 7 products the "
                                            r"largest relative residual is .*, above the tolerance 1e-12"):
        topk.compute(pb, k=3, tol=1e-12, max_iter=1)


def test_statistics_of_a_top_k_sweep_use_the_computed_pairs_only(tmp_path, toy, mse):
    """Eigenvalues past k are zero padding: anisotropy counts dimensions of the computed top-k."""
    from gan_geometry.analysis import statistics as st

    sweep = run_sweep(tmp_path, toy, mse, n=4, seed=0, method="topk", k=3)
    full = run_sweep(tmp_path / "full", toy, mse, n=4, seed=0)
    s = sweep.summary(n_boot=20)
    assert sweep.n_computed == 3 and s.anisotropy.n == 3
    assert np.array_equal(s.anisotropy.mean, st.anisotropy_table(np.asarray(full.eigvals)[:, :3]).mean)
    assert np.allclose(np.asarray(sweep.eigvals)[:, :3], np.asarray(full.eigvals)[:, :3], rtol=1e-6)


def test_top_k_results_store_the_computed_pairs_only_and_read_as_a_completed_basis(tmp_path, toy, mse):
    """Stacks hold (N, k) and (N, n, k); every statistic equals the one computed on the basis
    completed with eigenvalue 0 (what was stored before), so nothing is lost by not storing it."""
    from gan_geometry.analysis import statistics as st
    from gan_geometry.core.linalg import complete_basis

    sweep = run_sweep(tmp_path, toy, mse, n=5, seed=1, method="topk", k=3)
    N, n = sweep.positions.shape
    assert sweep.eigvals.shape == (N, 3) and sweep.eigvecs.shape == (N, n, 3)
    completed = [complete_basis(lam, U) for lam, U in zip(sweep.eigvals, sweep.eigvecs, strict=True)]
    lam_full = np.stack([lam for lam, _ in completed])
    U_full = np.stack([U for _, U in completed])
    compact, dense = sweep.summary(n_boot=20), st.summarise(lam_full, U_full, None, 3, n_boot=20)
    assert np.allclose(compact.homogeneity.log_euclidean, dense.homogeneity.log_euclidean, rtol=1e-9)
    assert np.allclose(compact.homogeneity.cosine, dense.homogeneity.cosine, rtol=1e-9)
    assert np.allclose(compact.isotropy.theory_mean, dense.isotropy.theory_mean, rtol=1e-12)
    assert np.allclose(compact.isotropy.alpha_random, dense.isotropy.alpha_random, rtol=1e-9)
    assert np.allclose(compact.average.eigvals, dense.average.eigvals, atol=1e-12)
    # a top-k metric of StyleGAN2 w+ size would otherwise store 7168^2 floats
    result = MetricResult.load(metric_tensor(toy, mse, sweep.positions[0], method="topk", k=3).save(tmp_path / "m"))
    assert result.eigvecs.shape == (n, 3) and result.full_frame()[1].shape == (n, n)


@pytest.mark.parametrize(("setting", "expected"), [("8G", 8 * 2**30), ("512M", 512 * 2**20), ("1.5 GiB", 3 * 2**29),
                                                   ("100", 100), ("2t", 2 * 2**40)])
def test_the_memory_cap_setting_is_parsed(monkeypatch, setting, expected):
    from gan_geometry.core.cost import memory_cap

    monkeypatch.setenv("GGL_MEMORY_CAP", setting)
    assert memory_cap() == expected


def test_a_bad_memory_cap_setting_is_named(monkeypatch):
    from gan_geometry.core.cost import memory_cap

    monkeypatch.setenv("GGL_MEMORY_CAP", "lots")
    with pytest.raises(ResourceError, match="GGL_MEMORY_CAP='lots' is not a size such as 8G or 512M"):
        memory_cap()


def test_a_sweep_that_cannot_fit_on_the_disk_is_refused_before_writing(tmp_path, monkeypatch, toy, mse):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda path: usage(10**6, 10**6 - 1000, 1000))
    with pytest.raises(GeometryError, match=r"a sweep of 50 positions in 8 dimensions needs about .* on disk; "
                                            r"1000 B are free"):
        run_sweep(tmp_path / "s", toy, mse, n=50, seed=0)
    assert not (tmp_path / "s").exists()


def tiny_flat_operator(n: int = 400):
    """A metric like fc6's with random weights: a slowly decaying spectrum at the scale 1e-18."""
    lam = 1e-18 * 0.97 ** np.arange(n)
    Q = np.linalg.qr(np.random.default_rng(3).standard_normal((n, n)))[0]
    H = (Q * lam) @ Q.T
    return H, lam


def test_lanczos_at_a_tiny_scale_returns_the_top_k_where_plain_arpack_misses():
    """Plain ARPACK (as the paper's BackwardIter calls it) stops at once on eigenvalues far below
    its absolute floor and returns pairs that are not the top 10 (the fc6 symptom: a 10th of 0.57
    of the top where the true one is 0.76); the Lanczos methods scale the operator first."""
    from scipy.sparse.linalg import LinearOperator, eigsh

    from gan_geometry.core.methods.arpack import largest

    H, lam = tiny_flat_operator()
    plain = np.sort(eigsh(LinearOperator(H.shape, matvec=lambda v: H @ v, dtype=np.float64), k=10, which="LA",
                          v0=np.random.default_rng(0).standard_normal(400), tol=1e-8)[0])[::-1]
    assert plain[-1] < 0.8 * lam[9]  # plain ARPACK: not the top 10
    ours = np.sort(largest(lambda v: H @ v, 400, 10, seed=0, tol=1e-8)[0])[::-1]
    assert np.allclose(ours, lam[:10], rtol=1e-8, atol=0)


def test_pairs_that_are_not_the_top_k_are_repaired_or_refused_in_one_line(monkeypatch):
    from scipy.sparse.linalg import LinearOperator, eigsh

    from gan_geometry.core.methods import krylov

    H, lam = tiny_flat_operator()
    values, vectors = eigsh(LinearOperator(H.shape, matvec=lambda v: H @ v, dtype=np.float64), k=10, which="LA",
                            v0=np.random.default_rng(0).standard_normal(400), tol=1e-8)
    order = np.argsort(values)[::-1]
    fixed, frame, info = krylov.verified_top_k(lambda X: H @ X, values[order], vectors[:, order])
    assert info["repaired"] >= 1 and np.allclose(fixed, lam[:10], rtol=1e-6, atol=0)
    assert np.allclose(np.abs(frame.T @ H @ frame), np.diag(fixed), atol=1e-6 * lam[0])
    monkeypatch.setattr(krylov, "ROUNDS", 0)
    with pytest.raises(GeometryError, match=r"^the top-10 eigenpairs could not be confirmed: .* use exact, or a "
                                            r"larger k$"):
        krylov.verified_top_k(lambda X: H @ X, values[order], vectors[:, order])



def test_the_check_reuses_the_krylov_products():
    """verified_top_k takes H V from the Krylov iteration (no block recomputed) and spends
    CHECK_BLOCKS blocks on the complement."""
    from gan_geometry.core.methods import krylov

    n, k = 300, 10
    lam = 0.97 ** np.arange(n)
    Q = np.linalg.qr(np.random.default_rng(4).standard_normal((n, n)))[0]
    H = (Q * lam) @ Q.T
    seen = []

    def matmat(X):
        seen.append(X.shape[1])
        return H @ X

    values, vectors, products, info = krylov.block_top_k(matmat, n, k, tol=5e-3)
    assert np.allclose(products, H @ vectors, atol=1e-12) and max(info["residuals"]) <= 5e-3
    seen.clear()
    _, _, check = krylov.verified_top_k(matmat, values, vectors, tol=5e-3, products=products)
    assert check["repaired"] == 0 and seen == [k + krylov.OVERSAMPLING] * krylov.CHECK_BLOCKS


def test_a_miss_within_the_tolerance_is_a_tie_and_beyond_it_is_repaired():
    """Pairs that hold the 11th eigenpair instead of the 10th, 0.1 % below it (n = 24: the check's
    blocks span the whole complement, so it sees the missed eigenvalue exactly): a tie at a
    tolerance of 5e-3, within which each eigenvalue is known; a miss to repair at 1e-4."""
    from gan_geometry.core.methods import krylov

    n, k = 24, 10
    lam = 0.97 ** np.arange(n)
    lam[k] = lam[k - 1] * (1 - 1e-3)
    Q = np.linalg.qr(np.random.default_rng(4).standard_normal((n, n)))[0]
    H = (Q * lam) @ Q.T
    swapped = [*range(k - 1), k]  # exact eigenpairs, but not the top 10
    tie, _, loose = krylov.verified_top_k(lambda X: H @ X, lam[swapped], Q[:, swapped], tol=5e-3)
    assert loose["repaired"] == 0 and np.array_equal(tie, lam[swapped])
    fixed, _, tight = krylov.verified_top_k(lambda X: H @ X, lam[swapped], Q[:, swapped], tol=1e-4)
    assert tight["repaired"] >= 1 and np.allclose(fixed, lam[:k], rtol=1e-6)

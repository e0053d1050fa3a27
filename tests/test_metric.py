import copy

import numpy as np
import pytest
import torch

from gan_geometry import GeometryError, MetricResult, ResourceError, from_module, load_distance, metric_tensor
from gan_geometry.io.storage import save_arrays

LANCZOS = ("lanczos-backward", "lanczos-forward")
TOP_K = (*LANCZOS, "topk")


def relative_frobenius(a, b):
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def top_k_agree(result, reference, k_vals=10, k_vecs=5):
    """Max relative eigenvalue error over the top k_vals, min |cosine| over the top k_vecs."""
    rel = np.abs(result.eigvals[:k_vals] / reference.eigvals[:k_vals] - 1).max()
    cos = np.abs((result.eigvecs[:, :k_vecs] * reference.eigvecs[:, :k_vecs]).sum(0)).min()
    return rel, cos


@pytest.mark.parametrize("method", ["exact", "bp", *TOP_K])
def test_linear_toy_matches_the_closed_form(toy, mse, method):
    A = toy.module.A.double().numpy()
    P = A.shape[0]
    H_true = 2 * A.T @ A / P
    lam_true = np.sort(np.linalg.eigvalsh(H_true))[::-1]
    z = toy.sample(1, seed=0)[0]
    k = 7 if method in TOP_K else None
    m = metric_tensor(toy, mse, z, method=method, k=k)
    kk = m.n_computed
    assert np.allclose(m.eigvals[:kk], lam_true[:kk], rtol=1e-5)
    if m.H is not None:
        assert relative_frobenius(m.H, H_true) < 1e-5
    # eigenvectors: u^T H_true u equals the eigenvalue, and they are orthonormal
    U = m.eigvecs[:, :kk]
    assert np.allclose(np.einsum("ik,ij,jk->k", U, H_true, U), lam_true[:kk], rtol=1e-5)
    n = toy.latent_dim
    assert m.eigvals.shape == (kk,) and m.eigvecs.shape == (n, kk)  # only what was computed is stored
    assert kk == (n if method in ("exact", "bp") else 7)
    assert np.allclose(U.T @ U, np.eye(kk), atol=1e-10)
    lam_full, U_full = m.full_frame()  # the complement has eigenvalue 0 and completes an orthonormal basis
    assert lam_full.shape == (n,) and np.allclose(U_full.T @ U_full, np.eye(n), atol=1e-10)
    assert np.array_equal(U_full[:, :kk], U) and (lam_full[kk:] == 0).all()


@pytest.fixture(scope="module", params=["mse", "lpips-alex"])
def face_metrics(request, face):
    D = load_distance(request.param)
    z = face.sample(1, seed=11)[0]
    results = {m: metric_tensor(face, D, z, method=m, k=10 if m in TOP_K else None)
               for m in ("exact", "bp", *TOP_K)}
    return D, z, results


def test_exact_equals_double_backprop_on_the_face_gan(face_metrics):
    _, _, r = face_metrics
    assert relative_frobenius(r["exact"].H, r["bp"].H) < 1e-5


@pytest.mark.parametrize("method", LANCZOS)
def test_lanczos_top_pairs_match_exact_on_the_face_gan(face_metrics, method):
    _, _, r = face_metrics
    rel, cos = top_k_agree(r[method], r["exact"])
    assert rel < 1e-3, f"top-10 eigenvalues off by {rel:.2e}"
    assert cos > 0.99, f"top-5 eigenvectors |cos| only {cos:.4f}"
    assert r[method].H is None and r[method].n_computed == 10


def test_double_backprop_hessian_is_symmetric_and_psd_before_symmetrising(face, face_metrics):
    """The raw rows of the BP Hessian (not yet symmetrised by the eigendecomposition) must be
    symmetric to rounding, and its spectrum non-negative: both fail if a row is wrong."""
    from gan_geometry.core.pullback import Pullback

    D, z, r = face_metrics
    raw = Pullback(face, D, face.check_latent(z)).hessian_products().rows().double().numpy()
    assert relative_frobenius(raw, raw.T) < 1e-5
    assert r["bp"].eigvals.min() > -1e-5 * r["bp"].eigvals.max()


def test_quadratic_form_matches_finite_difference_second_derivative(face, face_metrics):
    """v^T H v = f''(0) for f(t) = D(G(z0), G(z0 + t v)), central differences in float64."""
    D, z, r = face_metrics
    G64, D64, z64 = copy.deepcopy(face).double(), copy.deepcopy(D).double(), z.double()
    x0 = G64(z64[None])
    rng = np.random.default_rng(0)
    h = 1e-6  # smaller than the distance to the nearest ReLU kink along v (1e-4 crosses some)
    for _ in range(3):
        v = torch.from_numpy(rng.standard_normal(face.latent_dim))
        v /= v.norm()
        with torch.no_grad():
            f_plus = D64(x0, G64((z64 + h * v)[None]))[0]
            f_minus = D64(x0, G64((z64 - h * v)[None]))[0]
        second = ((f_plus + f_minus) / h**2).item()  # f(0) = 0
        vHv = v.numpy() @ r["exact"].H @ v.numpy()
        assert vHv == pytest.approx(second, rel=1e-5)


def test_topk_top_pairs_match_exact_and_report_their_residuals(face_metrics):
    _, _, r = face_metrics
    rel, cos = top_k_agree(r["topk"], r["exact"])
    assert rel < 1e-4, f"top-10 eigenvalues off by {rel:.2e}"
    assert cos > 0.999, f"top-5 eigenvectors |cos| only {cos:.5f}"
    p = r["topk"].provenance
    assert r["topk"].H is None and r["topk"].n_computed == 10
    assert len(p["residuals"]) == 10 and max(p["residuals"]) <= p["tol"] and p["iterations"] >= 1


def test_topk_matches_exact_on_a_random_biggan_deep():
    from gan_geometry import load_generator

    G = load_generator("biggan-deep-128", space="both", random_config=True)
    D = load_distance("mse")
    z = G.sample(1, seed=2)[0]
    rel, cos = top_k_agree(metric_tensor(G, D, z, method="topk", k=10), metric_tensor(G, D, z, method="exact"))
    assert rel < 1e-4 and cos > 0.999, (rel, cos)


@pytest.mark.parametrize("generator", ["linear-toy", "dcgan-face64"])
def test_ssim_exact_is_jt_k_j_and_equals_double_backprop(generator):
    """1 - SSIM has zero gradient at the reference, so H = J^T K J exactly (K: its image Hessian)."""
    from gan_geometry import load_generator

    G, D = load_generator(generator), load_distance("ssim")
    z = G.sample(1, seed=0)[0]
    exact, bp = metric_tensor(G, D, z, method="exact"), metric_tensor(G, D, z, method="bp")
    assert exact.provenance["method"] == "exact"
    assert relative_frobenius(exact.H, bp.H) < 1e-5


def test_provenance_records_how_the_result_was_made(toy, mse):
    m = metric_tensor(toy, mse, toy.sample(1, seed=4)[0], seed=4)
    p = m.provenance
    assert (p["generator"], p["distance"], p["method"], p["seed"]) == ("linear-toy", "mse", "exact", 4)
    assert p["seconds"] > 0 and p["versions"]["torch"] == torch.__version__.split("+")[0]


def test_save_load_round_trip_is_exact(tmp_path, toy, mse):
    for method, k in (("exact", None), ("lanczos-backward", 3)):
        m = metric_tensor(toy, mse, toy.sample(1, seed=2)[0], method=method, k=k, seed=2)
        back = MetricResult.load(m.save(tmp_path / method))
        for field in ("z", "eigvals", "eigvecs"):
            assert np.array_equal(getattr(back, field), getattr(m, field))
        assert (back.H is None) == (m.H is None) and (m.H is None or np.array_equal(back.H, m.H))
        assert back.n_computed == m.n_computed and back.provenance == m.provenance


def test_loading_a_pickled_object_is_refused(tmp_path, toy, mse):
    m = metric_tensor(toy, mse, toy.sample(1, seed=2)[0])
    m.save(tmp_path)
    with open(tmp_path / "metric.npz", "wb") as handle:
        np.savez(handle, z=np.array([{"evil": 1}], dtype=object), eigvals=m.eigvals)
    with pytest.raises(GeometryError, match="pickled object"):
        MetricResult.load(tmp_path)


def test_loading_a_malformed_result_names_the_problem(tmp_path):
    save_arrays(tmp_path / "metric.npz", {"z": np.zeros(3)})
    with pytest.raises(GeometryError, match="lacks"):
        MetricResult.load(tmp_path)
    with pytest.raises(GeometryError, match="does not exist"):
        MetricResult.load(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "kwargs, message",
    [({"method": "newton"}, "unknown method 'newton'.*exact, bp"),
     ({"method": "lanczos-backward", "k": 8}, r"1 <= k < 8"),
     ({"method": "lanczos-forward", "k": 0}, r"1 <= k < 8"),
     ({"method": "exact", "k": 3}, "top-k methods"),
     ({"chunk": 0}, "chunk must be a positive")],
)
def test_bad_requests_are_named(toy, mse, kwargs, message):
    with pytest.raises(GeometryError, match=message):
        metric_tensor(toy, mse, toy.sample(1, seed=0)[0], **kwargs)


def test_bad_latent_codes_are_named(toy, mse):
    with pytest.raises(GeometryError, match=r"expects \(8,\)"):
        metric_tensor(toy, mse, torch.zeros(9))
    with pytest.raises(GeometryError, match="NaN or inf"):
        metric_tensor(toy, mse, torch.tensor([float("inf")] * 8))


def test_a_request_too_large_for_memory_is_refused_before_allocating(mse):
    n = 200_000  # H alone would take 2 * n^2 * 8 bytes = 640 GB
    G = from_module(torch.nn.Linear(n, 12), latent_dim=n, image_shape=(3, 2, 2))
    with pytest.raises(ResourceError, match=r"needs an estimated \d+.*GiB.*method topk with k = 10"):
        metric_tensor(G, mse, torch.zeros(n))
    with pytest.raises(ResourceError, match="GiB allowed"):
        metric_tensor(G, mse, torch.zeros(n), method="bp", memory_cap=2**30)


def test_exact_metrics_in_concurrent_threads_are_correct(face, mse):
    """Forward-mode AD state is process-global in PyTorch; concurrent calls must not corrupt it."""
    from concurrent.futures import ThreadPoolExecutor

    codes = face.sample(4, seed=21)
    expected = [metric_tensor(face, mse, z).eigvals for z in codes]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda z: metric_tensor(face, mse, z).eigvals, codes))
    for got, want in zip(results, expected, strict=True):
        assert np.allclose(got, want, rtol=1e-6)

"""Statistics of metric tensors over many positions (paper section 4, Appendix A.4-A.7).

Pure functions over the arrays a sweep stores (``gan_geometry.analysis.sweeps.Sweep``):
``eigvals`` (N, n) descending, ``eigvecs`` (N, n, n) with eigenvectors in columns, and ``H``
(N, n, n) or None (then H_i = U_i diag(lambda_i) U_i^T). Each returns a dataclass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gan_geometry.core.linalg import descending_eigh

ANISOTROPY_FRACTIONS = (0.99, 0.999, 0.9999, 0.99999)
BLOCK = 64  # positions per batch when metrics are rebuilt or packed, to bound memory


def anisotropy_dims(eigvals: np.ndarray, fractions=ANISOTROPY_FRACTIONS) -> np.ndarray:
    """Smallest k with sum_{i<=k} lambda_i >= f * sum_i lambda_i, for each f (paper Table 2).

    ``eigvals`` (..., n) sorted descending; negative round-off values count as 0.
    Returns (..., len(fractions)) integers in 1..n.
    """
    lam = np.clip(np.asarray(eigvals, dtype=np.float64), 0, None)
    cumulative = np.cumsum(lam, axis=-1)
    total = cumulative[..., -1:]
    reached = cumulative[..., None, :] >= np.asarray(fractions)[:, None] * total[..., None, :]
    return reached.argmax(axis=-1) + 1


def effective_rank(eigvals: np.ndarray) -> np.ndarray:
    """exp(H(p)), p = lambda / sum(lambda) (negatives clipped to 0): (..., n) -> (...)."""
    lam = np.clip(np.asarray(eigvals, dtype=np.float64), 0, None)
    p = lam / lam.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        entropy = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=-1)
    return np.exp(entropy)


def metric_at(eigvals: np.ndarray, eigvecs: np.ndarray, H: np.ndarray | None, i: slice | int) -> np.ndarray:
    """H_i for positions ``i`` (from H when stored, else U diag(lambda) U^T), float64."""
    if H is not None:
        return np.asarray(H[i], dtype=np.float64)
    U, lam = np.asarray(eigvecs[i], dtype=np.float64), np.asarray(eigvals[i], dtype=np.float64)
    return (U * lam[..., None, :]) @ np.swapaxes(U, -1, -2)


def rowwise_corr(x: np.ndarray, y: np.ndarray, log: bool = False) -> np.ndarray:
    """Pearson correlation along the last axis of x and y (broadcast). With ``log``, of log10 of
    both, using only entries where both are positive."""
    x, y = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64))
    if log:
        w = ((x > 0) & (y > 0)).astype(np.float64)
        x, y = np.log10(np.where(w > 0, x, 1.0)), np.log10(np.where(w > 0, y, 1.0))
    else:
        w = np.ones_like(x)
    count = w.sum(-1, keepdims=True)
    xc = x - (w * x).sum(-1, keepdims=True) / count
    yc = y - (w * y).sum(-1, keepdims=True) / count
    with np.errstate(divide="ignore", invalid="ignore"):
        return (w * xc * yc).sum(-1) / np.sqrt((w * xc**2).sum(-1) * (w * yc**2).sum(-1))


# ---------------------------------------------------------------------------------------------
@dataclass
class SpectrumSummary:
    """Per-rank statistics over ``count`` positions: ``mean``, ``lower``/``upper`` percentiles (5 and
    95 by default) of lambda (n,), and the same of lambda / lambda_max. Plot on a log axis."""

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    norm_mean: np.ndarray
    norm_lower: np.ndarray
    norm_upper: np.ndarray
    percentiles: tuple[float, float]
    count: int


def spectrum_summary(eigvals: np.ndarray, percentiles: tuple[float, float] = (5, 95)) -> SpectrumSummary:
    lam = np.asarray(eigvals, dtype=np.float64)
    norm = lam / lam[:, :1]
    lo, hi = percentiles
    return SpectrumSummary(lam.mean(0), np.percentile(lam, lo, 0), np.percentile(lam, hi, 0),
                           norm.mean(0), np.percentile(norm, lo, 0), np.percentile(norm, hi, 0), percentiles,
                           lam.shape[0])


@dataclass
class AnisotropyTable:
    """Dimensions holding each fraction f of the spectrum (paper Table 2), by two definitions:

    - ``paper`` (F,): the paper's, as its authors' script computes it (Animadversio/
      Visual_Neuro_InSilico_Exp, ``Hessian/Figure2_spectra_synopsis.py``, the ``cutoff_tab`` loop):
      average the eigenvalues over positions, sort |mean| descending, expvar = cumsum / sum, count
      the ranks with expvar < f (``paper_anisotropy``);
    - ``dims`` (N, F), ``mean`` and ``std`` (F,): per position, the smallest k whose top-k
      eigenvalues hold f of the sum (``anisotropy_dims``), then mean and std over positions.

    The paper's counts are those its tables print (and ``reproduce`` sets beside them); the
    per-position ones say how much they vary between codes. Out of ``n``."""

    fractions: tuple[float, ...]
    dims: np.ndarray
    mean: np.ndarray
    std: np.ndarray
    n: int
    paper: np.ndarray


def paper_anisotropy(eigvals: np.ndarray, fractions=ANISOTROPY_FRACTIONS) -> np.ndarray:
    """The paper's Table 2 counts from eigenvalues (N, n) (or one spectrum (n,)): the number of
    ranks whose explained fraction of the mean spectrum's absolute values is below each f."""
    mean = np.mean(np.atleast_2d(np.asarray(eigvals, dtype=np.float64)), axis=0)
    ordered = np.sort(np.abs(mean))[::-1]
    explained = np.cumsum(ordered) / ordered.sum()
    return np.array([int((explained < f).sum()) for f in fractions])


def anisotropy_table(eigvals: np.ndarray, fractions=ANISOTROPY_FRACTIONS) -> AnisotropyTable:
    dims = anisotropy_dims(eigvals, fractions)
    return AnisotropyTable(tuple(fractions), dims, dims.mean(0), dims.std(0), np.shape(eigvals)[1],
                           paper_anisotropy(eigvals, fractions))


@dataclass
class IsotropyIllusion:
    """alpha(v) = v^T H v / v^T v for eigenvectors (the eigenvalues, (N, n)) and for ``R``
    random unit directions (N, R); with the theory for random directions (paper Eq. 13-15):
    E[alpha] = mean(lambda), Var[alpha] = 2 / (n + 2) * Var(lambda) (population variance),
    beside the empirical mean and variance, each (N,)."""

    alpha_eigen: np.ndarray
    alpha_random: np.ndarray
    theory_mean: np.ndarray
    theory_var: np.ndarray
    empirical_mean: np.ndarray
    empirical_var: np.ndarray


def isotropy_illusion(eigvals: np.ndarray, eigvecs: np.ndarray, n_random: int = 200, seed: int = 0) -> IsotropyIllusion:
    """Random directions are uniform on the unit sphere (normalised Gaussians, fixed by ``seed``);
    alpha(v) = sum_k lambda_k (u_k . v)^2 in each position's eigenbasis. ``eigvals`` (N, K) and
    ``eigvecs`` (N, n, K) may hold only the K computed pairs: the rest have eigenvalue 0."""
    N, n, K = np.shape(eigvecs)
    lam = np.zeros((N, n))
    lam[:, :K] = np.asarray(eigvals, dtype=np.float64)[:, :K]
    v = np.random.default_rng(seed).standard_normal((n_random, n))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    alpha = np.empty((N, n_random))
    for start in range(0, N, BLOCK):
        coefficients = v @ np.asarray(eigvecs[start:start + BLOCK], dtype=np.float64)  # (b, R, K)
        alpha[start:start + BLOCK] = (coefficients**2 * lam[start:start + BLOCK, None, :K]).sum(-1)
    return IsotropyIllusion(lam, alpha, lam.mean(1), 2 / (n + 2) * lam.var(1), alpha.mean(1), alpha.var(1, ddof=1))


# ---------------------------------------------------------------------------------------------
def _packed(H: np.ndarray) -> np.ndarray:
    """(b, n, n) symmetric -> (b, n(n+1)/2) upper triangle, off-diagonal entries doubled, so
    that packed(H) . packed_outer(w) = w^T H w."""
    n = H.shape[-1]
    rows, cols = np.triu_indices(n)
    return H[:, rows, cols] * np.where(rows == cols, 1.0, 2.0)


def _packed_outer(W: np.ndarray) -> np.ndarray:
    """(m, n) vectors w -> (n(n+1)/2, m) upper triangles of w w^T, in ``np.triu_indices`` order
    (written one contiguous row band per a: entries (a, a..n-1))."""
    m, n = W.shape
    Wt = np.ascontiguousarray(W.T)
    K = np.empty((n * (n + 1) // 2, m))
    row = 0
    for a in range(n):
        K[row:row + n - a] = Wt[a] * Wt[a:]
        row += n - a
    return K


def frame_actions(frames: np.ndarray, metrics_packed: np.ndarray) -> np.ndarray:
    """Lambda[j, i, k] = u_ik^T H_j u_ik for frames U_i (c, n, K) (K <= n columns) and packed
    metrics (M, P): one (M x P) @ (P x c K) matrix product. Returns (M, c, K)."""
    c, n, K = frames.shape
    W = np.swapaxes(frames, 1, 2).reshape(c * K, n)  # row (i, k) = u_ik
    return (metrics_packed @ _packed_outer(W)).reshape(-1, c, K)


@dataclass
class Consistency:
    """C[i, j] = corr(Lambda_ij, lambda_j), Lambda_ij = diag(U_i^T H_j U_i): how the metric at j
    acts on the eigenframe at i, against j's own eigenvalues rank by rank (paper Eq. 5-6), on
    the linear and the log10 scale (non-positive entries masked). (N, N) each, diagonal 1;
    off-diagonal mean and std as in paper Table 4."""

    lin: np.ndarray
    log: np.ndarray

    @staticmethod
    def _off(C: np.ndarray, stat) -> float:
        """``stat`` (nanmean / nanstd) of the off-diagonal entries; NaN for a single position."""
        off = C[~np.eye(C.shape[0], dtype=bool)]
        return float(stat(off)) if off.size else float("nan")

    @property
    def lin_mean(self) -> float:
        return self._off(self.lin, np.nanmean)

    @property
    def lin_std(self) -> float:
        return self._off(self.lin, np.nanstd)

    @property
    def log_mean(self) -> float:
        return self._off(self.log, np.nanmean)

    @property
    def log_std(self) -> float:
        return self._off(self.log, np.nanstd)


def consistency(eigvals: np.ndarray, eigvecs: np.ndarray, H: np.ndarray | None = None,
                block_bytes: int = 2**27) -> Consistency:
    """All N x N consistencies as blocked matrix products: for a block of frames i,
    Lambda[:, block, :] = packed(H) (N x P) @ packed outer products (P x b K), P = n(n+1)/2,
    so the N^2 n^3 work is BLAS, never a Python loop over pairs. ``eigvals`` (N, K) and
    ``eigvecs`` (N, n, K) may hold only the K computed pairs (Lanczos): the correlation then runs
    over those K ranks (H, when None, is rebuilt from them)."""
    lam = np.asarray(eigvals, dtype=np.float64)
    N, K = lam.shape
    n = eigvecs.shape[1]
    packed = np.concatenate([_packed(metric_at(lam, eigvecs, H, slice(s, s + BLOCK)))
                             for s in range(0, N, BLOCK)])
    block = max(1, int(block_bytes // (8 * K * max(N, n * (n + 1) // 2))))
    lin, log = np.empty((N, N)), np.empty((N, N))
    for start in range(0, N, block):
        actions = frame_actions(np.asarray(eigvecs[start:start + block], dtype=np.float64), packed)  # (N, b, n)
        target = lam[:, None, :]
        lin[start:start + block] = rowwise_corr(actions, target).T
        log[start:start + block] = rowwise_corr(actions, target, log=True).T
    return Consistency(lin, log)


@dataclass
class AverageMetric:
    """The element-wise mean metric over positions, its eigenbasis (``eigvals`` descending,
    ``eigvecs`` columns), and how well it explains each local metric H_j: the consistency of the
    average eigenframe with H_j (lin, log; (N,)), and ``explained`` (N,), the fraction of
    tr(H_j) in the average metric's top-``k`` eigenspace (k = its 0.99 anisotropy dimension)."""

    H: np.ndarray
    eigvals: np.ndarray
    eigvecs: np.ndarray
    consistency_lin: np.ndarray
    consistency_log: np.ndarray
    explained: np.ndarray
    k: int


def average_metric(eigvals: np.ndarray, eigvecs: np.ndarray, H: np.ndarray | None = None) -> AverageMetric:
    """The average of the metrics H_j (N, n, n) (or rebuilt from ``eigvals`` (N, K) and ``eigvecs``
    (N, n, K)), its eigenbasis, and how its frame acts on each H_j (against each H_j's spectrum,
    zero past the K computed pairs). Each H_j is built once."""
    lam = np.asarray(eigvals, dtype=np.float64)
    N, n = lam.shape[0], np.shape(eigvecs)[1]
    total, packed = 0.0, []
    for s in range(0, N, BLOCK):
        block = metric_at(lam, eigvecs, H, slice(s, s + BLOCK))
        total = total + block.sum(0)
        packed.append(_packed(block))
    packed = np.concatenate(packed)
    H_avg = total / N
    values, vectors = descending_eigh(H_avg)
    k = int(anisotropy_dims(values, (0.99,))[0])
    actions = frame_actions(vectors[None], packed)[:, 0, :]  # (N, n): u_avg_k^T H_j u_avg_k
    spectra = np.zeros((N, n))
    spectra[:, :lam.shape[1]] = lam
    return AverageMetric(H_avg, values, vectors, rowwise_corr(actions, spectra),
                         rowwise_corr(actions, spectra, log=True), actions[:, :k].sum(1) / spectra.sum(1), k)


# ---------------------------------------------------------------------------------------------
@dataclass
class DistanceComparison:
    """Metrics of two distances A, B at the same N positions (paper A.5, Table 3), each (N,):
    entry-wise correlation of H_A and H_B; correlation of their spectra (lin, log); C^H of A's
    eigenframe on H_B against lambda_B (lin, log) and of B's frame on H_A; and the least-squares
    line log10 lambda_B = slope * log10 lambda_A + intercept over positive pairs."""

    entry_corr: np.ndarray
    eig_corr_lin: np.ndarray
    eig_corr_log: np.ndarray
    ch_ab_lin: np.ndarray
    ch_ab_log: np.ndarray
    ch_ba_lin: np.ndarray
    ch_ba_log: np.ndarray
    slope: np.ndarray
    intercept: np.ndarray

    def table(self) -> dict[str, tuple[float, float]]:
        """Each statistic's (mean, std) over positions."""
        return {name: (float(np.nanmean(v)), float(np.nanstd(v))) for name, v in vars(self).items()}


def compare_distances(a: tuple, b: tuple) -> DistanceComparison:
    """``a``, ``b``: (eigvals (N, K), eigvecs (N, n, K), H or None) of two sweeps at the same
    positions; spectra are compared over the pairs both computed."""
    K = min(np.shape(a[0])[1], np.shape(b[0])[1])
    lam_a, lam_b = np.asarray(a[0], dtype=np.float64)[:, :K], np.asarray(b[0], dtype=np.float64)[:, :K]
    N = lam_a.shape[0]
    entry, ab, ba = np.empty(N), np.empty((N, lam_a.shape[1])), np.empty((N, lam_a.shape[1]))
    for i in range(N):
        H_a, H_b = metric_at(*a, i), metric_at(*b, i)
        U_a, U_b = np.asarray(a[1][i], dtype=np.float64)[:, :K], np.asarray(b[1][i], dtype=np.float64)[:, :K]
        entry[i] = rowwise_corr(H_a.ravel(), H_b.ravel())
        ab[i] = np.einsum("mk,ml,lk->k", U_a, H_b, U_a)
        ba[i] = np.einsum("mk,ml,lk->k", U_b, H_a, U_b)
    slope, intercept = np.empty(N), np.empty(N)
    for i in range(N):
        positive = (lam_a[i] > 0) & (lam_b[i] > 0)
        slope[i], intercept[i] = np.polyfit(np.log10(lam_a[i, positive]), np.log10(lam_b[i, positive]), 1)
    return DistanceComparison(
        entry, rowwise_corr(lam_a, lam_b), rowwise_corr(lam_a, lam_b, log=True),
        rowwise_corr(ab, lam_b), rowwise_corr(ab, lam_b, log=True),
        rowwise_corr(ba, lam_a), rowwise_corr(ba, lam_a, log=True), slope, intercept,
    )


# ---------------------------------------------------------------------------------------------
@dataclass
class Estimate:
    """A statistic's value over all positions and its bootstrap percentile interval."""

    name: str
    value: float
    low: float
    high: float
    level: float


def bootstrap_summaries(eigvals: np.ndarray, consistency_result: Consistency | None = None,
                        n_boot: int = 1000, level: float = 0.95, seed: int = 0) -> list[Estimate]:
    """Scalars for comparing generators at a glance, each with a bootstrap CI over positions:
    mean effective rank, mean anisotropy dims, and the mean off-diagonal C^H (lin, log; a
    resampled position set keeps the pairs of distinct original positions). Percentile intervals
    from ``n_boot`` resamples of the positions."""
    lam = np.asarray(eigvals, dtype=np.float64)
    N = lam.shape[0]
    rng = np.random.default_rng(seed)
    samples = rng.integers(0, N, size=(n_boot, N))
    per_position = {"effective rank": effective_rank(lam)}
    for f, dims in zip(ANISOTROPY_FRACTIONS, anisotropy_dims(lam).T, strict=True):
        per_position[f"dims for {f:g}"] = dims.astype(np.float64)
    q = ((1 - level) / 2 * 100, (1 + level) / 2 * 100)
    estimates = []
    for name, values in per_position.items():
        low, high = np.percentile(values[samples].mean(1), q)
        estimates.append(Estimate(name, float(values.mean()), float(low), float(high), level))
    if consistency_result is not None:
        # A resample with counts c (N,) has mean off-diagonal C^H = c^T C0 c / c^T W c, where C0 is
        # C with its diagonal and NaNs zeroed and W marks the entries kept: one GEMM for all.
        counts = np.stack([np.bincount(idx, minlength=N) for idx in samples]).astype(np.float64)
        for name, C, full in (("C^H lin", consistency_result.lin, consistency_result.lin_mean),
                              ("C^H log", consistency_result.log, consistency_result.log_mean)):
            keep = np.isfinite(C) & ~np.eye(N, dtype=bool)
            numerator = ((counts @ np.where(keep, C, 0.0)) * counts).sum(1)
            denominator = ((counts @ keep.astype(np.float64)) * counts).sum(1)
            with np.errstate(invalid="ignore", divide="ignore"):  # a resample of one position has no pairs
                means = numerator / denominator
            low, high = np.nanpercentile(means, q) if N >= 2 else (np.nan, np.nan)  # one position: no pairs
            estimates.append(Estimate(name, full, float(low), float(high), level))
    return estimates


# ---------------------------------------------------------------------------------------------
@dataclass
class Homogeneity:
    """Homogeneity statistics that anisotropy cannot fool (C^H cannot tell: for an isometry, the same
    flat metric everywhere, C^H is undefined, NaN, since its eigenvalues do not vary; paper A.7).
    Each over the N (N - 1) / 2 pairs of positions, mean and std:

    - ``log_euclidean``: ||log A_i - log A_j||_F between trace-normalised metrics
      A = H / tr(H) + eps I (eps = ``ridge``, regularising the null space), the log-Euclidean
      Riemannian distance on SPD matrices: 0 for the same metric everywhere, whatever its spectrum.
    - ``cosine``: <B_i, B_j>_F / (||B_i|| ||B_j||) of the trace-normalised metrics B = H / tr(H)
      (no ridge), the alignment of the metric tensors as matrices: 1 for the same metric everywhere.
    - ``overlap``: ||U_i^T U_j||_F^2 / k, the mean squared cosine of the principal angles between
      the top-k eigenspaces (k = ``k``), beside ``overlap_random`` = k / n for random subspaces.
      Undefined (NaN) where the spectrum has no gap after rank k (lambda_k+1 = lambda_k to 1e-6 at
      some position): a flat spectrum has no top-k eigenspace.
    """

    log_euclidean: tuple[float, float]
    cosine: tuple[float, float]
    overlap: tuple[float, float]
    overlap_random: float
    k: int
    ridge: float


def _pairs(M: np.ndarray) -> tuple[float, float]:
    off = M[np.triu_indices(M.shape[0], 1)]
    return (float(np.mean(off)), float(np.std(off))) if off.size else (float("nan"), float("nan"))


def homogeneity(eigvals: np.ndarray, eigvecs: np.ndarray, k: int | None = None, ridge: float = 1e-6) -> Homogeneity:
    """``Homogeneity`` of metrics given as eigenpairs: ``eigvals`` (N, K), ``eigvecs`` (N, n, K)
    columns (K = n, or the K computed pairs, the rest of the space having eigenvalue 0). ``k``
    defaults to the median 0.99 anisotropy dimension. Uses the eigenpairs directly:
    log A_i = U_i diag(log(lambda_i / sum lambda_i + ridge)) U_i^T + log(ridge) (I - U_i U_i^T),
    so the pairwise log-Euclidean distances and cosines are each one (N, n^2) Gram product."""
    U = np.asarray(eigvecs, dtype=np.float64)
    N, n, K = U.shape
    lam = np.clip(np.asarray(eigvals, dtype=np.float64)[:, :K], 0, None)
    normalised = lam / lam.sum(1, keepdims=True)

    def flat(values: np.ndarray, rest: float) -> np.ndarray:
        """U diag(values) U^T + rest (I - U U^T) per position, flattened: (N, n^2)."""
        if K == n:
            rest = 0.0
        return np.concatenate([(metric_at(values - rest, U, None, slice(s, s + BLOCK)) + rest * np.eye(n))
                               .reshape(-1, n * n) for s in range(0, N, BLOCK)])

    logs = flat(np.log(normalised + ridge), np.log(ridge))
    gram = logs @ logs.T
    squared = np.diag(gram)[:, None] + np.diag(gram)[None, :] - 2 * gram
    distance = np.sqrt(np.clip(squared, 0, None))
    mats = flat(normalised, 0.0)
    norms = np.linalg.norm(mats, axis=1)
    cosine = (mats @ mats.T) / np.outer(norms, norms)
    k = int(np.median(anisotropy_dims(lam, (0.99,))[:, 0])) if k is None else int(k)
    k = min(max(k, 1), n - 1, K)
    following = lam[:, k] if k < K else np.zeros(N)
    gapped = (following < (1 - 1e-6) * lam[:, k - 1]).all()
    overlap = _overlap(U[:, :, :k]) if gapped else np.full((N, N), np.nan)
    return Homogeneity(_pairs(distance), _pairs(cosine), _pairs(overlap), k / n, k, ridge)


def _overlap(frames: np.ndarray) -> np.ndarray:
    """||U_i^T U_j||_F^2 / k for top-k frames (N, n, k), one position i at a time: (N, N)."""
    N, _, k = frames.shape
    return np.stack([(np.einsum("ak,jal->jkl", frames[i], frames) ** 2).sum((1, 2)) / k for i in range(N)])


# ---------------------------------------------------------------------------------------------
@dataclass
class SweepSummary:
    """Every statistic of one sweep that the command line, the app and the report show, computed
    once: spectrum, anisotropy table, consistency C^H, isotropy illusion, average metric, the
    bootstrap estimates, and the homogeneity statistics beyond C^H. Statistics over ranks use the
    ``n_computed`` computed pairs only."""

    spectrum: SpectrumSummary
    anisotropy: AnisotropyTable
    consistency: Consistency
    isotropy: IsotropyIllusion
    average: AverageMetric
    estimates: list[Estimate]
    homogeneity: Homogeneity


def summarise(eigvals: np.ndarray, eigvecs: np.ndarray, H: np.ndarray | None, n_computed: int,
              n_boot: int = 1000) -> SweepSummary:
    """The ``SweepSummary`` of a sweep's stacks: ``eigvals`` (N, K), ``eigvecs`` (N, n, K), ``H``
    (N, n, n) or None, where the first ``n_computed`` pairs per position were computed (stacks of
    older top-k sweeps hold a completed n x n basis: only the computed pairs are read)."""
    k = n_computed
    lam = np.asarray(eigvals[:, :k])
    frames = eigvecs if k == eigvecs.shape[2] else np.asarray(eigvecs[:, :, :k])
    C = consistency(lam, frames, H)
    return SweepSummary(spectrum_summary(lam), anisotropy_table(lam), C, isotropy_illusion(lam, frames),
                        average_metric(lam, frames, H), bootstrap_summaries(lam, C, n_boot=n_boot),
                        homogeneity(lam, frames))

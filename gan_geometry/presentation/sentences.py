"""Sentences from the engine's result objects: what a spectrum, a comparison or a run says, in the
words the app, the command line and the report all use (formats from ``formats``). A statistic a
result cannot give says so ("needs 2+ positions", a partial spectrum, a degenerate metric) instead
of printing "nan".
"""

from __future__ import annotations

import numpy as np

from gan_geometry.analysis import statistics as st
from gan_geometry.presentation import formats as fmt
from gan_geometry.presentation.formats import NEEDS_TWO


# ---- one code --------------------------------------------------------------------------------
def degenerate(eigvals: np.ndarray) -> str:
    """"" for an ordinary spectrum, else what is wrong with it: not finite, or zero (the image does
    not change at all around this code: a saturated generator or a code far outside its latent
    distribution)."""
    lam = np.asarray(eigvals, dtype=np.float64)
    if not np.isfinite(lam).all():
        return "The metric is not finite at this code: no statistic of it means anything."
    if lam.size == 0 or lam.max() <= 0:
        return ("Every eigenvalue is 0: the image does not change at all around this code (a saturated generator, "
                "or a code far outside its latent distribution), so there is no direction to rank.")
    return ""


def spectrum_sentence(eigvals: np.ndarray, n_computed: int, latent_dim: int) -> str:
    """What the spectrum of one metric says: how many pairs were computed, how many dimensions
    hold each fraction (of the computed top-k, said so, when the spectrum is partial), the
    effective rank; a degenerate spectrum is said to be one."""
    lam = np.asarray(eigvals[:n_computed])
    problem = degenerate(lam)
    if problem:
        return problem
    dims = st.anisotropy_dims(lam)
    if n_computed == latent_dim:
        held = "; ".join(f"{d} of {latent_dim} dimensions hold {100 * f:g} %" for f, d in
                         zip(st.ANISOTROPY_FRACTIONS, dims, strict=True))
        return (f"All {latent_dim} eigenpairs computed. {held} of the spectrum. Effective rank "
                f"{fmt.dims(float(st.effective_rank(lam)))}.")
    held = "; ".join(f"{d} hold {100 * f:g} %" for f, d in zip(st.ANISOTROPY_FRACTIONS, dims, strict=True)
                     if d < n_computed) or f"all {n_computed} are needed for 99 %"
    return (f"Top {n_computed} of {latent_dim} eigenpairs computed (the rest of the basis completes the space with "
            f"eigenvalue 0). Of their sum: {held}.")


def method_sentence(provenance: dict) -> str:
    """Which method ran, and why when it is not the one asked for."""
    used, asked = provenance["method"], provenance.get("requested_method", provenance["method"])
    product = " with the compiled product" if provenance.get("compiled") else ""
    if used == asked:
        return f"Method: {used}{product}."
    return (f"Method: {used} ({asked} needs a squared feature distance such as LPIPS or MSE; "
            f"{provenance['distance']} is not one, so {used} ran instead).")


def metric_summary(result, waited: float, startup: float = 0.0) -> str:
    """What the app says of a metric: what it is of, how long the user waited (the cached answer
    said to be cached; work done when the server started said to be start-up work), the method,
    and the spectrum sentence."""
    p = result.provenance
    if startup:
        timing = f"computed when the server started ({fmt.seconds(startup)} of start-up work), answered now"
    elif waited < 0.5 * p["seconds"]:
        timing = f"answered in {fmt.seconds(waited)} from the cache (computing it took {fmt.seconds(p['seconds'])})"
    else:
        timing = f"computed in {fmt.seconds(waited)}"
    return (f"**{p['generator']}** ({p['space']}, n = {result.latent_dim}), {p['distance']}: {timing}. "
            f"{method_sentence(p)}  \n{spectrum_sentence(result.eigvals, result.n_computed, result.latent_dim)}")


def code_caption(generator: str, space: str, latent_dim: int, seed, index, origin: str | None) -> str:
    """Which code is current: a gallery sample, or a pasted / uploaded one."""
    what = origin if origin else f"sample {int(index)} of seed {int(seed)}"
    return f"**Current code:** {what} ({generator}, {space} space, n = {latent_dim})"


def explore_readout(point, distance: str, scaled: bool, moves: list[float]) -> str:
    """The live explorer's readout: measured distance beside the quadratic prediction, and the moves."""
    unit = "units of λ^-1/2: each unit predicts the same change" if scaled else "latent units"
    moved = ", ".join(f"rank {i + 1}: {fmt.step(v)}" for i, v in enumerate(moves) if v != 0)
    return (f"**Measured D(G(z0), G(z)) = {fmt.eig(point.distance)}** ({distance}); predicted ½ δᵀHδ = "
            f"{fmt.eig(point.predicted)}.\n\nMoved ({unit}): {moved or 'nowhere yet'}.\n\n"
            f"*The prediction is the metric's quadratic approximation: it holds for small moves; the "
            f"measured distance departs from it as the output changes nonlinearly.*")


def axis_summary(result, family: str, k: int) -> str:
    """What an ``axes.AxisComparison`` says: speeds of the first k axes against random
    directions, the Grassmann distance of their span to the top-k eigenspace against random."""
    return (f"{family} axes: speed aᵀHa of the first {k}: {', '.join(fmt.eig(v) for v in result.speed[:k])} (random "
            f"unit vectors {fmt.eig(result.random_speed)}). Grassmann distance of their span to the top-{k} "
            f"eigenspace {fmt.corr(result.grassmann)}, random {k}-subspaces {fmt.mean_std(result.grassmann_random)}.")


# ---- many positions ------------------------------------------------------------------------------
def sweep_heading(settings: dict, n_positions: int, latent_dim: int) -> str:
    return (f"{settings['generator']} ({settings['space']}, n = {latent_dim}), {settings['distance']}, "
            f"{settings['method']}, N = {n_positions}, seed {settings['seed']}")


def average_metric_sentence(avg: st.AverageMetric) -> str:
    return (f"The average metric's top {avg.k} eigenvectors hold {fmt.corr(avg.explained.mean())} of each local "
            f"metric's trace on average; the consistency of its eigenframe with the local metrics is "
            f"{fmt.corr(np.nanmean(avg.consistency_log))} (log) and {fmt.corr(np.nanmean(avg.consistency_lin))} "
            f"(linear). Its top eigenvalues: {' '.join(fmt.eig(v) for v in avg.eigvals[:5])}.")


def spectrum_caption(spectrum: st.SpectrumSummary, n: int) -> str:
    decades = float(np.log10(max(spectrum.mean[0], 1e-300) / max(spectrum.mean[n - 1], 1e-300)))
    return (f"Mean eigenvalue per rank over {spectrum.count} positions with the 5–95 % band. The spectrum falls "
            f"{fmt.dims(decades)} decades from rank 1 to rank {n}: a few directions change the image far more than "
            f"the rest.")


def anisotropy_caption(table: st.AnisotropyTable) -> str:
    paper, n = int(table.paper[0]), table.n
    return (f"Dimensions needed to hold each fraction of the spectrum: by the paper's definition (the mean spectrum) "
            f"99 % lies in {paper} of {n} dimensions ({fmt.percent(paper / n)}); per position it takes "
            f"{fmt.dims(table.mean[0])} ± {fmt.dims(table.std[0])}.")


def isotropy_caption(iso: st.IsotropyIllusion) -> str:
    spread = iso.alpha_eigen[:, 0].mean() / max(iso.alpha_eigen[:, -1].mean(), 1e-300)
    return (f"Speeds vᵀHv of the eigenvectors span a factor of {fmt.eig(spread)}, yet random directions all land "
            f"near the mean eigenvalue, as the theory line predicts: probed at random the space would look isotropic.")


def homogeneity_caption(consistency: st.Consistency, n_positions: int) -> str:
    if n_positions < 2:
        return f"C^H compares the metric at pairs of positions: it {NEEDS_TWO}, and this sweep has one."
    verdict = ("the eigenframe of one code predicts the ranking of speeds at another well."
               if consistency.log_mean > 0.7 else "the geometry changes noticeably between codes.")
    return (f"C^H between every pair of positions (eigenframe of i acting on the metric of j). Mean "
            f"{fmt.corr(consistency.log_mean)} on the log scale: {verdict}")


# ---- layers and applications ---------------------------------------------------------------------
def layers_heading(settings: dict, n_positions: int, latent_dim: int, shuffle_seed: int) -> str:
    return (f"{settings['generator']} ({settings['space']}, n = {latent_dim}), {n_positions} positions, weights "
            f"shuffled with seed {shuffle_seed}")


def interpolation_sentence(summary: dict, pairs: int | None = None) -> str:
    """The relative length improvement of the optimised curves over straight lines."""
    over = f" over {pairs} pairs" if pairs else ""
    spread = f" (min {fmt.percent(summary['min'])}, max {fmt.percent(summary['max'])})" if "min" in summary else ""
    return (f"Relative length improvement (L_line − L_curve) / L_line{over}: {fmt.percent(summary['mean'])} ± "
            f"{fmt.percent(summary['std'])}{spread} (Riemannian lengths under the pull-back metric, Michelis et al. "
            f"2021).")


def comparison_sentence(names: tuple[str, str], a: dict, b: dict, comparable: list[int], pairs: int,
                        threshold: float) -> str:
    """Michelis et al.'s two-model comparison: both improvements and the comparable pairs."""
    which = ", ".join(str(i + 1) for i in comparable) or "none"
    return (f"The same {pairs} output pairs in {names[0]} and {names[1]}: relative improvement "
            f"{fmt.percent(a['mean'])} ± {fmt.percent(a['std'])} against {fmt.percent(b['mean'])} ± "
            f"{fmt.percent(b['std'])}. Pairs whose improvements differ by at most {fmt.percent(threshold)} "
            f"(comparable interpolations, Appendix D): {which}.")


def slice_sentence(maps) -> str:
    """What ``slices.SliceMaps`` say: how anisotropic the plane is and how much that varies."""
    finite = np.isfinite(maps.condition)
    low, high = (np.min(maps.condition[finite]), np.max(maps.condition[finite])) if finite.any() else (np.inf,) * 2
    turning = np.degrees(np.arccos(np.clip(np.abs(maps.direction.reshape(-1, 2) @ maps.direction[
        maps.direction.shape[0] // 2, maps.direction.shape[1] // 2]), 0, 1))).max()
    return (f"Over the {maps.labels[0]} × {maps.labels[1]} slice (±{fmt.step(maps.offsets[-1])[1:]}), the plane's "
            f"condition number ranges from {fmt.eig(low)} to {fmt.eig(high)} and its fastest direction turns by up "
            f"to {fmt.dims(turning, mean=False)}° from the centre's.")


def cache_sentence(cache_bytes: dict[str, int]) -> str:
    """What a server keeps between requests."""
    parts = ", ".join(f"{fmt.size(size)} of {what}" for what, size in cache_bytes.items())
    return f"This server keeps at most {parts} in memory for reuse (the least recently used go first)."

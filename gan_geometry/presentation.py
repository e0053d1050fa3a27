"""What the app, the command line and the report show: every table row, sentence and number
format, made once here. One precision per quantity:

    eigenvalues, speeds      4 significant digits (``eig``)
    dimensions               1 decimal (means over positions) or whole numbers (one code)
    C^H, cosine, overlap     3 decimals
    log-Euclidean distance   2 decimals

Tables are ``Table`` (caption, header, rows of strings); the CLI aligns them as text
(``text_table``), the app passes header and rows to a dataframe, the report to its template.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gan_geometry.analysis import statistics as st


def eig(value: float) -> str:
    """An eigenvalue or a speed: 4 significant digits."""
    return f"{value:.4g}"


def mean_std(pair, digits: int) -> str:
    """``(mean, std)`` as "mean ± std" with ``digits`` decimals."""
    return f"{pair[0]:.{digits}f} ± {pair[1]:.{digits}f}"


@dataclass
class Table:
    caption: str
    header: list[str]
    rows: list[list[str]]

    def as_dict(self) -> dict:
        return {"caption": self.caption, "header": self.header, "rows": self.rows}


def text_table(table: Table) -> str:
    """The table as aligned text: first column left-aligned, the others right-aligned."""
    widths = [max(len(str(row[i])) for row in [table.header, *table.rows]) for i in range(len(table.header))]
    lines = [table.caption] if table.caption else []
    for row in [table.header, *table.rows]:
        cells = [str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths,
                                                                                            strict=True))]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


# ---- one code --------------------------------------------------------------------------------
def spectrum_sentence(eigvals: np.ndarray, n_computed: int, latent_dim: int) -> str:
    """What the spectrum of one metric says: how many pairs were computed, how many dimensions
    hold each fraction (of the computed top-k, said so, when the spectrum is partial), the
    effective rank."""
    lam = np.asarray(eigvals[:n_computed])
    dims = st.anisotropy_dims(lam)
    if n_computed == latent_dim:
        held = "; ".join(f"{d} of {latent_dim} dimensions hold {100 * f:g} %" for f, d in
                         zip(st.ANISOTROPY_FRACTIONS, dims, strict=True))
        return (f"All {latent_dim} eigenpairs computed. {held} of the spectrum. Effective rank "
                f"{float(st.effective_rank(lam)):.2f}.")
    held = "; ".join(f"{d} hold {100 * f:g} %" for f, d in zip(st.ANISOTROPY_FRACTIONS, dims, strict=True)
                     if d < n_computed) or f"all {n_computed} are needed for 99 %"
    return (f"Top {n_computed} of {latent_dim} eigenpairs computed (the rest of the basis completes the space with "
            f"eigenvalue 0). Of their sum: {held}.")


def eigenvalue_table(eigvals: np.ndarray, n_computed: int, shown: int = 20) -> Table:
    return Table("Top eigenvalues", ["rank", "eigenvalue"],
                 [[str(i + 1), eig(v)] for i, v in enumerate(eigvals[: min(shown, n_computed)])])


# ---- many positions: paper Tables 2 and 4 ------------------------------------------------------
def anisotropy_cells(row: dict) -> list[str]:
    """Dimensions holding each fraction, mean ± std (1 decimal)."""
    return [mean_std(pair, 1) for pair in row["dims"]]


NEEDS_TWO = "needs 2+ positions"


def homogeneity_cells(row: dict) -> list[str]:
    """C^H log and linear (3 decimals), log-Euclidean distance (2), metric cosine (3); statistics
    between positions say so where a sweep has one position."""
    if row["N"] < 2:
        return [NEEDS_TWO] * 4
    return [mean_std(row["ch_log"], 3), mean_std(row["ch_lin"], 3), mean_std(row["log_euclidean"], 2),
            mean_std(row["cosine"], 3)]


HOMOGENEITY_HEADER = ["C^H log", "C^H lin", "log-Euclidean", "cosine"]


def estimates_table(estimates: list, n_positions: int, n_boot: int) -> Table:
    """The bootstrap estimates (``statistics.Estimate``): value and 95 % interval; statistics
    between positions (C^H) say so where a sweep has one position."""
    rows = []
    for e in estimates:
        between_positions = e.name.startswith("C^H")
        if between_positions and n_positions < 2:
            rows.append([e.name, NEEDS_TWO, ""])
        else:
            rows.append([e.name, f"{e.value:.4g}", f"[{e.low:.4g}, {e.high:.4g}]"])
    return Table(f"Summary with 95 % bootstrap intervals over positions ({n_boot} resamples)",
                 ["statistic", "value", "interval"], rows)


def model_table(rows: list[dict]) -> Table:
    """Paper Tables 2 and 4 in one, a row per sweep (``sweep.model_rows``)."""
    fractions = rows[0]["fractions"]
    return Table("Dimensions holding each fraction of the spectrum (paper Table 2) and homogeneity (Table 4), "
                 "mean ± std over positions",
                 ["sweep", "N", "n", *(f"{f:g}" for f in fractions), *HOMOGENEITY_HEADER],
                 [[r["label"], str(r["N"]), str(r["n"]), *anisotropy_cells(r), *homogeneity_cells(r)] for r in rows])


def anisotropy_table(rows: list[dict]) -> Table:
    fractions = rows[0]["fractions"]
    return Table("Anisotropy: dimensions holding each fraction of the spectrum (paper Table 2 format)",
                 ["model", "N", "n", *(f"{f:g}" for f in fractions)],
                 [[r["label"], str(r["N"]), str(r["n"]), *anisotropy_cells(r)] for r in rows])


def homogeneity_table(rows: list[dict]) -> Table:
    return Table("Homogeneity (paper Table 4 format) and the statistics beyond C^H",
                 ["model", *HOMOGENEITY_HEADER], [[r["label"], *homogeneity_cells(r)] for r in rows])


def isotropy_table(iso: st.IsotropyIllusion) -> Table:
    return Table("alpha(v) = vᵀHv of random unit directions, averaged over positions",
                 ["", "empirical", "theory (Eq. 13-15)"],
                 [["mean", eig(iso.empirical_mean.mean()), eig(iso.theory_mean.mean())],
                  ["variance", eig(iso.empirical_var.mean()), eig(iso.theory_var.mean())]])


def average_metric_sentence(avg: st.AverageMetric) -> str:
    return (f"The average metric's top {avg.k} eigenvectors hold {avg.explained.mean():.3f} of each local metric's "
            f"trace on average; the consistency of its eigenframe with the local metrics is "
            f"{np.nanmean(avg.consistency_log):.3f} (log) and {np.nanmean(avg.consistency_lin):.3f} (linear).")


DISTANCE_COMPARISON = {"entry_corr": "H entries corr", "eig_corr_lin": "spectra corr lin",
                       "eig_corr_log": "spectra corr log", "ch_ab_lin": "C^H A frame on B lin",
                       "ch_ab_log": "C^H A frame on B log", "ch_ba_lin": "C^H B frame on A lin",
                       "ch_ba_log": "C^H B frame on A log", "slope": "log spectra slope",
                       "intercept": "log spectra intercept"}


def distance_comparison_table(result: st.DistanceComparison, names: tuple[str, str]) -> Table:
    """Paper Table 3 for distances A and B at the same positions: a row per statistic (3 decimals)."""
    return Table(f"Distance comparison (paper Table 3 format): A = {names[0]}, B = {names[1]}; mean ± std over "
                 f"positions", ["statistic", "A against B"],
                 [[DISTANCE_COMPARISON[key], mean_std(value, 3)] for key, value in result.table().items()])


# ---- layers ------------------------------------------------------------------------------------
def layer_table(summary, names: dict[str, str] | None = None) -> Table:
    """Each layer's metric and the image metric, original against weight-shuffled (a
    ``layers.LayerSummary``); ``names``: readable names for the layers (``readable_layer_names``)."""
    names = names or {}
    return Table("Layer metrics, original against weight-shuffled (means over positions)",
                 ["metric", "top eigenvalue", "shuffled", "dims for 99 %", "shuffled"],
                 [[names.get(r["metric"], r["metric"]), eig(r["top"]), eig(r["top_shuffled"]), f"{r['dims99']:.1f}",
                   f"{r['dims99_shuffled']:.1f}"] for r in summary.rows])


# ---- traversal ---------------------------------------------------------------------------------
def distance_curve_table(curves, distance: str) -> Table:
    """Measured / predicted distance per rank and step (a ``traversal.DistanceCurves``), the steps
    labelled as the montage's columns (mode and scaling)."""
    from gan_geometry.analysis.traversal import step_labels

    return Table(f"{distance} along each eigenvector: measured / quadratic prediction ½ δᵀHδ",
                 ["rank", *step_labels(curves.steps, curves.mode, curves.scaled)],
                 [[str(r), *(f"{a:.3g} / {b:.3g}" for a, b in zip(measured, predicted, strict=True))]
                  for r, measured, predicted in zip(curves.ranks, curves.distances, curves.predicted, strict=True)])


# ---- axis families -------------------------------------------------------------------------------
def axis_summary(result, family: str, k: int) -> str:
    """What an ``axes.AxisComparison`` says: speeds of the first k axes against random
    directions, the Grassmann distance of their span to the top-k eigenspace against random."""
    return (f"{family} axes: speed aᵀHa of the first {k}: {', '.join(eig(v) for v in result.speed[:k])} (random "
            f"unit vectors {eig(result.random_speed)}). Grassmann distance of their span to the top-{k} eigenspace "
            f"{result.grassmann:.3f}, random {k}-subspaces {mean_std(result.grassmann_random, 3)}.")


def axis_row(name: str, family: str, result, labels: list[str]) -> list[str]:
    """A report row: set, family, K, mean speed of the first k, random, Grassmann, random, labels."""
    labelled = ", ".join(f"{i}: {label}" for i, label in enumerate(labels) if label) or "none"
    return [name, family, str(result.power.shape[0]), eig(result.speed[:result.k].mean()), eig(result.random_speed),
            f"{result.grassmann:.3f}", mean_std(result.grassmann_random, 3), labelled]


def method_sentence(provenance: dict) -> str:
    """Which method ran, and why when it is not the one asked for."""
    used, asked = provenance["method"], provenance.get("requested_method", provenance["method"])
    if used == asked:
        return f"Method: {used}."
    return (f"Method: {used} ({asked} needs a squared feature distance such as LPIPS or MSE; "
            f"{provenance['distance']} is not one, so {used} ran instead).")


def readable_layer_names(infos) -> dict[str, str]:
    """``layers.LayerInfo`` -> "block i · type → C×H×W" (i counts the listed layers from 1)."""
    return {info.name: f"block {i} · {info.kind} → {'×'.join(map(str, info.shape))}"
            for i, info in enumerate(infos, start=1)}


# ---- help: one line per control and statistic ---------------------------------------------------
GLOSSARY = {
    "metric tensor H": "The Hessian of the image distance D(G(z0), G(z)) at z = z0: how fast the image changes as "
                       "the code moves in each direction. n × n, symmetric, positive semi-definite.",
    "eigenvalue λ, rank": "Rank 1 is the direction (eigenvector) that changes the image most; λ is its speed "
                          "(squared image change per squared latent step). Ranks count from 1.",
    "anisotropy (dims holding 99 %)": "How many top eigenvalues make up 99 % of their sum. Small = a few directions "
                                      "do almost everything. Paper (Table 2): DCGAN-fashion 17 of 120, StyleGAN2 "
                                      "Z 7–13 of 512.",
    "effective rank": "exp(entropy of λ / Σλ): the number of equally strong directions that would give the same "
                      "spread. Lower = more anisotropic.",
    "C^H (log / lin)": "Homogeneity: how well the eigenframe at one code predicts the eigenvalues at another "
                       "(correlation, 1 = the same geometry everywhere). Paper (Table 4): log scale 0.9+ for most "
                       "GANs, linear lower. Undefined for an isometry.",
    "log-Euclidean distance": "Distance between the trace-normalised metrics of two codes: 0 = the same metric "
                              "everywhere; larger = the geometry changes more between codes.",
    "metric cosine": "Alignment of two codes' metrics as matrices: 1 = the same everywhere, 0 = unrelated.",
    "top-k overlap": "Mean squared cosine between two codes' top-k eigenspaces, against k/n for random subspaces.",
    "isotropy illusion": "Random directions all change the image by about the mean eigenvalue, so the space looks "
                         "isotropic if probed at random, although eigenvectors span orders of magnitude.",
    "speed aᵀHa": "How fast the image changes along a unit axis a (an eigenvalue when a is an eigenvector).",
    "Grassmann distance": "Angle between the span of k axes and the top-k eigenspace (0 = the same subspace); "
                          "compared with random k-subspaces.",
    "purified axes": "An axis (SeFa, PCA, yours) with only its components on the top-k eigenvectors kept: usually "
                     "the same edit, faster and cleaner.",
    "quadratic prediction ½ δᵀHδ": "The metric's second-order prediction of the distance after a move δ. It holds "
                                   "for small moves; the measured distance falls below it as the image saturates "
                                   "or rises above it where the generator curves.",
    "shuffled control": "The same generator with every kernel's weights permuted: what the geometry looks like "
                        "without training (paper Fig. 4).",
    "amplification": "How each later layer stretches the first layer's eigenvectors: correlation near 1 means the "
                     "layers keep the first layer's ranking.",
}


def glossary_markdown() -> str:
    return "\n".join(f"- **{term}**: {text}" for term, text in GLOSSARY.items())

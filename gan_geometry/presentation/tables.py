"""Tables from the engine's result objects: every table the app, the command line and the report
show, made once. A ``Table`` holds text cells already formatted (``formats``), a unit per column
and a note for what a table cannot give (a one-position sweep, a partial spectrum); the command
line prints ``text_table``, the app passes header and rows to a dataframe, the report to its
template. None of them formats a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gan_geometry.analysis import statistics as st
from gan_geometry.analysis.sweeps import Sweep
from gan_geometry.presentation import formats as fmt
from gan_geometry.presentation.formats import NEEDS_TWO


@dataclass
class Table:
    """``caption``, ``header`` (column names; [] for a two-column list of facts), ``rows`` of text
    cells, ``units`` per column ("" where none), and a ``note`` under it ("" when none)."""

    caption: str
    header: list[str]
    rows: list[list[str]]
    units: list[str] = field(default_factory=list)
    note: str = ""

    def as_dict(self) -> dict:
        return {"caption": self.caption, "header": self.header, "rows": self.rows, "note": self.note}


def text_table(table: Table) -> str:
    """The table as aligned text: first column left-aligned, the others right-aligned (every column
    left-aligned in a list of facts, which has no header); the caption above and the note below."""
    lines_ = [table.header, *table.rows] if table.header else table.rows
    widths = [max(len(str(row[i])) for row in lines_) for i in range(len(lines_[0]))] if lines_ else []
    lines = [table.caption] if table.caption else []
    for row in lines_:
        cells = [str(c).ljust(w) if i == 0 or not table.header else str(c).rjust(w)
                 for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        lines.append("  ".join(cells).rstrip())
    if table.note:
        lines.append(table.note)
    return "\n".join(lines)


def facts(caption: str, pairs: list[tuple[str, str]], note: str = "") -> Table:
    """A list of (name, value) facts as a two-column table without header."""
    return Table(caption, [], [[name, value] for name, value in pairs], note=note)


# ---- many positions: one row per sweep ------------------------------------------------------------
@dataclass
class ModelRow:
    """A sweep as one row of paper Tables 2 and 4: its label, N positions, latent dimension n and
    its ``SweepSummary``."""

    label: str
    N: int
    n: int
    summary: st.SweepSummary


def sweep_label(settings: dict) -> str:
    return f"{settings['generator']} ({settings['space']}, {settings['distance']})"


def model_row(label: str, sweep: Sweep, summary: st.SweepSummary) -> ModelRow:
    return ModelRow(label, sweep.n_positions, sweep.latent_dim, summary)


def model_rows(sweeps: dict[str, Sweep], n_boot: int = 200) -> list[ModelRow]:
    """One ``ModelRow`` per sweep ({label: sweep}), each with its summary."""
    return [model_row(label, sweep, sweep.summary(n_boot=n_boot)) for label, sweep in sweeps.items()]


FRACTION_HEADER = [f"{f:g}" for f in st.ANISOTROPY_FRACTIONS]


def anisotropy_table(rows: list[ModelRow]) -> Table:
    """Paper Table 2: per model, the paper's counts (from the mean spectrum, as its authors'
    script computes them) and this project's per-position dimensions (mean ± std)."""
    body = []
    for r in rows:
        t = r.summary.anisotropy
        body.append([r.label, str(r.N), str(r.n), "paper (mean spectrum)",
                     *(fmt.dims(d, mean=False) for d in t.paper)])
        body.append([r.label, str(r.N), str(r.n), "per position (mean ± std)",
                     *(f"{fmt.dims(m)} ± {fmt.dims(s)}" for m, s in zip(t.mean, t.std, strict=True))])
    return Table("Anisotropy: dimensions holding each fraction of the spectrum (paper Table 2)",
                 ["model", "N", "n", "definition", *FRACTION_HEADER], body,
                 ["", "positions", "dimensions", "", *["dimensions"] * len(FRACTION_HEADER)],
                 note="paper: ranks of the mean spectrum whose explained fraction is below f (its authors' "
                      "definition); per position: the smallest k holding f at each code, averaged.")


HOMOGENEITY_HEADER = ["C^H log", "C^H lin", "log-Euclidean", "cosine"]


def homogeneity_cells(r: ModelRow) -> list[str]:
    """C^H log and linear, log-Euclidean distance, metric cosine (mean ± std over pairs of
    positions); "needs 2+ positions" for a one-position sweep."""
    if r.N < 2:
        return [NEEDS_TWO] * len(HOMOGENEITY_HEADER)
    C, h = r.summary.consistency, r.summary.homogeneity
    return [fmt.mean_std((C.log_mean, C.log_std)), fmt.mean_std((C.lin_mean, C.lin_std)),
            fmt.mean_std(h.log_euclidean, fmt.distance), fmt.mean_std(h.cosine)]


def homogeneity_table(rows: list[ModelRow]) -> Table:
    one = any(r.N < 2 for r in rows)
    return Table("Homogeneity (paper Table 4 format) and the statistics beyond C^H, mean ± std over pairs of positions",
                 ["model", *HOMOGENEITY_HEADER], [[r.label, *homogeneity_cells(r)] for r in rows],
                 note="Statistics between positions need two positions or more." if one else "")


def model_table(rows: list[ModelRow]) -> Table:
    """Paper Table 2 by the paper's definition, a row per sweep, compact (the app's Compare tab,
    beside ``homogeneity_table``)."""
    return Table("Dimensions holding each fraction of the spectrum (paper Table 2, the paper's definition)",
                 ["sweep", "N", "n", *FRACTION_HEADER],
                 [[r.label, str(r.N), str(r.n), *(fmt.dims(d, mean=False) for d in r.summary.anisotropy.paper)]
                  for r in rows])


def spectrum_table(spectrum: st.SpectrumSummary, ranks=(1, 2, 5, 10, 20, 50, 100, 200)) -> Table:
    """Eigenvalue by rank over positions: mean and the 5-95 % band."""
    low, high = spectrum.percentiles
    shown = [r for r in ranks if r <= spectrum.mean.size]
    return Table(f"Spectrum: eigenvalue by rank over {spectrum.count} positions", ["rank", "mean",
                 f"{low:g} %", f"{high:g} %"],
                 [[str(r), fmt.eig(spectrum.mean[r - 1]), fmt.eig(spectrum.lower[r - 1]),
                   fmt.eig(spectrum.upper[r - 1])] for r in shown])


def isotropy_table(iso: st.IsotropyIllusion) -> Table:
    return Table("alpha(v) = vᵀHv of random unit directions, averaged over positions",
                 ["", "empirical", "theory (Eq. 13-15)"],
                 [["mean", fmt.eig(iso.empirical_mean.mean()), fmt.eig(iso.theory_mean.mean())],
                  ["variance", fmt.eig(iso.empirical_var.mean()), fmt.eig(iso.theory_var.mean())]],
                 note=f"Eigenvectors span alpha from {fmt.eig(iso.alpha_eigen[:, -1].mean())} to "
                      f"{fmt.eig(iso.alpha_eigen[:, 0].mean())}.")


def estimates_table(estimates: list[st.Estimate], n_positions: int, n_boot: int) -> Table:
    """The bootstrap estimates: value and 95 % interval; statistics between positions (C^H) say
    so where a sweep has one position."""
    rows = []
    for e in estimates:
        if e.name.startswith("C^H") and n_positions < 2:
            rows.append([e.name, NEEDS_TWO, ""])
        else:
            rows.append([e.name, fmt.scalar(e.value), fmt.interval(e.low, e.high)])
    return Table(f"Summary with 95 % bootstrap intervals over positions ({n_boot} resamples)",
                 ["statistic", "value", "interval"], rows)


def headline_table(row: ModelRow, n_boot: int) -> Table:
    """The report's title-page numbers: the bootstrap estimates, then C^H and the homogeneity
    statistics beyond it (each "needs 2+ positions" for a one-position sweep)."""
    table = estimates_table(row.summary.estimates, row.N, n_boot)
    h = row.summary.homogeneity
    homogeneity = homogeneity_cells(row)
    overlap = NEEDS_TWO if row.N < 2 else fmt.mean_std(h.overlap)
    table.rows += [["C^H log mean ± std", homogeneity[0], ""], ["C^H linear mean ± std", homogeneity[1], ""],
                   ["log-Euclidean distance (0: homogeneous)", homogeneity[2], ""],
                   ["metric cosine (1: homogeneous)", homogeneity[3], ""],
                   [f"top-{h.k} eigenspace overlap (random {fmt.corr(h.overlap_random)})", overlap, ""]]
    table.caption = "Summary: headline numbers (95 % bootstrap intervals over positions)"
    return table


DISTANCE_COMPARISON = {"entry_corr": "H entries corr", "eig_corr_lin": "spectra corr lin",
                       "eig_corr_log": "spectra corr log", "ch_ab_lin": "C^H A frame on B lin",
                       "ch_ab_log": "C^H A frame on B log", "ch_ba_lin": "C^H B frame on A lin",
                       "ch_ba_log": "C^H B frame on A log", "slope": "log spectra slope",
                       "intercept": "log spectra intercept"}


def distance_comparison_table(result: st.DistanceComparison, names: tuple[str, str]) -> Table:
    """Paper Table 3 for distances A and B at the same positions: a row per statistic."""
    return Table(f"Distance comparison (paper Table 3 format): A = {names[0]}, B = {names[1]}; mean ± std over "
                 f"positions", ["statistic", "A against B"],
                 [[DISTANCE_COMPARISON[key], fmt.mean_std(value)] for key, value in result.table().items()])


# ---- one code ----------------------------------------------------------------------------------
def eigenvalue_table(eigvals: np.ndarray, n_computed: int, shown: int = 20) -> Table:
    return Table("Top eigenvalues", ["rank", "eigenvalue"],
                 [[str(i + 1), fmt.eig(v)] for i, v in enumerate(eigvals[: min(shown, n_computed)])])


def metric_facts(result, latent_dim: int) -> Table:
    """What the command line prints of a metric (a ``MetricResult``'s provenance and spectrum)."""
    p = result.provenance
    top = " ".join(fmt.eig(v) for v in result.eigvals[:8])
    estimate = f"{fmt.size(p['estimate']['memory_bytes'])}, {fmt.seconds(p['estimate']['seconds'])}"
    return facts("", [("generator", f"{p['generator']} ({p['space']} space, n = {latent_dim})"),
                      ("distance", f"{p['distance']}   method {p['method']}   seed {p['seed']}"),
                      ("estimate", estimate),
                      ("time", fmt.seconds(p["seconds"]) + (" (compiled product)" if p.get("compiled") else "")),
                      ("top eigvals", top)])


# ---- layers --------------------------------------------------------------------------------------
def layer_table(summary, names: dict[str, str] | None = None) -> Table:
    """Each layer's metric and the image metric, original against weight-shuffled (a
    ``layers.LayerSummary``); ``names``: readable names for the layers (``readable_layer_names``)."""
    names = names or {}
    return Table("Layer metrics, original against weight-shuffled (means over positions)",
                 ["metric", "top eigenvalue", "shuffled", "dims for 99 %", "shuffled"],
                 [[names.get(r["metric"], r["metric"]), fmt.eig(r["top"]), fmt.eig(r["top_shuffled"]),
                   fmt.dims(r["dims99"]), fmt.dims(r["dims99_shuffled"])] for r in summary.rows])


def amplification_table(summary) -> Table:
    """Correlation of log speeds of the first layer's eigenvectors under each target, and the
    mean log10 speed of its top 5, original against shuffled."""
    return Table(f"Amplification of {summary.targets[0]}'s eigenvectors: correlation of log speeds with the "
                 f"source's, and mean log10 speed of its top 5 eigenvectors",
                 ["target", "corr", "shuffled", "top-5 log10 speed", "shuffled"],
                 [[t, fmt.corr(summary.log_corr[0][i]), fmt.corr(summary.log_corr[1][i]),
                   fmt.distance(summary.log_speeds[0][i, :5].mean()), fmt.distance(summary.log_speeds[1][i, :5].mean())]
                  for i, t in enumerate(summary.targets)])


def image_homogeneity_table(summary, n_positions: int) -> Table:
    """C^H and the statistics beyond it for the image metric, original against shuffled."""
    names = list(summary.image_statistics["original"])
    if n_positions < 2:
        rows = [[label, *[NEEDS_TWO] * len(names)] for label in summary.image_statistics]
    else:
        rows = [[label, *(fmt.corr(v) for v in values.values())] for label, values in summary.image_statistics.items()]
    return Table("Homogeneity of the image metric", ["", *names], rows,
                 note="Statistics between positions need two positions or more." if n_positions < 2 else "")


def layer_list_table(infos, default: set[str]) -> Table:
    """A generator's layers: name, type, output shape, size, and * for the default ones."""
    return Table("", ["layer", "type", "output shape", "size", "default"],
                 [[info.name, info.kind, "×".join(map(str, info.shape)), str(info.size),
                   "*" if info.name in default else ""] for info in infos])


def readable_layer_names(infos) -> dict[str, str]:
    """``layers.LayerInfo`` -> "block i · type → C×H×W" (i counts the listed layers from 1)."""
    return {info.name: f"block {i} · {info.kind} → {'×'.join(map(str, info.shape))}"
            for i, info in enumerate(infos, start=1)}


# ---- traversal and axes --------------------------------------------------------------------------
def distance_curve_table(curves, distance: str) -> Table:
    """Measured / predicted distance per rank and step (a ``traversal.DistanceCurves``), the steps
    labelled as the montage's columns (mode and scaling)."""
    steps = [fmt.step_label(s, curves.mode, curves.scaled) for s in curves.steps]

    def cell(step, measured, predicted) -> str:  # step 0 is the reference itself: D = 0 (rounding aside)
        return "0 / 0" if step == 0 else f"{fmt.eig(measured)} / {fmt.eig(predicted)}"

    return Table(f"{distance} along each eigenvector: measured / quadratic prediction ½ δᵀHδ", ["rank", *steps],
                 [[str(r), *(cell(*values) for values in zip(curves.steps, measured, predicted, strict=True))]
                  for r, measured, predicted in zip(curves.ranks, curves.distances, curves.predicted, strict=True)],
                 note="At step 0 the code is the reference: both are 0 (the measured value differs from 0 only by "
                      "the rounding of a batched forward pass).")


def axis_family_table(entries: list[tuple[str, str, object, list[str]]]) -> Table:
    """Axis families against an eigenframe: (set name, family, ``axes.AxisComparison``, labels)."""
    rows = []
    for name, family, result, labels in entries:
        labelled = ", ".join(f"{i}: {label}" for i, label in enumerate(labels) if label) or "none"
        rows.append([name, family, str(result.power.shape[0]), fmt.eig(result.speed[:result.k].mean()),
                     fmt.eig(result.random_speed), fmt.corr(result.grassmann), fmt.mean_std(result.grassmann_random),
                     labelled])
    return Table("Axis families against the average metric (first k = min(10, K) axes)",
                 ["set", "family", "K", "mean aᵀHa", "random", "Grassmann", "random", "labels"], rows)


# ---- applications --------------------------------------------------------------------------------
def inversion_table(best: list[tuple[str, float, float]]) -> Table:
    """Paper Table 5 format: the best distance over starts per basis, mean and SEM."""
    return Table("Best distance over starts (paper Table 5 format)", ["basis", "mean", "SEM"],
                 [[basis, fmt.eig(mean), fmt.eig(sem)] for basis, mean, sem in best])


def search_table(final_best: dict[str, float]) -> Table:
    return Table("Best distance found", ["search", "best distance"],
                 [[label, fmt.eig(value)] for label, value in final_best.items()])


def comparison_table(names: tuple[str, str], a: np.ndarray, b: np.ndarray, fit: np.ndarray, threshold: float) -> Table:
    """Michelis et al. Appendix D: per pair, the relative improvement in each model, whether the
    pair is comparable, and how closely model B reproduces the pair's outputs (inversion distance)."""
    rows = [[str(i + 1), fmt.percent(ra), fmt.percent(rb), "yes" if abs(ra - rb) <= threshold else "",
             f"{fmt.eig(f0)}, {fmt.eig(f1)}"] for i, (ra, rb, (f0, f1)) in enumerate(zip(a, b, fit, strict=True))]
    return Table(f"Relative improvement per pair: {names[0]} against {names[1]}",
                 ["pair", names[0], names[1], "comparable", f"{names[1]}'s fit (distance)"], rows,
                 note=f"Comparable: the improvements differ by at most {fmt.percent(threshold)}.")


# ---- models --------------------------------------------------------------------------------------
def generators_table(entries) -> Table:
    """Every registered generator and latent space (``registry.GeneratorEntry``)."""
    rows = [[e.name, space, str(dim), str(e.resolution), e.distributions[space], e.weights_status(), e.licence,
             e.source()] for e in entries for space, dim in e.spaces.items()]
    return Table("", ["generator", "space", "dim", "res", "latent distribution", "weights", "licence", "source"], rows)


def weights_table(report) -> Table:
    """What a user's weights file holds (``user_weights.WeightsReport``)."""
    skipped = ", ".join(report.skipped_keys[:5]) + (" ..." if len(report.skipped_keys) > 5 else "")
    config = ", ".join(f"{k} {v}" for k, v in report.config.items())
    keys = (f"{report.tensors} tensors loaded; " + (
        f"{len(report.skipped_keys)} skipped as the reference skips them: {skipped}" if report.skipped_keys
        else "none missing, none unexpected, every shape as in the file"))
    c, h, w = report.image_shape
    low, high = report.sample_range
    return facts("", [("file", f"{report.path} ({fmt.size(report.size_bytes)})"), ("sha256", report.sha256),
                      ("family", report.family), ("config", config or "as registered"), ("keys", keys),
                      ("sample", f"{c} x {h} x {w} image from a {report.latent_dim}-d code, values "
                                 f"{fmt.corr(low)}..{fmt.corr(high)}"),
                      *report.notes])

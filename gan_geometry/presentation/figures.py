"""Plotly figures from the engine's result objects: one place, used by the report and the app.

Each function takes a result dataclass from ``geometry`` and returns a ``plotly`` Figure with a
title, labelled axes and a fixed height. The width is left to the container (the app's columns
at any window width); static exports (the PDF) give ``EXPORT_WIDTH``.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from gan_geometry.analysis.axes import AxisComparison
from gan_geometry.analysis.layers import LayerSummary
from gan_geometry.analysis.statistics import (
    AnisotropyTable,
    AverageMetric,
    Consistency,
    DistanceComparison,
    IsotropyIllusion,
    SpectrumSummary,
)
from gan_geometry.analysis.traversal import DistanceCurves
from gan_geometry.presentation import formats as fmt

EXPORT_WIDTH, HEIGHT = 760, 380
BAND = "rgba(31, 119, 180, 0.2)"
LINE = "rgb(31, 119, 180)"


def _layout(fig: go.Figure, title: str, height: int = HEIGHT, **axes) -> go.Figure:
    fig.update_layout(title=dict(text=title, x=0.02), autosize=True, height=height, template="plotly_white",
                      margin=dict(l=70, r=20, t=50, b=55), font=dict(family="DejaVu Sans, sans-serif", size=12),
                      legend=dict(orientation="h", y=-0.22), **axes)
    return fig


def _band(x, low, high, mean_values, name: str, row=None, col=None, fig=None, color=LINE, fill=BAND,
          band: str | None = "5-95 %", mean: bool = True) -> None:
    """A line (named "``name`` mean" when ``mean``, else ``name``) with a shaded band from ``low``
    to ``high`` labelled ``band`` (None: no band)."""
    kwargs = {"row": row, "col": col} if row else {}
    if band is not None:
        fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([high, low[::-1]]), fill="toself",
                                 fillcolor=fill, line=dict(width=0), name=f"{name} {band}", hoverinfo="skip"), **kwargs)
    fig.add_trace(go.Scatter(x=x, y=mean_values, line=dict(color=color, width=2),
                             name=f"{name} mean" if mean else name), **kwargs)


def spectrum_figure(summary: SpectrumSummary, title: str = "Spectrum of the metric") -> go.Figure:
    """Mean eigenvalue per rank with the percentile band (over several positions; a single code
    has no band), raw and normalised by lambda_max, log y."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("λ", "λ / λ₁"), horizontal_spacing=0.14)
    ranks = np.arange(1, summary.mean.size + 1)
    several = summary.count > 1
    band = f"{summary.percentiles[0]:g}-{summary.percentiles[1]:g} %" if several else None
    _band(ranks, summary.lower, summary.upper, summary.mean, "λ", 1, 1, fig, band=band, mean=several)
    _band(ranks, summary.norm_lower, summary.norm_upper, summary.norm_mean, "λ / λ₁", 1, 2, fig,
          color="rgb(214, 39, 40)", fill="rgba(214, 39, 40, 0.2)", band=band, mean=several)
    fig.update_yaxes(type="log", exponentformat="power")
    fig.update_xaxes(title_text="rank")
    return _layout(fig, title)


def anisotropy_figure(table: AnisotropyTable) -> go.Figure:
    """Bars: dimensions holding each fraction of the spectrum, mean +- std over positions."""
    labels = [f"{f:g}" for f in table.fractions]
    fig = go.Figure(go.Bar(x=labels, y=table.mean, error_y=dict(type="data", array=table.std), marker_color=LINE,
                           text=[fmt.dims(m) for m in table.mean], textposition="inside", insidetextanchor="middle",
                           textfont=dict(color="white")))  # inside the bar: clear of the error bar
    return _layout(fig, f"Dimensions holding a fraction of the spectrum (of {table.n})",
                   xaxis_title="fraction of the spectrum", yaxis_title="dimensions",
                   yaxis_range=[0, table.n * 1.1])


def isotropy_figure(result: IsotropyIllusion) -> go.Figure:
    """Histograms of alpha(v) for eigenvectors and random directions (log x), with the
    theoretical mean of random directions as a line."""
    eigen = np.log10(np.clip(result.alpha_eigen.ravel(), 1e-300, None)[result.alpha_eigen.ravel() > 0])
    random = np.log10(result.alpha_random.ravel())
    fig = go.Figure()
    fig.add_trace(go.Histogram(x=eigen, name="eigenvectors", opacity=0.6, nbinsx=60, histnorm="probability"))
    fig.add_trace(go.Histogram(x=random, name="random directions", opacity=0.6, nbinsx=60, histnorm="probability"))
    theory = np.log10(result.theory_mean.mean())
    fig.add_vline(x=theory, line=dict(color="black", dash="dash"),
                  annotation_text="theory: E[alpha] = mean(lambda)", annotation_position="top")
    fig.update_layout(barmode="overlay")
    return _layout(fig, "Illusion of isotropy: speed of image change alpha(v) = v^T H v",
                   xaxis_title="log10 alpha(v)", yaxis_title="fraction")


def consistency_heatmap(result: Consistency) -> go.Figure:
    """C^H (N, N) on the log and the linear scale side by side, one colour scale for both."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("C^H log scale", "C^H linear scale"),
                        horizontal_spacing=0.15)
    fig.add_trace(go.Heatmap(z=result.log, zmin=-1, zmax=1, colorscale="RdBu", reversescale=True,
                             colorbar=dict(title=dict(text="C^H"), x=1.0, xanchor="left", len=0.9, thickness=14,
                                           tickvals=[-1, -0.5, 0, 0.5, 1])), 1, 1)
    fig.add_trace(go.Heatmap(z=result.lin, zmin=-1, zmax=1, colorscale="RdBu", reversescale=True,
                             showscale=False), 1, 2)
    fig.update_xaxes(title_text="position j (metric)")
    fig.update_yaxes(title_text="position i (eigenframe)", autorange="reversed")
    fig = _layout(fig, "Consistency of the metric between positions")
    fig.update_layout(margin=dict(r=80))  # room for the colour bar, also in a static export
    return fig


def consistency_histograms(result: Consistency) -> go.Figure:
    """Off-diagonal C^H on both scales, overlaid."""
    off = ~np.eye(result.lin.shape[0], dtype=bool)
    fig = go.Figure()
    fig.add_trace(go.Histogram(x=result.log[off], name=f"log scale (mean {fmt.corr(result.log_mean)})", opacity=0.6,
                               nbinsx=50, histnorm="probability"))
    fig.add_trace(go.Histogram(x=result.lin[off], name=f"linear scale (mean {fmt.corr(result.lin_mean)})", opacity=0.6,
                               nbinsx=50, histnorm="probability"))
    fig.update_layout(barmode="overlay")
    return _layout(fig, "Off-diagonal consistency C^H", xaxis_title="correlation", yaxis_title="fraction",
                   xaxis_range=[-1, 1])


def average_metric_figure(result: AverageMetric, local: SpectrumSummary | None = None) -> go.Figure:
    ranks = np.arange(1, result.eigvals.size + 1)
    fig = go.Figure(go.Scatter(x=ranks, y=np.clip(result.eigvals, 1e-300, None), name="average metric",
                               line=dict(color="black", width=2)))
    if local is not None:
        _band(ranks, local.lower, local.upper, local.mean, "local metrics", fig=fig)
    fig.update_yaxes(type="log", exponentformat="power")
    return _layout(fig, "Spectrum of the average metric", xaxis_title="rank", yaxis_title="eigenvalue")


def distance_curves_figure(curves: DistanceCurves, distance: str = "d2") -> go.Figure:
    """Measured d2 along each eigenvector (solid) and its quadratic prediction mu^2 lambda / 2
    (dashed, same colour), log y. mu = 0 (d2 = 0) cannot sit on a log axis: steps from
    ``traversal.curve_steps`` approach it geometrically, so each curve visibly dips towards 0."""
    fig = go.Figure()
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"]
    for i, rank in enumerate(curves.ranks):
        color = colors[i % len(colors)]
        keep = curves.steps != 0
        fig.add_trace(go.Scatter(x=curves.steps[keep], y=curves.distances[i][keep], name=f"rank {rank} measured",
                                 line=dict(color=color), legendgroup=str(rank)))
        fig.add_trace(go.Scatter(x=curves.steps[keep], y=curves.predicted[i][keep],
                                 name=f"rank {rank} predicted", line=dict(color=color, dash="dash"),
                                 legendgroup=str(rank)))
    fig.update_yaxes(type="log", exponentformat="power")
    return _layout(fig, f"Distance along eigenvectors ({distance}); dashed: quadratic prediction",
                   xaxis_title="step mu", yaxis_title="squared distance")


def axis_projection_figure(result: AxisComparison, family: str) -> go.Figure:
    """Mean projection power of the axes on each eigenvector, against random unit vectors."""
    ranks = np.arange(1, result.random_power.size + 1)
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=ranks, y=result.power.mean(0), name=f"{family} axes", mode="lines+markers",
                             marker=dict(size=4)))
    fig.add_trace(go.Scatter(x=ranks, y=result.random_power, name="random unit vectors", line=dict(dash="dash")))
    fig.update_yaxes(type="log", exponentformat="power")
    return _layout(fig, f"Projection power of {family} axes on the eigenvectors",
                   xaxis_title="eigenvector rank", yaxis_title="mean (u_k . a)^2")


def distance_comparison_figure(lam_a: np.ndarray, lam_b: np.ndarray, result: DistanceComparison,
                               names: tuple[str, str]) -> go.Figure:
    """log10 lambda_B against log10 lambda_A over all positions and ranks, with the mean fit."""
    a, b = np.asarray(lam_a).ravel(), np.asarray(lam_b).ravel()
    keep = (a > 0) & (b > 0)
    x, y = np.log10(a[keep]), np.log10(b[keep])
    fig = go.Figure(go.Scattergl(x=x, y=y, mode="markers", marker=dict(size=3, opacity=0.4), name="eigenvalue pairs"))
    slope, intercept = float(np.mean(result.slope)), float(np.mean(result.intercept))
    line_x = np.array([x.min(), x.max()])
    fig.add_trace(go.Scatter(x=line_x, y=slope * line_x + intercept, name=f"fit: slope {fmt.corr(slope)}, "
                             f"intercept {fmt.corr(intercept)}", line=dict(color="black")))
    return _layout(fig, f"Spectra of the two distances: {names[1]} against {names[0]}",
                   xaxis_title=f"log10 lambda ({names[0]})", yaxis_title=f"log10 lambda ({names[1]})")


def spectra_overlay_figure(spectra: dict[str, SpectrumSummary], normalised: bool = True) -> go.Figure:
    """Several sweeps' spectra (mean and 5-95 % band) on one log axis, normalised by default."""
    palette = ["31, 119, 180", "214, 39, 40", "44, 160, 44", "148, 103, 189", "255, 127, 14", "140, 86, 75"]
    fig = go.Figure()
    for i, (name, s) in enumerate(spectra.items()):
        rgb = palette[i % len(palette)]
        ranks = np.arange(1, s.mean.size + 1)
        mean, low, high = (s.norm_mean, s.norm_lower, s.norm_upper) if normalised else (s.mean, s.lower, s.upper)
        _band(ranks, low, high, mean, name, fig=fig, color=f"rgb({rgb})", fill=f"rgba({rgb}, 0.15)")
    fig.update_yaxes(type="log", exponentformat="power")
    label = "eigenvalue / top eigenvalue" if normalised else "eigenvalue"
    return _layout(fig, "Spectra compared", xaxis_title="rank", yaxis_title=label)


def _curves_figure(curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]], title: str,
                   x_title: str, band: str | None) -> go.Figure:
    """One line per label, x against the mean with a band: {label: (x, mean, low, high)}."""
    palette = ["31, 119, 180", "214, 39, 40", "44, 160, 44", "148, 103, 189", "255, 127, 14"]
    fig = go.Figure()
    for i, (label, (x, mean, low, high)) in enumerate(curves.items()):
        rgb = palette[i % len(palette)]
        _band(x, low, high, mean, label, fig=fig, color=f"rgb({rgb})", fill=f"rgba({rgb}, 0.15)", band=band)
    fig.update_yaxes(type="log", exponentformat="power")
    return _layout(fig, title, xaxis_title=x_title, yaxis_title="distance to the target")


def inversion_figure(distances: dict[str, np.ndarray]) -> go.Figure:
    """Adam runs {basis: (starts, steps + 1)}: mean distance over starts with the min-max band."""
    return _curves_figure({b: (np.arange(d.shape[1]), d.mean(0), d.min(0), d.max(0)) for b, d in distances.items()},
                          "Inversion: distance against Adam iteration (band: best to worst start)", "iteration",
                          "min-max")


def search_figure(runs: dict[str, tuple[np.ndarray, np.ndarray]]) -> go.Figure:
    """CMA-ES runs {label: (evaluations, best-so-far)}."""
    return _curves_figure({k: (e, b, b, b) for k, (e, b) in runs.items()},
                          "Gradient-free search: best distance against evaluations", "function evaluations", None)


def improvement_figure(improvements: np.ndarray) -> go.Figure:
    fig = go.Figure(go.Histogram(x=100 * np.asarray(improvements), nbinsx=20, marker_color=LINE))
    fig.add_vline(x=float(100 * np.mean(improvements)), line=dict(color="black", dash="dash"),
                  annotation_text=f"mean {fmt.percent(np.mean(improvements))}")
    return _layout(fig, "Relative length improvement of the optimised curve over the straight line",
                   xaxis_title="(L_line - L_curve) / L_line, %", yaxis_title="pairs")


def model_comparison_figure(names: tuple[str, str], a: np.ndarray, b: np.ndarray, comparable: list[int]) -> go.Figure:
    """Michelis et al. Appendix D: the relative improvements of the same pairs in two models, as
    histograms side by side and per pair (the comparable pairs marked)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("histograms", "per pair"), horizontal_spacing=0.12)
    for values, name, color in ((a, names[0], LINE), (b, names[1], "rgb(214, 39, 40)")):
        fig.add_trace(go.Histogram(x=100 * np.asarray(values), name=name, opacity=0.6, nbinsx=15,
                                   marker_color=color), 1, 1)
    pairs = np.arange(1, len(a) + 1)
    for values, name, color in ((a, names[0], LINE), (b, names[1], "rgb(214, 39, 40)")):
        fig.add_trace(go.Bar(x=pairs, y=100 * np.asarray(values), name=name, marker_color=color, showlegend=False),
                      1, 2)
    for i in comparable:
        fig.add_vrect(x0=i + 0.5, x1=i + 1.5, fillcolor="rgba(44, 160, 44, 0.15)", line_width=0, row=1, col=2)
    fig.update_layout(barmode="group")
    fig.update_xaxes(title_text="relative improvement, %", row=1, col=1)
    fig.update_xaxes(title_text="pair (green: comparable)", row=1, col=2)
    fig.update_yaxes(title_text="pairs", row=1, col=1)
    fig.update_yaxes(title_text="relative improvement, %", row=1, col=2)
    return _layout(fig, "The same pairs in two models (Michelis et al., Appendix D)")


def slice_maps_figure(maps) -> go.Figure:
    """Michelis et al. Fig. 1 for a 2-D slice (``slices.SliceMaps``): log10 condition number and
    log-determinant of the plane's metric, with the fastest direction drawn on the first."""
    a, b = maps.offsets, maps.offsets
    fig = make_subplots(rows=1, cols=2, subplot_titles=("log10 condition number", "log determinant"),
                        horizontal_spacing=0.16)
    fig.add_trace(go.Heatmap(x=a, y=b, z=np.log10(maps.condition), colorscale="Viridis",
                             colorbar=dict(x=0.42, len=0.9, thickness=12)), 1, 1)
    fig.add_trace(go.Heatmap(x=a, y=b, z=maps.log_det, colorscale="Magma",
                             colorbar=dict(x=1.0, len=0.9, thickness=12)), 1, 2)
    half = 0.4 * (a[1] - a[0])
    xs, ys = [], []
    for row, y in enumerate(b):
        for column, x in enumerate(a):
            dx, dy = half * maps.direction[row, column]
            xs += [x - dx, x + dx, None]
            ys += [y - dy, y + dy, None]
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line=dict(color="white", width=2), name="fastest direction",
                             showlegend=False), 1, 1)
    for col in (1, 2):
        fig.update_xaxes(title_text=f"along {maps.labels[0]}", row=1, col=col)
        fig.update_yaxes(title_text=f"along {maps.labels[1]}", row=1, col=col, scaleanchor=f"x{'' if col == 1 else 2}")
    fig = _layout(fig, "The metric over a 2-D slice through the code (Michelis et al., Fig. 1)", height=420)
    fig.update_layout(margin=dict(r=60))
    return fig


def layer_spectra_figure(summary: LayerSummary) -> go.Figure:
    """Mean normalised spectrum lambda / lambda_max of each layer's metric and of the image metric,
    original (solid) and weight-shuffled (dashed, same colour), log y."""
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f"]
    fig = go.Figure()
    for i, (name, (original, shuffled)) in enumerate(summary.spectra.items()):
        color, ranks = colors[i % len(colors)], np.arange(1, original.size + 1)
        fig.add_trace(go.Scatter(x=ranks, y=np.clip(original, 1e-300, None), name=name, line=dict(color=color),
                                 legendgroup=name))
        fig.add_trace(go.Scatter(x=ranks, y=np.clip(shuffled, 1e-300, None), name=f"{name} shuffled",
                                 line=dict(color=color, dash="dash"), legendgroup=name))
    fig.update_yaxes(type="log", exponentformat="power")
    return _layout(fig, "Spectra by layer; dashed: weight-shuffled control", xaxis_title="rank",
                   yaxis_title="eigenvalue / top eigenvalue", height=460)


def amplification_figure(summary: LayerSummary) -> go.Figure:
    """log10 u_i^T H_b u_i for the first layer's eigenvectors u_i (columns: rank i) under each
    target metric b (rows), original and weight-shuffled side by side (paper Fig. 4B, C)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("original", "weight-shuffled"), horizontal_spacing=0.2)
    low = min(float(np.min(s)) for s in summary.log_speeds)
    high = max(float(np.max(s)) for s in summary.log_speeds)
    for col, speeds in enumerate(summary.log_speeds, start=1):
        fig.add_trace(go.Heatmap(z=speeds, y=summary.targets, x=np.arange(1, speeds.shape[1] + 1), zmin=low, zmax=high,
                                 colorscale="Viridis", showscale=col == 2, colorbar=dict(title="log10 speed")), 1, col)
    fig.update_xaxes(title_text=f"eigenvector rank of {summary.targets[0]}")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "Amplification of the first layer's eigenvectors by later layers", height=420)

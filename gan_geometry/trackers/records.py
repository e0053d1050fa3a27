"""What each kind of result sends to a tracker (``base.Tracker``): the same for TensorBoard and W&B."""

from __future__ import annotations

import io
import json

import numpy as np

from gan_geometry.analysis.statistics import ANISOTROPY_FRACTIONS, anisotropy_dims, effective_rank


def figure_array(fig) -> np.ndarray:
    """A plotly figure as an (H, W, 3) uint8 picture (kaleido, as the report's figures)."""
    from PIL import Image

    from gan_geometry.presentation.exporter import figure_image

    return np.asarray(Image.open(io.BytesIO(figure_image(fig, 720, "png"))).convert("RGB"))


def numbers(tree, prefix: str) -> list[tuple[str, float]]:
    """(tag, value) of every finite number in nested dicts (lists of numbers are left out: the
    spectra go to histograms)."""
    found = []
    for key, value in tree.items():
        tag = f"{prefix}/{key}"
        if isinstance(value, dict):
            found += numbers(value, tag)
        elif isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value):
            found.append((tag, float(value)))
    return found


def log_spectra(tracker, eigvals: np.ndarray, prefix: str) -> None:
    """Per position (step): top eigenvalue, effective rank, dimensions for 99 %, and the spectrum
    as a histogram of log10 eigenvalues. ``eigvals`` (N, K) descending."""
    lam = np.asarray(eigvals, dtype=np.float64)
    dims = anisotropy_dims(lam)[:, list(ANISOTROPY_FRACTIONS).index(0.99)]
    for i, row in enumerate(lam):
        tracker.scalar(f"{prefix}/top_eigenvalue", row[0], i)
        tracker.scalar(f"{prefix}/effective_rank", effective_rank(row), i)
        tracker.scalar(f"{prefix}/dims_for_99_percent", dims[i], i)
        positive = row[row > 0]
        if positive.size:
            tracker.histogram(f"{prefix}/log10_eigenvalues", np.log10(positive), i)


def log_sweep(tracker, sweep, summary=None) -> None:
    """A sweep (``analysis.sweeps.Sweep``): settings, per-position spectra, every statistic of its
    summary, the spectrum and consistency heatmap pictures."""
    from gan_geometry.presentation import figures
    from gan_geometry.presentation.records import summary_record

    summary = summary if summary is not None else sweep.summary()
    tracker.text("settings", json.dumps(sweep.settings, indent=1, default=str))
    log_spectra(tracker, np.asarray(sweep.eigvals), "position")
    record = summary_record(sweep, summary)
    for tag, value in numbers({k: v for k, v in record.items() if k != "sweep"}, "stats"):
        tracker.scalar(tag, value)
    tracker.image("spectrum", figure_array(figures.spectrum_figure(summary.spectrum)))
    if summary.consistency is not None:
        tracker.image("consistency", figure_array(figures.consistency_heatmap(summary.consistency)))


def log_metric(tracker, result) -> None:
    """One metric (``MetricResult``): its provenance, spectrum numbers and picture."""
    from gan_geometry.analysis.statistics import spectrum_summary
    from gan_geometry.presentation import figures

    lam = np.asarray(result.eigvals[: result.n_computed], dtype=np.float64)[None]
    tracker.text("settings", json.dumps(result.provenance, indent=1, default=str))
    log_spectra(tracker, lam, "metric")
    tracker.scalar("metric/seconds", result.provenance.get("seconds", 0.0))
    tracker.image("spectrum", figure_array(figures.spectrum_figure(spectrum_summary(lam), "Spectrum at this code")))


def log_layers(tracker, sweep, summary) -> None:
    """A layer sweep and its ``LayerSummary``: settings, each layer's numbers, the spectra by layer."""
    from gan_geometry.presentation import figures

    tracker.text("settings", json.dumps(sweep.settings, indent=1, default=str))
    for row in summary.rows:
        name = str(row.get("metric", "layer")).replace("/", "_")
        for key, value in row.items():
            if isinstance(value, int | float) and not isinstance(value, bool) and np.isfinite(value):
                tracker.scalar(f"layers/{name}/{key}", value)
    tracker.image("layer_spectra", figure_array(figures.layer_spectra_figure(summary)))


def log_montage(tracker, montage, curves=None, settings: dict | None = None) -> None:
    """A montage (``traversal.Montage``) and, with ``curves``, the measured distance per rank along
    the steps (step = column)."""
    if settings:
        tracker.text("settings", json.dumps(settings, indent=1, default=str))
    tracker.image("montage", montage.grid())
    if curves is not None:
        for rank, measured in zip(curves.ranks, curves.distances, strict=True):
            for column, value in enumerate(measured):
                tracker.scalar(f"montage/rank_{rank}/distance", value, column)

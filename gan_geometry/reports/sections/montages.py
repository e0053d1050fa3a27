"""Eigen-axis montages and distance curves: those saved in ``montages/``, else made from the
average metric's top axes at the first position (left out when the generator cannot be loaded
here); for sound generators one WAV per montage row."""

from __future__ import annotations

import io

import numpy as np

from gan_geometry.analysis.statistics import AverageMetric
from gan_geometry.analysis.sweeps import Sweep
from gan_geometry.analysis.traversal import curve_steps, distance_curves, eigen_traversal
from gan_geometry.presentation import figures
from gan_geometry.reports.context import ReportContext
from gan_geometry.reports.document import Figure, Section, png


def montage_ranks(n: int) -> list[int]:
    """Eigen-ranks (1-based) a default montage shows: 1, 2, 3, 6, 11, 21, 51 below n, and n."""
    return [r for r in (1, 2, 3, 6, 11, 21, 51) if r < n] + [n]


def default_montage(G, sweep: Sweep, avg: AverageMetric):
    """The average metric's eigenvectors of ``montage_ranks`` at the first position, steps -3..3."""
    return eigen_traversal(G, np.asarray(sweep.positions[0]), avg.eigvals, avg.eigvecs, montage_ranks(sweep.latent_dim),
                           np.linspace(-3, 3, 7))


def montage_sounds(G, montage) -> list[dict]:
    """One WAV per montage row (its steps in order, 0.15 s apart) for a sound generator, as
    {"caption", "name", "wav": bytes}; [] for images. The report and the app play these."""
    if not G.sample_rate:
        return []
    from scipy.io import wavfile

    from gan_geometry.core.sound import pcm16

    gap = np.zeros(int(0.15 * G.sample_rate), dtype=np.int16)
    sounds = []
    for index, (label, row) in enumerate(zip(montage.row_labels, montage.images, strict=True)):
        buffer = io.BytesIO()
        wavfile.write(buffer, G.sample_rate, np.concatenate([part for x in row for part in (pcm16(x), gap)]))
        sounds.append({"caption": f"{label}: its {len(row)} steps in order", "name": f"row-{index + 1}.wav",
                       "wav": buffer.getvalue()})
    return sounds


def build(context: ReportContext) -> Section | None:
    section = Section("axes", "Eigen-axis montages and distance curves")
    for path in sorted((context.directory / "montages").glob("*.png")):
        section.images.append({"caption": path.stem, "png": path.read_bytes()})
    if context.models_loaded is None:
        return section if section.images else None
    G, D = context.models_loaded
    sweep, avg = context.sweep, context.summary.average
    ranks = montage_ranks(sweep.latent_dim)
    if not section.images:
        montage = default_montage(G, sweep, avg)
        shown = "spectrograms of the sounds" if G.sample_rate else "images"
        section.images.append({"caption": f"The average metric's eigenvectors at the first position (rows: rank · "
                                          f"eigenvalue), steps −3..3 along each unit eigenvector ({shown}): the top "
                                          f"ranks change them visibly, the last barely at all.",
                               "png": png(montage.grid())})
        section.sounds = montage_sounds(G, montage)
    curves = distance_curves(G, D, np.asarray(sweep.positions[0]), avg.eigvals, avg.eigvecs, ranks[:4] + ranks[-1:],
                             curve_steps(3.0))
    section.figures.append(Figure(figures.distance_curves_figure(curves, sweep.settings["distance"]),
                                  "Distance along the average metric's eigenvectors from the first position (41 steps, "
                                  "as in the app), measured (solid) against the quadratic prediction ½ μ²λ (dashed): "
                                  "where they agree the metric describes the change; where they part, the "
                                  "generator's curvature takes over."))
    return section

"""Models compared: spectra normalised by their top eigenvalue (paper Fig. 2) and Tables 2 and 4,
a row per model, for the sweeps given beside the report's own."""

from __future__ import annotations

from gan_geometry.analysis.sweeps import load_sweep
from gan_geometry.presentation import figures, tables
from gan_geometry.reports.context import ReportContext
from gan_geometry.reports.document import Figure, Section


def build(context: ReportContext) -> Section | None:
    if not context.models:
        return None
    others = [load_sweep(path) for path in context.models]
    rows = [context.row] + tables.model_rows({tables.sweep_label(s.settings): s for s in others})
    return Section(
        "models", "Models compared",
        [Figure(figures.spectra_overlay_figure({r.label: r.summary.spectrum for r in rows}),
                "Mean spectrum of each model normalised by its top eigenvalue, with the 5-95 % band (paper Fig. 2).")],
        tables=[tables.anisotropy_table(rows), tables.homogeneity_table(rows)])

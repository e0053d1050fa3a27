"""Anisotropy: dimensions holding each fraction of the spectrum (paper Table 2), by the paper's
definition and per position."""

from gan_geometry.presentation import figures, sentences, tables
from gan_geometry.reports.context import ReportContext
from gan_geometry.reports.document import Figure, Section


def build(context: ReportContext) -> Section:
    table = context.summary.anisotropy
    return Section("anisotropy", "Anisotropy", [Figure(figures.anisotropy_figure(table),
                                                       sentences.anisotropy_caption(table))],
                   tables=[tables.anisotropy_table([context.row])])

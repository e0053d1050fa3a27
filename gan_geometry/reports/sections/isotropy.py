"""The illusion of isotropy: speeds of eigenvectors against random directions (paper Eq. 13-15)."""

from gan_geometry.presentation import figures, sentences, tables
from gan_geometry.reports.context import ReportContext
from gan_geometry.reports.document import Figure, Section


def build(context: ReportContext) -> Section:
    iso = context.summary.isotropy
    return Section("isotropy", "Illusion of isotropy", [Figure(figures.isotropy_figure(iso),
                                                               sentences.isotropy_caption(iso))],
                   tables=[tables.isotropy_table(iso)])
